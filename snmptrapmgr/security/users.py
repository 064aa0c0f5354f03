"""The user steps of the receive pipeline (3, 4 and 6 of :mod:`.usm`) when the application takes part.

Without hooks the auth cache alone decides (the common case, inline in
:mod:`.usm`); with on_get_user_security_level / on_get_user_password the
application may set the level a user must use, and supply passwords or
localized keys.  A user authenticated that way (not in the cache) comes back
as a learned :class:`UserRecord`, which the pipeline keeps once the message
was accepted.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..codec.shapes import V3Message
from ..errors import ERR_MISSING_AUTH_PASSWORD, ERR_MISSING_PRIV_PASSWORD, ERR_VERIFICATION_FAILED
from ..events import SNMPTrapMgrGetUserPasswordEventParams, SNMPTrapMgrGetUserSecurityLevelEventParams
from .authcache import AuthCache
from .crypto import AUTH_BY_NUMBER, AuthKey
from .interface import Hooks, Rejected, int_or
from .records import UserKeys, UserRecord

__all__ = ["required_level", "missing_password", "authenticate", "privacy_secret"]

#: msgAuthenticationParameters length -> protocols it can be (algorithm 0 = "Any")
_BY_MAC_LENGTH: dict[int, list[int]] = {}
for _code, _proto in sorted(AUTH_BY_NUMBER.items()):
    _BY_MAC_LENGTH.setdefault(_proto.mac_length, []).append(_code)


def required_level(hooks: Hooks, user_text: str, engine_id: bytes, cached_level: int,
                   level: int) -> int:
    """Step 3: the level this user must use: the cache's (-1 unknown), as on_get_user_security_level says.

    Without that hook, an unknown user whose password the application supplies
    may use the message's own level.
    """
    if hooks.get_user_security_level is not None:
        event = SNMPTrapMgrGetUserSecurityLevelEventParams(user=user_text, engine_id=engine_id,
                                                           security_level=cached_level)
        hooks.get_user_security_level(event)
        return int_or(event.security_level, -1)
    if cached_level < 0 and hooks.get_user_password is not None:
        return level  # the application's password decides
    return cached_level


def missing_password(code: int, what: str, user_text: str, counter: str,
                     reportable: bool) -> Rejected:
    """The rejection for a user without an authentication / privacy secret."""
    return Rejected(code, f"no {what} password for user {user_text!r}", counter, reportable)


def _key_bytes(value: Any) -> bytes:
    """A localized key set in on_get_user_password: bytes, or hex text (AuthenticationKey)."""
    if not value:
        return b""
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise Rejected(ERR_MISSING_AUTH_PASSWORD, "key is not hex") from None
    return bytes(value)


def _password_event(password_type: int, user_text: str, engine_id: bytes, password: str,
                    algorithm: int, key: bytes) -> SNMPTrapMgrGetUserPasswordEventParams:
    event = SNMPTrapMgrGetUserPasswordEventParams(password_type=password_type, user=user_text,
                                                  engine_id=engine_id, password=password,
                                                  algorithm=algorithm)
    if key:
        event.key = key
    return event


def authenticate(hook: Callable[[Any], None], cache: AuthCache, keys: Optional[UserKeys],
                 msg: V3Message, data: bytes, user_text: str,
                 reportable: bool) -> tuple[Optional[AuthKey], Optional[UserRecord]]:
    """Step 4 with on_get_user_password (type 1): (the key whose MAC verified or None, learned).

    The event starts from the cache's record; if the application leaves it as
    it is, the cached key is used.  Otherwise its password or key is tried with
    its algorithm, or with every protocol of the MAC's length ("Any"), and the
    user is learned (``learned``) for this engine.
    """
    record = keys.record if keys is not None else None
    engine_id = msg.engine_id
    event = _password_event(1, user_text, engine_id,
                            record.auth_password if record is not None else "",
                            record.auth_protocol if record is not None else 0,
                            record.auth_key if record is not None else b"")
    hook(event)
    key = _key_bytes(event.key)
    password = event.password or ""
    algorithm = int_or(event.algorithm, 0)
    if not key and not password:
        raise missing_password(ERR_MISSING_AUTH_PASSWORD, "authentication", user_text,
                               "usmStatsUnknownUserNames", reportable)
    learned = None
    if (record is not None and keys.auth_key is not None and algorithm == record.auth_protocol
            and password == record.auth_password and key == record.auth_key):
        candidates = [keys.auth_key]
    else:
        codes = [algorithm] if algorithm else _BY_MAC_LENGTH.get(len(msg.auth_params), [])
        candidates = []
        for code in codes:
            if code not in AUTH_BY_NUMBER:
                raise Rejected(ERR_VERIFICATION_FAILED, f"unknown authentication algorithm {code}")
            candidates.append(cache.auth_key(code, engine_id, "" if key else password, key))
        learned = UserRecord(msg.user, engine_id, 0, password, 0, "", key)
    for candidate in candidates:
        if candidate.verify(data, msg.auth_offset, msg.auth_params):
            if learned is not None:
                learned.auth_protocol = candidate.protocol.code
                learned.level = 1
            return candidate, learned
    return None, learned


def privacy_secret(hook: Callable[[Any], None], keys: Optional[UserKeys],
                   learned: Optional[UserRecord], auth_key: AuthKey, engine_id: bytes,
                   user_text: str, reportable: bool) -> Optional[tuple[int, str, bytes]]:
    """Step 6 with on_get_user_password (type 2): None to use the user's cached privacy keys,
    else (algorithm, password, localized key) as the application gave them.

    A learned user takes them into its record.
    """
    record = keys.record if keys is not None else None
    event = _password_event(2, user_text, engine_id,
                            record.priv_password if record is not None else "",
                            record.priv_algorithm if record is not None and record.priv_algorithm
                            else 1,
                            record.priv_key if record is not None else b"")
    hook(event)
    key = _key_bytes(event.key)
    password = event.password or ""
    algorithm = int_or(event.algorithm, 1) or 1
    if not key and not password:
        raise missing_password(ERR_MISSING_PRIV_PASSWORD, "privacy", user_text,
                               "usmStatsDecryptionErrors", reportable)
    if learned is not None:
        learned.priv_algorithm = algorithm
        learned.priv_password = password
        learned.priv_key = key
        learned.level = 2
    elif (record is not None and algorithm == record.priv_algorithm
          and password == record.priv_password and key == record.priv_key
          and keys.auth_key is auth_key):
        return None
    return algorithm, password, key
