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
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v3_message,
)
from ..events import SNMPTrapMgrDiscoveryRequestEventParams, SNMPTrapMgrInformRequestEventParams
from .crypto import AuthKey, PrivKey
from .interface import USMSettings, int_or
from .records import MAX_TIME

__all__ = ["ReplyContext", "Replies", "USM_STATS_OIDS", "generate_engine_id"]

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
