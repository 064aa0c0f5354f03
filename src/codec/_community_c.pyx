# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, annotation_typing=False, binding=True
"""Compiled v1/v2c datagram -> event path; the twin of ``snmptrapmgr/codec/_community_py.py``.

Same class, signatures, events and error codes as the pure-Python twin (see
its docstring, also for the bound on the community-text cache).  It compiles the decoder's own C core (``_ber_core.pxi``), so
a trap is walked once, in C, from the datagram's bytes to the event, with no
call into another module per message.
"""

include "_ber_core.pxi"

from snmptrapmgr.errors import ERR_NOT_AUTHENTICATED, SNMPTrapMgrError
from snmptrapmgr.events import SNMPTrapMgrInformRequestEventParams, SNMPTrapMgrTrapEventParams
from snmptrapmgr.codec.pdu import SNMP_TRAP_OID, SYS_UPTIME, v1_trap_oids

__all__ = ["CommunityDecoder", "trap_fields"]

TEXTS_MAX = 1024
TEXT_CACHE_OCTETS = 64  # the community-text cache's bound in bytes: see the twin's docstring

cdef object _Trap = SNMPTrapMgrTrapEventParams
cdef object _Inform = SNMPTrapMgrInformRequestEventParams
cdef str _SNMP_TRAP_OID = SNMP_TRAP_OID
cdef str _SYS_UPTIME = SYS_UPTIME


cdef tuple _trap_fields(object varbinds):
    cdef object trap_oid = "", uptime = 0
    for oid, obj_type, value in varbinds:
        if obj_type == 6:
            if oid == _SNMP_TRAP_OID:
                trap_oid = value
                break
        elif obj_type == 0x43 and oid == _SYS_UPTIME:
            uptime = value
    return trap_oid, uptime


def trap_fields(varbinds):
    """(snmpTrapOID.0, sysUpTime.0) of a v2 notification; see the twin."""
    return _trap_fields(varbinds)


cdef bytes _datagram(object data):
    try:
        return bytes(data)
    except (TypeError, ValueError):
        raise DecodeError(ERR_BAD_PACKET, "not a bytes-like datagram") from None


cdef class CommunityDecoder:
    """The v1/v2c side of one listening point; see the twin."""

    cdef public object communities
    cdef str _codec
    cdef dict _texts

    def __init__(self, communities=None, codec="utf-8"):
        self.communities = communities
        self._codec = codec
        self._texts = {}

    @property
    def codec(self):
        return self._codec

    @codec.setter
    def codec(self, value):
        self._codec = value
        self._texts.clear()

    @property
    def cached_texts(self):
        """How many community texts the decoder keeps (at most TEXTS_MAX, each <= 64 octets)."""
        return len(self._texts)

    def decode(self, data, address):
        """The trap or inform event of a v1/v2c datagram from ``address``; None for SNMPv3."""
        cdef Py_ssize_t pos, stop
        cdef int version, tag
        cdef cbytes d
        cdef object community, text, event, varbinds, trap_oid, uptime
        cdef tuple pdu
        if not PyBytes_CheckExact(data):
            data = _datagram(data)
        d = <cbytes>PyBytes_AS_STRING(data)
        version = _message_head(d, PyBytes_GET_SIZE(data), &pos, &stop)
        if version == 3:
            return None
        community = _octets_at(d, pos, stop, &pos)
        pdu = _pdu(d, pos, stop, False)  # plain tuple: read here, never handed on
        if self.communities is not None and community not in self.communities:
            raise SNMPTrapMgrError(ERR_NOT_AUTHENTICATED, "community not accepted")
        text = self._texts.get(community)
        if text is None:
            text = self._text(community)
        tag = <object>PyTuple_GET_ITEM(pdu, 0)
        if version == 0:
            if tag != PDU_TRAP_V1:
                raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a notification")
            _, enterprise, agent, generic, specific, stamp, varbinds = pdu
            reference, rfc3584 = v1_trap_oids(enterprise, generic, specific)
            # positional arguments and attribute stores: building it by keyword
            # (16 of them) measured ~20,000 more instructions per v1 trap
            event = _Trap(1, 0, text, "", 0, reference, stamp, address[0], address[1], varbinds, community)
            event.agent_address = agent
            event.enterprise = enterprise
            event.generic_trap = generic
            event.specific_trap = specific
            event.rfc3584_trap_oid = rfc3584
            return event
        if tag != PDU_TRAP and tag != PDU_INFORM:
            # also a v1 Trap-PDU inside a v2c message: its fields are not a varbind list
            raise SNMPTrapMgrError(ERR_UNKNOWN_PDU, f"PDU 0x{tag:02x} is not a v2c notification")
        varbinds = <object>PyTuple_GET_ITEM(pdu, 4)
        trap_oid, uptime = _trap_fields(varbinds)
        # the measured hot path (a v2c trap): positional arguments, the fastest
        # way to build the event (keywords cost ~0.1 us each)
        if tag == PDU_TRAP:
            return _Trap(2, <object>PyTuple_GET_ITEM(pdu, 1), text, "", 0, trap_oid, uptime,
                         address[0], address[1], varbinds, community)
        return _Inform(2, <object>PyTuple_GET_ITEM(pdu, 1), text, "", 0, trap_oid, uptime,
                       address[0], address[1], varbinds, community)

    cdef object _text(self, bytes community):
        text = community.decode(self._codec, "replace")
        if PyBytes_GET_SIZE(community) <= TEXT_CACHE_OCTETS:
            if len(self._texts) >= TEXTS_MAX:
                self._texts.clear()
            self._texts[community] = text
        return text
