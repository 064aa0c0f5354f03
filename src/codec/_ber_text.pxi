# Part of _ber_core.pxi: OBJECT IDENTIFIER and IpAddress content as text,
# and the bounded OID-text cache.

cdef uint64_t _SUBID_MAX = 0xFFFFFFFFu
# text of the largest OID arc: 10 digits, plus its dot
cdef enum:
    _ARC_CHARS = 11
    _STACK_TEXT = 512


cdef inline Py_ssize_t _put_u32(char* out, uint32_t value) noexcept:
    """Write ``value`` in decimal at ``out``; return the number of chars."""
    cdef char tmp[10]
    cdef Py_ssize_t n = 0, i
    if value < 10:
        out[0] = <char>(48 + value)
        return 1
    while value:
        tmp[n] = <char>(48 + value % 10)
        value //= 10
        n += 1
    for i in range(n):
        out[i] = tmp[n - 1 - i]
    return n


cdef inline object _ascii(const char* text, Py_ssize_t n):
    cdef object s = PyUnicode_New(n, 127)
    memcpy(PyUnicode_DATA(s), text, n)
    return s


cdef object _oid_format(cbytes d, Py_ssize_t start, Py_ssize_t stop):
    """OBJECT IDENTIFIER content octets ``d[start:stop]`` as dotted text (uncached)."""
    cdef char stack[_STACK_TEXT]
    cdef char* buf = stack
    cdef Py_ssize_t cap, n = 0, i
    cdef uint64_t value = 0
    cdef unsigned char byte
    cdef bint pending = False, first = True
    cdef int failure = 0
    if start >= stop:
        return ""
    # each content octet ends at most one arc; the first one yields two
    cap = (stop - start + 1) * _ARC_CHARS
    if cap > _STACK_TEXT:
        buf = <char*>malloc(cap)
        if buf == NULL:
            raise MemoryError()
    for i in range(start, stop):
        byte = d[i]
        if byte == 0x80 and not pending:
            failure = 3  # X.690 8.19.2: a sub-identifier never starts with 0x80
            break
        value = (value << 7) | (byte & 0x7F)
        if value > _SUBID_MAX:
            failure = 1
            break
        if byte & 0x80:
            pending = True
            continue
        pending = False
        if first:
            first = False
            if value < 40:
                buf[0] = b'0'
            elif value < 80:
                buf[0] = b'1'
                value -= 40
            else:
                buf[0] = b'2'
                value -= 80
            buf[1] = b'.'
            n = 2 + _put_u32(buf + 2, <uint32_t>value)
        else:
            buf[n] = b'.'
            n += 1 + _put_u32(buf + n + 1, <uint32_t>value)
        value = 0
    if not failure and pending:
        failure = 2
    try:
        if failure == 1:
            _defect("sub-identifier above 2^32-1")
        if failure == 2:
            _defect("unterminated sub-identifier")
        if failure == 3:
            _defect("sub-identifier with a leading 0x80 octet")
        return _ascii(buf, n)
    finally:
        if buf != stack:
            free(buf)


# A trap stream repeats the same few dozen OIDs: a direct-mapped cache from
# content octets to their (immutable) text skips formatting them again.  Fixed
# size, so a stream of ever-new OIDs only overwrites slots; invalid OIDs raise
# before they are stored.  Bounded in bytes as well as entries: only OIDs of
# at most _OID_CACHE_RAW content octets are cached, whose text is at most
# 4 characters per octet (+2), so a full cache holds 2048 x (40-octet slot +
# a str of <= 162 ASCII chars, ~210 bytes) = about 0.5 MiB per extension
# module that includes this core (_ber_c and _community_c: ~1 MiB in all).
cdef enum:
    _OID_CACHE_BITS = 11
    _OID_CACHE_SLOTS = 1 << _OID_CACHE_BITS
    _OID_CACHE_RAW = 40      # longer OIDs are formatted every time

ctypedef struct _OidSlot:
    Py_ssize_t length
    PyObject* text
    unsigned char raw[_OID_CACHE_RAW]

cdef _OidSlot _oid_cache[_OID_CACHE_SLOTS]


cdef inline uint64_t _load8(cbytes p) noexcept:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v


cdef inline _OidSlot* _oid_slot(cbytes d, Py_ssize_t start, Py_ssize_t n) noexcept:
    """The cache slot of the ``n`` (1..40) content octets at ``start``.

    A few word loads instead of a loop over every octet: the first and last
    eight octets (which cover OIDs up to 16 octets, and hold what differs
    between instances of one table column) and, beyond 16, the middle eight.
    A collision only costs formatting the text again.
    """
    cdef uint64_t h = 0
    cdef Py_ssize_t i
    if n >= 8:
        h = (_load8(d + start) * 0xC2B2AE3D27D4EB4Full) ^ _load8(d + start + n - 8)
        if n > 16:
            h ^= _load8(d + start + (n >> 1) - 4) * 0x165667B19E3779F9ull
    else:
        for i in range(start, start + n):
            h = (h << 8) | d[i]
    h = (h ^ <uint64_t>n) * 0x9E3779B97F4A7C15ull
    return &_oid_cache[h >> (64 - _OID_CACHE_BITS)]


cdef object _oid_text(cbytes d, Py_ssize_t start, Py_ssize_t stop):
    """OBJECT IDENTIFIER content octets ``d[start:stop]`` as dotted text."""
    cdef Py_ssize_t n = stop - start
    cdef _OidSlot* slot
    cdef object text
    if n <= 0 or n > _OID_CACHE_RAW:
        return _oid_format(d, start, stop)
    slot = _oid_slot(d, start, n)
    if slot.text != NULL and slot.length == n and memcmp(slot.raw, d + start, n) == 0:
        return <object>slot.text
    text = _oid_format(d, start, stop)
    Py_XDECREF(slot.text)
    Py_INCREF(text)
    slot.text = <PyObject*>text
    slot.length = n
    memcpy(slot.raw, d + start, n)
    return text


cdef inline object _ip_text(cbytes d, Py_ssize_t start):
    cdef char buf[16]
    cdef Py_ssize_t n
    n = _put_u32(buf, d[start])
    buf[n] = b'.'
    n += 1
    n += _put_u32(buf + n, d[start + 1])
    buf[n] = b'.'
    n += 1
    n += _put_u32(buf + n, d[start + 2])
    buf[n] = b'.'
    n += 1
    n += _put_u32(buf + n, d[start + 3])
    return _ascii(buf, n)
