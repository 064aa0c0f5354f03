"""USM block-cipher modes (AES-CFB128, DES-CBC, 3DES-EDE-CBC), pure-Python twin.

Plain functions over (key, iv, data) -> bytes, on pycryptodome's public API.
``snmptrapmgr.security._cipher_c`` is the compiled twin with the same API, results
and errors: it drives pycryptodome's own C block ciphers directly.

Every length problem raises ``SNMPTrapMgrError(ERR_DECRYPTION_FAILED)`` with
the same message in both twins; a non-bytes-like argument raises TypeError.

Decryption is the per-packet work, so it avoids building a pycryptodome
chaining-mode object per call: AES-CFB128 and CBC decryption need the block
cipher only on data already known (E(IV || C[:-1]), D(C)), so one call of a
cached ECB object per key does every block at once and the chaining is an
XOR.  Encryption (replies only) is sequential and uses the mode objects.
"""

from __future__ import annotations

from Crypto.Cipher import AES, DES, DES3

from ..errors import ERR_DECRYPTION_FAILED, SNMPTrapMgrError

__all__ = [
    "aes_cfb_decrypt",
    "aes_cfb_encrypt",
    "des_cbc_decrypt",
    "des_cbc_encrypt",
    "des3_cbc_decrypt",
    "des3_cbc_encrypt",
    "NATIVE",
]

#: The compiled twin says whether it drives pycryptodome's C ciphers itself.
NATIVE = False

_AES_KEY_LENGTHS = (16, 24, 32)
_ECB_CACHE_LIMIT = 1024

#: (algorithm, key) -> ECB cipher object (stateless: safe to share and reuse)
_ecb: dict = {}


def _fail(why: str) -> SNMPTrapMgrError:
    return SNMPTrapMgrError(ERR_DECRYPTION_FAILED, why)


def _octets(key, iv, data) -> tuple[bytes, bytes, bytes]:
    """Any bytes-like arguments as bytes (TypeError for str / int, as the compiled twin)."""
    if type(key) is not bytes:
        key = bytes(memoryview(key))
    if type(iv) is not bytes:
        iv = bytes(memoryview(iv))
    if type(data) is not bytes:
        data = bytes(memoryview(data))
    return key, iv, data


def _aes_args(key, iv, data) -> tuple[bytes, bytes, bytes]:
    key, iv, data = _octets(key, iv, data)
    if len(key) not in _AES_KEY_LENGTHS:
        raise _fail("AES key must be 16, 24 or 32 octets")
    if len(iv) != 16:
        raise _fail("AES IV must be 16 octets")
    return key, iv, data


def _des_args(key, iv, data, key_length: int) -> tuple[bytes, bytes, bytes]:
    key, iv, data = _octets(key, iv, data)
    if len(key) != key_length:
        raise _fail(f"{'DES' if key_length == 8 else '3DES'} key must be {key_length} octets")
    if len(iv) != 8:
        raise _fail("DES IV must be 8 octets")
    if len(data) % 8:
        raise _fail("data is not a multiple of 8 octets")
    if key_length == 24 and _degenerate(key):
        raise _fail("Triple DES key degenerates to single DES")
    return key, iv, data


def _degenerate(key: bytes) -> bool:
    """K1 == K2 or K2 == K3, parity bits ignored (pycryptodome refuses such keys)."""
    k1, k2, k3 = (bytes(b & 0xFE for b in key[i : i + 8]) for i in (0, 8, 16))
    return k1 == k2 or k2 == k3


def _ecb_cipher(algorithm, key: bytes):
    cache_key = (algorithm, key)
    cipher = _ecb.get(cache_key)
    if cipher is None:
        if len(_ecb) >= _ECB_CACHE_LIMIT:
            _ecb.clear()
        cipher = _ecb[cache_key] = algorithm.new(key, algorithm.MODE_ECB)
    return cipher


def _xor(a: bytes, b: bytes, n: int) -> bytes:
    """The first ``n`` octets of a XOR b (both at least ``n`` long)."""
    if not n:
        return b""
    return (int.from_bytes(a[:n], "big") ^ int.from_bytes(b[:n], "big")).to_bytes(n, "big")


# --------------------------------------------------------------------------- AES


def aes_cfb_decrypt(key, iv, data) -> bytes:
    """AES-CFB128 decryption (RFC 3826): any length, no padding."""
    key, iv, data = _aes_args(key, iv, data)
    n = len(data)
    if not n:
        return b""
    full = (n - 1) // 16 * 16  # ciphertext octets that feed a later block
    keystream = _ecb_cipher(AES, key).encrypt(iv + data[:full])
    return _xor(keystream, data, n)


def aes_cfb_encrypt(key, iv, data) -> bytes:
    """AES-CFB128 encryption (RFC 3826): any length, no padding."""
    key, iv, data = _aes_args(key, iv, data)
    if not data:
        return b""
    return AES.new(key, AES.MODE_CFB, iv=iv, segment_size=128).encrypt(data)


# --------------------------------------------------------------------------- DES


def _cbc(algorithm, key_length: int, encrypt: bool, key, iv, data) -> bytes:
    """The four DES / 3DES entry points: check, then one CBC pass (decryption as ECB + xor)."""
    key, iv, data = _des_args(key, iv, data, key_length)
    n = len(data)
    if not n:
        return b""
    if encrypt:
        return algorithm.new(key, algorithm.MODE_CBC, iv=iv).encrypt(data)
    return _xor(_ecb_cipher(algorithm, key).decrypt(data), iv + data[: n - 8], n)


def des_cbc_decrypt(key, iv, data) -> bytes:
    """DES-CBC decryption (RFC 3414 8.1): 8-octet key, whole blocks."""
    return _cbc(DES, 8, False, key, iv, data)


def des_cbc_encrypt(key, iv, data) -> bytes:
    """DES-CBC encryption: the caller pads to whole blocks."""
    return _cbc(DES, 8, True, key, iv, data)


def des3_cbc_decrypt(key, iv, data) -> bytes:
    """3DES-EDE-CBC decryption: 24-octet key (K1 K2 K3, not degenerate), whole blocks."""
    return _cbc(DES3, 24, False, key, iv, data)


def des3_cbc_encrypt(key, iv, data) -> bytes:
    """3DES-EDE-CBC encryption: the caller pads to whole blocks."""
    return _cbc(DES3, 24, True, key, iv, data)
