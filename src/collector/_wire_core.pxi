# The C helpers of _wire_c.pyx (included there): a growable buffer, JSON escaping, strict
# UTF-8 with str.isprintable's table, OID text, BER lengths and numbers as the decoder reads them.

cdef struct Buf:
    char* p
    Py_ssize_t n
    Py_ssize_t cap


cdef struct Slot:
    uint64_t hash
    uint32_t key_off
    uint32_t key_len
    uint32_t a_off
    uint32_t a_len
    uint32_t b_off
    uint32_t b_len
    uint32_t kind


cdef int grow(Buf* b, Py_ssize_t extra) except -1:
    cdef Py_ssize_t cap = b.cap * 2
    cdef char* p
    if cap < b.n + extra:
        cap = b.n + extra
    if cap < 1024:
        cap = 1024
    p = <char*>realloc(b.p, cap)
    if p == NULL:
        raise MemoryError()
    b.p = p
    b.cap = cap
    return 0


cdef inline int put(Buf* b, const char* s, Py_ssize_t n) except -1:
    if b.n + n > b.cap:
        grow(b, n)
    memcpy(b.p + b.n, s, n)
    b.n += n
    return 0


cdef inline int put_u64(Buf* b, uint64_t v) except -1:
    cdef char tmp[24]
    cdef int i = 24
    while True:
        i -= 1
        tmp[i] = <char>(48 + v % 10)
        v //= 10
        if v == 0:
            break
    return put(b, tmp + i, 24 - i)


cdef inline int put_i64(Buf* b, int64_t v) except -1:
    if v < 0:
        put(b, "-", 1)
        return put_u64(b, <uint64_t>(-(v + 1)) + 1)
    return put_u64(b, <uint64_t>v)


cdef int put_json(Buf* b, const uint8_t* s, Py_ssize_t n) except -1:
    """Valid UTF-8 as the content of a JSON string, escaped as json's encode_basestring does."""
    cdef Py_ssize_t i
    cdef uint8_t c
    cdef char* o
    if b.n + 6 * n > b.cap:
        grow(b, 6 * n)
    o = b.p + b.n
    for i in range(n):
        c = s[i]
        if c >= 0x20 and c != 0x22 and c != 0x5c:
            o[0] = <char>c
            o += 1
        elif c == 0x22 or c == 0x5c:
            o[0] = 0x5c
            o[1] = <char>c
            o += 2
        elif c == 10 or c == 13 or c == 9 or c == 8 or c == 12:
            o[0] = 0x5c
            o[1] = b"n" if c == 10 else (b"r" if c == 13 else (b"t" if c == 9 else (b"b" if c == 8 else b"f")))
            o += 2
        else:
            memcpy(o, b"\\u00", 4)
            o[4] = HEX[c >> 4]
            o[5] = HEX[c & 15]
            o += 6
    b.n = o - b.p
    return 0


cdef int put_hex(Buf* b, const uint8_t* s, Py_ssize_t n) except -1:
    cdef Py_ssize_t i
    if b.n + 2 * n > b.cap:
        grow(b, 2 * n)
    for i in range(n):
        b.p[b.n] = HEX[s[i] >> 4]
        b.p[b.n + 1] = HEX[s[i] & 15]
        b.n += 2
    return 0


cdef int utf8_text(const uint8_t* s, Py_ssize_t n, bint printable) noexcept:
    """1 when s is strict UTF-8 (as bytes.decode) and, if ``printable``, every character
    isprintable() or one of CR LF TAB (schema.octets_to_json's text case); else 0."""
    cdef Py_ssize_t i = 0
    cdef uint8_t c, c1
    cdef uint32_t cp
    cdef int more, j
    while i < n:
        c = s[i]
        if c < 0x80:
            if printable and (c == 0x7f or (c < 0x20 and c != 9 and c != 10 and c != 13)):
                return 0
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            more = 1
            cp = c & 0x1F
        elif 0xE0 <= c <= 0xEF:
            more = 2
            cp = c & 0x0F
        elif 0xF0 <= c <= 0xF4:
            more = 3
            cp = c & 0x07
        else:
            return 0
        if i + more >= n:
            return 0
        c1 = s[i + 1]
        if c == 0xE0 and c1 < 0xA0:
            return 0
        if c == 0xED and c1 > 0x9F:
            return 0
        if c == 0xF0 and c1 < 0x90:
            return 0
        if c == 0xF4 and c1 > 0x8F:
            return 0
        for j in range(1, more + 1):
            c1 = s[i + j]
            if c1 & 0xC0 != 0x80:
                return 0
            cp = (cp << 6) | (c1 & 0x3F)
        if printable and not Py_UNICODE_ISPRINTABLE(<Py_UCS4>cp):
            return 0
        i += more + 1
    return 1


