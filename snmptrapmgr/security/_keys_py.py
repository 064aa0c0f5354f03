"""USM password-to-key and key localization (RFC 3414 A.2), pure-Python twin.

The 1 MiB password stream is built as one contiguous buffer and hashed with a
single hashlib call: that is the floor for this algorithm, so no loop of 64-byte
updates.  ``snmptrapmgr.security._keys_c`` is the compiled twin with the same API.
"""

from __future__ import annotations

from ..errors import ERR_KEY_LENGTH, ERR_SECURITY_MODEL, SNMPTrapMgrError
from .hashes import HASHES

__all__ = ["password_to_key", "localize_key", "STREAM_LENGTH"]

#: RFC 3414 A.2: the password is repeated to fill exactly this many octets.
STREAM_LENGTH = 1048576


def _hash(hash_name: str):
    try:
        return HASHES[hash_name]
    except (KeyError, TypeError):
        raise SNMPTrapMgrError(
            ERR_SECURITY_MODEL, f"unsupported hash for USM keys: {hash_name!r}"
        ) from None


def password_to_key(password: bytes, hash_name: str) -> bytes:
    """Return Ku = H(password repeated to 1 MiB), the engine-independent master key."""
    new = _hash(hash_name)
    pw = bytes(memoryview(password))  # any bytes-like; TypeError for str/int
    n = len(pw)
    if n == 0:
        raise SNMPTrapMgrError(ERR_KEY_LENGTH, "empty password")
    # One repetition (CPython fills it by doubling memcpy), a zero-copy view of
    # exactly 1 MiB, one digest call.
    stream = pw * (STREAM_LENGTH // n + 1)
    return new(memoryview(stream)[:STREAM_LENGTH]).digest()


def localize_key(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Return Kul = H(Ku || engineID || Ku): the key bound to one authoritative engine."""
    new = _hash(hash_name)
    k = bytes(memoryview(key))
    return new(k + bytes(memoryview(engine_id)) + k).digest()
