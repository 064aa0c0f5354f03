"""What USM sends back: Reports (discovery, rejections) and the Response to a v3 inform.

RFC 3414 4 (discovery: usmStatsUnknownEngineIDs with our engine ID, boots 0,
time = seconds since 1970), 3.2 (the Report a rejected reportable message
gets; notInTimeWindow authenticated, the rest noAuth) and RFC 3416 4.2.7 (a
Response too big for the sender becomes tooBig without variable bindings).
Everything a reply needs from the message it answers is in its
:class:`ReplyContext`, made by the receive pipeline.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import uuid
from typing import Any, Optional

from ..codec.encode import (
    PDU_REPORT,
    PDU_RESPONSE,
    encode_integer,
    encode_length,
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v3_message,
)
from ..codec.oid import oid_to_ber
from ..events import SNMPTrapMgrDiscoveryRequestEventParams, SNMPTrapMgrInformRequestEventParams
from .crypto import AuthKey, PrivKey
from .interface import USMSettings, int_or
from .records import MAX_TIME

__all__ = ["ReplyContext", "Replies", "ReportLimiter", "USM_STATS_OIDS", "generate_engine_id",
           "MAX_USER_NAME"]

#: msgUserName is an SnmpAdminString (SIZE(0..32)), RFC 3414 2.4; longer ones get no Report
MAX_USER_NAME = 32

#: usmStats counters (RFC 3414 5: 1.3.6.1.6.3.15.1.1.x.0)
USM_STATS_OIDS = {
    "usmStatsUnsupportedSecLevels": "1.3.6.1.6.3.15.1.1.1.0",
    "usmStatsNotInTimeWindows": "1.3.6.1.6.3.15.1.1.2.0",
    "usmStatsUnknownUserNames": "1.3.6.1.6.3.15.1.1.3.0",
    "usmStatsUnknownEngineIDs": "1.3.6.1.6.3.15.1.1.4.0",
    "usmStatsWrongDigests": "1.3.6.1.6.3.15.1.1.5.0",
    "usmStatsDecryptionErrors": "1.3.6.1.6.3.15.1.1.6.0",
}

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


class ReportLimiter:
    """Token buckets for Reports: one per source address (a bounded table) and one for all.

    A Report answers a message whose source address nobody checked, and is
    up to twice its size: unlimited, a spoofed discovery flood turns the
    receiver into an amplifier aimed at the spoofed address, and keeps its
    core busy encoding.  Defaults: 50 Reports/s per source with bursts of
    50 (a device discovering once per inform is far below), 1,000/s in all,
    10,000 sources remembered (the oldest forgotten first; the global
    bucket still bounds a flood from ever-new addresses).  A rate of 0 means
    unlimited.  ``suppressed`` counts the Reports not sent.
    """

    __slots__ = ("rate", "burst", "total_rate", "max_sources", "suppressed", "evicted",
                 "_sources", "_total", "_total_at")

    def __init__(self, rate: float = 50.0, burst: int = 50, total_rate: float = 1000.0,
                 max_sources: int = 10000) -> None:
        self.rate = float(rate)
        self.burst = int(burst)
        self.total_rate = float(total_rate)
        self.max_sources = int(max_sources)
        self.suppressed = 0
        self.evicted = 0
        self._sources: dict = {}  # address -> (tokens, when), oldest first
        self._total = -1.0        # tokens of the global bucket (-1: full, not yet used)
        self._total_at = 0.0

    #: the config settings (``SNMPTrapMgr.config``) of each attribute
    SETTINGS = {"ReportRate": "rate", "ReportBurst": "burst", "ReportRateTotal": "total_rate",
                "ReportSources": "max_sources"}

    def configure(self, setting: str, value: float) -> None:
        """Set the attribute of a config setting (``ReportRate`` ...); the table shrinks to fit."""
        attr = self.SETTINGS[setting]
        setattr(self, attr, int(value) if attr in ("burst", "max_sources") else float(value))
        sources = self._sources
        while sources and len(sources) > self.max_sources:
            del sources[next(iter(sources))]
            self.evicted += 1

    def __len__(self) -> int:
        return len(self._sources)

    def allow(self, source: str, now: float) -> bool:
        """Take a token for a Report to ``source`` at ``now`` (seconds); False: suppress it (counted)."""
        rate = self.rate
        if rate > 0:
            sources = self._sources
            entry = sources.get(source)
            burst = self.burst if self.burst >= 1 else 1
            if entry is None:
                if sources and len(sources) >= self.max_sources:
                    del sources[next(iter(sources))]
                    self.evicted += 1
                tokens = float(burst)
            else:
                tokens, when = entry
                if now > when:
                    tokens = min(float(burst), tokens + (now - when) * rate)
            if tokens < 1.0 or not self._take_total(now):
                sources[source] = (tokens, now)
                self.suppressed += 1
                return False
            sources[source] = (tokens - 1.0, now)
            return True
        if self._take_total(now):
            return True
        self.suppressed += 1
        return False

    def _take_total(self, now: float) -> bool:
        total_rate = self.total_rate
        if total_rate <= 0:
            return True
        capacity = total_rate if total_rate >= 1 else 1.0
        tokens = self._total
        if tokens < 0:
            tokens = capacity
        elif now > self._total_at:
            tokens = min(capacity, tokens + (now - self._total_at) * total_rate)
        self._total_at = now
        if tokens < 1.0:
            self._total = tokens
            return False
        self._total = tokens - 1.0
        return True


class Replies:
    """Encodes the replies of one USM engine: its settings, its usmStats, its salt counter."""

    def __init__(self, settings: USMSettings, stats: dict) -> None:
        self.settings = settings
        self.stats = stats
        self._salt = secrets.randbits(64)

    def local_engine_id(self) -> bytes:
        """The settings' local engine ID, generated (stable, RFC 3411) when still empty."""
        engine_id = self.settings.local_engine_id
        if not engine_id:
            engine_id = self.settings.local_engine_id = generate_engine_id()
        return engine_id

    def inform_response(self, event: SNMPTrapMgrInformRequestEventParams) -> Optional[bytes]:
        """The Response to an accepted v3 inform: same msgID, user and security level."""
        ctx = event.reply_context
        if not isinstance(ctx, ReplyContext):
            return None
        pdu = encode_pdu(PDU_RESPONSE, event.request_id, int_or(event.error_status, 0),
                         int_or(event.error_index, 0), event.varbinds)
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
        local = self.local_engine_id()
        counter = ctx.counter
        if ctx.auth_key is None:  # discovery and most rejections: the one-pass encoder
            return noauth_report(ctx.msg_id, local, min(max(int(ctx.now), 0), MAX_TIME), ctx.user,
                                 ctx.request_id, _COUNTER_OID_TLVS[counter],
                                 self.stats.get(counter, 0) & 0xFFFFFFFF)
        pdu = encode_pdu(PDU_REPORT, ctx.request_id, 0, 0,
                         [(USM_STATS_OIDS[counter], 0x41, self.stats.get(counter, 0) & 0xFFFFFFFF)])
        # notInTimeWindow is reported authenticated (RFC 3414 3.2 step 7a), the rest noAuth
        return self._encode(ctx, local, b"", pdu, ctx.level if ctx.auth_key else 0, ctx.auth_key,
                            None)

    def _encode(self, ctx: ReplyContext, context_engine_id: bytes, context_name: bytes,
                pdu: bytes, level: int, auth_key: Optional[AuthKey],
                priv_key: Optional[PrivKey]) -> bytes:
        local = self.local_engine_id()
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


