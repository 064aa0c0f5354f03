"""USM auth/privacy primitives: tables, HMAC, key extension, DES/3DES/AES.

Independent oracles: pysnmp (its own key derivation and ciphers, built on the
``cryptography`` package), ``cryptography`` used directly, and published
known-answer vectors (NIST SP 800-38A CFB128, FIPS 81 DES-CBC).
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snmptrapmgr.security import _keys_py as keys
from snmptrapmgr.security import crypto as uc
from snmptrapmgr.errors import (
    ERR_DECRYPTION_FAILED,
    ERR_KEY_LENGTH,
    ERR_SECURITY_MODEL,
    SNMPTrapMgrError,
)

ENGINE = bytes.fromhex("80001f8880e9bd0c1d12667a5100000000")
HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
AUTH_CODES = sorted(uc.AUTH_BY_NUMBER)
PRIV_CODES = sorted(uc.PRIV_BY_NUMBER)


# ------------------------------------------------------------------ tables


def test_auth_table():
    got = {c: (p.name, p.hash_name, p.mac_length) for c, p in uc.AUTH_BY_NUMBER.items()}
    assert got == {
        1: ("MD5", "md5", 12),
        2: ("SHA", "sha1", 12),
        3: ("SHA256", "sha256", 24),
        4: ("SHA512", "sha512", 48),
        5: ("SHA224", "sha224", 16),
        6: ("SHA384", "sha384", 32),
    }
    assert all(p.code == c for c, p in uc.AUTH_BY_NUMBER.items())


def test_priv_table():
    got = {c: (p.name, p.key_length) for c, p in uc.PRIV_BY_NUMBER.items()}
    assert got == {
        1: ("DES", 16),
        2: ("AES128", 16),
        3: ("3DES", 32),
        4: ("AES192", 24),
        5: ("AES256", 32),
    }


def test_unknown_protocol_codes():
    for call in (
        lambda: uc.AuthKey(b"k" * 16, 7),
        lambda: uc.AuthKey(b"k" * 16, 0),
        lambda: uc.PrivKey(b"k" * 32, 6),
        lambda: uc.priv_key(b"k" * 16, 9, "md5", ENGINE, "reeder"),
        lambda: uc.priv_key(b"k" * 16, 4, "md5", ENGINE, "cisco"),
        lambda: uc.extend_key_blumenthal(b"k" * 16, 32, "sha3_256"),
    ):
        with pytest.raises(SNMPTrapMgrError) as info:
            call()
        assert info.value.code == ERR_SECURITY_MODEL


# -------------------------------------------------------------------- auth

MESSAGE_HEAD = bytes.fromhex("3081b502010330110204") + b"\x01\x02\x03\x04"


def _message(mac_length: int, body: bytes = b"scoped pdu bytes" * 5) -> tuple[bytes, int]:
    """A message with a zeroed auth-parameters field, and that field's offset."""
    offset = len(MESSAGE_HEAD) + 2
    msg = MESSAGE_HEAD + bytes([0x04, mac_length]) + bytes(mac_length) + body
    return msg, offset


@pytest.mark.parametrize("code", AUTH_CODES)
def test_sign_is_truncated_hmac(code):
    proto = uc.AUTH_BY_NUMBER[code]
    ku = keys.password_to_key(b"authpassword", proto.hash_name)
    key = keys.localize_key(ku, ENGINE, proto.hash_name)
    msg, _ = _message(proto.mac_length)
    ak = uc.AuthKey(key, code)
    mac = ak.sign(msg)
    assert len(mac) == proto.mac_length
    assert mac == hmac.new(key, msg, proto.hash_name).digest()[: proto.mac_length]
    assert ak.sign(msg) == mac  # precomputed state is not consumed


@pytest.mark.parametrize("code", AUTH_CODES)
def test_sign_verify_round_trip_and_tamper(code):
    proto = uc.AUTH_BY_NUMBER[code]
    ak = uc.AuthKey(hashlib.new(proto.hash_name, b"some key").digest(), code)
    n = proto.mac_length
    msg, offset = _message(n)
    mac = ak.sign(msg)
    signed = msg[:offset] + mac + msg[offset + n :]
    assert ak.verify(signed, offset, mac)
    assert ak.verify(bytearray(signed), offset, memoryview(mac))
    for i in range(len(signed)):
        tampered = bytearray(signed)
        tampered[i] ^= 0x01
        received = bytes(tampered[offset : offset + n])
        assert not ak.verify(bytes(tampered), offset, received), i
    # wrong MAC lengths never pass, whatever the bytes
    assert not ak.verify(signed, offset, mac[:-1])
    assert not ak.verify(signed, offset, mac + b"\x00")
    assert not ak.verify(signed, offset, b"")
    # offsets that do not fit
    assert not ak.verify(signed, -1, mac)
    assert not ak.verify(signed, len(signed) - n + 1, mac)
    # another key fails
    other = uc.AuthKey(hashlib.new(proto.hash_name, b"other key").digest(), code)
    assert not other.verify(signed, offset, mac)


