"""Pure-Python SNMP message decoder; the twin of ``src/codec/_ber_c.pyx``.

Both twins take a bytes-like object and return the same named tuples, so the
Cython build can be swapped in without the rest of the package noticing.  Any
malformed input raises :class:`snmptrapmgr.errors.DecodeError` with one of the
codes 317 (defective encoding), 320 (not an SNMP message), 305 (unsupported
version), 306 (unknown PDU) or 316 (security model other than USM).

No value is silently changed: a value that does not fit its type is a
defective packet (317), never a different number.  The unsigned types
(Counter32, Gauge32/Unsigned32, TimeTicks, UInteger32: 4 octets; Counter64:
8) refuse a zero-length, a negative (first octet >= 0x80) or an over-wide
encoding (more octets than the width plus one leading 0x00 sign octet, or
that sign octet not 0x00); an INTEGER has at least one octet and fits in 64
bits; an OID sub-identifier never starts with 0x80 (X.690 8.19.2); a v1
Trap-PDU has a non-empty enterprise, generic-trap 0..6 and a non-negative
specific-trap.  The version is 317 when empty and 305 when it is any other
number than 0, 1 or 3 (of any length).

Return shapes (the named tuples of :mod:`snmptrapmgr.codec.shapes`)
---------------------------------------------------------------------
``decode_message(data)`` -> :class:`CommunityMessage` ``(version, community,
pdu)`` for v1 / v2c (``version`` 0 or 1 as on the wire, ``community``
bytes), or :class:`V3Message` for v3, whose ``auth_offset`` is the index in
``data`` of the first byte of msgAuthenticationParameters' content and whose
``scoped`` is a decoded :class:`ScopedPdu` or, when encrypted, the
ciphertext bytes.

``decode_scoped_pdu(data)`` -> :class:`ScopedPdu`; bytes after the ScopedPDU
(cipher padding) are ignored.

A PDU is a :class:`Pdu` or, for a v1 Trap-PDU (tag 0xA4), a
:class:`V1TrapPdu`.  ``varbinds`` stays a list of plain ``(oid, obj_type,
value)`` tuples (the hot path): ``oid`` dotted text, ``obj_type`` the BER tag
(which equals the reference's otXxx number), ``value`` an ``int`` for the
integer types, ``bytes`` for OCTET STRING / Opaque / NsapAddress, ``str`` for
OBJECT IDENTIFIER and IpAddress, ``None`` for NULL and the exceptions.
"""

from __future__ import annotations

from typing import Union

from ..errors import (
    ERR_BAD_PACKET,
    ERR_DEFECTIVE_PACKET,
    ERR_SECURITY_MODEL,
    ERR_UNKNOWN_PDU,
    ERR_UNSUPPORTED_VERSION,
    DecodeError,
)
from ..events import TYPE_NAMES
from .pdu import PDU_GET, PDU_REPORT, PDU_TRAP_V1
from .shapes import CommunityMessage, Pdu, ScopedPdu, V1TrapPdu, V3Message

__all__ = ["decode_message", "decode_scoped_pdu", "decode_oid"]

_UNSIGNED32 = frozenset((0x41, 0x42, 0x43, 0x47))
_RAW = frozenset((0x04, 0x44, 0x45))
_EMPTY = frozenset((0x05, 0x80, 0x81, 0x82))
_PDU_TAGS = frozenset(range(PDU_GET, PDU_REPORT + 1))
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_SUBID_MAX = 0xFFFFFFFF


def _defect(why: str) -> DecodeError:
    return DecodeError(ERR_DEFECTIVE_PACKET, why)


def _header(data, pos: int, end: int, tag: int):
    """Check the tag at ``pos`` and return (content_start, content_end)."""
    if pos + 2 > end:
        raise _defect("truncated header")
    if data[pos] != tag:
        raise _defect(f"expected tag 0x{tag:02x}, found 0x{data[pos]:02x}")
    return _length(data, pos + 1, end)


