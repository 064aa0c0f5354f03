# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Wire -> JSON line in one C walk; the twin of ``snmptrapmgr/collector/_wire_py.py``.

A usual v2c Trap-PDU goes from the datagram's bytes to its JSON line with no
Python object per varbind: the walk checks every field as the decoder does,
formats values itself (``schema.octets_to_json``'s rule in C, with
``str.isprintable``'s own table), and takes the rest from a cache keyed by
the wire's bytes:

* ``tag, OID length, OID octets`` -> the varbind's text before and after its
  value (``schema.varbind_parts``), for a varbind whose text is the same
  around every value (always without MIB names; with names, a number with no
  label or DISPLAY-HINT);
* the same key followed by the value's octets -> the whole text
  (``schema.varbind_text``), for the others (an enumeration's label, a
  display, an OID value's name); its hash goes on from the first key's;
* ``0xFE + trap OID octets`` -> the ``trap_name`` field.

The cache is one open-addressed table of :data:`SLOTS` slots (at most
:data:`ENTRIES` entries) over one byte arena bounded by the schema's varbind
byte bound; when either is full, both are emptied and refilled by the
traffic that follows, so memory is fixed whatever arrives.  A miss asks the
schema once; a value too long to keep is formatted by the schema each time.

Anything else -- v1, an inform, SNMPv3, a defect, a length in a form the
walk does not read, an OID over :data:`MAX_OID` octets, a community not
accepted -- is declined (``line`` returns None, the call returns False) and
takes the usual path, which says what it is.  The twin property test holds
every line this walk writes to the decoder + schema line, byte for byte.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t
from libc.string cimport memcpy, memcmp, memset, strlen
from libc.stdlib cimport malloc, realloc, free
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE, PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeUTF8

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object, Py_ssize_t*) except NULL
    bint Py_UNICODE_ISPRINTABLE(Py_UCS4)

from snmptrapmgr.collector import schema

__all__ = ["WireLines", "SLOTS", "ENTRIES", "MAX_OID"]

SLOTS = 16384
ENTRIES = 8192
MAX_OID = 128
cdef enum:
    C_SLOTS = 16384
    C_MASK = 16383
    C_ENTRIES = 8192
    C_MAX_OID = 128
    C_MAX_KEEP = 300  # longest value (octets) whose varbind's whole text is kept
    KIND_FREE = 1     # head, tail: the same around every value
    KIND_BOUND = 2    # head only: the text depends on the value (see the 0xFF entries)
    KIND_TEXT = 3     # a whole text

cdef const char* HEX = "0123456789abcdef"
# sysUpTime.0 and snmpTrapOID.0, as OID content octets
cdef bytes _UPTIME = bytes((0x2b, 6, 1, 2, 1, 1, 3, 0))
cdef bytes _TRAP_OID = bytes((0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0))
cdef object _parts = schema.varbind_parts
cdef object _text = schema.varbind_text
cdef object _trap_name = schema.trap_name_field


include "_wire_core.pxi"


cdef class WireLines:
    """The collector's one-pass writer of v2c trap lines (see the module docstring).

    ``names``: a MIB resolver or None (numeric); ``communities``: None (any) or the
    set of accepted community octets, as the receiver's; ``delivery`` (for a call):
    the collector's Delivery, whose documented fast lane it uses; ``counts``: a list
    whose ``[2]`` counts the v2c traps taken.
    """

    cdef Slot* slots
    cdef uint8_t* arena
    cdef Py_ssize_t arena_len, arena_cap, arena_max
    cdef readonly Py_ssize_t entries, taken
    cdef Buf out, body, tmp
    cdef readonly object names, communities, delivery, counts
    cdef list lines
    cdef object clock
    cdef double last_now
    cdef bint have_now
    cdef bytes time_text
    cdef char last_community[256]
    cdef Py_ssize_t last_community_len

    def __cinit__(self):
        self.slots = <Slot*>malloc(C_SLOTS * sizeof(Slot))
        if self.slots == NULL:
            raise MemoryError()
        memset(self.slots, 0, C_SLOTS * sizeof(Slot))
        self.last_community_len = -1

    def __dealloc__(self):
        free(self.slots)
        free(self.arena)
        free(self.out.p)
        free(self.body.p)
        free(self.tmp.p)

    def __init__(self, names=None, communities=None, delivery=None, counts=None):
        self.names = names
        self.communities = communities
        self.delivery = delivery
        self.lines = None if delivery is None else delivery.lines
        self.counts = counts
        self.arena_max = schema.cache_bounds()["varbind_bytes"]
        self.clock = schema.Clock()

    @property
    def cache_size(self):
        """(entries, bytes): what the cache holds now (its slot table counted whole)."""
        return self.entries, self.arena_len + C_SLOTS * sizeof(Slot)

    def clear(self):
        """Empty the cache."""
        memset(self.slots, 0, C_SLOTS * sizeof(Slot))
        self.entries = 0
        self.arena_len = 0

    cdef Slot* find(self, const uint8_t* key, Py_ssize_t n, uint64_t h, bint text) noexcept:
        """The entry of ``key``: a whole text (``text``) or the parts around a value."""
        cdef uint32_t i = h & C_MASK
        cdef Slot* s
        while True:
            s = &self.slots[i]
            if s.kind == 0:
                return NULL
            if (s.hash == h and s.key_len == n and (s.kind == KIND_TEXT) == text
                    and memcmp(self.arena + s.key_off, key, n) == 0):
                return s
            i = (i + 1) & C_MASK

    cdef int keep(self, const uint8_t* key, Py_ssize_t n, uint64_t h, const char* a, Py_ssize_t a_len,
                  const char* b, Py_ssize_t b_len, uint32_t kind) except -1:
        cdef Py_ssize_t cost = n + a_len + b_len, cap
        cdef uint8_t* arena
        cdef uint32_t i
        if self.entries >= C_ENTRIES or self.arena_len + cost > self.arena_max:
            self.clear()
        if cost > self.arena_max:
            return 0
        if self.arena_len + cost > self.arena_cap:
            cap = max(self.arena_cap * 2, self.arena_len + cost, 65536)
            arena = <uint8_t*>realloc(self.arena, min(cap, max(self.arena_max, self.arena_len + cost)))
            if arena == NULL:
                raise MemoryError()
            self.arena = arena
            self.arena_cap = min(cap, max(self.arena_max, self.arena_len + cost))
        i = h & C_MASK
        while self.slots[i].kind != 0:
            i = (i + 1) & C_MASK
        s = &self.slots[i]
        s.hash = h
        s.key_off = self.arena_len
        s.key_len = n
        memcpy(self.arena + self.arena_len, key, n)
        s.a_off = self.arena_len + n
        s.a_len = a_len
        memcpy(self.arena + s.a_off, a, a_len)
        s.b_off = s.a_off + a_len
        s.b_len = b_len
        memcpy(self.arena + s.b_off, b, b_len)
        s.kind = kind
        self.arena_len += cost
        self.entries += 1
        return 1

    cdef object oid_str(self, const uint8_t* s, Py_ssize_t n):
        """The dotted text of OID octets as a str, or None for a defect."""
        cdef Py_ssize_t length
        if self.tmp.cap < 5 * n + 16:
            grow(&self.tmp, 5 * n + 16)
        length = oid_text(s, n, self.tmp.p)
        if length < 0:
            return None
        return PyUnicode_DecodeUTF8(self.tmp.p, length, NULL)

    cdef int value(self, const uint8_t* d, int tag, Py_ssize_t start, Py_ssize_t stop) except -1:
        """The JSON of one value into the body; 0 for a value the decoder refuses."""
        cdef Buf* b = &self.body
        cdef Py_ssize_t n = stop - start, length
        cdef int64_t sv
        cdef uint64_t uv
        if tag == 0x02:
            if not read_signed(d + start, n, &sv):
                return 0
            put_i64(b, sv)
        elif tag == 0x04 or tag == 0x44 or tag == 0x45:
            put_lit(b, '"')
            if utf8_text(d + start, n, True):
                put_json(b, d + start, n)
                put_lit(b, '"')
            else:
                put_hex(b, d + start, n)
                put_lit(b, '","encoding":"hex"')
        elif 0x41 <= tag <= 0x43 or tag == 0x47 or tag == 0x46:
            if not read_unsigned(d + start, n, 8 if tag == 0x46 else 4, &uv):
                return 0
            put_u64(b, uv)
        elif tag == 0x05 or 0x80 <= tag <= 0x82:
            if n != 0:
                return 0
            put_lit(b, "null")
        elif tag == 0x06:
            if b.n + 5 * n + 18 > b.cap:
                grow(b, 5 * n + 18)
            b.p[b.n] = b'"'
            length = oid_text(d + start, n, b.p + b.n + 1) if n else 0
            if length < 0:
                return 0
            b.n += length + 1
            put_lit(b, '"')
        elif tag == 0x40:
            if n != 4:
                return 0
            put_lit(b, '"')
            for i in range(4):
                if i:
                    put_lit(b, ".")
                put_u64(b, d[start + i])
            put_lit(b, '"')
        else:
            return 0
        return 1

    cdef object native(self, const uint8_t* d, int tag, Py_ssize_t start, Py_ssize_t stop):
        """(the decoder's value,) of one value, or None for a value it refuses."""
        cdef Py_ssize_t n = stop - start
        cdef int64_t sv
        cdef uint64_t uv
        if tag == 0x02:
            return (sv,) if read_signed(d + start, n, &sv) else None
        if tag == 0x04 or tag == 0x44 or tag == 0x45:
            return (PyBytes_FromStringAndSize(<const char*>d + start, n),)
        if 0x41 <= tag <= 0x43 or tag == 0x47 or tag == 0x46:
            return (uv,) if read_unsigned(d + start, n, 8 if tag == 0x46 else 4, &uv) else None
        if tag == 0x05 or 0x80 <= tag <= 0x82:
            return (None,) if n == 0 else None
        if tag == 0x06:
            if n == 0:
                return ("",)
            text = self.oid_str(d + start, n)
            return None if text is None else (text,)
        if tag == 0x40 and n == 4:
            return (f"{d[start]}.{d[start + 1]}.{d[start + 2]}.{d[start + 3]}",)
        return None

    cdef int varbind(self, const uint8_t* d, Py_ssize_t name_start, Py_ssize_t name_stop, int tag,
                     Py_ssize_t start, Py_ssize_t stop) except -1:
        """One varbind's text into the body; 0 to decline the datagram."""
        cdef uint8_t key[2 + C_MAX_OID + C_MAX_KEEP]
        cdef Py_ssize_t n = name_stop - name_start, size = stop - start, a_len, b_len
        cdef uint64_t h
        cdef Slot* s
        cdef const char* a
        cdef const char* b
        key[0] = <uint8_t>tag  # tag, OID length, OID octets (then, for a whole text, the value's)
        key[1] = <uint8_t>n
        memcpy(key + 2, d + name_start, n)
        h = fnv(FNV_BASIS, key, n + 2)
        s = self.find(key, n + 2, h, False)
        if s == NULL:
            if not known_type(tag):
                return 0
            oid = self.oid_str(d + name_start, n)
            if oid is None:
                return 0
            head, tail, free_ = _parts(oid, tag, self.names)
            a = PyUnicode_AsUTF8AndSize(head, &a_len)
            b = PyUnicode_AsUTF8AndSize(tail, &b_len)
            self.keep(key, n + 2, h, a, a_len, b, b_len, KIND_FREE if free_ else KIND_BOUND)
            s = self.find(key, n + 2, h, False)
            if s == NULL:
                return 0
        if s.kind == KIND_FREE:
            put(&self.body, <const char*>self.arena + s.a_off, s.a_len)
            if not self.value(d, tag, start, stop):
                return 0
            put(&self.body, <const char*>self.arena + s.b_off, s.b_len)
            return 1
        # the text depends on the value: the key goes on with the value's octets (its hash too)
        if size <= C_MAX_KEEP:
            memcpy(key + n + 2, d + start, size)
            h = fnv(h, d + start, size)
            s = self.find(key, n + 2 + size, h, True)
            if s != NULL:
                put(&self.body, <const char*>self.arena + s.a_off, s.a_len)
                return 1
        value = self.native(d, tag, start, stop)
        oid = self.oid_str(d + name_start, n)
        if value is None or oid is None:
            return 0
        text = _text((oid, tag, value[0]), self.names)
        a = PyUnicode_AsUTF8AndSize(text, &a_len)
        put(&self.body, a, a_len)
        if size <= C_MAX_KEEP:
            self.keep(key, n + 2 + size, h, a, a_len, "", 0, KIND_TEXT)
        return 1

    cdef bint accepted(self, const uint8_t* c, Py_ssize_t n) except -1:
        if self.communities is None:
            return True
        if n == self.last_community_len and memcmp(self.last_community, c, n) == 0:
            return True
        if PyBytes_FromStringAndSize(<const char*>c, n) not in self.communities:
            return False
        if n <= 255:
            memcpy(self.last_community, c, n)
            self.last_community_len = n
        return True

    cdef object walk(self, bytes data, object address, double now):
        cdef const uint8_t* d = <const uint8_t*>PyBytes_AS_STRING(data)
        cdef Py_ssize_t end = PyBytes_GET_SIZE(data), pos = 0, c_start = 0, c_stop, i_start = 0, i_stop
        cdef Py_ssize_t vb_start = 0, vb_stop, n_start = 0, n_stop, v_start = 0, v_stop
        cdef Py_ssize_t t_start = -1, t_stop = -1
        cdef Py_ssize_t a_len, k
        cdef int64_t request_id, ignored
        cdef uint64_t uptime = 0
        cdef int tag, field
        cdef uint8_t key[1 + C_MAX_OID]
        cdef uint64_t h
        cdef Slot* s
        cdef Buf* o = &self.out
        cdef const char* a
        if type(address) is not tuple or len(<tuple>address) < 2:
            return None
        host = (<tuple>address)[0]
        port = (<tuple>address)[1]
        if type(host) is not str or type(port) is not int:
            return None
        # SEQUENCE { INTEGER 1, OCTET STRING community, SNMPv2-Trap-PDU { id, status, index, varbinds } }
        if tlv(d, 0, end, 0x30, &pos) != end or end - pos < 3 or d[pos] != 2 or d[pos + 1] != 1 or d[pos + 2] != 1:
            return None
        c_stop = tlv(d, pos + 3, end, 0x04, &c_start)
        if c_stop < 0 or tlv(d, c_stop, end, 0xA7, &pos) != end:
            return None
        for field in range(3):  # request-id, then error-status and error-index (read, not kept)
            i_stop = tlv(d, pos, end, 0x02, &i_start)
            if i_stop < 0 or not read_signed(d + i_start, i_stop - i_start, &request_id if field == 0 else &ignored):
                return None
            pos = i_stop
        if tlv(d, pos, end, 0x30, &pos) != end or not self.accepted(d + c_start, c_stop - c_start):
            return None
        self.body.n = 0
        while pos < end:
            vb_stop = tlv(d, pos, end, 0x30, &vb_start)
            if vb_stop < 0:
                return None
            n_stop = tlv(d, vb_start, vb_stop, 0x06, &n_start)
            if n_stop < 0 or n_stop == n_start or n_stop - n_start > C_MAX_OID:
                return None
            v_stop = tlv(d, n_stop, vb_stop, -1, &v_start)
            if v_stop != vb_stop:
                return None
            tag = d[n_stop]
            if t_start < 0:
                if tag == 6 and n_stop - n_start == 10 and memcmp(d + n_start, <const char*>_TRAP_OID, 10) == 0:
                    t_start, t_stop = v_start, v_stop
                elif tag == 0x43 and n_stop - n_start == 8 and memcmp(d + n_start, <const char*>_UPTIME, 8) == 0:
                    if not read_unsigned(d + v_start, v_stop - v_start, 4, &uptime):
                        return None
            if self.body.n:
                put_lit(&self.body, ",")
            if not self.varbind(d, n_start, n_stop, tag, v_start, v_stop):
                return None
            pos = vb_stop
        if t_start < 0 or t_stop == t_start or t_stop - t_start > C_MAX_OID:
            return None  # no trap OID (or an empty or long one): the usual path
        # the line: time, source, version, pdu, community, request_id, trap OIDs, uptime, varbinds
        if not self.have_now or now != self.last_now:
            stamp = self.clock.iso(now)
            self.time_text = stamp[:len(stamp) - 1].encode("ascii")  # without the "Z"
            self.last_now = now
            self.have_now = True
        o.n = 0
        put_lit(o, '{"time":"')
        put(o, PyBytes_AS_STRING(self.time_text), PyBytes_GET_SIZE(self.time_text))
        put_lit(o, 'Z","source":{"address":"')
        a = PyUnicode_AsUTF8AndSize(host, &a_len)
        put_json(o, <const uint8_t*>a, a_len)
        put_lit(o, '","port":')
        put_i64(o, port)
        put_lit(o, '},"version":"v2c","pdu":"trap","community":"')
        if utf8_text(d + c_start, c_stop - c_start, False):
            put_json(o, d + c_start, c_stop - c_start)
            put_lit(o, '"')
        else:
            put_hex(o, d + c_start, c_stop - c_start)
            put_lit(o, '","community_encoding":"hex"')
        put_lit(o, ',"request_id":')
        put_i64(o, request_id)
        k = t_stop - t_start  # the trap OID's text, decoded into tmp: no str unless a name is missing
        if self.tmp.cap < 5 * k + 16:
            grow(&self.tmp, 5 * k + 16)
        a_len = oid_text(d + t_start, k, self.tmp.p)
        if a_len < 0:
            return None
        put_lit(o, ',"trap_oid":"')
        put(o, self.tmp.p, a_len)
        put_lit(o, '","trap_oid_rfc3584":"')
        put(o, self.tmp.p, a_len)
        put_lit(o, '"')
        if self.names is not None:
            key[0] = 0xFE
            memcpy(key + 1, d + t_start, k)
            h = fnv(FNV_BASIS, key, k + 1)
            s = self.find(key, k + 1, h, True)
            if s != NULL:
                put(o, <const char*>self.arena + s.a_off, s.a_len)
            else:
                named = _trap_name(self.names, PyUnicode_DecodeUTF8(self.tmp.p, a_len, NULL))
                a = PyUnicode_AsUTF8AndSize(named, &a_len)
                put(o, a, a_len)
                self.keep(key, k + 1, h, a, a_len, "", 0, KIND_TEXT)
        put_lit(o, ',"uptime":')
        put_u64(o, uptime)
        put_lit(o, ',"varbinds":[')
        put(o, self.body.p, self.body.n)
        put_lit(o, ']}\n')
        return PyUnicode_DecodeUTF8(o.p, o.n, NULL)

    def line(self, data, address, double now):
        """The JSON line of a usual v2c trap received at ``now`` (epoch); None for anything else."""
        if type(data) is not bytes:
            return None
        return self.walk(<bytes>data, address, now)

    def __call__(self, data, address, double now):
        """Take the datagram into the delivery (True), or leave it to the usual path (False)."""
        try:
            if type(data) is not bytes:
                return False
            text = self.walk(<bytes>data, address, now)
        except Exception:  # a resolver that failed: the usual path meets it again and reports it
            return False
        if text is None:
            return False
        lines = self.lines
        lines.append(text)
        if self.counts is not None:
            self.counts[2] += 1
        self.taken += 1
        if len(lines) >= self.delivery.check_at:
            self.delivery.check()
        return True