# ------------------------------------------------------- the noAuth Report in one pass
# A discovery's Report is what a flood makes us send most: encode_v3_message's general
# TLV nesting cost ~40 us of a ~45 us discovery; this writes the same octets directly
# (a test checks both encoders agree).

_COUNTER_OID_TLVS = {name: encode_tlv(0x06, oid_to_ber(oid)) for name, oid in USM_STATS_OIDS.items()}
#: msgMaxSize 65507, msgFlags 0 (noAuthNoPriv, not reportable), msgSecurityModel 3 (USM)
_HEADER_TAIL = encode_integer(_MAX_MSG_SIZE) + encode_tlv(0x04, b"\x00") + encode_integer(3)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    return bytes((0x82, n >> 8, n & 0xFF)) if n < 0x10000 else encode_length(n)


def _int(value: int) -> bytes:
    content = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return b"\x02" + bytes((len(content),)) + content


def noauth_report(msg_id: int, engine_id: bytes, etime: int, user: bytes, request_id: int,
                  counter_oid_tlv: bytes, counter_value: int) -> bytes:
    """A noAuthNoPriv Report (boots 0) carrying one Counter32 varbind, as :meth:`Replies._encode` does."""
    value = counter_value.to_bytes(counter_value.bit_length() // 8 + 1, "big")
    varbind = counter_oid_tlv + b"\x41" + bytes((len(value),)) + value
    varbind = b"\x30" + _length(len(varbind)) + varbind
    pdu = _int(request_id) + b"\x02\x01\x00\x02\x01\x00\x30" + _length(len(varbind)) + varbind
    key = (engine_id, etime, user)
    cached = _LAST_PARAMS[0]  # one tuple, replaced whole: threads never see half of one
    if cached[0] != key:  # the same for every Report of one second (to an empty user name)
        engine = b"\x04" + _length(len(engine_id)) + engine_id
        usm = engine + b"\x02\x01\x00" + _int(etime) + b"\x04" + _length(len(user)) + user + b"\x04\x00\x04\x00"
        usm = b"\x30" + _length(len(usm)) + usm
        cached = _LAST_PARAMS[0] = (key, engine + b"\x04\x00\xa8", b"\x04" + _length(len(usm)) + usm)
    scoped = cached[1] + _length(len(pdu)) + pdu
    header = _int(msg_id) + _HEADER_TAIL
    body = (b"\x02\x01\x03\x30" + _length(len(header)) + header + cached[2]
            + b"\x30" + _length(len(scoped)) + scoped)
    return b"\x30" + _length(len(body)) + body


#: ((engine, time, user), scoped PDU prefix, security parameters) of the last Report
_LAST_PARAMS: list = [((b"", -1, b""), b"", b"")]
