# The SNMP BER decoding core, included by _ber_c.pyx (the decoder) and by
# _community_c.pyx (v1/v2c events straight from a datagram), so both compile
# the same C code without a cross-module call per field.  Every index is
# checked against the end of its enclosing TLV before it is read.  Its parts:
# _pdu.pxi (PDU tags), _ber_shapes.pxi (the named result tuples),
# _ber_text.pxi (OID and IpAddress text, the bounded OID-text cache).

from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_Check
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_Check, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.long cimport PyLong_FromLongLong, PyLong_FromUnsignedLongLong
from cpython.memoryview cimport PyMemoryView_Check
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_SET_ITEM
from cpython.type cimport PyType_GenericAlloc
from libc.string cimport memcmp, memcpy, strcmp

cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object o)

from snmptrapmgr.errors import (
    ERR_BAD_PACKET,
    ERR_DEFECTIVE_PACKET,
    ERR_SECURITY_MODEL,
    ERR_UNKNOWN_PDU,
    ERR_UNSUPPORTED_VERSION,
    DecodeError,
)
include "_pdu.pxi"

from snmptrapmgr.events import TYPE_NAMES


ctypedef const unsigned char* cbytes


include "_ber_shapes.pxi"


# --------------------------------------------------------------------------- errors

cdef int _defect(str why) except -1:
    raise DecodeError(ERR_DEFECTIVE_PACKET, why)


# --------------------------------------------------------------------------- TLV headers

cdef Py_ssize_t _long_length(cbytes d, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t* stop) except -1:
    """The long (or defective) form of a length at ``pos``; see ``_length``."""
    cdef unsigned int first, count, i
    cdef uint64_t length = 0
    if pos >= end:
        _defect("truncated length")
    first = d[pos]
    pos += 1
    if first == 0x80:
        _defect("indefinite length")
    count = first & 0x7F
    if count > 4:
        _defect("length field too long")
    if <Py_ssize_t>count > end - pos:
        _defect("truncated length")
    for i in range(count):
        length = (length << 8) | d[pos + i]
    pos += count
    if length > <uint64_t>(end - pos):
        _defect("length beyond end of data")
    stop[0] = pos + <Py_ssize_t>length
    return pos


cdef inline Py_ssize_t _length(cbytes d, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t* stop) except -1:
    """Decode the length octets at ``pos``; return the content start, set ``stop``.

    The short form (one octet, < 0x80: nearly every TLV of a trap) is
    inlined; anything else goes to ``_long_length``.
    """
    cdef Py_ssize_t length
    if pos < end:
        length = d[pos]
        if length < 0x80 and length <= end - pos - 1:
            stop[0] = pos + 1 + length
            return pos + 1
        if length < 0x80:
            _defect("length beyond end of data")
    return _long_length(d, pos, end, stop)


cdef int _header_defect(cbytes d, Py_ssize_t pos, Py_ssize_t end, unsigned char tag) except -1:
    """The error of a header ``_header`` refused (kept out of line, so ``_header`` inlines)."""
    if end - pos < 2:
        _defect("truncated header")
    _defect(f"expected tag 0x{tag:02x}, found 0x{d[pos]:02x}")


cdef inline Py_ssize_t _header(cbytes d, Py_ssize_t pos, Py_ssize_t end, unsigned char tag,
                               Py_ssize_t* stop) except -1:
    """Check the tag at ``pos``; return the content start, set ``stop``."""
    if end - pos < 2 or d[pos] != tag:
        _header_defect(d, pos, end, tag)
    return _length(d, pos + 1, end, stop)


cdef inline Py_ssize_t _any(cbytes d, Py_ssize_t pos, Py_ssize_t end, unsigned char* tag,
                            Py_ssize_t* stop) except -1:
    if end - pos < 2:
        _defect("truncated header")
    tag[0] = d[pos]
    if (d[pos] & 0x1F) == 0x1F:
        _defect("multi-byte tags are not used by SNMP")
    return _length(d, pos + 1, end, stop)


# --------------------------------------------------------------------------- primitives

