"""USM HMAC keys: the compiled ``_mac_c`` when built, else ``_mac_py``.

``MacKey(hash_name, key, mac_length)`` with ``sign(message) -> bytes`` and
``verify(message, offset, mac) -> bool`` (see :mod:`._mac_py`).  The compiled
twin hashes with the libcrypto that Python's hashlib already loaded, through
its plain digest functions on copied states (no per-message allocation); without
it, it runs the Python twin.  Callers read ``MacKey`` here when they build a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["MacKey", "NATIVE", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._mac_py import NATIVE, MacKey

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
