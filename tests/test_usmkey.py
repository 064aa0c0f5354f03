"""USM password-to-key / localization: both twins, RFC 3414 vectors, pysnmp as oracle."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.security import _keys_py
from snmptrapmgr.errors import ERR_KEY_LENGTH, ERR_SECURITY_MODEL, SNMPTrapMgrError

HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
RFC_ENGINE = bytes.fromhex("000000000000000000000002")
MIB = 1048576


def _load_cython():
    try:
        return importlib.import_module("snmptrapmgr.security._keys_c")
    except ImportError:
        return None


_keys_c = _load_cython()


def _compiled():
    """The compiled twin; its absence fails when CI requires it, else skips."""
    if _keys_c is None:
        if os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS") == "1":
            pytest.fail("snmptrapmgr.security._keys_c is not built but SNMPTRAPMGR_REQUIRE_EXTENSIONS=1")
        pytest.skip("snmptrapmgr.security._keys_c is not built")
    return _keys_c


@pytest.fixture(params=["python", pytest.param("cython", marks=pytest.mark.cython)])
def mod(request):
    """The twin under test."""
    return _keys_py if request.param == "python" else _compiled()


def naive_password_to_key(password: bytes, hash_name: str) -> bytes:
    """The RFC 3414 A.2 definition, written as plainly as possible."""
    stream = (password * (MIB // len(password) + 1))[:MIB]
    return hashlib.new(hash_name, stream).digest()


# ----------------------------------------------------------------- RFC 3414 A.3

RFC_VECTORS = {
    # A.3.1 (MD5) and A.3.2 (SHA-1), password "maplesyrup"
    "md5": ("9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
    "sha1": (
        "9fb5cc0381497b3793528939ff788d5d79145211",
        "6695febc9288e36282235fc7151f128497b38f3f",
    ),
}


@pytest.mark.parametrize("hash_name", sorted(RFC_VECTORS))
def test_rfc3414_a3_vectors(mod, hash_name):
    ku_hex, kul_hex = RFC_VECTORS[hash_name]
    ku = mod.password_to_key(b"maplesyrup", hash_name)
    assert ku.hex() == ku_hex
    assert mod.localize_key(ku, RFC_ENGINE, hash_name).hex() == kul_hex


# ------------------------------------------------------- pysnmp as an oracle


@pytest.fixture(scope="module")
def pysnmp_localkey():
    pytest.importorskip("pysnmp")
    import pysnmp.proto.secmod.rfc3414  # noqa: F401  (breaks pysnmp's import cycle)
    from pysnmp.proto.secmod.rfc3414 import localkey

    return localkey


@pytest.mark.parametrize("hash_name", HASHES)
@pytest.mark.parametrize(
    "password",
    [b"maplesyrup", b"x", b"authpass-256-" * 7, bytes(range(256)), b"\xff\x00" * 33],
)
def test_against_pysnmp(mod, pysnmp_localkey, hash_name, password):
    engine = bytes.fromhex("80001f8880e9bd0c1d12667a5100000000")
    new = getattr(hashlib, hash_name)
    theirs_ku = bytes(pysnmp_localkey.hash_passphrase(password, new))
    theirs_kul = bytes(pysnmp_localkey.localize_key(theirs_ku, _octets(engine), new))
    ku = mod.password_to_key(password, hash_name)
    assert ku == theirs_ku
    assert len(ku) == new().digest_size
    assert mod.localize_key(ku, engine, hash_name) == theirs_kul


def _octets(data: bytes):
    from pyasn1.type import univ

    return univ.OctetString(data)


# ----------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "length", [1, 2, 3, 63, 64, 65, 4095, 65535, 65536, 65537, MIB - 1, MIB, MIB + 1, 3 * MIB]
)
def test_password_lengths(mod, length):
    password = bytes((i * 7 + 3) & 0xFF for i in range(min(length, 997))) * (length // 997 + 1)
    password = password[:length]
    assert mod.password_to_key(password, "sha1") == naive_password_to_key(password, "sha1")


@pytest.mark.parametrize("hash_name", HASHES)
def test_empty_password_is_key_length_error(mod, hash_name):
    with pytest.raises(SNMPTrapMgrError) as info:
        mod.password_to_key(b"", hash_name)
    assert info.value.code == ERR_KEY_LENGTH


@pytest.mark.parametrize("bad", ["MD5", "sha", "", "sha3_256", None, 1])
def test_unknown_hash(mod, bad):
    for call in (
        lambda: mod.password_to_key(b"maplesyrup", bad),
        lambda: mod.localize_key(b"k" * 16, RFC_ENGINE, bad),
    ):
        with pytest.raises(SNMPTrapMgrError) as info:
            call()
        assert info.value.code == ERR_SECURITY_MODEL


def test_bytes_like_inputs(mod):
    ku = mod.password_to_key(b"maplesyrup", "md5")
    assert mod.password_to_key(bytearray(b"maplesyrup"), "md5") == ku
    assert mod.password_to_key(memoryview(b"maplesyrup"), "md5") == ku
    kul = mod.localize_key(ku, RFC_ENGINE, "md5")
    assert mod.localize_key(bytearray(ku), memoryview(RFC_ENGINE), "md5") == kul
    assert isinstance(ku, bytes) and isinstance(kul, bytes)


@pytest.mark.parametrize("bad", ["maplesyrup", 12, None])
def test_non_bytes_password_is_type_error(mod, bad):
    with pytest.raises(TypeError):
        mod.password_to_key(bad, "md5")


def test_localize_key_definition(mod):
    key, engine = b"\x01" * 20, b"\x80\x00\x1f\x88\x04abc"
    for hash_name in HASHES:
        expected = hashlib.new(hash_name, key + engine + key).digest()
        assert mod.localize_key(key, engine, hash_name) == expected
    assert mod.localize_key(b"", b"", "md5") == hashlib.md5(b"").digest()


def test_twins_know_exactly_the_shared_hash_table(mod):
    """One table of hash names (security.hashes) serves both twins and the MACs."""
    from snmptrapmgr.errors import SNMPTrapMgrError
    from snmptrapmgr.security import hashes

    assert sorted(hashes.HASHES) == sorted(HASHES)
    for name in hashes.HASHES:
        assert len(mod.localize_key(b"k" * 16, b"engine", name)) == hashes.DIGEST_SIZE[name]
    for unknown in ("sha3_256", "MD5", "", None):
        with pytest.raises(SNMPTrapMgrError):
            mod.localize_key(b"k" * 16, b"engine", unknown)


def test_twin_signatures_match():
    _compiled()
    for name in ("password_to_key", "localize_key"):
        assert str(inspect.signature(getattr(_keys_c, name))) == str(
            inspect.signature(getattr(_keys_py, name))
        )


# ------------------------------------------------------------ hypothesis


@settings(max_examples=20, deadline=None)
@given(
    password=st.binary(min_size=1, max_size=200),
    engine=st.binary(min_size=0, max_size=32),
    hash_name=st.sampled_from(HASHES),
)
def test_twins_agree(password, engine, hash_name):
    ku = _keys_py.password_to_key(password, hash_name)
    assert ku == naive_password_to_key(password, hash_name)
    kul = _keys_py.localize_key(ku, engine, hash_name)
    if _keys_c is not None:
        assert _keys_c.password_to_key(password, hash_name) == ku
        assert _keys_c.localize_key(ku, engine, hash_name) == kul


@settings(max_examples=200, deadline=None)
@given(key=st.binary(max_size=80), engine=st.binary(max_size=40), hash_name=st.sampled_from(HASHES))
def test_twins_agree_on_localize(key, engine, hash_name):
    kul = _keys_py.localize_key(key, engine, hash_name)
    assert kul == hashlib.new(hash_name, key + engine + key).digest()
    if _keys_c is not None:
        assert _keys_c.localize_key(key, engine, hash_name) == kul


# --------------------------------------------------------------- selector


def test_selector_exports():
    from snmptrapmgr.security import keys

    assert isinstance(keys.USING_CYTHON, bool)
    expected = _keys_c if keys.USING_CYTHON else _keys_py
    assert keys.password_to_key is expected.password_to_key
    assert keys.localize_key is expected.localize_key
    if os.environ.get("SNMPTRAPMGR_NO_EXTENSIONS") != "1":
        assert keys.USING_CYTHON == (_keys_c is not None)


def test_selector_honours_no_extensions():
    env = dict(os.environ, SNMPTRAPMGR_NO_EXTENSIONS="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from snmptrapmgr.security import keys;"
            "print(keys.USING_CYTHON, keys.password_to_key.__module__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["False", "snmptrapmgr.security._keys_py"]