cdef uint64_t SUBID_MAX = 0xFFFFFFFF  # a C variable: the literal in a comparison would be a Python int


cdef Py_ssize_t oid_text(const uint8_t* s, Py_ssize_t n, char* out) noexcept:
    """Dotted text of OID content octets into ``out`` (room for 5 * n + 16); -1 on a defect
    the decoder refuses (a leading 0x80, an arc over 2^32-1, an unterminated arc)."""
    cdef uint64_t value = 0, v
    cdef bint pending = False, first = True
    cdef Py_ssize_t i, o = 0
    cdef char tmp[24]
    cdef int k
    cdef uint8_t c
    for i in range(n):
        c = s[i]
        if c & 0x80:
            if c == 0x80 and not pending:
                return -1
            value = (value << 7) | (c & 0x7F)
            if value > SUBID_MAX:
                return -1
            pending = True
            continue
        value = (value << 7) | c
        if value > SUBID_MAX:
            return -1
        pending = False
        if first:
            first = False
            if value < 40:
                out[o] = b"0"
            elif value < 80:
                out[o] = b"1"
                value -= 40
            else:
                out[o] = b"2"
                value -= 80
            o += 1
        out[o] = b"."
        o += 1
        k = 24
        v = value
        while True:
            k -= 1
            tmp[k] = <char>(48 + v % 10)
            v //= 10
            if v == 0:
                break
        memcpy(out + o, tmp + k, 24 - k)
        o += 24 - k
        value = 0
    if pending:
        return -1
    return o


cdef inline Py_ssize_t tlv(const uint8_t* d, Py_ssize_t pos, Py_ssize_t end, int tag,
                           Py_ssize_t* start) noexcept:
    """The content end of the TLV at ``pos`` (its content start in ``start``); -1 if the tag is
    not ``tag`` (any tag when -1) or the length is not one the decoder reads the same way."""
    cdef Py_ssize_t length
    cdef int count, i
    cdef uint8_t first
    if pos + 2 > end or (tag >= 0 and d[pos] != tag) or d[pos] & 0x1F == 0x1F:
        return -1
    first = d[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            return -1
        length = 0
        for i in range(count):
            length = (length << 8) | d[pos + i]
        pos += count
    if length > end - pos:
        return -1
    start[0] = pos
    return pos + length


cdef inline bint read_signed(const uint8_t* s, Py_ssize_t n, int64_t* out) noexcept:
    cdef uint64_t v
    cdef Py_ssize_t i
    if n < 1:
        return False
    while n > 1 and ((s[0] == 0 and s[1] < 0x80) or (s[0] == 0xFF and s[1] >= 0x80)):
        s += 1  # a redundant sign octet: the same number (int.from_bytes reads it so)
        n -= 1
    if n > 8:
        return False
    v = <uint64_t>-1 if s[0] & 0x80 else 0
    for i in range(n):
        v = (v << 8) | s[i]
    out[0] = <int64_t>v
    return True


cdef inline bint read_unsigned(const uint8_t* s, Py_ssize_t n, int size, uint64_t* out) noexcept:
    cdef uint64_t v = 0
    cdef Py_ssize_t i
    if n == 0 or s[0] & 0x80 or n > size + 1 or (n == size + 1 and s[0] != 0):
        return False
    for i in range(n):
        v = (v << 8) | s[i]
    out[0] = v
    return True


cdef uint64_t FNV_BASIS = 14695981039346656037ULL


cdef inline uint64_t fnv(uint64_t h, const uint8_t* s, Py_ssize_t n) noexcept:
    """FNV-1a from ``h`` (FNV_BASIS to start): a key's hash can go on over more octets."""
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ s[i]) * 1099511628211ULL
    return h


cdef bint known_type(int tag) noexcept:
    """The SMI value tags the decoder knows (TYPE_NAMES)."""
    return (tag == 0x02 or tag == 0x04 or tag == 0x05 or tag == 0x06 or 0x40 <= tag <= 0x47
            or 0x80 <= tag <= 0x82)


cdef inline int put_lit(Buf* b, const char* s) except -1:
    """A C string literal (its strlen folds to a constant at -O3)."""
    return put(b, s, strlen(s))
