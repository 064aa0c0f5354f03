"""HMAC key objects for USM authentication, pure-Python twin (hashlib).

``MacKey(hash_name, key, mac_length)``: the HMAC key schedule (RFC 2104) is
hashed once into an inner and an outer state; ``sign(message)`` returns the
first ``mac_length`` octets of the HMAC, ``verify(message, offset, mac)``
checks a MAC found at ``message[offset:]`` that was computed with that field
zeroed.  Same signatures and results as the compiled ``_mac_c``.
"""

from __future__ import annotations

from hmac import compare_digest

from .hashes import HASHES

__all__ = ["MacKey", "NATIVE"]

#: nothing native here (the compiled twin says whether it found libcrypto)
NATIVE = False

_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def unknown_hash(hash_name: object) -> ValueError:
    return ValueError(f"unknown hash {hash_name!r} for an HMAC key")


class MacKey:
    """One localized key's HMAC, each message started from copies of the two pad states."""

    __slots__ = ("mac_length", "_inner", "_outer", "_zeros")

    def __init__(self, hash_name: str, key: bytes, mac_length: int) -> None:
        new = HASHES.get(hash_name) if type(hash_name) is str else None
        if new is None:
            raise unknown_hash(hash_name)
        key = bytes(key)
        block = new().block_size
        if len(key) > block:
            key = new(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = new(key.translate(_IPAD))
        self._outer = new(key.translate(_OPAD))
        self.mac_length = mac_length
        self._zeros = bytes(mac_length)

    def sign(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[: self.mac_length]

    def verify(self, message: bytes, offset: int, mac: bytes) -> bool:
        n = self.mac_length
        if len(mac) != n or offset < 0 or offset + n > len(message):
            return False
        inner = self._inner.copy()
        inner.update(message[:offset])
        inner.update(self._zeros)
        inner.update(message[offset + n :])
        outer = self._outer.copy()
        outer.update(inner.digest())
        return compare_digest(outer.digest()[:n], mac)
