# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, annotation_typing=False, binding=True
"""Compiled SNMP message decoder; the twin of ``snmptrapmgr/codec/_ber_py.py``.

Same functions, signatures, return shapes, Python types and DecodeError codes
as the pure-Python twin (see its module docstring); only message texts may
differ.  The decoder works on a ``const unsigned char*`` and checks every
index against the end of its enclosing TLV before reading it: no input can
make it read out of bounds.

Input: ``bytes`` is the fast path (its buffer is used directly); bytearray,
bytes subclasses and 1-D contiguous memoryviews of format "B" go through the
buffer protocol.  Anything else (a list of ints, a str, a strided view, a
``decode_oid`` call with out-of-range or negative indices...) is handed to the
pure-Python twin, so even those exotic calls behave identically.
"""

include "_ber_core.pxi"

from snmptrapmgr.codec import _ber_py as _twin

__all__ = ["decode_message", "decode_scoped_pdu", "decode_oid"]

# --------------------------------------------------------------------------- input buffers

cdef bint _get_buffer(object data, Py_buffer* view) except -1:
    """Fill ``view`` with the bytes of a bytes-like ``data``; False: use the twin."""
    if not (PyBytes_Check(data) or PyByteArray_Check(data) or PyMemoryView_Check(data)):
        return False
    try:
        PyObject_GetBuffer(data, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS)
    except BufferError:
        return False  # e.g. a strided memoryview: the twin indexes it
    if view.ndim != 1 or view.itemsize != 1 or (view.format != NULL and strcmp(view.format, b"B") != 0):
        PyBuffer_Release(view)
        return False
    return True


def decode_message(data):
    """Decode one SNMP datagram; see ``snmptrapmgr.codec._ber_py`` for the result."""
    cdef Py_buffer view
    if PyBytes_CheckExact(data):
        return _message(<cbytes>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    if not _get_buffer(data, &view):
        return _twin.decode_message(data)
    try:
        return _message(<cbytes>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


def decode_scoped_pdu(data):
    """Decode a plaintext ScopedPDU, ignoring trailing cipher padding."""
    cdef Py_buffer view
    cdef Py_ssize_t stop
    if PyBytes_CheckExact(data):
        return _scoped(<cbytes>PyBytes_AS_STRING(data), 0, PyBytes_GET_SIZE(data), &stop)
    if not _get_buffer(data, &view):
        return _twin.decode_scoped_pdu(data)
    try:
        return _scoped(<cbytes>view.buf, 0, view.len, &stop)
    finally:
        PyBuffer_Release(&view)


def decode_oid(data, start=0, stop=-1):
    """Decode the content octets of an OBJECT IDENTIFIER to dotted text."""
    cdef Py_buffer view
    cdef Py_ssize_t first, last, n
    if type(start) is not int or type(stop) is not int:
        return _twin.decode_oid(data, start, stop)
    if PyBytes_CheckExact(data):
        n = PyBytes_GET_SIZE(data)
        if -n <= start <= n and stop <= n:
            first = start
            last = n if stop < 0 else stop
            if first >= 0 or first >= last:
                return _oid_text(<cbytes>PyBytes_AS_STRING(data), first, last)
        return _twin.decode_oid(data, start, stop)
    if not _get_buffer(data, &view):
        return _twin.decode_oid(data, start, stop)
    try:
        n = view.len
        if -n <= start <= n and stop <= n:
            first = start
            last = n if stop < 0 else stop
            if first >= 0 or first >= last:
                return _oid_text(<cbytes>view.buf, first, last)
    finally:
        PyBuffer_Release(&view)
    return _twin.decode_oid(data, start, stop)
