"""The cipher twins: equal to pycryptodome's public API, same errors, native path really used."""

from __future__ import annotations

import importlib
import os
import random

import pytest
from Crypto.Cipher import AES, DES, DES3
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr import _select
from snmptrapmgr.security import _cipher_py, cipher
from snmptrapmgr.errors import ERR_DECRYPTION_FAILED, SNMPTrapMgrError

REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0")

try:
    _cipher_c = importlib.import_module("snmptrapmgr.security._cipher_c")
except ImportError:
    _cipher_c = None

FUNCTIONS = ("aes_cfb_decrypt", "aes_cfb_encrypt", "des_cbc_decrypt", "des_cbc_encrypt",
             "des3_cbc_decrypt", "des3_cbc_encrypt")
LENGTHS = (0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 181, 184, 1000, 2047, 2048, 2049, 5000)


def _twins():
    mods = [_cipher_py]
    if _cipher_c is not None:
        mods.append(_cipher_c)
    elif REQUIRE:
        pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
    return mods


def _des3_key(rng: random.Random) -> bytes:
    while True:
        key = rng.randbytes(24)
        try:
            DES3.adjust_key_parity(key)
        except ValueError:
            continue
        return key


def _reference(name: str, key: bytes, iv: bytes, data: bytes) -> bytes:
    if name.startswith("aes"):
        cipher = AES.new(key, AES.MODE_CFB, iv=iv, segment_size=128)
    elif name.startswith("des3"):
        cipher = DES3.new(key, DES3.MODE_CBC, iv=iv)
    else:
        cipher = DES.new(key, DES.MODE_CBC, iv=iv)
    return cipher.decrypt(data) if name.endswith("decrypt") else cipher.encrypt(data)


def _args(name: str, rng: random.Random, n: int, key_length: int = 16):
    if name.startswith("aes"):
        return rng.randbytes(key_length), rng.randbytes(16), rng.randbytes(n)
    key = _des3_key(rng) if name.startswith("des3") else rng.randbytes(8)
    return key, rng.randbytes(8), rng.randbytes(n - n % 8)


def test_selector_exports_the_functions(impl):
    for name in FUNCTIONS:
        want = getattr(_cipher_c if impl == "cython" else _cipher_py, name)
        assert getattr(cipher, name) is want
    assert cipher.USING_CYTHON == (impl == "cython")
    assert "security.cipher" in _select.ACCELERATED


@pytest.mark.parametrize("name", FUNCTIONS)
def test_equal_to_pycryptodome(impl, name):
    rng = random.Random(f"{name}-{impl}")
    f = getattr(cipher, name)
    for n in LENGTHS:
        for key_length in ((16, 24, 32) if name.startswith("aes") else (0,)):
            key, iv, data = _args(name, rng, n, key_length)
            want = _reference(name, key, iv, data) if data else b""
            got = f(key, iv, data)
            assert type(got) is bytes and got == want, (name, n, key_length)
            # any bytes-like argument
            assert f(bytearray(key), memoryview(iv), bytearray(data)) == want


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(FUNCTIONS), seed=st.integers(0, 2**32), n=st.integers(0, 700),
       key_length=st.sampled_from((16, 24, 32)))
def test_twins_agree_on_random_input(name, seed, n, key_length):
    rng = random.Random(seed)
    key, iv, data = _args(name, rng, n, key_length)
    want = _reference(name, key, iv, data) if data else b""
    for mod in _twins():
        assert getattr(mod, name)(key, iv, data) == want, (mod.__name__, name, n)


def test_decrypt_inverts_encrypt():
    rng = random.Random(7)
    for mod in _twins():
        for n in LENGTHS:
            key, iv, data = _args("aes", rng, n, 32)
            assert mod.aes_cfb_decrypt(key, iv, mod.aes_cfb_encrypt(key, iv, data)) == data
            for prefix in ("des", "des3"):
                key, iv, data = _args(prefix, rng, n)
                enc = getattr(mod, f"{prefix}_cbc_encrypt")(key, iv, data)
                assert getattr(mod, f"{prefix}_cbc_decrypt")(key, iv, enc) == data


