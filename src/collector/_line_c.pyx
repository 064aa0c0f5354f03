# cython: language_level=3, boundscheck=True, wraparound=True
"""The collector's JSON line, compiled twin of ``snmptrapmgr/collector/_line_py.py``.

The usual v2c trap or inform whose header, trap name and varbinds are already in
the schema's caches (``collector.schema``: HEADERS, TRAP_NAMES, VARBINDS /
NAMED_VARBINDS, CLOCK) is put together here without the interpreter; a miss asks
the schema for that piece (which caches it), and anything else -- v1, v3, a
resolver the caches were not filled by, a received time that is not a float, a
new second -- is the schema's ``format_notification`` itself.  So every text is
made in one place and the lines are the same, byte for byte.
"""

from libc.math cimport modf, rint
from libc.stdio cimport snprintf

from snmptrapmgr.collector import schema

__all__ = ["format_line"]

cdef object _format = schema.format_notification
cdef object _header_text = schema.header_text
cdef object _trap_name_text = schema.trap_name_text
cdef object _varbind_missed = schema.varbind_missed
cdef object _CLOCK = schema.CLOCK
cdef dict _HEADERS = schema.HEADERS
cdef dict _VARBINDS = schema.VARBINDS
cdef dict _NAMED_VARBINDS = schema.NAMED_VARBINDS
cdef dict _TRAP_NAMES = schema.TRAP_NAMES
cdef list _NAMED_BY = schema.NAMED_BY


def format_line(event, received, names=None):
    """``event`` received at ``received`` (epoch) as its JSON text line (with "\\n")."""
    cdef double whole, frac, micro
    cdef char digits[8]
    cdef dict cache
    version = event.snmp_version
    if version != 2 or type(received) is not float:
        return _format(event, received, names)
    if names is not None and _NAMED_BY[0] is not names:  # the schema empties its named caches
        return _format(event, received, names)
    community = event.community
    key = (type(event), event.source_address, event.source_port, version, community,
           event.community_bytes)
    header = _HEADERS.get(key)
    if header is None:
        header = _header_text(event, version)
    trap_oid = event.trap_oid
    frac = modf(<double>received, &whole)
    micro = rint(frac * 1e6)  # Python's round(): half to even
    clock = _CLOCK
    if not (whole == clock.second and 0 <= micro < 1000000):  # carries, a new second
        return _format(event, received, names)
    snprintf(digits, 8, "%06ld", <long>micro)
    if names is None:
        named = ""
        cache = _VARBINDS
    else:
        named = _TRAP_NAMES.get(trap_oid)
        if named is None:
            named = _trap_name_text(names, trap_oid)
        cache = _NAMED_VARBINDS
    parts = []
    for vb in event.varbinds:
        text = cache.get(vb)
        if text is None:
            text = _varbind_missed(vb, names)
        parts.append(text)
    return (f'{{"time":"{clock.prefix}{digits.decode("ascii")}{header}{event.request_id},'
            f'"trap_oid":"{trap_oid}","trap_oid_rfc3584":"{trap_oid}"{named},'
            f'"uptime":{event.time_stamp},"varbinds":[{",".join(parts)}]}}\n')
