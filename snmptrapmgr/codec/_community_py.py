"""v1/v2c datagrams straight to trap and inform events; the twin of ``src/codec/_community_c.pyx``.

This is the receiver's hot path: a community trap costs one walk over the
datagram and one event object, with no intermediate message tuple handed
between modules.  An SNMPv3 message stops after its version field and
returns None: USM takes it from there.  Anything malformed or unwanted
raises :class:`~snmptrapmgr.errors.SNMPTrapMgrError` with the reference's
code, in the same order as before: the whole message is decoded first
(317, 320, 305, 306), then the community is checked (321), then the PDU
type (306).

Memory is bounded in bytes, not only in entries: the community-text cache
(per decoder) keeps at most ``TEXTS_MAX`` (1024) communities of at most
``TEXT_CACHE_OCTETS`` (64) octets, key and text together under ~0.6 MiB
(a 64-octet bytes key is 97 bytes, its text at most 64 code points, <= 336
bytes); a longer community is decoded for its own event and not kept, so a
flood of distinct 60 KiB communities leaves the cache as small as ever.  The
OID-text cache of the compiled core is bounded the same way (see
``src/codec/_ber_core.pxi``: 2048 OIDs of <= 40 octets, ~0.5 MiB).
"""

from __future__ import annotations

from typing import Any, Optional

from . import _ber_py
from ..errors import ERR_BAD_PACKET, ERR_NOT_AUTHENTICATED, ERR_UNKNOWN_PDU, DecodeError, SNMPTrapMgrError
from ..events import SNMPTrapMgrInformRequestEventParams, SNMPTrapMgrTrapEventParams
from .pdu import PDU_INFORM, PDU_TRAP, PDU_TRAP_V1, SNMP_TRAP_OID, SYS_UPTIME, v1_trap_oids

__all__ = ["CommunityDecoder", "trap_fields"]

#: community texts remembered per decoder; a flood of new ones only restarts the table
TEXTS_MAX = 1024
#: only communities this short are remembered (the bound in bytes)
TEXT_CACHE_OCTETS = 64


def trap_fields(varbinds: list) -> tuple[str, int]:
    """(snmpTrapOID.0, sysUpTime.0) of a v2 notification.

    The first snmpTrapOID.0 (an OBJECT IDENTIFIER) and the last TimeTicks
    sysUpTime.0 before it; normally they are the first two varbinds.
    """
    trap_oid = ""
    uptime = 0
    for oid, obj_type, value in varbinds:
        if oid == SNMP_TRAP_OID and obj_type == 6:
            trap_oid = value
            break
        if oid == SYS_UPTIME and obj_type == 0x43:
            uptime = value
    return trap_oid, uptime


def _datagram(data: Any) -> bytes:
    try:
        return bytes(data)
    except (TypeError, ValueError):
        raise DecodeError(ERR_BAD_PACKET, "not a bytes-like datagram") from None


class CommunityDecoder:
    """The v1/v2c side of one listening point: which communities it takes, and their text.

    ``communities`` is None (any) or a set of community octet strings;
    ``codec`` decodes a community to the event's text (CodePage).
    """

    def __init__(self, communities: Optional[set] = None, codec: str = "utf-8") -> None:
        self.communities = communities
        self._codec = codec
        self._texts: dict = {}

    @property
    def codec(self) -> str:
        return self._codec

    @codec.setter
    def codec(self, value: str) -> None:
        self._codec = value
        self._texts.clear()

    @property
    def cached_texts(self) -> int:
        """How many community texts the decoder keeps (at most TEXTS_MAX, each <= 64 octets)."""
        return len(self._texts)

    def decode(self, data: Any, address: Any) -> Any:
        """The trap or inform event of a v1/v2c datagram from ``address``; None for SNMPv3."""
        if type(data) is not bytes:
            data = _datagram(data)
        version, pos, stop = _ber_py.message_head(data)
        if version == 3:
            return None
        community, pdu = _ber_py.community_message(data, pos, stop)
        communities = self.communities
        if communities is not None and community not in communities:
            raise SNMPTrapMgrError(ERR_NOT_AUTHENTICATED, "community not accepted")
        text = self._texts.get(community)
        if text is None:
            text = self._text(community)
        tag = pdu.tag
        if version == 0:
            if tag != PDU_TRAP_V1:
                raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a notification")
            _, enterprise, agent, generic, specific, stamp, varbinds = pdu  # V1TrapPdu, unpacked: fastest
            reference, rfc3584 = v1_trap_oids(enterprise, generic, specific)
            # positional arguments and attribute stores: building it by keyword
            # (16 of them) measured ~20,000 more instructions per v1 trap
            event = SNMPTrapMgrTrapEventParams(1, 0, text, "", 0, reference, stamp, address[0], address[1],
                                               varbinds, community)
            event.agent_address = agent
            event.enterprise = enterprise
            event.generic_trap = generic
            event.specific_trap = specific
            event.rfc3584_trap_oid = rfc3584
            return event
        if tag != PDU_TRAP and tag != PDU_INFORM:
            # also a v1 Trap-PDU inside a v2c message: its fields are not a varbind list
            raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a v2c notification")
        varbinds = pdu.varbinds
        trap_oid, uptime = trap_fields(varbinds)
        # the measured hot path (a v2c trap): positional arguments, the
        # fastest way to build the event (keywords cost ~0.1 us each)
        if tag == PDU_TRAP:
            return SNMPTrapMgrTrapEventParams(2, pdu.request_id, text, "", 0, trap_oid, uptime,
                                              address[0], address[1], varbinds, community)
        return SNMPTrapMgrInformRequestEventParams(2, pdu.request_id, text, "", 0, trap_oid, uptime,
                                                   address[0], address[1], varbinds, community)

    def _text(self, community: bytes) -> str:
        text = community.decode(self._codec, "replace")
        if len(community) <= TEXT_CACHE_OCTETS:
            texts = self._texts
            if len(texts) >= TEXTS_MAX:
                texts.clear()
            texts[community] = text
        return text
