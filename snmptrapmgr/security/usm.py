"""SNMPv3 User-based Security Model for a notification receiver: one receive pipeline.

RFC 3414 section 3.2 (incoming messages) in the order the reference's events
document, RFC 3412 7.2 (what is reportable) and section 4 (discovery).  Each
step is written once, in :meth:`USMEngine.receive`; a receiver without USM
hooks simply skips the hook branches.  The usual trap (no hooks, a known
engine and user, timely) is first offered to :mod:`.fast` (``receive_usual``),
a twinned one-call version of these steps that takes it or declines before
changing anything; the receiver then calls :meth:`USMEngine.receive`
(tests/test_v3_fastpath.py holds the two to the same decisions):

1. msgFlags -> security level (privFlag without authFlag: invalid, dropped).
2. Empty msgAuthoritativeEngineID: a discovery probe -> on_discovery_request,
   answered (:mod:`.reports`) with a Report usmStatsUnknownEngineIDs.
3. The user: the cache's level (-1 unknown), or on_get_user_security_level;
   -1 -> 326 usmStatsUnknownUserNames; a level other than the message's ->
   327 usmStatsUnsupportedSecLevels (no downgrade, no upgrade).
4. Authentication: the cache's key, or on_get_user_password type 1
   (:mod:`.users`); the MAC is checked at the decoded offset in constant time
   (308 usmStatsWrongDigests).
5. Timeliness (RFC 3414 3.2 step 7): for informs we are authoritative, for
   traps the sender is and the cache keeps its clock (:class:`~.records.EngineRecord`);
   then on_check_engine with the documented default for ``accept``
   (325 usmStatsNotInTimeWindows, or 324).
6. Privacy: the cache's key or on_get_user_password type 2; CompatibilityMode
   picks the AES-192/256 key extension (the one giving a well-formed ScopedPDU
   wins); 313 usmStatsDecryptionErrors.  Privacy keys are made only here,
   after the MAC verified.
7. The PDU must be a trap, or an inform to us.
8. Commit: the engine's clock (a timely message moves it forward, one the
   application accepted outside the window resets it), a newly accepted
   engine, a hook-authenticated user enter the cache; the trap / inform event
   carries user, level, engine and context.

A refused message leaves :meth:`USMEngine.receive` as :class:`~.interface.Rejected`
(counted in usmStats), with a Report prepared (``reply_context``) only when the
message was reportable and RFC 3414 calls for one -- never for a trap -- and
the :class:`~.reports.ReportLimiter` had a token for its source (a discovery
without one comes out with ``respond`` False).  A user name over 32 octets
is malformed (RFC 3414 2.4): rejected before discovery, never echoed.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Optional

from ..codec import ber, community
from ..codec.encode import PDU_INFORM, PDU_REPORT, PDU_RESPONSE, PDU_TRAP, PDU_TRAP_V1, encode_v3_message
from ..codec.shapes import V3Message
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
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrTrapEventParams,
)
from . import fast, users
from .authcache import AuthCache
from .crypto import EXTENSION_MODES, NO_EXTENSION, AuthKey, PrivKey, needs_extension
from .interface import Rejected, USMSettings, int_or
from .records import MAX_TIME, UserRecord
from .reports import MAX_USER_NAME, USM_STATS_OIDS, ReplyContext, ReportLimiter, Replies, generate_engine_id

__all__ = ["USMEngine", "USM_STATS_OIDS", "generate_engine_id", "ReplyContext"]

#: PDUs of the unconfirmed / response classes: never answered with a Report.
_UNREPORTABLE = frozenset((PDU_TRAP, PDU_TRAP_V1, PDU_RESPONSE, PDU_REPORT))


class USMEngine:
    """USM state of one receiver: the auth cache, usmStats and what replies need.

    It reads its :class:`~.interface.USMSettings` (owned by the receiver) on
    every message and keeps no reference to the receiver.
    """

    def __init__(self, settings: USMSettings) -> None:
        self.settings = settings
        self.cache = AuthCache(lambda event: _call(settings.hooks.hash_password, event))
        self.stats = {name: 0 for name in USM_STATS_OIDS}
        self.stats["snmpInvalidMsgs"] = 0
        self.stats["snmpUnknownPDUHandlers"] = 0
        self.stats["snmpInASNParseErrs"] = 0
        #: the Report rate limits (settings ReportRate, ReportBurst, ReportRateTotal, ReportSources)
        self.limiter = ReportLimiter()
        self.replies = Replies(settings, self.stats)
        #: the last message decrypted, re-encoded with its plaintext ScopedPDU
        #: (only while settings.decrypt_log_packets is set), for on_packet_trace
        self.last_decrypted: Optional[bytes] = None
        #: receive_usual(msg, data, addr, now): the usual trap's event, or None for receive();
        #: the fast twin active when this engine is built, bound to its settings and cache
        self.receive_usual = partial(fast.receive_trap, settings, self.cache)

    def ensure_local_engine_id(self) -> bytes:
        """settings.local_engine_id, generated (stable, RFC 3411) when still empty."""
        return self.replies.local_engine_id()

    # ---------------------------------------------------------------- receive

    def receive(self, msg: V3Message, data: bytes, addr: Any, now: float) -> Any:
        """The event of one decoded v3 message (trap, inform, discovery); raises Rejected.

        ``data`` is the datagram ``msg`` was decoded from (the MAC covers it).  The
        steps are numbered as in the module docstring.
        """
        self.last_decrypted = None
        try:
            settings = self.settings
            hooks = settings.hooks
            cache = self.cache
            stats = self.stats
            flags = msg.flags
            scoped = msg.scoped
            engine_id = msg.engine_id
            user = msg.user

            # 1. msgFlags and the ScopedPDU's form (RFC 3412 7.2 step 5)
            if flags & 2:
                if not flags & 1:
                    stats["snmpInvalidMsgs"] += 1
                    raise Rejected(ERR_BAD_PACKET, "msgFlags: privFlag set without authFlag")
                if type(scoped) is not bytes:
                    raise Rejected(ERR_NOT_ENCRYPTED, "privFlag set but the ScopedPDU is not encrypted")
                level = 2
                reportable = flags & 4 != 0
            else:
                if type(scoped) is bytes:
                    raise Rejected(ERR_DEFECTIVE_PACKET, "encrypted ScopedPDU without privFlag")
                level = flags & 1
                reportable = flags & 4 != 0 and scoped.pdu.tag not in _UNREPORTABLE
            if len(user) > MAX_USER_NAME:  # not an SnmpAdminString: malformed, never echoed back
                stats["snmpInASNParseErrs"] += 1
                raise Rejected(ERR_DEFECTIVE_PACKET, f"msgUserName of {len(user)} octets "
                               f"(RFC 3414 allows {MAX_USER_NAME})")
            user_text = user.decode(settings.codec, "replace")

            # 2. discovery (RFC 3414 4, 3.2 step 3); its Report within the limiter's rates
            if not engine_id:
                stats["usmStatsUnknownEngineIDs"] += 1
                if not reportable:
                    raise Rejected(ERR_BAD_ENGINE_ID, "empty msgAuthoritativeEngineID")
                source = addr[0]
                if self.limiter.allow(source, now):
                    return SNMPTrapMgrDiscoveryRequestEventParams(
                        engine_id, msg.boots, msg.time, user_text, level, source, addr[1],
                        ReplyContext(msg.msg_id, msg.max_size, user, _request_id(msg),
                                     "usmStatsUnknownEngineIDs", now))
                return SNMPTrapMgrDiscoveryRequestEventParams(
                    engine_id, msg.boots, msg.time, user_text, level, source, addr[1], None, False)
            local = settings.local_engine_id
            authoritative = engine_id == local and bool(local)
            if level < 2 and scoped.pdu.tag == PDU_INFORM and not authoritative:
                raise _inform_not_to_us(reportable)

            # 3. the user and the level it must use; a user configured for this engine is bound
            keys = cache.bound_keys(user, engine_id)
            cached = keys.record.level if keys is not None else cache.user_level(user, engine_id)
            if hooks.get_user_security_level is None and hooks.get_user_password is None:
                required = cached
            else:
                required = users.required_level(hooks, user_text, engine_id, cached, level)
            if required != level:
                if required < 0 or required > 2:
                    raise Rejected(ERR_BAD_USER_NAME, f"unknown user {user_text!r}",
                                   "usmStatsUnknownUserNames", reportable)
                raise Rejected(ERR_SECURITY_LEVEL,
                               f"security level {level} not accepted for user {user_text!r} "
                               f"(configured {required})", "usmStatsUnsupportedSecLevels", reportable)

            # 4. authentication
            auth_key: Optional[AuthKey] = None
            learned: Optional[UserRecord] = None
            if level:
                if keys is None:
                    keys = cache.user_keys(user, engine_id)
                if hooks.get_user_password is None:
                    if keys is None or keys.auth_key is None:
                        raise users.missing_password(ERR_MISSING_AUTH_PASSWORD, "authentication",
                                                     user_text, "usmStatsUnknownUserNames", reportable)
                    auth_key = keys.auth_key
                    if not auth_key.verify(data, msg.auth_offset, msg.auth_params):
                        auth_key = None
                else:
                    auth_key, learned = users.authenticate(hooks.get_user_password, cache, keys, msg,
                                                           data, user_text, reportable)
                if auth_key is None:
                    raise Rejected(ERR_VERIFICATION_FAILED, "Verification failed: wrong digest",
                                   "usmStatsWrongDigests", reportable)
            else:
                keys = None

            # 5. timeliness (RFC 3414 3.2 step 7) and on_check_engine
            boots = msg.boots
            etime = msg.time
            if authoritative:  # 7a: to us (boots 0, time = our clock)
                rec = None
                is_new = False
                timely = level == 0 or (boots == 0 and abs(etime - int(now)) <= settings.time_window)
            else:  # 7b: not latched, not an older boot, not further behind our estimate than the window
                rec = cache.engine(engine_id)
                is_new = rec is None
                timely = not is_new and (level == 0 or not (
                    rec.boots >= MAX_TIME or boots < rec.boots
                    or (boots == rec.boots
                        and etime < rec.time + int(now - rec.local_at) - settings.time_window)))
            accept = timely or (is_new and level >= 1)
            if hooks.check_engine is not None:
                event = SNMPTrapMgrCheckEngineEventParams(
                    engine_id=engine_id, engine_boots=boots, engine_time=etime, user=user_text,
                    security_level=level, remote_address=addr[0], remote_port=addr[1], is_new=is_new,
                    accept=accept)
                hooks.check_engine(event)
                accept = bool(event.accept)
            if not accept:
                if not is_new and not timely:
                    raise Rejected(ERR_BAD_TIME_FRAME, "message not in the time window",
                                   "usmStatsNotInTimeWindows", reportable and level >= 1, auth_key)
                raise Rejected(ERR_BAD_ENGINE_ID, "engine not accepted")

            # 6. privacy: the user's cached keys, or what on_get_user_password gives
            priv_key: Optional[PrivKey] = None
            if level == 2:
                own = None
                if hooks.get_user_password is not None:
                    own = users.privacy_secret(hooks.get_user_password, keys, learned, auth_key,
                                               engine_id, user_text, reportable)
                if own is None:
                    if keys is None or not keys.record.priv_algorithm:
                        raise users.missing_password(ERR_MISSING_PRIV_PASSWORD, "privacy", user_text,
                                                     "usmStatsUnknownUserNames", reportable)
                    extension = keys.extension
                else:
                    algorithm, password, localized = own
                    extension = needs_extension(algorithm, localized, auth_key.protocol.code)
                modes = NO_EXTENSION
                if extension:  # CompatibilityMode picks the key extension(s) to try
                    compat = settings.compatibility_mode
                    modes = EXTENSION_MODES.get(compat if type(compat) is int else int_or(compat, 0),
                                                NO_EXTENSION)
                priv_params = msg.priv_params
                why = "Decryption failed"
                for mode in modes:
                    try:
                        if own is None:  # made once per user and engine, after a MAC verified
                            priv_key = getattr(keys, mode) or cache.user_priv_key(keys, mode)
                        else:
                            priv_key = cache.priv_key(auth_key.protocol.code, algorithm, engine_id,
                                                      mode, "" if localized else password, localized)
                        plaintext = priv_key.decrypt(scoped, priv_params, boots, etime)
                        scoped = ber.decode_scoped_pdu(plaintext)
                        break
                    except SNMPTrapMgrError as exc:
                        why = f"Decryption failed: {exc.message}"
                else:
                    raise Rejected(ERR_DECRYPTION_FAILED, why, "usmStatsDecryptionErrors", reportable)
                if settings.decrypt_log_packets:
                    self.last_decrypted = encode_v3_message(
                        msg.msg_id, msg.max_size, flags, engine_id, boots, etime, user,
                        msg.auth_params, priv_params, _scoped_tlv(plaintext))[0]

            # 7. the PDU: a trap, or an inform to us
            pdu = scoped.pdu
            tag = pdu.tag
            if tag != PDU_TRAP:
                if tag != PDU_INFORM:
                    stats["snmpUnknownPDUHandlers"] += 1
                    raise Rejected(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a notification")
                if not authoritative:
                    raise _inform_not_to_us(reportable)

            # 8. commit: the engine's clock, a new engine, a hook-authenticated user
            if rec is not None:
                # step 7b's clock: a timely message moves it forward only; one the application
                # accepted outside the window (on_check_engine) resets it to the sender's
                if level and (not timely or boots > rec.boots
                              or (boots == rec.boots and etime > rec.latest)):
                    rec.boots, rec.time, rec.latest, rec.local_at = boots, etime, etime, now
            elif is_new:
                cache.learn_engine(engine_id, boots, etime, now)
                if learned is not None:
                    cache.learn_user(learned)
            elif learned is not None and keys is None:
                cache.learn_user(learned)

            varbinds = pdu.varbinds
            trap_oid, uptime = community.trap_fields(varbinds)
            # positional: keyword arguments would cost ~0.6 us per notification here
            if tag == PDU_TRAP:
                out = SNMPTrapMgrTrapEventParams(3, pdu.request_id, "", user_text, level, trap_oid,
                                                 uptime, addr[0], addr[1], varbinds)
            else:
                out = SNMPTrapMgrInformRequestEventParams(3, pdu.request_id, "", user_text, level,
                                                          trap_oid, uptime, addr[0], addr[1], varbinds)
                out.message_id = msg.msg_id
                out.reply_context = ReplyContext(msg.msg_id, msg.max_size, user, pdu.request_id, "",
                                                 now, level, auth_key, priv_key,
                                                 scoped.context_engine_id, scoped.context_name)
            out.engine_id = engine_id
            out.context_engine_id = scoped.context_engine_id
            out.context_name = scoped.context_name
            return out
        except Rejected as rej:
            counter = rej.counter
            if counter:
                self.stats[counter] = self.stats.get(counter, 0) + 1
                if rej.reportable and counter in USM_STATS_OIDS and self.limiter.allow(addr[0], now):
                    rej.reply_context = ReplyContext(
                        msg.msg_id, msg.max_size, msg.user, _request_id(msg), counter, now,
                        1 if rej.auth_key is not None else 0, rej.auth_key)
            raise

    # ---------------------------------------------------------------- replies

    def inform_response(self, event: SNMPTrapMgrInformRequestEventParams) -> Optional[bytes]:
        """The Response to an accepted v3 inform (see :meth:`.reports.Replies.inform_response`)."""
        return self.replies.inform_response(event)

    def discovery_report(self, event: SNMPTrapMgrDiscoveryRequestEventParams) -> Optional[bytes]:
        """The Report answering a discovery probe."""
        return self.replies.discovery_report(event)

    def report(self, event: Any) -> Optional[bytes]:
        """The Report a rejected reportable message calls for (bad packet with ``report``)."""
        return self.replies.report(event)


# -------------------------------------------------------------------- helpers


def _call(hook: Any, event: Any) -> None:
    if hook is not None:
        hook(event)


def _request_id(msg: V3Message) -> int:
    """The request-id a Report repeats: the plaintext PDU's (0 when encrypted or a v1 trap)."""
    scoped = msg.scoped
    if type(scoped) is not bytes and scoped.pdu.tag != PDU_TRAP_V1:
        return scoped.pdu.request_id
    return 0


def _inform_not_to_us(reportable: bool) -> Rejected:
    """An inform for another engine: we are authoritative only for our own engine ID."""
    return Rejected(ERR_BAD_ENGINE_ID, "InformRequest for an unknown engine ID",
                    "usmStatsUnknownEngineIDs", reportable)


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
