"""The sans-IO core: datagrams in, events out, no sockets and no clock.

``Receiver.receive_datagram(data, addr, now)`` decodes one datagram and
returns the events it produced (trap, inform, discovery, bad packet).  What
must be sent back depends on what the application decides in its handler
(``respond``, ``report``), so the replies are built afterwards by
:meth:`Receiver.reply`.  Malformed input never raises: it becomes a
:class:`SNMPTrapMgrBadPacketEventParams`.  SNMPv3 is handed to
:mod:`snmptrapmgr.usm`, which calls back into the application only through
the plain callables in :class:`Hooks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import ber
from .errors import (
    ERR_BAD_PACKET,
    ERR_NOT_AUTHENTICATED,
    ERR_UNKNOWN_PDU,
    SNMPTrapMgrError,
)
from .events import (
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrTrapEventParams,
)
from .message import PDU_INFORM, PDU_RESPONSE, PDU_TRAP, PDU_TRAP_V1, encode_community_message, encode_pdu

__all__ = ["Hooks", "Receiver", "SYS_UPTIME", "SNMP_TRAP_OID", "v1_trap_oids"]

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
_SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"

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


def v1_trap_oids(enterprise: str, generic: int, specific: int) -> tuple[str, str]:
    """(the reference's TrapOID, the RFC 3584 snmpTrapOID) of a v1 trap."""
    if enterprise == _SNMP_TRAPS:
        reference = f"{enterprise}.{generic + 1}"
    else:
        reference = f"{enterprise}.{generic}.{specific}"
    if 0 <= generic <= 5:
        rfc3584 = f"{_SNMP_TRAPS}.{generic + 1}"
    else:
        rfc3584 = f"{enterprise}.0.{specific}"
    return reference, rfc3584


def _trap_fields(varbinds: list) -> tuple[str, int]:
    """snmpTrapOID.0 and sysUpTime.0 of a v2 notification (normally its first two)."""
    if len(varbinds) >= 2:
        first, second = varbinds[0], varbinds[1]
        if first[0] == SYS_UPTIME and second[0] == SNMP_TRAP_OID and first[1] == 0x43 and second[1] == 6:
            return second[2], first[2]
    trap_oid = ""
    uptime = 0
    for oid, obj_type, value in varbinds:
        if oid == SNMP_TRAP_OID and obj_type == 6:
            trap_oid = value
            break
        if oid == SYS_UPTIME and obj_type == 0x43:
            uptime = value
    return trap_oid, uptime


class Receiver:
    """Protocol state of one listening point (auth cache, engine, settings)."""

    def __init__(self, hooks: Optional[Hooks] = None, *, codec: str = "utf-8",
                 communities: Optional[set[bytes]] = None) -> None:
        self.hooks = hooks or Hooks()
        self._codec = codec
        self.communities = communities
        self._decode = ber.decode_message
        self._usm: Any = None
        # v3 settings, read by snmptrapmgr.usm
        self.local_engine_id = b""
        self.time_window = 150
        self.compatibility_mode = 0
        self.decrypt_log_packets = False
        self.counters = {"received": 0, "notifications": 0, "bad_packets": 0}
        self._community_text: dict[bytes, str] = {}

    @property
    def codec(self) -> str:
        """The codec of community text (CodePage)."""
        return self._codec

    @codec.setter
    def codec(self, value: str) -> None:
        self._codec = value
        self._community_text.clear()

    @property
    def usm(self) -> Any:
        """The SNMPv3 engine (auth cache, USM), created on first use."""
        if self._usm is None:
            from .usm import USMEngine

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
        self.counters["received"] += 1
        try:
            msg = self._decode(data)
            if msg[0] == 3:
                return self.usm.receive(msg, data, addr, now)
            return [self._community(msg, addr)]
        except SNMPTrapMgrError as exc:
            return [self.bad_packet(data, addr, exc.code, exc.message)]
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the receiver
            return [self.bad_packet(data, addr, ERR_BAD_PACKET, f"internal error: {exc!r}")]

    def bad_packet(self, data: bytes, addr: Address, code: int, why: str,
                   reply_context: Any = None) -> SNMPTrapMgrBadPacketEventParams:
        self.counters["bad_packets"] += 1
        return SNMPTrapMgrBadPacketEventParams(bytes(data), addr[0], addr[1], code, why, reply_context)

    def _community(self, msg: tuple, addr: Address) -> Any:
        version, community, pdu = msg
        if self.communities is not None and community not in self.communities:
            raise SNMPTrapMgrError(ERR_NOT_AUTHENTICATED, "community not accepted")
        tag = pdu[0]
        text = self._community_text.get(community)
        if text is None:
            text = self._remember_community(community)
        if version == 0:
            if tag != PDU_TRAP_V1:
                raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a notification")
            _, enterprise, agent, generic, specific, stamp, varbinds = pdu
            reference, rfc3584 = v1_trap_oids(enterprise, generic, specific)
            event = SNMPTrapMgrTrapEventParams(1, 0, text, "", 0, reference, stamp,
                                               addr[0], addr[1], varbinds)
            event.agent_address = agent
            event.enterprise = enterprise
            event.generic_trap = generic
            event.specific_trap = specific
            event.rfc3584_trap_oid = rfc3584
            self.counters["notifications"] += 1
            return event
        if tag not in (PDU_TRAP, PDU_INFORM):
            # also a v1 Trap-PDU inside a v2c message: its fields are not a varbind list
            raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a v2c notification")
        varbinds = pdu[4]
        trap_oid, uptime = _trap_fields(varbinds)
        if tag == PDU_TRAP:
            event = SNMPTrapMgrTrapEventParams(2, pdu[1], text, "", 0, trap_oid, uptime,
                                               addr[0], addr[1], varbinds)
        elif tag == PDU_INFORM:
            event = SNMPTrapMgrInformRequestEventParams(2, pdu[1], text, "", 0, trap_oid, uptime,
                                                        addr[0], addr[1], varbinds)
            event.reply_context = community
        else:
            raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a notification")
        self.counters["notifications"] += 1
        return event

    def _remember_community(self, community: bytes) -> str:
        """Decode a community once; a bounded cache, so a flood of new ones cannot grow it."""
        if len(self._community_text) >= 1024:
            self._community_text.clear()
        text = self._community_text[community] = community.decode(self._codec, "replace")
        return text

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