@pytest.fixture(scope="module")
def pysnmp_auth():
    pytest.importorskip("pysnmp")
    import pysnmp.proto.secmod.rfc3414  # noqa: F401  (breaks pysnmp's import cycle)
    from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
    from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

    h2 = hmacsha2.HmacSha2
    return {
        1: hmacmd5.HmacMd5(),
        2: hmacsha.HmacSha(),
        3: h2(h2.SHA256_SERVICE_ID),
        4: h2(h2.SHA512_SERVICE_ID),
        5: h2(h2.SHA224_SERVICE_ID),
        6: h2(h2.SAH384_SERVICE_ID),
    }


@pytest.mark.parametrize("code", AUTH_CODES)
def test_auth_against_pysnmp(pysnmp_auth, code):
    from pyasn1.type import univ

    svc = pysnmp_auth[code]
    proto = uc.AUTH_BY_NUMBER[code]
    ku = svc.hash_passphrase(b"maplesyrup-auth")
    kul = bytes(svc.localize_key(ku, univ.OctetString(ENGINE)))
    ours = keys.password_to_key(b"maplesyrup-auth", proto.hash_name)
    assert kul == keys.localize_key(ours, ENGINE, proto.hash_name)
    msg, offset = _message(proto.mac_length)
    theirs = bytes(svc.authenticate_outgoing_message(univ.OctetString(kul), msg))
    ak = uc.AuthKey(kul, code)
    n = proto.mac_length
    assert theirs[offset : offset + n] == ak.sign(msg)
    assert ak.verify(theirs, offset, theirs[offset : offset + n])


# ------------------------------------------------------------ key extension


@pytest.fixture(scope="module")
def pysnmp_priv():
    pytest.importorskip("pysnmp")
    import pysnmp.proto.secmod.rfc3414  # noqa: F401  (breaks pysnmp's import cycle)
    from pysnmp.proto.secmod.eso.priv import aes192, aes256, des3
    from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
    from pysnmp.proto.secmod.rfc3414.priv import des
    from pysnmp.proto.secmod.rfc3826.priv import aes
    from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

    h2 = hmacsha2.HmacSha2
    auth_oids = {
        "md5": hmacmd5.HmacMd5.SERVICE_ID,
        "sha1": hmacsha.HmacSha.SERVICE_ID,
        "sha224": h2.SHA224_SERVICE_ID,
        "sha256": h2.SHA256_SERVICE_ID,
        "sha384": h2.SAH384_SERVICE_ID,
        "sha512": h2.SHA512_SERVICE_ID,
    }
    services = {
        (1, "reeder"): des.Des(),
        (2, "reeder"): aes.Aes(),
        (3, "reeder"): des3.Des3(),
        (4, "reeder"): aes192.Aes192(),
        (4, "blumenthal"): aes192.AesBlumenthal192(),
        (5, "reeder"): aes256.Aes256(),
        (5, "blumenthal"): aes256.AesBlumenthal256(),
    }
    return auth_oids, services


PRIV_CASES = [
    (1, "reeder"),
    (2, "reeder"),
    (3, "reeder"),
    (4, "reeder"),
    (4, "blumenthal"),
    (5, "reeder"),
    (5, "blumenthal"),
]


def _our_priv_key(password: bytes, hash_name: str, code: int, mode: str) -> bytes:
    kul = keys.localize_key(keys.password_to_key(password, hash_name), ENGINE, hash_name)
    return uc.priv_key(kul, code, hash_name, ENGINE, mode)


def _their_priv_key(pysnmp_priv, password, hash_name, code, mode) -> bytes:
    from pyasn1.type import univ

    auth_oids, services = pysnmp_priv
    svc = services[(code, mode)]
    oid = auth_oids[hash_name]
    key = svc.localize_key(oid, svc.hash_passphrase(oid, password), univ.OctetString(ENGINE))
    return bytes(key)[: uc.PRIV_BY_NUMBER[code].key_length]