cdef int _signed(cbytes d, Py_ssize_t start, Py_ssize_t stop, int64_t* out) except -1:
    """Two's-complement INTEGER content of any length whose value fits in int64."""
    cdef Py_ssize_t n = stop - start
    cdef uint64_t value
    if n <= 0:
        _defect("zero-length INTEGER")
    # strip redundant sign octets: 00 0xxxxxxx / FF 1xxxxxxx
    while n > 1 and ((d[start] == 0x00 and not (d[start + 1] & 0x80))
                     or (d[start] == 0xFF and (d[start + 1] & 0x80))):
        start += 1
        n -= 1
    if n > 8:
        _defect("INTEGER out of 64-bit range")
    value = <uint64_t>0 if d[start] < 0x80 else ~(<uint64_t>0)
    while start < stop:
        value = (value << 8) | d[start]
        start += 1
    out[0] = <int64_t>value
    return 0


cdef int _unsigned(cbytes d, Py_ssize_t start, Py_ssize_t stop, Py_ssize_t size, unsigned char tag,
                   uint64_t* out) except -1:
    """An unsigned ``size``-octet type: non-negative and in range, never truncated.

    At most one leading 0x00 beyond ``size`` octets (the sign octet).
    """
    cdef Py_ssize_t n = stop - start
    cdef uint64_t value = 0
    if n <= 0:
        _defect(f"zero-length {TYPE_NAMES[tag]}")
    if d[start] & 0x80:
        _defect(f"negative {TYPE_NAMES[tag]}")
    if n > size + 1 or (n == size + 1 and d[start] != 0):
        _defect(f"{TYPE_NAMES[tag]} out of range")
    while start < stop:
        value = (value << 8) | d[start]
        start += 1
    out[0] = value
    return 0


cdef int _version(cbytes d, Py_ssize_t start, Py_ssize_t stop) except -1:
    """The version INTEGER's value if it is 0, 1 or 3; else DecodeError 305 (317 if empty)."""
    cdef Py_ssize_t s = start
    cdef int64_t value
    if stop <= start:
        _defect("zero-length version")
    # strip redundant sign octets: what is left is the minimal encoding
    while stop - s > 1 and ((d[s] == 0x00 and not (d[s + 1] & 0x80)) or (d[s] == 0xFF and (d[s + 1] & 0x80))):
        s += 1
    if stop - s == 1 and (d[s] == 0 or d[s] == 1 or d[s] == 3):
        return d[s]
    if stop - s <= 8:
        _signed(d, start, stop, &value)
        raise DecodeError(ERR_UNSUPPORTED_VERSION, f"unsupported SNMP version {value}")
    raise DecodeError(ERR_UNSUPPORTED_VERSION, f"unsupported SNMP version (an INTEGER of {stop - start} octets)")


cdef inline object _int_at(cbytes d, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t* next_pos):
    cdef Py_ssize_t stop
    cdef int64_t value
    cdef Py_ssize_t start = _header(d, pos, end, 0x02, &stop)
    _signed(d, start, stop, &value)
    next_pos[0] = stop
    return PyLong_FromLongLong(value)


cdef inline object _octets_at(cbytes d, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t* next_pos):
    cdef Py_ssize_t stop
    cdef Py_ssize_t start = _header(d, pos, end, 0x04, &stop)
    next_pos[0] = stop
    return PyBytes_FromStringAndSize(<const char*>d + start, stop - start)


include "_ber_text.pxi"


cdef object _value(cbytes d, unsigned char tag, Py_ssize_t start, Py_ssize_t stop):
    cdef int64_t value
    cdef uint64_t number
    if tag == 0x02:
        _signed(d, start, stop, &value)
        return PyLong_FromLongLong(value)
    if tag == 0x04 or tag == 0x44 or tag == 0x45:
        return PyBytes_FromStringAndSize(<const char*>d + start, stop - start)
    if tag == 0x41 or tag == 0x42 or tag == 0x43 or tag == 0x47:
        _unsigned(d, start, stop, 4, tag, &number)
        return PyLong_FromUnsignedLongLong(number)
    if tag == 0x06:
        return _oid_text(d, start, stop)
    if tag == 0x40:
        if stop - start != 4:
            _defect("IpAddress is not 4 bytes")
        return _ip_text(d, start)
    if tag == 0x46:
        _unsigned(d, start, stop, 8, tag, &number)
        return PyLong_FromUnsignedLongLong(number)
    if tag == 0x05 or tag == 0x80 or tag == 0x81 or tag == 0x82:
        if stop != start:
            _defect("NULL with content")
        return None
    _defect(f"unknown value type 0x{tag:02x}")


