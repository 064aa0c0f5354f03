"""The sans-IO core: datagrams in, events out, no sockets and no clock.

``Receiver.receive_datagram(data, addr, now)`` decodes one datagram and
returns the events it produced (trap, inform, discovery, bad packet).  What
must be sent back depends on what the application decides in its handler
(``respond``, ``report``), so the replies are built afterwards by
:meth:`Receiver.reply`.  Malformed input never raises: it becomes a
:class:`SNMPTrapMgrBadPacketEventParams`.  SNMPv3 is handed to
:mod:`snmptrapmgr.security.usm`, which calls back into the application only through
the plain callables in :class:`Hooks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from .codec import ber, community
from .errors import ERR_BAD_PACKET, SNMPTrapMgrError
from .events import SNMPTrapMgrBadPacketEventParams, SNMPTrapMgrInformRequestEventParams
from .codec.encode import (
    PDU_RESPONSE,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    encode_community_message,
    encode_pdu,
    v1_trap_oids,
)

__all__ = ["Hooks", "Receiver", "SYS_UPTIME", "SNMP_TRAP_OID", "v1_trap_oids"]

Address = Any  # (host, port) or (host, port, flowinfo, scope_id)


@dataclass
class Hooks:
    """Callables the SNMPv3 path asks while it processes a message.

    Each takes the matching event-params object and may change its writable
    fields; ``None`` means "use the defaults and the auth cache".
    """

    get_user_security_level: Optional[Callable[[Any], None]] = None
    get_user_password: Optional[Callable[[Any], None]] = None
    check_engine: Optional[Callable[[Any], None]] = None
    hash_password: Optional[Callable[[Any], None]] = None


class Receiver:
    """Protocol state of one listening point (auth cache, engine, settings)."""

    def __init__(self, hooks: Optional[Hooks] = None, *, codec: str = "utf-8",
                 communities: Optional[set[bytes]] = None) -> None:
        self.hooks = hooks or Hooks()
        self._decode = ber.decode_message
        self._community = community.CommunityDecoder(communities, codec)
        self._usm: Any = None
        # v3 settings, read by snmptrapmgr.security.usm
        self.local_engine_id = b""
        self.time_window = 150
        self.compatibility_mode = 0
        self.decrypt_log_packets = False
        self.counters = {"received": 0, "notifications": 0, "bad_packets": 0}

    @property
    def codec(self) -> str:
        """The codec of community and user text (CodePage)."""
        return self._community.codec

    @codec.setter
    def codec(self, value: str) -> None:
        self._community.codec = value

    @property
    def communities(self) -> Optional[set[bytes]]:
        """The v1/v2c communities accepted (None: any)."""
        return self._community.communities

    @communities.setter
    def communities(self, value: Optional[set[bytes]]) -> None:
        self._community.communities = value

    @property
    def usm(self) -> Any:
        """The SNMPv3 engine (auth cache, USM), created on first use."""
        if self._usm is None:
            from .security.usm import USMEngine

            self._usm = USMEngine(self)
        return self._usm

    @property
    def cache(self) -> Any:
        return self.usm.cache

    @property
    def last_decrypted(self) -> Optional[bytes]:
        """The last SNMPv3 message with its ScopedPDU in clear (DecryptLogPackets)."""
        return self._usm.last_decrypted if self._usm is not None else None

    def receive_datagram(self, data: bytes, addr: Address, now: float) -> list:
        """Decode one datagram; return the events it produced."""
        counters = self.counters
        counters["received"] += 1
        try:
            event = self._community.decode(data, addr)
            if event is None:
                return self.usm.receive(self._decode(data), data, addr, now)
            counters["notifications"] += 1
            return [event]
        except SNMPTrapMgrError as exc:
            return [self.bad_packet(data, addr, exc.code, exc.message)]
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the receiver
            return [self.bad_packet(data, addr, ERR_BAD_PACKET, f"internal error: {exc!r}")]

    def bad_packet(self, data: bytes, addr: Address, code: int, why: str,
                   reply_context: Any = None) -> SNMPTrapMgrBadPacketEventParams:
        self.counters["bad_packets"] += 1
        return SNMPTrapMgrBadPacketEventParams(bytes(data), addr[0], addr[1], code, why, reply_context)

    def reply(self, event: Any, addr: Address) -> Optional[bytes]:
        """The datagram an event calls for once its handler has run, if any.

        An inform with ``respond`` gets a Response; a discovery with
        ``respond`` and a bad packet with ``report`` get a Report (SNMPv3).
        """
        if isinstance(event, SNMPTrapMgrInformRequestEventParams):
            if not event.respond:
                return None
            if event.snmp_version == 3:
                return self.usm.inform_response(event)
            pdu = encode_pdu(PDU_RESPONSE, event.request_id, event.error_status, event.error_index,
                             event.varbinds)
            return encode_community_message(1, event.reply_context, pdu)
        if isinstance(event, SNMPTrapMgrBadPacketEventParams):
            if not event.report or event.reply_context is None:
                return None
            return self.usm.report(event)
        if getattr(event, "respond", False):  # discovery
            return self.usm.discovery_report(event)
        return None