@pytest.mark.parametrize("hash_name", HASHES)
@pytest.mark.parametrize("code,mode", PRIV_CASES)
def test_priv_key_against_pysnmp(pysnmp_priv, hash_name, code, mode):
    ours = _our_priv_key(b"privpassword", hash_name, code, mode)
    assert len(ours) == uc.PRIV_BY_NUMBER[code].key_length
    assert ours == _their_priv_key(pysnmp_priv, b"privpassword", hash_name, code, mode)


@pytest.mark.parametrize("hash_name", ["md5", "sha1"])
@pytest.mark.parametrize("code", [4, 5])
def test_extensions_differ_when_key_is_short(hash_name, code):
    kul = keys.localize_key(keys.password_to_key(b"privpassword", hash_name), ENGINE, hash_name)
    reeder = uc.priv_key(kul, code, hash_name, ENGINE, "reeder")
    blumenthal = uc.priv_key(kul, code, hash_name, ENGINE, "blumenthal")
    assert reeder != blumenthal
    assert reeder[: len(kul)] == blumenthal[: len(kul)] == kul[: len(reeder)]
    assert blumenthal == (kul + hashlib.new(hash_name, kul).digest())[: len(blumenthal)]


def test_extension_is_plain_truncation_when_long_enough():
    kul = hashlib.sha512(b"x").digest()
    assert uc.extend_key_blumenthal(kul, 32, "sha512") == kul[:32]
    assert uc.extend_key_reeder(kul, 32, "sha512", ENGINE) == kul[:32]
    assert uc.priv_key(kul, 5, "sha512", ENGINE, "blumenthal") == kul[:32]
    assert uc.priv_key(kul, 3, "sha512", ENGINE, "blumenthal") == kul[:32]  # 3DES: Reeder always
    assert uc.priv_key(kul, 1, "sha512", ENGINE, "reeder") == kul[:16]
    short = hashlib.md5(b"x").digest()
    # 3DES ignores the mode and always extends the Reeder way
    reeder = uc.extend_key_reeder(short, 32, "md5", ENGINE)
    assert uc.priv_key(short, 3, "md5", ENGINE, "blumenthal") == reeder
    assert reeder == short + keys.localize_key(keys.password_to_key(short, "md5"), ENGINE, "md5")


def test_short_keys_are_rejected():
    with pytest.raises(SNMPTrapMgrError) as info:
        uc.priv_key(b"k" * 15, 2, "md5", ENGINE, "reeder")
    assert info.value.code == ERR_KEY_LENGTH
    for code, proto in uc.PRIV_BY_NUMBER.items():
        with pytest.raises(SNMPTrapMgrError) as info:
            uc.PrivKey(b"k" * (proto.key_length - 1), code)
        assert info.value.code == ERR_KEY_LENGTH


# ----------------------------------------------------------- known answers


def test_aes_cfb128_sp800_38a_vectors(impl):
    # NIST SP 800-38A F.3.13 / F.3.15 / F.3.17, first block; the USM IV is
    # boots || time || salt, so those three carry the NIST IV 000102..0f.
    plain = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    iv = (0x00010203, 0x04050607, 0x08090A0B0C0D0E0F)
    for code, key, expected in [
        (2, "2b7e151628aed2a6abf7158809cf4f3c", "3b3fd92eb72dad20333449f8e83cfb4a"),
        (4, "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", "cdc80d6fddf18cab34c25909c99a4174"),
        (5, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "dc7e84bfda79164b7ecd8486985d3860"),
    ]:
        pk = uc.PrivKey(bytes.fromhex(key), code)
        ct, salt = pk.encrypt(plain, *iv)
        assert salt == bytes.fromhex("08090a0b0c0d0e0f")
        assert ct.hex() == expected
        assert pk.decrypt(ct, salt, iv[0], iv[1]) == plain


def test_des_cbc_fips81_vector(impl):
    # FIPS 81 CBC example: key 0123456789abcdef, IV 1234567890abcdef.
    # With pre-IV 0, IV = salt = engineBoots || counter.
    plain = b"Now is the time for all "
    pk = uc.PrivKey(bytes.fromhex("0123456789abcdef") + bytes(8), 1)
    ct, salt = pk.encrypt(plain, 0x12345678, 99, 0x90ABCDEF)
    assert salt == bytes.fromhex("1234567890abcdef")
    assert ct.hex() == "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6"
    assert pk.decrypt(ct, salt, 0, 0) == plain


