# Part of _ber_core.pxi: the named tuples of snmptrapmgr.codec.shapes, built
# without their Python-level __new__.

from snmptrapmgr.codec.shapes import CommunityMessage, Pdu, ScopedPdu, V1TrapPdu, V3Message


cdef object _shape(object cls):
    """``cls`` if it is a tuple subclass laid out exactly like a tuple (a NamedTuple)."""
    if not (issubclass(cls, tuple) and cls.__basicsize__ == tuple.__basicsize__
            and cls.__itemsize__ == tuple.__itemsize__):
        raise ImportError(f"{cls.__name__} is not a plain NamedTuple")
    return cls


cdef object _CommunityMessage = _shape(CommunityMessage)
cdef object _V3Message = _shape(V3Message)
cdef object _ScopedPdu = _shape(ScopedPdu)
cdef object _Pdu = _shape(Pdu)
cdef object _V1TrapPdu = _shape(V1TrapPdu)


# A NamedTuple call runs its Python-level ``__new__`` (about as long as
# decoding a varbind); these do what ``tuple.__new__(cls, ...)`` does without
# it: allocate the subclass instance and fill its slots.  No Python code runs
# between the allocation and the last slot.

cdef inline void _put(object out, Py_ssize_t i, object item):
    Py_INCREF(item)
    PyTuple_SET_ITEM(out, i, item)


cdef inline object _named3(object cls, object a, object b, object c):
    cdef object out = PyType_GenericAlloc(cls, 3)
    _put(out, 0, a)
    _put(out, 1, b)
    _put(out, 2, c)
    return out


cdef inline object _named5(object cls, object a, object b, object c, object d, object e):
    cdef object out = PyType_GenericAlloc(cls, 5)
    _put(out, 0, a)
    _put(out, 1, b)
    _put(out, 2, c)
    _put(out, 3, d)
    _put(out, 4, e)
    return out


cdef inline object _named7(object cls, object a, object b, object c, object d, object e,
                           object f, object g):
    cdef object out = PyType_GenericAlloc(cls, 7)
    _put(out, 0, a)
    _put(out, 1, b)
    _put(out, 2, c)
    _put(out, 3, d)
    _put(out, 4, e)
    _put(out, 5, f)
    _put(out, 6, g)
    return out


cdef object _named(object cls, tuple items):
    """``cls`` holding ``items`` (for the long, rarer V3Message)."""
    cdef Py_ssize_t i, n = PyTuple_GET_SIZE(items)
    cdef object out = PyType_GenericAlloc(cls, n)
    for i in range(n):
        _put(out, i, <object>PyTuple_GET_ITEM(items, i))
    return out