def _length(data, pos: int, end: int):
    """Decode a length octet run at ``pos``; return (content_start, content_end)."""
    if pos >= end:
        raise _defect("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise _defect("indefinite length")
    else:
        count = first & 0x7F
        if count > 4:
            raise _defect("length field too long")
        if pos + count > end:
            raise _defect("truncated length")
        length = 0
        for i in range(pos, pos + count):
            length = (length << 8) | data[i]
        pos += count
    stop = pos + length
    if stop > end:
        raise _defect("length beyond end of data")
    return pos, stop


def _any(data, pos: int, end: int):
    """Return (tag, content_start, content_end) of the TLV at ``pos``."""
    if pos + 2 > end:
        raise _defect("truncated header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise _defect("multi-byte tags are not used by SNMP")
    start, stop = _length(data, pos + 1, end)
    return tag, start, stop


def _signed(data, start: int, stop: int) -> int:
    if start == stop:
        raise _defect("zero-length INTEGER")
    value = int.from_bytes(data[start:stop], "big", signed=True)
    if value < _INT64_MIN or value > _INT64_MAX:
        raise _defect("INTEGER out of 64-bit range")
    return value


def _integer(data, pos: int, end: int):
    start, stop = _header(data, pos, end, 0x02)
    return _signed(data, start, stop), stop


def _unsigned(data, start: int, stop: int, size: int, tag: int) -> int:
    """An unsigned ``size``-octet type: non-negative and in range, never truncated.

    At most one leading 0x00 beyond ``size`` octets (the sign octet).
    """
    n = stop - start
    if n == 0:
        raise _defect(f"zero-length {TYPE_NAMES[tag]}")
    first = data[start]
    if first & 0x80:
        raise _defect(f"negative {TYPE_NAMES[tag]}")
    if n > size + 1 or (n == size + 1 and first != 0):
        raise _defect(f"{TYPE_NAMES[tag]} out of range")
    return int.from_bytes(data[start:stop], "big")


def _version(data, start: int, stop: int) -> int:
    """The version INTEGER's value if it is 0, 1 or 3; else DecodeError 305 (317 if empty)."""
    if start == stop:
        raise _defect("zero-length version")
    value = int.from_bytes(data[start:stop], "big", signed=True)
    if value == 0 or value == 1 or value == 3:
        return value
    if _INT64_MIN <= value <= _INT64_MAX:
        raise DecodeError(ERR_UNSUPPORTED_VERSION, f"unsupported SNMP version {value}")
    raise DecodeError(ERR_UNSUPPORTED_VERSION, f"unsupported SNMP version (an INTEGER of {stop - start} octets)")


def _octets(data, pos: int, end: int):
    start, stop = _header(data, pos, end, 0x04)
    return bytes(data[start:stop]), stop


def decode_oid(data, start: int = 0, stop: int = -1) -> str:
    """Decode the content octets of an OBJECT IDENTIFIER to dotted text."""
    if stop < 0:
        stop = len(data)
    if start == stop:
        return ""
    if 0 <= start < stop <= len(data):
        return _oid_text(data, start, stop)
    return _arcs(data, start, stop)  # odd indices: whatever indexing them does (IndexError)


#: the text of OIDs already decoded, keyed by their content octets: a trap
#: repeats the same few OIDs, and decoding them arc by arc is most of this
#: twin's time.  Bounded in bytes: at most _OID_CACHE_MAX keys of at most
#: _OID_CACHE_OCTETS octets (a longer or hostile OID is decoded every time).
_OID_CACHE: dict = {}
_OID_CACHE_MAX = 4096
_OID_CACHE_OCTETS = 48
_ARC_TEXT = tuple(str(i) for i in range(128))


def _oid_text(data, start: int, stop: int) -> str:
    """decode_oid for a non-empty in-range slice, through the cache."""
    key = data[start:stop]
    if type(key) is not bytes:
        key = bytes(key)
    text = _OID_CACHE.get(key)
    if text is not None:
        return text
    text = _decode_arcs(key)
    if len(key) <= _OID_CACHE_OCTETS:
        if len(_OID_CACHE) >= _OID_CACHE_MAX:
            _OID_CACHE.clear()
        _OID_CACHE[key] = text
    return text


def _decode_arcs(key: bytes) -> str:
    first = key[0]
    if first < 80 and max(key) < 0x80:  # every sub-identifier one octet: the usual OID
        arcs = _ARC_TEXT
        return ".".join((arcs[first // 40], arcs[first % 40], *[arcs[b] for b in key[1:]]))
    return _arcs(key, 0, len(key))


def _arcs(data, start: int, stop: int) -> str:
    """The arc-by-arc decoding of data[start:stop], indexed one octet at a time."""
    arcs = []
    value = 0
    pending = False
    for i in range(start, stop):
        byte = data[i]
        if byte & 0x80:
            if byte == 0x80 and not pending:  # X.690 8.19.2
                raise _defect("sub-identifier with a leading 0x80 octet")
            value = (value << 7) | (byte & 0x7F)
            if value > _SUBID_MAX:
                raise _defect("sub-identifier above 2^32-1")
            pending = True
            continue
        value = (value << 7) | byte
        if value > _SUBID_MAX:
            raise _defect("sub-identifier above 2^32-1")
        pending = False
        if arcs:
            arcs.append(value)
        elif value < 40:
            arcs += (0, value)
        elif value < 80:
            arcs += (1, value - 40)
        else:
            arcs += (2, value - 80)
        value = 0
    if pending:
        raise _defect("unterminated sub-identifier")
    return ".".join(map(str, arcs))


def _value(data, tag: int, start: int, stop: int):
    if tag == 0x02:
        return _signed(data, start, stop)
    if tag in _RAW:
        return bytes(data[start:stop])
    if tag in _UNSIGNED32:
        return _unsigned(data, start, stop, 4, tag)
    if tag == 0x06:
        return _oid_text(data, start, stop) if start != stop else ""
    if tag == 0x40:
        if stop - start != 4:
            raise _defect("IpAddress is not 4 bytes")
        return "%d.%d.%d.%d" % tuple(data[start:stop])
    if tag == 0x46:
        return _unsigned(data, start, stop, 8, tag)
    if tag in _EMPTY:
        if stop != start:
            raise _defect("NULL with content")
        return None
    raise _defect(f"unknown value type 0x{tag:02x}")


def _varbinds(data, pos: int, end: int) -> list:
    start, stop = _header(data, pos, end, 0x30)
    if stop != end:
        raise _defect("bytes after the variable bindings")
    out = []
    pos = start
    while pos < stop:
        # the usual varbind, short lengths throughout, read inline; the conditions are
        # exactly those under which the general path below raises nothing before _value
        head = pos + 4
        if head <= stop and data[pos] == 0x30 and data[pos + 2] == 0x06:
            vb_len = data[pos + 1]
            name_len = data[pos + 3]
            if vb_len < 0x80 and 0 < name_len < 0x80:
                vb_stop = pos + 2 + vb_len
                name_stop = head + name_len
                if vb_stop <= stop and name_stop + 2 <= vb_stop:
                    tag = data[name_stop]
                    if data[name_stop + 1] == vb_stop - name_stop - 2 and tag & 0x1F != 0x1F:
                        out.append((_oid_text(data, head, name_stop), tag,
                                    _value(data, tag, name_stop + 2, vb_stop)))
                        pos = vb_stop
                        continue
        vb_start, vb_stop = _header(data, pos, stop, 0x30)
        name_start, name_stop = _header(data, vb_start, vb_stop, 0x06)
        oid = decode_oid(data, name_start, name_stop)
        tag, v_start, v_stop = _any(data, name_stop, vb_stop)
        if v_stop != vb_stop:
            raise _defect("bytes after a variable binding")
        out.append((oid, tag, _value(data, tag, v_start, v_stop)))
        pos = vb_stop
    return out


def _pdu(data, pos: int, end: int) -> Union[Pdu, V1TrapPdu]:
    if pos >= end:
        raise _defect("missing PDU")
    tag = data[pos]
    if tag not in _PDU_TAGS:
        raise DecodeError(ERR_UNKNOWN_PDU, f"unknown PDU type 0x{tag:02x}")
    start, stop = _length(data, pos + 1, end)
    if stop != end:
        raise _defect("bytes after the PDU")
    if tag == PDU_TRAP_V1:
        o_start, o_stop = _header(data, start, stop, 0x06)
        if o_start == o_stop:
            raise _defect("empty enterprise OID")
        enterprise = decode_oid(data, o_start, o_stop)
        a_start, a_stop = _header(data, o_stop, stop, 0x40)
        if a_stop - a_start != 4:
            raise _defect("agent-addr is not 4 bytes")
        agent = "%d.%d.%d.%d" % tuple(data[a_start:a_stop])
        generic, pos = _integer(data, a_stop, stop)
        if generic < 0 or generic > 6:
            raise _defect(f"generic-trap {generic} outside 0..6")
        specific, pos = _integer(data, pos, stop)
        if specific < 0:
            raise _defect(f"negative specific-trap {specific}")
        t_start, t_stop = _header(data, pos, stop, 0x43)
        stamp = _unsigned(data, t_start, t_stop, 4, 0x43)
        return V1TrapPdu(tag, enterprise, agent, generic, specific, stamp, _varbinds(data, t_stop, stop))
    request_id, pos = _integer(data, start, stop)
    error_status, pos = _integer(data, pos, stop)
    error_index, pos = _integer(data, pos, stop)
    return Pdu(tag, request_id, error_status, error_index, _varbinds(data, pos, stop))


def _scoped(data, pos: int, end: int) -> tuple:
    start, stop = _header(data, pos, end, 0x30)
    engine, pos = _octets(data, start, stop)
    name, pos = _octets(data, pos, stop)
    return ScopedPdu(engine, name, _pdu(data, pos, stop)), stop


def decode_scoped_pdu(data) -> ScopedPdu:
    """Decode a plaintext ScopedPDU, ignoring trailing cipher padding."""
    return _scoped(data, 0, len(data))[0]


def message_head(data) -> tuple:
    """(version, position after it, end of the message): 0, 1 or 3, else DecodeError.

    Shared with ``_community_py``, which stops here for an SNMPv3 message.
    """
    end = len(data)
    if end < 2 or data[0] != 0x30:
        raise DecodeError(ERR_BAD_PACKET, "not an SNMP message")
    start, stop = _length(data, 1, end)
    if stop != end:
        raise _defect("bytes after the message")
    if start >= stop or data[start] != 0x02:
        raise DecodeError(ERR_BAD_PACKET, "no version field")
    v_start, pos = _header(data, start, stop, 0x02)
    return _version(data, v_start, pos), pos, stop


def community_message(data, pos: int, stop: int) -> tuple:
    """(community, pdu) of a v1/v2c message whose head ``message_head`` read."""
    community, pos = _octets(data, pos, stop)
    return community, _pdu(data, pos, stop)


def decode_message(data) -> Union[CommunityMessage, V3Message]:
    """Decode one SNMP datagram; see the module docstring for the result."""
    version, pos, stop = message_head(data)
    if version != 3:
        return CommunityMessage(version, *community_message(data, pos, stop))
    # msgGlobalData
    g_start, g_stop = _header(data, pos, stop, 0x30)
    msg_id, pos = _integer(data, g_start, g_stop)
    max_size, pos = _integer(data, pos, g_stop)
    f_start, f_stop = _header(data, pos, g_stop, 0x04)
    if f_stop == f_start:
        raise _defect("empty msgFlags")
    flags = data[f_start]
    model, pos = _integer(data, f_stop, g_stop)
    if pos != g_stop:
        raise _defect("bytes after msgGlobalData")
    if model != 3:
        raise DecodeError(ERR_SECURITY_MODEL, f"security model {model} is not USM")
    # msgSecurityParameters: an OCTET STRING wrapping the USM SEQUENCE
    s_start, s_stop = _header(data, g_stop, stop, 0x04)
    u_start, u_stop = _header(data, s_start, s_stop, 0x30)
    if u_stop != s_stop:
        raise _defect("bytes after UsmSecurityParameters")
    engine_id, pos = _octets(data, u_start, u_stop)
    boots, pos = _integer(data, pos, u_stop)
    time, pos = _integer(data, pos, u_stop)
    user, pos = _octets(data, pos, u_stop)
    auth_offset, a_stop = _header(data, pos, u_stop, 0x04)
    auth_params = bytes(data[auth_offset:a_stop])
    priv_params, pos = _octets(data, a_stop, u_stop)
    if pos != u_stop:
        raise _defect("bytes after msgPrivacyParameters")
    # msgData: plaintext ScopedPDU or encrypted OCTET STRING
    if s_stop >= stop:
        raise _defect("missing msgData")
    if data[s_stop] == 0x04:
        scoped, pos = _octets(data, s_stop, stop)
    else:
        scoped, pos = _scoped(data, s_stop, stop)
    if pos != stop:
        raise _defect("bytes after msgData")
    return V3Message(3, msg_id, max_size, flags, model, engine_id, boots, time, user,
                     auth_params, auth_offset, priv_params, scoped)