def test_des_pre_iv_xor_salt_and_padding(impl):
    Cipher = pytest.importorskip("cryptography.hazmat.primitives.ciphers").Cipher
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import modes

    key = bytes.fromhex("0123456789abcdef" "f0e1d2c3b4a59687")
    pk = uc.PrivKey(key, 1)
    ct, salt = pk.encrypt(b"0123456789", 5, 0, 0x1_0000_0007)  # counter wraps to 32 bits
    assert salt == bytes.fromhex("0000000500000007")
    iv = bytes(a ^ b for a, b in zip(key[8:], salt))
    # single DES == 3DES with K1 = K2 = K3
    dec = Cipher(TripleDES(key[:8] * 3), modes.CBC(iv)).decryptor()
    assert dec.update(ct) + dec.finalize() == b"0123456789" + bytes(6)
    assert len(uc.PrivKey(key, 1).encrypt(b"8 octets", 1, 0, 1)[0]) == 8  # no padding block added


def test_3des_against_cryptography(impl):
    Cipher = pytest.importorskip("cryptography.hazmat.primitives.ciphers").Cipher
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import modes

    key = hashlib.sha256(b"3des key").digest()
    pk = uc.PrivKey(key, 3)
    plain = b"a scoped pdu of some length"
    ct, salt = pk.encrypt(plain, 0x01020304, 77, 0xAABBCCDD)
    assert salt == bytes.fromhex("01020304aabbccdd")
    iv = bytes(a ^ b for a, b in zip(key[24:32], salt))
    enc = Cipher(TripleDES(key[:24]), modes.CBC(iv)).encryptor()
    padded = plain + bytes(-len(plain) % 8)
    assert ct == enc.update(padded) + enc.finalize()


@pytest.mark.parametrize("degenerate", ["k1k2", "k2k3", "all"])
def test_3des_degenerate_keys_still_work(impl, degenerate):
    a, b, c = (bytes.fromhex(h) for h in ("0123456789abcdef", "fedcba9876543210", "89abcdef01234567"))
    # parity bits (the low bit of each octet) do not count
    a2 = bytes(x ^ 1 for x in a)
    triple = {"k1k2": a + a2 + c, "k2k3": a + b + b, "all": a + a + a}[degenerate]
    single = {"k1k2": c, "k2k3": a, "all": a}[degenerate]
    pre_iv = bytes(range(8))
    ct, salt = uc.PrivKey(triple + pre_iv, 3).encrypt(b"x" * 16, 1, 2, 3)
    ct_des, salt_des = uc.PrivKey(single + pre_iv, 1).encrypt(b"x" * 16, 1, 2, 3)
    assert (ct, salt) == (ct_des, salt_des)
    assert uc.PrivKey(triple + pre_iv, 3).decrypt(ct, salt, 1, 2) == b"x" * 16


# ---------------------------------------------------- interop with pysnmp


@pytest.mark.parametrize("hash_name", ["md5", "sha1", "sha256"])
@pytest.mark.parametrize("code,mode", PRIV_CASES)
def test_encrypt_decrypt_against_pysnmp(impl, pysnmp_priv, hash_name, code, mode):
    pytest.importorskip("cryptography")
    from pyasn1.type import univ

    _, services = pysnmp_priv
    svc = services[(code, mode)]
    key = _our_priv_key(b"privpassword", hash_name, code, mode)
    pk = uc.PrivKey(key, code)
    plain = bytes(range(256))[:77]
    boots, time = 12, 345678

    # pysnmp encrypts, we decrypt
    their_key = univ.OctetString(key)
    ct, salt = svc.encrypt_data(their_key, (boots, time, univ.OctetString(b"")), plain)
    got = pk.decrypt(bytes(ct), bytes(salt), boots, time)
    assert got[: len(plain)] == plain

    # we encrypt, pysnmp decrypts
    ct, salt = pk.encrypt(plain, boots, time, 0x0123456789ABCDEF)
    theirs = svc.decrypt_data(their_key, (boots, time, univ.OctetString(salt)), univ.OctetString(ct))
    assert bytes(theirs)[: len(plain)] == plain


# ---------------------------------------------------- errors and properties


def _priv_keys():
    """One PrivKey per protocol, built now: with the cipher twin the ``impl`` fixture chose."""
    return {code: uc.PrivKey(hashlib.sha256(b"k%d" % code).digest(), code) for code in PRIV_CODES}


