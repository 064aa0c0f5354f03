"""The SNMPv3 authentication cache: engines, users and their ready-made keys.

Three layers, so nothing expensive ever happens per packet:

* ``password -> Ku`` (RFC 3414 A.2, the 1 MiB digest stream): once per
  (password, hash), in a bounded LRU keyed by content.  ``on_hash_password``
  may supply or observe these (``hash_passwords``).
* ``Ku -> AuthKey / PrivKey`` localized to one engine (RFC 3414 A.2.2, plus the
  Blumenthal / Reeder extension for long privacy keys): once per engine, in a
  bounded LRU keyed by content.
* ``(user, engine) -> UserKeys``: what the per-packet path reads.  Users
  configured for one engine are kept for good; users added with an empty
  engine ID ("any engine") get one :class:`UserKeys` per sender engine, made on
  demand, in a bounded LRU, so spoofed engine IDs cannot grow memory.

Engines learned from traffic (accepted by ``on_check_engine``) are also kept in
a bounded LRU; engines added with :meth:`AuthCache.add_engine` are pinned.
Privacy keys are only derived after a message's MAC has been verified (the
Reeder extension costs a full password-to-key), so unauthenticated traffic
can only make the cheap auth localization happen.
"""

from __future__ import annotations

import time as _time
from typing import Any, Callable, Iterator, Optional

from . import keys
from ..errors import ERR_BAD_ENGINE_ID, ERR_KEY_LENGTH, ERR_SECURITY_MODEL, SNMPTrapMgrError
from ..events import SNMPTrapMgrCacheEntryEventParams, SNMPTrapMgrHashPasswordEventParams
from .crypto import (
    AUTH_BY_NUMBER,
    PRIV_3DES,
    PRIV_AES192,
    PRIV_AES256,
    PRIV_BY_NUMBER,
    AuthKey,
    PrivKey,
    priv_key,
)
from .records import MAX_TIME, BoundedLRU, EngineRecord, UserKeys, UserRecord

__all__ = ["AuthCache"]


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


