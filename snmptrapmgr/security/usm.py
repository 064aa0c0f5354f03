"""SNMPv3 User-based Security Model for a notification receiver.

RFC 3414 section 3.2 (incoming messages) in the order the reference's events
document, RFC 3412 7.2 (what is reportable) and section 4 (discovery):

1. msgFlags -> security level (privFlag without authFlag: invalid, dropped).
2. Empty msgAuthoritativeEngineID: a discovery probe -> on_discovery_request,
   answered (``discovery_report``) with a Report usmStatsUnknownEngineIDs
   carrying ``local_engine_id``, boots 0, time = seconds since 1970.
3. on_get_user_security_level (cache level or -1); -1 -> 326
   usmStatsUnknownUserNames; a level other than the message's -> 327
   usmStatsUnsupportedSecLevels (no downgrade, no upgrade).
4. Authentication: on_get_user_password type 1 (when the app has a hook),
   else the cache; the MAC is checked at the decoded offset in constant time
   (308 usmStatsWrongDigests).
5. Timeliness (RFC 3414 3.2 step 7): for informs we are authoritative (boots
   0, time = ``now``), for traps the sender is and the cache keeps its
   boots/time/latestReceivedEngineTime; then on_check_engine with the
   documented default for ``accept`` (325 usmStatsNotInTimeWindows, or 324).
6. Privacy: on_get_user_password type 2 (hook) or the cache; CompatibilityMode
   picks the AES-192/256 key extension (0 Reeder, 1 Blumenthal, 2 both, the
   one giving a well-formed ScopedPDU wins); 313 usmStatsDecryptionErrors.
7. The accepted engine (and a user authenticated through the hook) enter the
   cache; the trap / inform event carries user, level, engine and context.

Nothing raises out of :meth:`USMEngine.receive`: every rejection is an
``on_bad_packet`` event, with a Report prepared (``reply_context``) only when
the message was reportable and RFC 3414 calls for one -- never for a trap.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import uuid
from typing import Any, Optional

from ..codec import ber, community
from .authcache import MAX_TIME, AuthCache, UserRecord, priv_modes
from ..errors import (
    ERR_BAD_ENGINE_ID,
    ERR_BAD_PACKET,
    ERR_BAD_TIME_FRAME,
    ERR_BAD_USER_NAME,
    ERR_DECRYPTION_FAILED,
    ERR_DEFECTIVE_PACKET,
    ERR_MISSING_AUTH_PASSWORD,
    ERR_MISSING_PRIV_PASSWORD,
    ERR_NOT_ENCRYPTED,
    ERR_SECURITY_LEVEL,
    ERR_UNKNOWN_PDU,
    ERR_VERIFICATION_FAILED,
    SNMPTrapMgrError,
)
from ..events import (
    SNMPTrapMgrCheckEngineEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrGetUserPasswordEventParams,
    SNMPTrapMgrGetUserSecurityLevelEventParams,
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrTrapEventParams,
)
from ..codec.encode import (
    PDU_INFORM,
    PDU_REPORT,
    PDU_RESPONSE,
    PDU_TRAP,
    PDU_TRAP_V1,
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v3_message,
)
from .crypto import AUTH_PROTOCOLS, PRIV_AES192, PRIV_AES256, AuthKey, PrivKey

__all__ = ["USMEngine", "USM_STATS_OIDS", "generate_engine_id", "ReplyContext"]

#: usmStats counters (RFC 3414 5: 1.3.6.1.6.3.15.1.1.x.0)
USM_STATS_OIDS = {
    "usmStatsUnsupportedSecLevels": "1.3.6.1.6.3.15.1.1.1.0",
    "usmStatsNotInTimeWindows": "1.3.6.1.6.3.15.1.1.2.0",
    "usmStatsUnknownUserNames": "1.3.6.1.6.3.15.1.1.3.0",
    "usmStatsUnknownEngineIDs": "1.3.6.1.6.3.15.1.1.4.0",
    "usmStatsWrongDigests": "1.3.6.1.6.3.15.1.1.5.0",
    "usmStatsDecryptionErrors": "1.3.6.1.6.3.15.1.1.6.0",
}

#: PDUs of the unconfirmed / response classes: never answered with a Report.
_UNREPORTABLE = frozenset((PDU_TRAP, PDU_TRAP_V1, PDU_RESPONSE, PDU_REPORT))

_DIGEST_SIZE = {code: hashlib.new(p.hash_name).digest_size for code, p in AUTH_PROTOCOLS.items()}

#: msgAuthenticationParameters length -> protocols it can be (algorithm 0 = "Any")
_BY_MAC_LENGTH: dict = {}
for _code, _proto in sorted(AUTH_PROTOCOLS.items()):
    _BY_MAC_LENGTH.setdefault(_proto.mac_length, []).append(_code)

_MAX_MSG_SIZE = 65507
_ENTERPRISE = 0  # RFC 3411 SnmpEngineID: 0x80000000 | enterprise; see generate_engine_id


def generate_engine_id() -> bytes:
    """A stable RFC 3411 engine ID for this host: 0x80000000|enterprise, format 5, 12 octets.

    Derived from the host name and the primary MAC address, so it stays the same
    across restarts (peers keep their localized keys and discovery caches).
    """
    seed = b"snmptrapmgr\0" + socket.gethostname().encode("utf-8", "replace") + b"\0" + \
        uuid.getnode().to_bytes(6, "big")
    return (0x80000000 | _ENTERPRISE).to_bytes(4, "big") + b"\x05" + hashlib.sha256(seed).digest()[:12]


class ReplyContext:
    """What a Report or a Response needs from the message it answers."""

    __slots__ = ("msg_id", "max_size", "user", "request_id", "counter", "level",
                 "auth_key", "priv_key", "context_engine_id", "context_name", "now")

    def __init__(self, msg_id: int, max_size: int, user: bytes, request_id: int, counter: str,
                 now: float, level: int = 0, auth_key: Optional[AuthKey] = None,
                 priv_key: Optional[PrivKey] = None, context_engine_id: bytes = b"",
                 context_name: bytes = b"") -> None:
        self.msg_id = msg_id
        self.max_size = max_size
        self.user = user
        self.request_id = request_id
        self.counter = counter
        self.now = now
        self.level = level
        self.auth_key = auth_key
        self.priv_key = priv_key
        self.context_engine_id = context_engine_id
        self.context_name = context_name


class _Reject(Exception):
    """Internal: stop processing; becomes an on_bad_packet event."""

    def __init__(self, code: int, why: str, counter: str = "", reportable: bool = False,
                 auth_key: Optional[AuthKey] = None) -> None:
        super().__init__(code, why)
        self.code = code
        self.why = why
        self.counter = counter
        self.reportable = reportable
        self.auth_key = auth_key


class USMEngine:
    """USM state of one receiver: the auth cache, usmStats, the local engine."""

    def __init__(self, receiver: Any) -> None:
        self.receiver = receiver
        hooks = receiver.hooks
        self.cache = AuthCache(lambda event: _call(hooks.hash_password, event))
        self.stats = {name: 0 for name in USM_STATS_OIDS}
        self.stats["snmpInvalidMsgs"] = 0
        self.stats["snmpUnknownPDUHandlers"] = 0
        self._salt = secrets.randbits(64)
        #: the last message decrypted, re-encoded with its plaintext ScopedPDU
        #: (only while receiver.decrypt_log_packets is set), for on_packet_trace
        self.last_decrypted: Optional[bytes] = None
        #: IncomingContextEngineId / IncomingContextName of the last v3 message
        self.incoming_context_engine_id = b""
        self.incoming_context_name = b""

    # ---------------------------------------------------------------- engine id

    def ensure_local_engine_id(self) -> bytes:
        """receiver.local_engine_id, generated (stable, RFC 3411) when still empty."""
        engine_id = self.receiver.local_engine_id
        if not engine_id:
            engine_id = self.receiver.local_engine_id = generate_engine_id()
        return engine_id

    def hash_passwords(self) -> None:
        self.cache.hash_passwords()

    # ---------------------------------------------------------------- receive

    def receive(self, msg: tuple, data: bytes, addr: Any, now: float) -> list:
        """Process one decoded v3 message; return its events (see module docstring)."""
        self.last_decrypted = None
        try:
            hooks = self.receiver.hooks
            if (hooks.get_user_security_level is None and hooks.get_user_password is None
                    and hooks.check_engine is None):
                event = self._fast_receive(msg, data, addr, now)
                if event is not None:
                    return [event]
            return [self._receive(msg, data, addr, now)]
        except _Reject as rej:
            if rej.counter:
                self.stats[rej.counter] = self.stats.get(rej.counter, 0) + 1
            context = None
            if rej.reportable and rej.counter in USM_STATS_OIDS:
                context = ReplyContext(msg[1], msg[2], msg[8], self._request_id(msg), rej.counter,
                                       now, 1 if rej.auth_key is not None else 0, rej.auth_key)
            return [self.receiver.bad_packet(data, addr, rej.code, rej.why, context)]

    @staticmethod
    def _request_id(msg: tuple) -> int:
        scoped = msg[12]
        if isinstance(scoped, tuple) and scoped[2][0] != PDU_TRAP_V1:
            return scoped[2][1]
        return 0

    def _fast_receive(self, msg: tuple, data: bytes, addr: Any, now: float) -> Any:
        """The common case in few steps, or None: then :meth:`_receive` decides.

        Only for a receiver without the three USM hooks, and for a message at
        authNoPriv/authPriv from a configured user with its keys ready (a single
        privacy key mode) at an engine already known (or our own), timely, whose
        MAC verifies and which decrypts to a trap (or an inform to us).  The
        result is exactly what :meth:`_receive` would return.  Anything else --
        discovery, unknown user or engine, window, decryption or PDU problems --
        returns None before any state changed (a key made, an LRU touched or the
        context/decrypted copy written are what ``_receive`` does again), and
        ``_receive`` takes it from the start.  A wrong digest is rejected here, as
        ``_receive`` would at that point, so forged traffic is not hashed twice.
        """
        (_v, msg_id, max_size, flags, _model, engine_id, boots, etime, user, auth_params,
         auth_offset, priv_params, scoped) = msg
        if not engine_id or not flags & 1:
            return None
        receiver = self.receiver
        cache = self.cache
        if flags & 2:
            level = 2
            if type(scoped) is tuple:
                return None
            reportable = bool(flags & 4)
        else:
            level = 1
            if type(scoped) is not tuple:
                return None
            reportable = bool(flags & 4) and scoped[2][0] not in _UNREPORTABLE
        local = receiver.local_engine_id
        authoritative = engine_id == local and bool(local)
        if level == 1 and scoped[2][0] == PDU_INFORM and not authoritative:
            return None
        # a user configured for this very engine: its record is what user_level reads
        keys = cache._bound.get((user, engine_id))
        if keys is None:
            if cache.user_level(user, engine_id) != level:
                return None
            keys = cache.user_keys(user, engine_id)
            if keys is None:
                return None
        elif keys.record.level != level:
            return None
        auth_key = keys.auth_key
        if auth_key is None:
            return None
        priv_key = None
        if level == 2:
            record = keys.record
            algorithm = record.priv_algorithm
            if not algorithm:
                return None
            if algorithm == PRIV_AES192 or algorithm == PRIV_AES256:
                mode = receiver.compatibility_mode
                if type(mode) is not int:
                    return None
                klen = len(record.priv_key) if record.priv_key else _DIGEST_SIZE[record.auth_protocol]
                modes = priv_modes(mode, algorithm, klen)
                if len(modes) != 1:
                    return None
                priv_key = getattr(keys, modes[0])
            else:
                priv_key = keys.reeder
            if priv_key is None:
                return None  # made by _receive, after the MAC checked out
        # 4. authentication (a wrong digest is final: no second hashing in _receive)
        if not auth_key.verify(data, auth_offset, auth_params):
            raise _Reject(ERR_VERIFICATION_FAILED, "Verification failed: wrong digest",
                          "usmStatsWrongDigests", reportable)
        # 5. timeliness (RFC 3414 3.2 step 7)
        window = receiver.time_window
        if authoritative:
            rec = None
            if boots != 0 or abs(etime - int(now)) > window:
                return None
        else:
            rec = cache.engines.get(engine_id)
            if rec is None:
                rec = cache.learned_engines.get_touch(engine_id)
                if rec is None:
                    return None
            rec_boots = rec.boots
            if (rec_boots >= MAX_TIME or boots < rec_boots
                    or (boots == rec_boots
                        and etime < rec.time + int(now - rec.local_at) - window)):
                return None  # _receive: usmStatsNotInTimeWindows
        # 6. privacy
        if level == 2:
            try:
                plaintext = priv_key.decrypt(scoped, priv_params, boots, etime)
                plain = ber.decode_scoped_pdu(plaintext)
            except SNMPTrapMgrError:
                return None
            if receiver.decrypt_log_packets:
                self.last_decrypted = encode_v3_message(msg_id, max_size, flags, engine_id, boots,
                                                        etime, user, auth_params, priv_params,
                                                        _scoped_tlv(plaintext))[0]
        else:
            plain = scoped
        context_engine_id, context_name, pdu = plain
        tag = pdu[0]
        self.incoming_context_engine_id = context_engine_id
        self.incoming_context_name = context_name
        if tag == PDU_TRAP:
            pass
        elif tag != PDU_INFORM or not authoritative:
            return None
        # 7. the engine's clock (RFC 3414 3.2 step 7b)
        if rec is not None and (boots > rec.boots or (boots == rec.boots and etime > rec.latest)):
            rec.boots, rec.time, rec.latest, rec.local_at = boots, etime, etime, now
        user_text = user.decode(receiver.codec, "replace")
        return self._notification(tag, pdu, user, user_text, level, addr, msg_id, max_size, now,
                                  auth_key, priv_key, engine_id, context_engine_id, context_name)

    def _receive(self, msg: tuple, data: bytes, addr: Any, now: float) -> Any:
        (_v, msg_id, max_size, flags, _model, engine_id, boots, etime, user, auth_params,
         auth_offset, priv_params, scoped) = msg
        receiver = self.receiver
        hooks = receiver.hooks
        cache = self.cache
        codec = receiver.codec

        # 1. msgFlags (RFC 3412 7.2 step 5)
        if flags & 2 and not flags & 1:
            self.stats["snmpInvalidMsgs"] += 1
            raise _Reject(ERR_BAD_PACKET, "msgFlags: privFlag set without authFlag")
        level = 2 if flags & 2 else (1 if flags & 1 else 0)
        plain = scoped if isinstance(scoped, tuple) else None
        if level == 2 and plain is not None:
            raise _Reject(ERR_NOT_ENCRYPTED, "privFlag set but the ScopedPDU is not encrypted")
        if level < 2 and plain is None:
            raise _Reject(ERR_DEFECTIVE_PACKET, "encrypted ScopedPDU without privFlag")
        reportable = bool(flags & 4)
        if plain is not None and plain[2][0] in _UNREPORTABLE:
            reportable = False
        user_text = user.decode(codec, "replace")

        # 2. discovery (RFC 3414 4, 3.2 step 3)
        local = receiver.local_engine_id
        if not engine_id:
            self.stats["usmStatsUnknownEngineIDs"] += 1
            if not reportable:
                raise _Reject(ERR_BAD_ENGINE_ID, "empty msgAuthoritativeEngineID")
            context = ReplyContext(msg_id, max_size, user, self._request_id(msg),
                                   "usmStatsUnknownEngineIDs", now)
            return SNMPTrapMgrDiscoveryRequestEventParams(engine_id, boots, etime, user_text, level,
                                                          addr[0], addr[1], context)
        authoritative = bool(local) and engine_id == local
        if plain is not None and plain[2][0] == PDU_INFORM and not authoritative:
            raise _Reject(ERR_BAD_ENGINE_ID, "InformRequest for an unknown engine ID",
                          "usmStatsUnknownEngineIDs", reportable)

        # 3. security level
        cached_level = cache.user_level(user, engine_id)
        required = cached_level
        if hooks.get_user_security_level is not None:
            event = SNMPTrapMgrGetUserSecurityLevelEventParams(user_text, engine_id, cached_level)
            hooks.get_user_security_level(event)
            required = _int(event.security_level, -1)
        elif cached_level < 0 and hooks.get_user_password is not None:
            required = level  # the application's password decides
        if required < 0 or required > 2:
            raise _Reject(ERR_BAD_USER_NAME, f"unknown user {user_text!r}",
                          "usmStatsUnknownUserNames", reportable)
        if required != level:
            raise _Reject(ERR_SECURITY_LEVEL,
                          f"security level {level} not accepted for user {user_text!r} "
                          f"(configured {required})", "usmStatsUnsupportedSecLevels", reportable)

        # 4. authentication
        keys = cache.user_keys(user, engine_id) if level else None
        record = keys.record if keys is not None else None
        auth_key: Optional[AuthKey] = None
        learned: Optional[UserRecord] = None
        if level:
            if hooks.get_user_password is None:
                if keys is None or keys.auth_key is None:
                    raise _Reject(ERR_MISSING_AUTH_PASSWORD,
                                  f"no authentication password for user {user_text!r}",
                                  "usmStatsUnknownUserNames", reportable)
                candidates = [keys.auth_key]
            else:
                event = SNMPTrapMgrGetUserPasswordEventParams(
                    1, user_text, engine_id,
                    record.auth_password if record is not None else "",
                    record.auth_protocol if record is not None else 0)
                if record is not None and record.auth_key:
                    event.key = record.auth_key
                hooks.get_user_password(event)
                key = _key_bytes(event.key)
                password = event.password or ""
                algorithm = _int(event.algorithm, 0)
                if not key and not password:
                    raise _Reject(ERR_MISSING_AUTH_PASSWORD,
                                  f"no authentication password for user {user_text!r}",
                                  "usmStatsUnknownUserNames", reportable)
                if (record is not None and keys.auth_key is not None
                        and algorithm == record.auth_protocol and password == record.auth_password
                        and key == record.auth_key):
                    candidates = [keys.auth_key]
                else:
                    codes = [algorithm] if algorithm else _BY_MAC_LENGTH.get(len(auth_params), [])
                    candidates = []
                    for code in codes:
                        if code not in AUTH_PROTOCOLS:
                            raise _Reject(ERR_VERIFICATION_FAILED,
                                          f"unknown authentication algorithm {code}")
                        candidates.append(cache.auth_key(code, engine_id, "" if key else password,
                                                         key))
                    learned = UserRecord(user, engine_id, 0, password, 0, "", key)
            for candidate in candidates:
                if candidate.verify(data, auth_offset, auth_params):
                    auth_key = candidate
                    break
            else:
                raise _Reject(ERR_VERIFICATION_FAILED, "Verification failed: wrong digest",
                              "usmStatsWrongDigests", reportable)
            if learned is not None:
                learned.auth_protocol = auth_key.protocol.code
                learned.level = 1

        # 5. timeliness and on_check_engine
        rec = None
        if authoritative:
            is_new = False
            timely = level == 0 or (boots == 0 and abs(etime - int(now)) <= receiver.time_window)
            accept = timely
        else:
            rec = cache.engine(engine_id)
            is_new = rec is None
            if is_new:
                timely = False
                accept = level >= 1
            else:
                timely = level == 0 or not _outside_window(rec, boots, etime, now,
                                                           receiver.time_window)
                accept = timely
        if hooks.check_engine is not None:
            event = SNMPTrapMgrCheckEngineEventParams(engine_id, boots, etime, user_text, level,
                                                      addr[0], addr[1], is_new, accept)
            hooks.check_engine(event)
            accept = bool(event.accept)
        if not accept:
            if not is_new and not timely:
                raise _Reject(ERR_BAD_TIME_FRAME, "message not in the time window",
                              "usmStatsNotInTimeWindows", reportable and level >= 1, auth_key)
            raise _Reject(ERR_BAD_ENGINE_ID, "engine not accepted")

        # 6. privacy
        priv_key: Optional[PrivKey] = None
        if level == 2:
            priv_key, plain, plaintext = self._decrypt(keys, record, learned, auth_key, user_text,
                                                       engine_id, boots, etime, priv_params,
                                                       scoped, reportable)
            if receiver.decrypt_log_packets:
                self.last_decrypted = encode_v3_message(msg_id, max_size, flags, engine_id, boots,
                                                        etime, user, auth_params, priv_params,
                                                        plaintext)[0]
        context_engine_id, context_name, pdu = plain
        tag = pdu[0]
        self.incoming_context_engine_id = context_engine_id
        self.incoming_context_name = context_name
        if tag == PDU_INFORM and not authoritative:
            raise _Reject(ERR_BAD_ENGINE_ID, "InformRequest for an unknown engine ID",
                          "usmStatsUnknownEngineIDs", reportable)
        if tag not in (PDU_TRAP, PDU_INFORM):
            self.stats["snmpUnknownPDUHandlers"] += 1
            raise _Reject(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a notification")

        # 7. commit the engine (and a hook-authenticated user) to the cache
        if not authoritative:
            if is_new:
                cache.learn_engine(engine_id, boots, etime, now)
                if learned is not None:
                    cache.learn_user(learned)
            elif level >= 1:
                if timely:
                    if boots > rec.boots or (boots == rec.boots and etime > rec.latest):
                        rec.boots, rec.time, rec.latest, rec.local_at = boots, etime, etime, now
                else:  # accepted by the application despite the window
                    rec.boots, rec.time, rec.latest, rec.local_at = boots, etime, etime, now
        elif learned is not None and record is None:
            cache.learn_user(learned)

        return self._notification(tag, pdu, user, user_text, level, addr, msg_id, max_size, now,
                                  auth_key, priv_key, engine_id, context_engine_id, context_name)

    def _notification(self, tag: int, pdu: tuple, user: bytes, user_text: str, level: int,
                      addr: Any, msg_id: int, max_size: int, now: float, auth_key: Any,
                      priv_key: Any, engine_id: bytes, context_engine_id: bytes,
                      context_name: bytes) -> Any:
        """The trap or inform event of an accepted message (both receive paths)."""
        varbinds = pdu[4]
        trap_oid, uptime = community.trap_fields(varbinds)
        if tag == PDU_TRAP:
            out = SNMPTrapMgrTrapEventParams(3, pdu[1], "", user_text, level, trap_oid, uptime,
                                             addr[0], addr[1], varbinds)
        else:
            out = SNMPTrapMgrInformRequestEventParams(3, pdu[1], "", user_text, level, trap_oid,
                                                      uptime, addr[0], addr[1], varbinds)
            out.message_id = msg_id
            out.reply_context = ReplyContext(msg_id, max_size, user, pdu[1], "", now, level,
                                             auth_key, priv_key, context_engine_id, context_name)
        out.engine_id = engine_id
        out.context_engine_id = context_engine_id
        out.context_name = context_name
        self.receiver.counters["notifications"] += 1
        return out

    def _decrypt(self, keys, record, learned, auth_key, user_text, engine_id, boots, etime,
                 priv_params, ciphertext, reportable):
        hooks = self.receiver.hooks
        cache = self.cache
        mode = _int(self.receiver.compatibility_mode, 0)
        auth_code = auth_key.protocol.code
        attempts = []
        if hooks.get_user_password is None and learned is None:
            if keys is None or not keys.record.priv_algorithm:
                raise _Reject(ERR_MISSING_PRIV_PASSWORD,
                              f"no privacy password for user {user_text!r}",
                              "usmStatsUnknownUserNames", reportable)
            rec = keys.record
            klen = len(rec.priv_key) if rec.priv_key else _DIGEST_SIZE[rec.auth_protocol]
            for m in priv_modes(mode, rec.priv_algorithm, klen):
                attempts.append(lambda m=m: cache.user_priv_key(keys, m))
        else:
            event = SNMPTrapMgrGetUserPasswordEventParams(
                2, user_text, engine_id,
                record.priv_password if record is not None else "",
                record.priv_algorithm if record is not None and record.priv_algorithm else 1)
            if record is not None and record.priv_key:
                event.key = record.priv_key
            if hooks.get_user_password is not None:
                hooks.get_user_password(event)
            key = _key_bytes(event.key)
            password = event.password or ""
            algorithm = _int(event.algorithm, 1) or 1
            if not key and not password:
                raise _Reject(ERR_MISSING_PRIV_PASSWORD,
                              f"no privacy password for user {user_text!r}",
                              "usmStatsDecryptionErrors", reportable)
            same = (record is not None and learned is None and algorithm == record.priv_algorithm
                    and password == record.priv_password and key == record.priv_key
                    and keys.auth_key is auth_key)
            klen = len(key) if key else _DIGEST_SIZE[auth_code]
            for m in priv_modes(mode, algorithm, klen):
                if same:
                    attempts.append(lambda m=m: cache.user_priv_key(keys, m))
                else:
                    attempts.append(lambda m=m: cache.priv_key(auth_code, algorithm, engine_id, m,
                                                              "" if key else password, key))
            if learned is not None:
                learned.priv_algorithm = algorithm
                learned.priv_password = password
                learned.priv_key = key
                learned.level = 2
        why = "Decryption failed"
        for make in attempts:
            try:
                priv_key = make()
                plaintext = priv_key.decrypt(ciphertext, priv_params, boots, etime)
                plain = ber.decode_scoped_pdu(plaintext)
            except SNMPTrapMgrError as exc:
                why = f"Decryption failed: {exc.message}"
                continue
            return priv_key, plain, _scoped_tlv(plaintext)
        raise _Reject(ERR_DECRYPTION_FAILED, why, "usmStatsDecryptionErrors", reportable)

    # ---------------------------------------------------------------- replies

    def inform_response(self, event: SNMPTrapMgrInformRequestEventParams) -> Optional[bytes]:
        """The Response to an accepted v3 inform: same msgID, user and security level."""
        ctx = event.reply_context
        if not isinstance(ctx, ReplyContext):
            return None
        pdu = encode_pdu(PDU_RESPONSE, event.request_id, _int(event.error_status, 0),
                         _int(event.error_index, 0), event.varbinds)
        message = self._encode(ctx, ctx.context_engine_id, ctx.context_name, pdu, ctx.level,
                               ctx.auth_key, ctx.priv_key)
        max_size = ctx.max_size if ctx.max_size >= 484 else 484
        if len(message) > max_size:  # RFC 3416 4.2.7 tooBig, no variable bindings
            pdu = encode_pdu(PDU_RESPONSE, event.request_id, 1, 0, [])
            message = self._encode(ctx, ctx.context_engine_id, ctx.context_name, pdu, ctx.level,
                                   ctx.auth_key, ctx.priv_key)
        return message

    def discovery_report(self, event: SNMPTrapMgrDiscoveryRequestEventParams) -> Optional[bytes]:
        """Report usmStatsUnknownEngineIDs with local_engine_id, boots 0, time since 1970."""
        ctx = event.reply_context
        if not isinstance(ctx, ReplyContext):
            return None
        return self._report(ctx)

    def report(self, event: Any) -> Optional[bytes]:
        """The Report a rejected reportable message calls for (bad packet with ``report``)."""
        ctx = getattr(event, "reply_context", None)
        if not isinstance(ctx, ReplyContext) or not ctx.counter:
            return None
        return self._report(ctx)

    def _report(self, ctx: ReplyContext) -> bytes:
        local = self.ensure_local_engine_id()
        counter = ctx.counter
        pdu = encode_pdu(PDU_REPORT, ctx.request_id, 0, 0,
                         [(USM_STATS_OIDS[counter], 0x41, self.stats.get(counter, 0) & 0xFFFFFFFF)])
        # notInTimeWindow is reported authenticated (RFC 3414 3.2 step 7a), the rest noAuth
        return self._encode(ctx, local, b"", pdu, ctx.level if ctx.auth_key else 0, ctx.auth_key,
                            None)

    def _encode(self, ctx: ReplyContext, context_engine_id: bytes, context_name: bytes,
                pdu: bytes, level: int, auth_key: Optional[AuthKey],
                priv_key: Optional[PrivKey]) -> bytes:
        local = self.ensure_local_engine_id()
        boots = 0
        etime = min(max(int(ctx.now), 0), MAX_TIME)
        scoped = encode_scoped_pdu(context_engine_id, context_name, pdu)
        if level >= 2 and priv_key is not None and auth_key is not None:
            self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
            ciphertext, salt = priv_key.encrypt(scoped, boots, etime, self._salt)
            msg_data = encode_tlv(0x04, ciphertext)
            flags = 3
        else:
            salt = b""
            msg_data = scoped
            flags = 1 if level >= 1 and auth_key is not None else 0
        mac_length = auth_key.mac_length if flags & 1 else 0
        message, offset = encode_v3_message(ctx.msg_id, _MAX_MSG_SIZE, flags, local, boots, etime,
                                            ctx.user, bytes(mac_length), salt, msg_data)
        if mac_length:
            mac = auth_key.sign(message)
            message = message[:offset] + mac + message[offset + mac_length:]
        return message


# -------------------------------------------------------------------- helpers


def _call(hook: Any, event: Any) -> None:
    if hook is not None:
        hook(event)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _key_bytes(value: Any) -> bytes:
    """A localized key set in on_get_user_password: bytes, or hex text (AuthenticationKey)."""
    if not value:
        return b""
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise _Reject(ERR_MISSING_AUTH_PASSWORD, "key is not hex") from None
    return bytes(value)


def _outside_window(rec: Any, boots: int, etime: int, now: float, window: int) -> bool:
    """RFC 3414 3.2 step 7b, for a remote authoritative engine we know."""
    if rec.boots >= MAX_TIME:
        return True
    if boots < rec.boots:
        return True
    if boots == rec.boots and etime < rec.estimated_time(now) - window:
        return True
    return False


def _scoped_tlv(plaintext: bytes) -> bytes:
    """The ScopedPDU TLV at the start of a decrypted buffer, without cipher padding."""
    if len(plaintext) < 2:
        return bytes(plaintext)
    first = plaintext[1]
    if first < 0x80:
        end = 2 + first
    else:
        n = first & 0x7F
        end = 2 + n + int.from_bytes(plaintext[2:2 + n], "big")
    return bytes(plaintext[:end])

