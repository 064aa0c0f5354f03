"""USM crypto primitives as pure functions and small key objects.

Authentication: HMAC-MD5-96, HMAC-SHA-96 (RFC 3414) and the HMAC-SHA-2 family
(RFC 7860, plus SHA-224 and SHA-384 as codes 5 and 6).  Privacy: DES-CBC
(RFC 3414 8.1), 3DES-EDE-CBC (draft-reeder-snmpv3-usm-3desede), AES-CFB128
(RFC 3826) with 128/192/256-bit keys (draft-blumenthal-aes-usm-04), and the two
key extensions vendors use for keys longer than the localized key.

Keys are turned into ``AuthKey`` / ``PrivKey`` objects once (per user and
engine, by the cache), so nothing here is derived per packet.  A ``PrivKey``
binds the cipher functions of the :mod:`.cipher` twin active when it is built
(``_select.use()`` affects keys built after it).  Bad input to
``PrivKey.decrypt`` raises ``SNMPTrapMgrError(ERR_DECRYPTION_FAILED)`` only.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, Optional

from . import cipher, keys, mac  # read when a key is built (PrivKey, AuthKey) or a call is made (Reeder)
from .hashes import DIGEST_SIZE, HASHES
from ..errors import (
    ERR_DECRYPTION_FAILED,
    ERR_KEY_LENGTH,
    ERR_SECURITY_MODEL,
    SNMPTrapMgrError,
)

__all__ = [
    "AuthProtocol",
    "PrivProtocol",
    "AUTH_BY_NUMBER",
    "PRIV_BY_NUMBER",
    "AUTH_MD5",
    "AUTH_SHA1",
    "AUTH_SHA256",
    "AUTH_SHA512",
    "AUTH_SHA224",
    "AUTH_SHA384",
    "PRIV_DES",
    "PRIV_AES128",
    "PRIV_3DES",
    "PRIV_AES192",
    "PRIV_AES256",
    "MODES",
    "EXTENSION_MODES",
    "NO_EXTENSION",
    "AuthKey",
    "PrivKey",
    "extend_key_blumenthal",
    "extend_key_reeder",
    "localized_length",
    "needs_extension",
    "priv_key",
]


class AuthProtocol(NamedTuple):
    """One USM authentication protocol: its hash and the truncated MAC length."""

    code: int
    name: str
    hash_name: str
    mac_length: int


class PrivProtocol(NamedTuple):
    """One USM privacy protocol and how many key octets it consumes."""

    code: int
    name: str
    key_length: int


AUTH_MD5, AUTH_SHA1, AUTH_SHA256, AUTH_SHA512, AUTH_SHA224, AUTH_SHA384 = 1, 2, 3, 4, 5, 6
PRIV_DES, PRIV_AES128, PRIV_3DES, PRIV_AES192, PRIV_AES256 = 1, 2, 3, 4, 5

#: the reference's authentication protocol number -> AuthProtocol
AUTH_BY_NUMBER: dict[int, AuthProtocol] = {
    p.code: p
    for p in (
        AuthProtocol(AUTH_MD5, "MD5", "md5", 12),  # HMAC-MD5-96
        AuthProtocol(AUTH_SHA1, "SHA", "sha1", 12),  # HMAC-SHA-96
        AuthProtocol(AUTH_SHA256, "SHA256", "sha256", 24),  # HMAC-192-SHA-256
        AuthProtocol(AUTH_SHA512, "SHA512", "sha512", 48),  # HMAC-384-SHA-512
        AuthProtocol(AUTH_SHA224, "SHA224", "sha224", 16),  # HMAC-128-SHA-224
        AuthProtocol(AUTH_SHA384, "SHA384", "sha384", 32),  # HMAC-256-SHA-384
    )
}

#: the reference's encryption algorithm number -> PrivProtocol
PRIV_BY_NUMBER: dict[int, PrivProtocol] = {
    p.code: p
    for p in (
        PrivProtocol(PRIV_DES, "DES", 16),  # 8 key + 8 pre-IV
        PrivProtocol(PRIV_AES128, "AES128", 16),
        PrivProtocol(PRIV_3DES, "3DES", 32),  # 24 key + 8 pre-IV
        PrivProtocol(PRIV_AES192, "AES192", 24),
        PrivProtocol(PRIV_AES256, "AES256", 32),
    )
}

#: the key extensions for a privacy key longer than the localized key
MODES = ("reeder", "blumenthal")

_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF


def _unsupported(what: str, value: object) -> SNMPTrapMgrError:
    return SNMPTrapMgrError(ERR_SECURITY_MODEL, f"unsupported {what}: {value!r}")


def _decryption_failed(why: str) -> SNMPTrapMgrError:
    return SNMPTrapMgrError(ERR_DECRYPTION_FAILED, why)


def _auth_protocol(code: int) -> AuthProtocol:
    try:
        return AUTH_BY_NUMBER[code]
    except (KeyError, TypeError):
        raise _unsupported("authentication protocol", code) from None


def _priv_protocol(code: int) -> PrivProtocol:
    try:
        return PRIV_BY_NUMBER[code]
    except (KeyError, TypeError):
        raise _unsupported("privacy protocol", code) from None


def _hash_new(hash_name: str):
    try:
        return HASHES[hash_name]
    except (KeyError, TypeError):
        raise _unsupported("hash", hash_name) from None


# --------------------------------------------------------------------------- auth


class AuthKey:
    """A localized authentication key with its HMAC key schedule computed once.

    ``sign(message)`` (the MAC of a whole message whose auth-parameters octets
    are already zeros) and ``verify(message, offset, mac)`` (check ``mac``, found
    at ``message[offset:]``, feeding zeros in its place, without searching for it)
    are the methods of a :class:`.mac.MacKey` of the twin active when the key is
    built, bound here once so a per-packet call goes straight to it.
    """

    __slots__ = ("protocol", "mac_length", "sign", "verify")

    def __init__(self, key: bytes, auth_code: int) -> None:
        self.protocol = _auth_protocol(auth_code)
        self.mac_length = self.protocol.mac_length
        _hash_new(self.protocol.hash_name)  # an unknown hash is the protocol's error, as before
        signer = mac.MacKey(self.protocol.hash_name, bytes(key), self.mac_length)
        self.sign = signer.sign
        self.verify = signer.verify


# --------------------------------------------------------------- key extension


def extend_key_blumenthal(localized: bytes, need: int, hash_name: str) -> bytes:
    """draft-blumenthal-aes-usm-04: K = K || H(K) until long enough, then truncate."""
    new = _hash_new(hash_name)
    key = bytes(localized)
    while len(key) < need:
        key += new(key).digest()
    return key[:need]


def extend_key_reeder(
    localized: bytes, need: int, hash_name: str, engine_id: bytes
) -> bytes:
    """draft-reeder-snmpv3-usm-3desede: K = K || localize(passwordToKey(K)) (Cisco's AES too)."""
    _hash_new(hash_name)
    key = bytes(localized)
    while len(key) < need:
        key += keys.localize_key(
            keys.password_to_key(key, hash_name), engine_id, hash_name
        )
    return key[:need]


#: CompatibilityMode -> the key extensions tried on a received message, in order, for a key
#: that needs one (0 Reeder, 1 Blumenthal, 2 both; anything else: Reeder)
EXTENSION_MODES = {0: ("reeder",), 1: ("blumenthal",), 2: ("reeder", "blumenthal")}

#: the one mode of a key without extension (both modes give it; "reeder" is its cache entry)
NO_EXTENSION = ("reeder",)


def localized_length(localized_priv: bytes, auth_code: int) -> int:
    """Octets of a localized privacy key: the key given, else the auth hash's digest
    (a password localizes to that many)."""
    return len(localized_priv) if localized_priv else DIGEST_SIZE[AUTH_BY_NUMBER[auth_code].hash_name]


def needs_extension(priv_code: int, localized_priv: bytes, auth_code: int) -> bool:
    """The key-length rule: AES-192/256 whose localized key is shorter than the cipher key.

    Only then do the extension modes differ, and CompatibilityMode chooses
    (:data:`EXTENSION_MODES`).
    """
    return ((priv_code == PRIV_AES192 or priv_code == PRIV_AES256)
            and localized_length(localized_priv, auth_code) < PRIV_BY_NUMBER[priv_code].key_length)


def priv_key(
    localized_priv: bytes, priv_code: int, hash_name: str, engine_id: bytes, mode: str
) -> bytes:
    """The key material a privacy protocol consumes, from the localized privacy key.

    ``mode`` ("reeder" or "blumenthal") only matters for AES-192/256 when the
    localized key is shorter than the cipher key; 3DES is always Reeder.
    """
    proto = _priv_protocol(priv_code)
    if mode not in MODES:
        raise _unsupported("key extension mode", mode)
    need = proto.key_length
    key = bytes(localized_priv)
    if priv_code in (PRIV_DES, PRIV_AES128):
        if len(key) < need:
            raise SNMPTrapMgrError(ERR_KEY_LENGTH, f"{proto.name} needs {need} key octets")
        return key[:need]
    if priv_code == PRIV_3DES or mode == "reeder":
        return extend_key_reeder(key, need, hash_name, engine_id)
    return extend_key_blumenthal(key, need, hash_name)


# ------------------------------------------------------------------------ privacy


_IV = struct.Struct(">II")


def _xor8(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(8, "big")


class PrivKey:
    """Privacy key material split once into cipher key and pre-IV.

    The cipher functions of the :mod:`snmptrapmgr.security.cipher` twin active
    now are bound here, once (no cipher object and no twin lookup per packet);
    a degenerate 3DES key runs as the single DES it reduces to.
    """

    __slots__ = ("protocol", "cfb_key", "_cbc", "_key", "_pre_iv", "_decrypt", "_encrypt")

    def __init__(self, key: bytes, priv_code: int) -> None:
        self.protocol = proto = _priv_protocol(priv_code)
        key = bytes(key)
        if len(key) < proto.key_length:
            raise SNMPTrapMgrError(
                ERR_KEY_LENGTH, f"{proto.name} needs {proto.key_length} key octets"
            )
        self._cbc = priv_code == PRIV_DES or priv_code == PRIV_3DES
        self._pre_iv = b""
        if priv_code == PRIV_DES:
            self._key, self._pre_iv = key[:8], key[8:16]
            self._decrypt, self._encrypt = cipher.des_cbc_decrypt, cipher.des_cbc_encrypt
        elif priv_code == PRIV_3DES:
            self._key, self._pre_iv = key[:24], key[24:32]
            self._decrypt, self._encrypt = cipher.des3_cbc_decrypt, cipher.des3_cbc_encrypt
            single = _degenerate_3des(self._key)
            if single:
                self._key = single
                self._decrypt, self._encrypt = cipher.des_cbc_decrypt, cipher.des_cbc_encrypt
        else:
            self._key = key[: proto.key_length]
            self._decrypt, self._encrypt = cipher.aes_cfb_decrypt, cipher.aes_cfb_encrypt
        #: the AES key of an AES-CFB key (RFC 3826), else None: the v3 fast path (.fast)
        #: calls cipher.aes_cfb_decrypt with it directly when the message is well formed
        self.cfb_key: Optional[bytes] = None if self._cbc else self._key

    def decrypt(
        self, ciphertext: bytes, priv_params: bytes, engine_boots: int, engine_time: int
    ) -> bytes:
        """Decrypt an encryptedPDU; msgPrivacyParameters is the 8-octet salt."""
        if len(priv_params) != 8:
            raise _decryption_failed("privacy parameters must be 8 octets")
        if not ciphertext:
            raise _decryption_failed("empty encrypted PDU")
        salt = priv_params if type(priv_params) is bytes else bytes(priv_params)
        try:
            if self._cbc:
                if len(ciphertext) % 8:
                    raise _decryption_failed("encrypted PDU is not a multiple of 8 octets")
                return self._decrypt(self._key, _xor8(self._pre_iv, salt), ciphertext)
            if not (0 <= engine_boots <= _U32 and 0 <= engine_time <= _U32):
                raise _decryption_failed("engine boots/time out of range")
            return self._decrypt(self._key, _IV.pack(engine_boots, engine_time) + salt, ciphertext)
        except (ValueError, TypeError, OverflowError) as exc:
            raise _decryption_failed(str(exc)) from None

    def encrypt(
        self, plaintext: bytes, engine_boots: int, engine_time: int, salt_counter: int
    ) -> tuple[bytes, bytes]:
        """Encrypt a scopedPDU; returns (ciphertext, msgPrivacyParameters).

        DES/3DES salt = engineBoots || low 32 bits of ``salt_counter``; AES salt =
        the 64-bit ``salt_counter``.  The caller keeps the counter moving.
        """
        if not plaintext:
            raise _decryption_failed("empty scoped PDU")
        if not (0 <= engine_boots <= _U32 and 0 <= engine_time <= _U32):
            raise _decryption_failed("engine boots/time out of range")
        if self._cbc:
            salt = _IV.pack(engine_boots, salt_counter & _U32)
            pad = -len(plaintext) % 8
            data = bytes(plaintext) + bytes(pad) if pad else plaintext
            return self._encrypt(self._key, _xor8(self._pre_iv, salt), data), salt
        salt = (salt_counter & _U64).to_bytes(8, "big")
        iv = _IV.pack(engine_boots, engine_time) + salt
        return self._encrypt(self._key, iv, plaintext), salt


def _degenerate_3des(key: bytes) -> bytes:
    """The single-DES key a degenerate 3DES key reduces to, else b"".

    EDE with K1 == K2 is E(K3), with K2 == K3 it is E(K1) (parity bits ignored);
    pycryptodome (and so usmcipher) refuses such keys, but a peer may have one,
    so run that DES.
    """
    k1, k2, k3 = (bytes(b & 0xFE for b in key[i : i + 8]) for i in (0, 8, 16))
    if k1 == k2:
        return key[16:24]
    if k2 == k3:
        return key[:8]
    return b""
