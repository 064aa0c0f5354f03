"""The hash constructors USM keys and MACs are built on, by the names the protocol tables use.

One table, outside the twins: both key twins and :mod:`.crypto` read it, so
none of them reaches into another for it and a new hash is added once.
"""

from __future__ import annotations

import hashlib
from typing import Callable

__all__ = ["HASHES", "DIGEST_SIZE"]

#: hash_name -> hashlib constructor (the constructors are faster than hashlib.new).
HASHES: dict[str, Callable] = {
    "md5": hashlib.md5,
    "sha1": hashlib.sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}

#: hash_name -> digest length in octets (the length of a localized key)
DIGEST_SIZE: dict[str, int] = {name: new().digest_size for name, new in HASHES.items()}
