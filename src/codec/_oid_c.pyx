# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, annotation_typing=False, binding=True
"""Compiled OID text <-> BER content octets; the twin of ``snmptrapmgr/codec/_oid_py.py``.

Same results and errors: bad text raises DecodeError 320 (including a second
leading dot, empty or non-ASCII-digit arcs, fewer than two arcs, first arcs out
of range, any arc above 2^32-1), bad octets DecodeError 317.  Text that is not
an exact ``str`` and data that is not bytes-like go to the pure-Python twin, so
even those calls behave identically.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_CheckExact
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    void* PyUnicode_DATA(object o)
    bint PyUnicode_IS_ASCII(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)

from snmptrapmgr.codec import _oid_py as _twin
from snmptrapmgr.errors import ERR_BAD_PACKET, DecodeError

__all__ = ["oid_to_ber", "oid_from_ber"]

cdef uint64_t _SUBID_MAX = 0xFFFFFFFFu
cdef enum:
    _STACK = 512


cdef int _bad(str text, str why) except -1:
    raise DecodeError(ERR_BAD_PACKET, f"invalid OID {text!r}: {why}")


cdef inline Py_ssize_t _base128(unsigned char* out, uint64_t value) noexcept:
    cdef unsigned char tmp[5]
    cdef Py_ssize_t n = 0, i
    if value < 0x80:
        out[0] = <unsigned char>value
        return 1
    while value:
        tmp[n] = value & 0x7F
        value >>= 7
        n += 1
    for i in range(n - 1):
        out[i] = tmp[n - 1 - i] | 0x80
    out[n - 1] = tmp[0]
    return n


def oid_to_ber(text):
    """Encode dotted text as OBJECT IDENTIFIER content octets (no tag/length)."""
    cdef const unsigned char* s
    cdef Py_ssize_t n, i, start, parts, out_len = 0
    cdef uint64_t arc, first = 0
    cdef unsigned char stack[_STACK]
    cdef unsigned char* out = stack
    cdef unsigned char c
    cdef bint digits
    cdef str why = ""
    if not PyUnicode_CheckExact(text):
        return _twin.oid_to_ber(text)
    if not PyUnicode_IS_ASCII(text):
        # every non-ASCII character lands in some arc, which then is not ASCII digits
        _bad(text, "arc is not a decimal number")
    s = <const unsigned char*>PyUnicode_DATA(text)
    n = PyUnicode_GET_LENGTH(text)
    start = 1 if n > 0 and s[0] == b'.' else 0
    if start >= n:
        return b""
    # arcs: at most (n + 1) / 2, each 5 octets at most
    if (n - start + 1) * 5 > _STACK:
        out = <unsigned char*>malloc((n - start + 1) * 5)
        if out == NULL:
            raise MemoryError()
    try:
        parts = 0
        arc = 0
        digits = False
        i = start
        while True:
            if i == n or s[i] == b'.':
                if not digits:
                    why = "arc is not a decimal number"
                    break
                if parts == 0:
                    first = arc
                elif parts == 1:
                    if first > 2 or (first < 2 and arc >= 40):
                        why = "first two arcs out of range"
                        break
                    arc += first * 40
                    if arc > _SUBID_MAX:
                        why = "arc above 2^32-1"
                        break
                    out_len = _base128(out, arc)
                else:
                    out_len += _base128(out + out_len, arc)
                parts += 1
                if i == n:
                    break
                arc = 0
                digits = False
            else:
                c = s[i]
                if c < b'0' or c > b'9':
                    why = "arc is not a decimal number"
                    break
                arc = arc * 10 + (c - 48)
                if arc > _SUBID_MAX:
                    # all text errors share code 320, so stop at the first one
                    why = "arc above 2^32-1"
                    break
                digits = True
            i += 1
        if not why and parts < 2:
            why = "needs at least two arcs"
        if why:
            _bad(text, why)
        return PyBytes_FromStringAndSize(<const char*>out, out_len)
    finally:
        if out != stack:
            free(out)


# Decoding shares _ber_c's OID formatter, as _oid_py shares _ber_py's.
from snmptrapmgr.codec._ber_c import decode_oid as _decode_oid


def oid_from_ber(data):
    """Decode OBJECT IDENTIFIER content octets to dotted text."""
    return _decode_oid(data)