class AuthCache:
    """Engines and users; see the module docstring.

    ``hash_hook`` (the application's on_hash_password) is called with a
    :class:`SNMPTrapMgrHashPasswordEventParams` before each password-to-key
    (``hash == ""``: it may supply the hex Ku) and after each one it computed
    (``hash`` = the hex Ku).  ``max_engines`` bounds learned engines,
    ``max_keys`` each of the key caches and the any-engine localizations.
    """

    def __init__(self, hash_hook: Optional[Callable[[Any], None]] = None, *,
                 max_engines: int = 10000, max_keys: int = 10000,
                 clock: Callable[[], float] = _time.time) -> None:
        self.hash_hook = hash_hook
        self.clock = clock
        self.engines: dict = {}                         # pinned engines: engine_id -> EngineRecord
        self.learned_engines = BoundedLRU(max_engines)  # engine_id -> EngineRecord
        self.users: dict = {}                           # (user, engine_id) -> UserRecord, configured
        self.learned_users = BoundedLRU(max_engines)    # (user, engine_id) -> UserRecord
        #: (user, engine_id) -> UserKeys of users configured for exactly that engine (bound_keys),
        #: kept for good; such an entry's record is the one user_record() returns.  Public:
        #: the v3 fast path (.fast) reads it per packet
        self.bound_users: dict = {}
        self._any_bound = BoundedLRU(max_keys)   # (user, engine_id) -> UserKeys, any-engine users
        self._master = BoundedLRU(max_keys)      # (password, hash_name) -> Ku
        self._auth_keys = BoundedLRU(max_keys)   # (code, engine_id, password, Kul) -> AuthKey
        self._priv_keys = BoundedLRU(max_keys)   # (codes, engine_id, mode, password, Kul) -> PrivKey
        self.derivations = 0                         # password-to-key computations (for tests)

    # ------------------------------------------------------------- limits

    @property
    def max_engines(self) -> int:
        return self.learned_engines.limit

    @max_engines.setter
    def max_engines(self, value: int) -> None:
        self.learned_engines.limit = self.learned_users.limit = max(1, int(value))

    @property
    def max_keys(self) -> int:
        return self._master.limit

    @max_keys.setter
    def max_keys(self, value: int) -> None:
        value = max(1, int(value))
        for lru in (self._any_bound, self._master, self._auth_keys, self._priv_keys):
            lru.limit = value

    def sizes(self) -> dict[str, int]:
        """Entry counts of every table (a snapshot, for the bench and diagnostics)."""
        return {"engines": len(self.engines), "learned_engines": len(self.learned_engines),
                "users": len(self.users), "learned_users": len(self.learned_users),
                "bound_keys": len(self.bound_users), "any_engine_keys": len(self._any_bound),
                "master_keys": len(self._master), "auth_keys": len(self._auth_keys),
                "priv_keys": len(self._priv_keys)}

    # ------------------------------------------------------------- public methods

    def add_engine(self, engine_id: bytes, engine_boots: int, engine_time: int,
                   now: Optional[float] = None) -> None:
        engine_id = _as_bytes(engine_id)
        if not engine_id:
            raise SNMPTrapMgrError(ERR_BAD_ENGINE_ID, "empty engine ID")
        if not (0 <= engine_boots <= MAX_TIME and 0 <= engine_time <= MAX_TIME):
            raise SNMPTrapMgrError(ERR_BAD_ENGINE_ID, "engine boots/time out of range")
        self.learned_engines.pop(engine_id, None)
        self.engines[engine_id] = EngineRecord(engine_id, int(engine_boots), int(engine_time),
                                               self.clock() if now is None else now, True)

    def add_user(self, user: str, engine_id: bytes, authentication_protocol: int,
                 authentication_password: str, encryption_algorithm: int,
                 encryption_password: str, *, auth_key: bytes = b"", priv_key: bytes = b"") -> None:
        """Add (or replace) a user; ``engine_id`` b"" = this user from any engine.

        ``auth_key`` / ``priv_key`` (already localized for ``engine_id``) may
        replace the passwords.
        """
        name = _as_bytes(user)
        engine_id = _as_bytes(engine_id)
        auth = int(authentication_protocol or 0)
        priv = int(encryption_algorithm or 0)
        if auth and auth not in AUTH_BY_NUMBER:
            raise SNMPTrapMgrError(ERR_SECURITY_MODEL, f"unknown authentication protocol {auth}")
        if priv and priv not in PRIV_BY_NUMBER:
            raise SNMPTrapMgrError(ERR_SECURITY_MODEL, f"unknown encryption algorithm {priv}")
        if priv and not auth:
            raise SNMPTrapMgrError(ERR_SECURITY_MODEL, "privacy needs authentication")
        if (auth_key or priv_key) and not engine_id:
            raise SNMPTrapMgrError(ERR_KEY_LENGTH, "localized keys need an engine ID")
        if auth and not (authentication_password or auth_key):
            raise SNMPTrapMgrError(ERR_KEY_LENGTH, "empty authentication password")
        if priv and not (encryption_password or priv_key):
            raise SNMPTrapMgrError(ERR_KEY_LENGTH, "empty encryption password")
        record = UserRecord(name, engine_id, auth, authentication_password or "", priv,
                            encryption_password or "", bytes(auth_key), bytes(priv_key))
        self._forget_user(name, engine_id)
        self.users[(name, engine_id)] = record

    def remove_engine(self, engine_id: bytes) -> None:
        """Drop the engine, its users and every key localized for it."""
        engine_id = _as_bytes(engine_id)
        self.engines.pop(engine_id, None)
        self.learned_engines.pop(engine_id, None)
        for table in (self.users, self.learned_users, self.bound_users, self._any_bound):
            for key in [k for k in table if k[1] == engine_id]:
                del table[key]

    def remove_user(self, user: str, engine_id: bytes) -> None:
        """Drop one user; with engine_id b"" also the any-engine user's localizations."""
        self._forget_user(_as_bytes(user), _as_bytes(engine_id))

    def clear_cache(self) -> None:
        for table in (self.engines, self.learned_engines, self.users, self.learned_users,
                      self.bound_users, self._any_bound, self._master, self._auth_keys,
                      self._priv_keys):
            table.clear()

    clear = clear_cache  # the facade's spelling

    def entries(self, user: Optional[str] = None,
                now: Optional[float] = None) -> Iterator[SNMPTrapMgrCacheEntryEventParams]:
        """One entry per (engine, user); an engine without users gives one with empty user fields.

        ``user`` (ShowCacheForUser) keeps only that user's entries.  Users added
        for any engine are listed with an empty engine ID.  Protocol fields are
        the numeric codes as text ("2" = SHA-1), as add_user takes them.
        """
        now = self.clock() if now is None else now
        want = None if user is None or user == "" else _as_bytes(user)
        by_engine: dict = {}
        for record in list(self.users.values()) + list(self.learned_users.values()):
            by_engine.setdefault(record.engine_id, []).append(record)
        engines = list(self.engines.values()) + list(self.learned_engines.values())
        seen = set()
        for rec in engines:
            seen.add(rec.engine_id)
            users = by_engine.get(rec.engine_id, [])
            if not users:
                if want is None:
                    yield SNMPTrapMgrCacheEntryEventParams(rec.engine_id, rec.boots,
                                                           rec.estimated_time(now), "", "", "",
                                                           "", "")
                continue
            for record in users:
                if want is None or record.user == want:
                    yield self._entry(record, rec.boots, rec.estimated_time(now))
        for engine_id, users in by_engine.items():
            if engine_id in seen:
                continue
            for record in users:
                if want is None or record.user == want:
                    yield self._entry(record, 0, 0)

    @staticmethod
    def _entry(record: UserRecord, boots: int, engine_time: int) -> SNMPTrapMgrCacheEntryEventParams:
        return SNMPTrapMgrCacheEntryEventParams(
            record.engine_id, boots, engine_time, record.user.decode("utf-8", "replace"),
            str(record.auth_protocol) if record.auth_protocol else "",
            record.auth_password,
            str(record.priv_algorithm) if record.priv_algorithm else "",
            record.priv_password)

    def hash_passwords(self) -> None:
        """Compute (or have on_hash_password supply) Ku for every configured password,
        and localize the keys of users bound to one engine."""
        for record in list(self.users.values()) + list(self.learned_users.values()):
            if not record.auth_protocol:
                continue
            if record.auth_password:
                self.master_key(record.auth_password, record.auth_protocol)
            if record.priv_password:
                self.master_key(record.priv_password, record.auth_protocol)
            if record.engine_id:
                self.bind(record, record.engine_id)

    # ------------------------------------------------------------- lookups

    def engine(self, engine_id: bytes) -> Optional[EngineRecord]:
        """A pinned or learned engine (a learned one becomes the most recent)."""
        rec = self.engines.get(engine_id)
        if rec is None:
            learned = self.learned_engines
            rec = learned.get(engine_id)
            if rec is not None:
                learned.move_to_end(engine_id)
        return rec

    def user_record(self, user: bytes, engine_id: bytes) -> Optional[UserRecord]:
        """The configured/learned record for this user at this engine, else the any-engine one."""
        record = self.users.get((user, engine_id))
        if record is None:
            record = self.learned_users.get_touch((user, engine_id))
            if record is None:
                record = self.users.get((user, b""))
        return record

    def user_level(self, user: bytes, engine_id: bytes) -> int:
        record = self.user_record(user, engine_id)
        return -1 if record is None else record.level

    def bound_keys(self, user: bytes, engine_id: bytes) -> Optional[UserKeys]:
        """The keys of a user configured for exactly this engine, once bound; no LRU touched.

        The per-packet lookup's first try: such an entry's record is the one
        :meth:`user_record` returns, so its level is :meth:`user_level`'s.
        """
        return self.bound_users.get((user, engine_id))

    def user_keys(self, user: bytes, engine_id: bytes) -> Optional[UserKeys]:
        """The per-packet lookup: the user's keys for this engine (made once, then cached)."""
        key = (user, engine_id)
        keys = self.bound_users.get(key)
        if keys is not None:
            return keys
        keys = self._any_bound.get_touch(key)
        if keys is not None:
            return keys
        record = self.user_record(user, engine_id)
        if record is None:
            return None
        return self.bind(record, engine_id)

    def bind(self, record: UserRecord, engine_id: bytes) -> UserKeys:
        """Make (or fetch) the UserKeys of ``record`` at ``engine_id``."""
        key = (record.user, engine_id)
        # configured per-engine users stay; any-engine and learned ones are bounded
        table = self.bound_users if record.engine_id and not record.learned else self._any_bound
        keys = table.get(key)
        if keys is not None and keys.record is record:
            return keys
        auth = None
        if record.auth_protocol:
            auth = self.auth_key(record.auth_protocol, engine_id, record.auth_password,
                                 record.auth_key)
        keys = UserKeys(record, engine_id, auth)
        if table is self._any_bound:
            self._any_bound.put(key, keys)
        else:
            self.bound_users[key] = keys
        return keys

    def learn_engine(self, engine_id: bytes, boots: int, engine_time: int, now: float) -> EngineRecord:
        rec = EngineRecord(engine_id, boots, engine_time, now, False)
        self.learned_engines.put(engine_id, rec)
        return rec

    def learn_user(self, record: UserRecord) -> None:
        """Keep a user authenticated via on_get_user_password for its engine."""
        key = (record.user, record.engine_id)
        if key in self.users:
            return
        record.learned = True
        self.learned_users.put(key, record)

    # ------------------------------------------------------------- keys

    def master_key(self, password: str, auth_protocol: int) -> bytes:
        """Ku for (password, protocol's hash): cached, or from on_hash_password, or computed."""
        hash_name = AUTH_BY_NUMBER[auth_protocol].hash_name
        pw = _as_bytes(password)
        cache_key = (pw, hash_name)
        ku = self._master.get_touch(cache_key)
        if ku is not None:
            return ku
        ku = b""
        hook = self.hash_hook
        if hook is not None:
            event = SNMPTrapMgrHashPasswordEventParams(password if isinstance(password, str)
                                                       else pw.decode("utf-8", "replace"),
                                                       auth_protocol, "")
            hook(event)
            if event.hash:
                try:
                    ku = bytes.fromhex(event.hash)
                except ValueError:
                    raise SNMPTrapMgrError(ERR_KEY_LENGTH, "on_hash_password: hash is not hex") from None
        if not ku:
            ku = keys.password_to_key(pw, hash_name)
            self.derivations += 1
            if hook is not None:
                hook(SNMPTrapMgrHashPasswordEventParams(
                    password if isinstance(password, str) else pw.decode("utf-8", "replace"),
                    auth_protocol, ku.hex()))
        self._master.put(cache_key, ku)
        return ku

    def localized(self, auth_protocol: int, engine_id: bytes, password: str) -> bytes:
        hash_name = AUTH_BY_NUMBER[auth_protocol].hash_name
        return keys.localize_key(self.master_key(password, auth_protocol), engine_id, hash_name)

    def auth_key(self, auth_protocol: int, engine_id: bytes, password: str = "",
                 localized_key: bytes = b"") -> AuthKey:
        """An AuthKey for a password (or an already localized key) at ``engine_id``."""
        cache_key = (auth_protocol, engine_id, password, bytes(localized_key))
        key = self._auth_keys.get_touch(cache_key)
        if key is None:
            kul = localized_key or self.localized(auth_protocol, engine_id, password)
            key = AuthKey(kul, auth_protocol)
            self._auth_keys.put(cache_key, key)
        return key

    def priv_key(self, auth_protocol: int, priv_algorithm: int, engine_id: bytes, mode: str,
                 password: str = "", localized_key: bytes = b"") -> PrivKey:
        """A PrivKey for a privacy password (or localized key), with ``mode``'s key extension."""
        if priv_algorithm not in (PRIV_3DES, PRIV_AES192, PRIV_AES256):
            mode = "reeder"  # no extension involved: share one entry
        cache_key = (auth_protocol, priv_algorithm, engine_id, mode, password, bytes(localized_key))
        key = self._priv_keys.get_touch(cache_key)
        if key is None:
            hash_name = AUTH_BY_NUMBER[auth_protocol].hash_name
            kul = localized_key or self.localized(auth_protocol, engine_id, password)
            material = priv_key(kul, priv_algorithm, hash_name, engine_id, mode)
            key = PrivKey(material, priv_algorithm)
            self._priv_keys.put(cache_key, key)
        return key

    def user_priv_key(self, keys: UserKeys, mode: str) -> PrivKey:
        """The privacy key of a bound user for one extension mode (made once)."""
        key = keys.reeder if mode == "reeder" else keys.blumenthal if mode == "blumenthal" else None
        if key is None:
            record = keys.record
            key = self.priv_key(record.auth_protocol, record.priv_algorithm, keys.engine_id, mode,
                                record.priv_password, record.priv_key)  # raises for an unknown mode
            setattr(keys, mode, key)
        return key

    # ------------------------------------------------------------- internals

    def _forget_user(self, user: bytes, engine_id: bytes) -> None:
        self.users.pop((user, engine_id), None)
        self.learned_users.pop((user, engine_id), None)
        self.bound_users.pop((user, engine_id), None)
        if engine_id:
            self._any_bound.pop((user, engine_id), None)
        else:
            for key in [k for k in self._any_bound if k[0] == user]:
                del self._any_bound[key]