# --------------------------------------------------------------------------- structures

cdef list _varbinds(cbytes d, Py_ssize_t pos, Py_ssize_t end):
    cdef Py_ssize_t start, stop, vb_start, vb_stop, name_start, name_stop, v_start, v_stop
    cdef unsigned char tag
    cdef list out = []
    cdef object oid
    start = _header(d, pos, end, 0x30, &stop)
    if stop != end:
        _defect("bytes after the variable bindings")
    pos = start
    while pos < stop:
        vb_start = _header(d, pos, stop, 0x30, &vb_stop)
        name_start = _header(d, vb_start, vb_stop, 0x06, &name_stop)
        oid = _oid_text(d, name_start, name_stop)
        v_start = _any(d, name_stop, vb_stop, &tag, &v_stop)
        if v_stop != vb_stop:
            _defect("bytes after a variable binding")
        out.append((oid, tag, _value(d, tag, v_start, v_stop)))
        pos = vb_stop
    return out


cdef object _pdu(cbytes d, Py_ssize_t pos, Py_ssize_t end, bint named):
    """The PDU at ``pos``: a Pdu / V1TrapPdu, or a plain tuple of the same fields
    when not ``named`` (the datagram -> event path, which only reads it)."""
    cdef Py_ssize_t start, stop, o_start, o_stop, a_start, a_stop, i_start, t_start, t_stop
    cdef unsigned char tag
    cdef int64_t number
    cdef uint64_t ticks
    cdef object enterprise, agent, generic, specific, stamp, request_id, error_status, error_index
    cdef list varbinds
    if pos >= end:
        _defect("missing PDU")
    tag = d[pos]
    if tag < PDU_GET or tag > PDU_REPORT:
        raise DecodeError(ERR_UNKNOWN_PDU, f"unknown PDU type 0x{tag:02x}")
    start = _length(d, pos + 1, end, &stop)
    if stop != end:
        _defect("bytes after the PDU")
    if tag == PDU_TRAP_V1:
        o_start = _header(d, start, stop, 0x06, &o_stop)
        if o_start == o_stop:
            _defect("empty enterprise OID")
        enterprise = _oid_text(d, o_start, o_stop)
        a_start = _header(d, o_stop, stop, 0x40, &a_stop)
        if a_stop - a_start != 4:
            _defect("agent-addr is not 4 bytes")
        agent = _ip_text(d, a_start)
        i_start = _header(d, a_stop, stop, 0x02, &pos)
        _signed(d, i_start, pos, &number)
        if number < 0 or number > 6:
            _defect(f"generic-trap {number} outside 0..6")
        generic = PyLong_FromLongLong(number)
        i_start = _header(d, pos, stop, 0x02, &pos)
        _signed(d, i_start, pos, &number)
        if number < 0:
            _defect(f"negative specific-trap {number}")
        specific = PyLong_FromLongLong(number)
        t_start = _header(d, pos, stop, 0x43, &t_stop)
        _unsigned(d, t_start, t_stop, 4, 0x43, &ticks)
        stamp = PyLong_FromUnsignedLongLong(ticks)
        varbinds = _varbinds(d, t_stop, stop)
        if named:
            return _named7(_V1TrapPdu, tag, enterprise, agent, generic, specific, stamp, varbinds)
        return (tag, enterprise, agent, generic, specific, stamp, varbinds)
    request_id = _int_at(d, start, stop, &pos)
    error_status = _int_at(d, pos, stop, &pos)
    error_index = _int_at(d, pos, stop, &pos)
    varbinds = _varbinds(d, pos, stop)
    if named:
        return _named5(_Pdu, tag, request_id, error_status, error_index, varbinds)
    return (tag, request_id, error_status, error_index, varbinds)


