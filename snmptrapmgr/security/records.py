"""What the auth cache keeps: remote engines' clocks, users, their keys bound to an engine.

Also the bounded LRU every learned table of the cache is made of, so
spoofed engine IDs cannot grow memory.  The timeliness rules that read and
advance an :class:`EngineRecord` (RFC 3414 3.2 step 7) are one step of the
receive pipeline (:mod:`.usm`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional

from .crypto import AuthKey, PrivKey, needs_extension

__all__ = ["MAX_TIME", "EngineRecord", "UserRecord", "UserKeys", "BoundedLRU"]

#: RFC 3414: snmpEngineBoots / snmpEngineTime are 0..2^31-1 (boots at the maximum: latched).
MAX_TIME = 2147483647


def _security_level(auth_protocol: int, priv_algorithm: int) -> int:
    """0 noAuthNoPriv, 1 authNoPriv, 2 authPriv."""
    if not auth_protocol:
        return 0
    return 2 if priv_algorithm else 1


class EngineRecord:
    """A remote authoritative engine: RFC 3414 2.3 snmpEngineBoots, snmpEngineTime,
    latestReceivedEngineTime, and our clock when they were last set."""

    __slots__ = ("engine_id", "boots", "time", "latest", "local_at", "pinned")

    def __init__(self, engine_id: bytes, boots: int, engine_time: int, local_at: float,
                 pinned: bool) -> None:
        self.engine_id = engine_id
        self.boots = boots
        self.time = engine_time
        self.latest = engine_time
        self.local_at = local_at
        self.pinned = pinned

    def estimated_time(self, now: float) -> int:
        """Its snmpEngineTime now, as far as we can tell."""
        return self.time + int(now - self.local_at)


class UserRecord:
    """A user as configured (add_user) or learned (authenticated via on_get_user_password)."""

    __slots__ = ("user", "engine_id", "auth_protocol", "auth_password", "priv_algorithm",
                 "priv_password", "level", "auth_key", "priv_key", "learned")

    def __init__(self, user: bytes, engine_id: bytes, auth_protocol: int, auth_password: str,
                 priv_algorithm: int, priv_password: str, auth_key: bytes = b"",
                 priv_key: bytes = b"", learned: bool = False) -> None:
        self.user = user
        self.engine_id = engine_id
        self.auth_protocol = auth_protocol
        self.auth_password = auth_password
        self.priv_algorithm = priv_algorithm
        self.priv_password = priv_password
        self.level = _security_level(auth_protocol, priv_algorithm)
        # localized keys given directly (AuthenticationKey / EncryptionKey), engine-bound
        self.auth_key = auth_key
        self.priv_key = priv_key
        self.learned = learned


class UserKeys:
    """A user bound to one engine, with the key objects the per-packet path uses.

    ``reeder`` and ``blumenthal`` hold the :class:`PrivKey` of each key-extension
    mode (:data:`~.crypto.MODES`); each is made only after a MAC from this user
    has been verified (see :mod:`.authcache`).  ``extension`` says whether the
    modes differ for this user (:func:`~.crypto.needs_extension`, decided once).
    Slots, not a dict: there is one of these per (user, sender engine), so a
    spoofed-engine flood fills up to MaxEngines of them.
    """

    __slots__ = ("record", "engine_id", "auth_key", "reeder", "blumenthal", "extension")

    def __init__(self, record: UserRecord, engine_id: bytes, auth_key: Optional[AuthKey]) -> None:
        self.record = record
        self.engine_id = engine_id
        self.auth_key = auth_key
        self.reeder: Optional[PrivKey] = None
        self.blumenthal: Optional[PrivKey] = None
        self.extension = needs_extension(record.priv_algorithm, record.priv_key,
                                         record.auth_protocol)


class BoundedLRU(OrderedDict):
    """An OrderedDict that drops its oldest entries beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def get_touch(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