@pytest.mark.parametrize("code", PRIV_CODES)
def test_decrypt_errors_are_313(impl, code):
    pk = _priv_keys()[code]
    bad = [
        (b"\x00" * 16, b"\x00" * 7, 1, 1),  # salt too short
        (b"\x00" * 16, b"\x00" * 9, 1, 1),  # salt too long
        (b"", b"\x00" * 8, 1, 1),  # nothing to decrypt
    ]
    if code in (1, 3):
        bad.append((b"\x00" * 15, b"\x00" * 8, 1, 1))  # not whole blocks
    else:
        bad.append((b"\x00" * 16, b"\x00" * 8, -1, 1))  # boots cannot be an IV
        bad.append((b"\x00" * 16, b"\x00" * 8, 1, 1 << 32))
    for args in bad:
        with pytest.raises(SNMPTrapMgrError) as info:
            pk.decrypt(*args)
        assert info.value.code == ERR_DECRYPTION_FAILED, args
    with pytest.raises(SNMPTrapMgrError) as info:
        pk.encrypt(b"", 1, 1, 1)
    assert info.value.code == ERR_DECRYPTION_FAILED


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(PRIV_CODES),
    plain=st.binary(min_size=1, max_size=600),
    boots=st.integers(0, 2**31 - 1),
    time=st.integers(0, 2**31 - 1),
    counter=st.integers(0, 2**64 - 1),
)
def test_round_trip(impl, code, plain, boots, time, counter):
    pk = _priv_keys()[code]
    ct, salt = pk.encrypt(plain, boots, time, counter)
    assert len(salt) == 8
    back = pk.decrypt(ct, salt, boots, time)
    if code in (1, 3):
        assert len(ct) % 8 == 0 and len(ct) - len(plain) < 8
        assert back[: len(plain)] == plain and not back[len(plain) :].strip(b"\x00")
    else:
        assert len(ct) == len(plain) and back == plain


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(PRIV_CODES),
    data=st.binary(max_size=100),
    salt=st.binary(max_size=12),
    boots=st.integers(-(2**40), 2**40),
    time=st.integers(-(2**40), 2**40),
)
def test_decrypt_garbage_only_raises_313(impl, code, data, salt, boots, time):
    try:
        out = _priv_keys()[code].decrypt(data, salt, boots, time)
    except SNMPTrapMgrError as exc:
        assert exc.code == ERR_DECRYPTION_FAILED
    else:
        assert isinstance(out, bytes) and len(out) == len(data)


@settings(max_examples=100, deadline=None)
@given(code=st.sampled_from(AUTH_CODES), msg=st.binary(min_size=60, max_size=300), data=st.data())
def test_verify_random_messages(code, msg, data):
    proto = uc.AUTH_BY_NUMBER[code]
    n = proto.mac_length
    ak = uc.AuthKey(b"\x42" * 20, code)
    offset = data.draw(st.integers(0, len(msg) - n))
    zeroed = msg[:offset] + bytes(n) + msg[offset + n :]
    mac = ak.sign(zeroed)
    signed = msg[:offset] + mac + msg[offset + n :]
    assert ak.verify(signed, offset, mac)
    bogus = data.draw(st.binary(min_size=0, max_size=64))
    if bogus != mac:
        assert not ak.verify(signed, offset, bogus)


# ------------------------------------------------------------- twin binding


def test_priv_key_keeps_the_cipher_twin_it_was_built_with():
    """The _select rule: a PrivKey binds the cipher twin active when it is built, so
    use() affects the keys built after it and never a key in use."""
    import snmptrapmgr
    from snmptrapmgr import _select
    from snmptrapmgr.security import _cipher_py

    if "cython" not in _select.available():
        pytest.skip("Cython extensions not built")
    real = _cipher_py.aes_cfb_decrypt
    calls = []

    def counting(*args):
        calls.append(args[0])
        return real(*args)

    previous = snmptrapmgr.implementation
    _cipher_py.aes_cfb_decrypt = counting
    try:
        _select.use("python")
        built_python = uc.PrivKey(bytes(range(16)), uc.PRIV_AES128)
        ct, salt = built_python.encrypt(b"scoped pdu bytes", 1, 2, 3)
        _select.use("cython")
        assert built_python.decrypt(ct, salt, 1, 2) == b"scoped pdu bytes"
        assert len(calls) == 1  # still the Python twin, though Cython is active now
        built_cython = uc.PrivKey(bytes(range(16)), uc.PRIV_AES128)
        assert built_cython.decrypt(ct, salt, 1, 2) == b"scoped pdu bytes"
        assert len(calls) == 1  # built after use("cython"): the compiled twin
    finally:
        _cipher_py.aes_cfb_decrypt = real
        _select.use(previous)