cdef object _scoped(cbytes d, Py_ssize_t pos, Py_ssize_t end, Py_ssize_t* scoped_stop):
    cdef Py_ssize_t start, stop
    cdef object engine, name
    start = _header(d, pos, end, 0x30, &stop)
    engine = _octets_at(d, start, stop, &pos)
    name = _octets_at(d, pos, stop, &pos)
    scoped_stop[0] = stop
    return _named3(_ScopedPdu, engine, name, _pdu(d, pos, stop, True))


cdef int _message_head(cbytes d, Py_ssize_t end, Py_ssize_t* pos, Py_ssize_t* stop) except -1:
    """The version (0, 1 or 3) of the message in ``d[:end]``; set ``pos`` after it and ``stop``."""
    cdef Py_ssize_t start, v_stop
    cdef int version
    if end < 2 or d[0] != 0x30:
        raise DecodeError(ERR_BAD_PACKET, "not an SNMP message")
    start = _length(d, 1, end, stop)
    if stop[0] != end:
        _defect("bytes after the message")
    if start >= stop[0] or d[start] != 0x02:
        raise DecodeError(ERR_BAD_PACKET, "no version field")
    start = _header(d, start, stop[0], 0x02, &v_stop)
    version = _version(d, start, v_stop)
    pos[0] = v_stop
    return version


cdef object _message(cbytes d, Py_ssize_t end):
    cdef Py_ssize_t stop, pos, g_start, g_stop, f_start, f_stop
    cdef Py_ssize_t s_start, s_stop, u_start, u_stop, auth_offset, a_stop
    cdef int version
    cdef object msg_id, max_size, model, engine_id, boots, time, user, auth_params
    cdef object priv_params, scoped, community
    cdef unsigned char flags
    version = _message_head(d, end, &pos, &stop)
    if version != 3:
        community = _octets_at(d, pos, stop, &pos)
        return _named3(_CommunityMessage, version, community, _pdu(d, pos, stop, True))
    # msgGlobalData
    g_start = _header(d, pos, stop, 0x30, &g_stop)
    msg_id = _int_at(d, g_start, g_stop, &pos)
    max_size = _int_at(d, pos, g_stop, &pos)
    f_start = _header(d, pos, g_stop, 0x04, &f_stop)
    if f_stop == f_start:
        _defect("empty msgFlags")
    flags = d[f_start]
    model = _int_at(d, f_stop, g_stop, &pos)
    if pos != g_stop:
        _defect("bytes after msgGlobalData")
    if model != 3:
        raise DecodeError(ERR_SECURITY_MODEL, f"security model {model} is not USM")
    # msgSecurityParameters: an OCTET STRING wrapping the USM SEQUENCE
    s_start = _header(d, g_stop, stop, 0x04, &s_stop)
    u_start = _header(d, s_start, s_stop, 0x30, &u_stop)
    if u_stop != s_stop:
        _defect("bytes after UsmSecurityParameters")
    engine_id = _octets_at(d, u_start, u_stop, &pos)
    boots = _int_at(d, pos, u_stop, &pos)
    time = _int_at(d, pos, u_stop, &pos)
    user = _octets_at(d, pos, u_stop, &pos)
    auth_offset = _header(d, pos, u_stop, 0x04, &a_stop)
    auth_params = PyBytes_FromStringAndSize(<const char*>d + auth_offset, a_stop - auth_offset)
    priv_params = _octets_at(d, a_stop, u_stop, &pos)
    if pos != u_stop:
        _defect("bytes after msgPrivacyParameters")
    # msgData: plaintext ScopedPDU or encrypted OCTET STRING
    if s_stop >= stop:
        _defect("missing msgData")
    if d[s_stop] == 0x04:
        scoped = _octets_at(d, s_stop, stop, &pos)
    else:
        scoped = _scoped(d, s_stop, stop, &pos)
    if pos != stop:
        _defect("bytes after msgData")
    return _named(_V3Message, (3, msg_id, max_size, flags, model, engine_id, boots, time, user,
                               auth_params, auth_offset, priv_params, scoped))