def _bad_cases():
    k16, iv16, k8, iv8 = b"k" * 16, b"i" * 16, b"k" * 8, b"i" * 8
    k24 = bytes.fromhex("0123456789abcdef" "fedcba9876543210" "89abcdef01234567")
    cases = []
    for op in ("decrypt", "encrypt"):
        aes = f"aes_cfb_{op}"
        cases += [(aes, (b"k" * n, iv16, b"x" * 16)) for n in (0, 8, 15, 17, 23, 25, 31, 33, 64)]
        cases += [(aes, (k16, b"i" * n, b"x" * 16)) for n in (0, 8, 15, 17, 32)]
        des = f"des_cbc_{op}"
        cases += [(des, (b"k" * n, iv8, b"x" * 8)) for n in (0, 7, 9, 16, 24)]
        cases += [(des, (k8, b"i" * n, b"x" * 8)) for n in (0, 7, 9, 16)]
        cases += [(des, (k8, iv8, b"x" * n)) for n in (1, 7, 9, 15, 17)]
        des3 = f"des3_cbc_{op}"
        cases += [(des3, (b"k" * n, iv8, b"x" * 8)) for n in (0, 8, 16, 23, 25, 32)]
        cases += [(des3, (k24, b"i" * n, b"x" * 8)) for n in (0, 7, 9, 16)]
        cases += [(des3, (k24, iv8, b"x" * n)) for n in (1, 7, 9, 15, 17)]
        a, b, c = k24[:8], k24[8:16], k24[16:]
        flip = bytes(x ^ 1 for x in a)  # parity bits do not count
        cases += [(des3, (key, iv8, b"x" * 8)) for key in (a + a + c, a + flip + c, a + b + b,
                                                             a + a + a)]
    return cases


@pytest.mark.parametrize("name,args", _bad_cases())
def test_bad_lengths_raise_313_with_the_same_message(name, args):
    messages = set()
    for mod in _twins():
        with pytest.raises(SNMPTrapMgrError) as info:
            getattr(mod, name)(*args)
        assert info.value.code == ERR_DECRYPTION_FAILED
        messages.add(info.value.message)
    assert len(messages) == 1


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("bad", ["text", 12, None])
def test_non_bytes_raise_type_error(name, bad):
    key, iv, data = _args(name, random.Random(1), 16)
    for mod in _twins():
        for args in ((bad, iv, data), (key, bad, data), (key, iv, bad)):
            with pytest.raises(TypeError):
                getattr(mod, name)(*args)


def test_cython_twin_drives_pycryptodome_c_directly(monkeypatch):
    """With the raw libraries loadable, the compiled twin never touches pycryptodome's Python layer."""
    if _cipher_c is None:
        if REQUIRE:
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built")
    assert _cipher_c.NATIVE is True
    assert _cipher_py.NATIVE is False
    rng = random.Random(3)
    cases = {name: _args(name, rng, 100) for name in FUNCTIONS}
    want = {name: _reference(name, *args) for name, args in cases.items()}

    def refuse(*args, **kwargs):
        raise AssertionError("pycryptodome's Python API was called")

    for module in (AES, DES, DES3):
        monkeypatch.setattr(module, "new", refuse)
    monkeypatch.setattr(_cipher_py, "_ecb", {})
    for name, args in cases.items():
        assert getattr(_cipher_c, name)(*args) == want[name]
    with pytest.raises(AssertionError):
        _cipher_py.aes_cfb_decrypt(*cases["aes_cfb_decrypt"])  # the twin would have


def test_cython_twin_falls_back_without_the_libraries(tmp_path):
    """If pycryptodome's raw libraries cannot be found, the compiled twin runs the Python twin."""
    if _cipher_c is None:
        pytest.skip("Cython extensions not built")
    import subprocess
    import sys

    code = (
        "import Crypto.Cipher, os\n"
        "Crypto.Cipher.__file__ = os.path.join(%r, '__init__.py')\n"
        "from snmptrapmgr.security import _cipher_c as c\n"
        "from Crypto.Cipher import AES\n"
        "assert c.NATIVE is False\n"
        "k, iv, d = b'k' * 16, b'i' * 16, b'data' * 11\n"
        "assert c.aes_cfb_decrypt(k, iv, d) == AES.new(k, AES.MODE_CFB, iv=iv, segment_size=128).decrypt(d)\n"
        "print('fallback ok')\n" % str(tmp_path)
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=root, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "fallback ok" in out.stdout


def test_key_schedules_are_per_cipher_and_bounded():
    """The compiled twin caches key schedules: one 24-octet key as AES-192 and as 3DES stays
    two ciphers, and more keys than the cache holds still decrypt right."""
    rng = random.Random(11)
    key = _des3_key(rng)
    iv16, iv8, data = rng.randbytes(16), rng.randbytes(8), rng.randbytes(64)
    for mod in _twins():
        for _ in range(2):
            assert mod.aes_cfb_decrypt(key, iv16, data) == _reference("aes_cfb_decrypt", key, iv16,
                                                                      data)
            assert mod.des3_cbc_decrypt(key, iv8, data) == _reference("des3_cbc_decrypt", key,
                                                                       iv8, data)
            assert mod.des_cbc_decrypt(key[:8], iv8, data) == _reference("des_cbc_decrypt",
                                                                         key[:8], iv8, data)
        keys = [rng.randbytes(16) for _ in range(1500)]
        cts = [mod.aes_cfb_encrypt(k, iv16, data) for k in keys]
        for k, ct in zip(reversed(keys), reversed(cts)):
            assert mod.aes_cfb_decrypt(k, iv16, ct) == data
