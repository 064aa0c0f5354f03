# cython: language_level=3, boundscheck=True, wraparound=True
"""The collector's JSON line, compiled twin of ``snmptrapmgr/collector/_line_py.py``.

A v2c or v3 trap or inform whose trap name and varbinds (and, for v2c, header)
are already in the schema's caches (``collector.schema``: HEADERS, TRAP_NAMES,
VARBINDS / NAMED_VARBINDS, CLOCK; a number by its OID and type, as the schema's
``_varbinds`` reads it) is put together here without the interpreter; a
miss asks the schema for that piece (which caches it), and anything else -- v1, a
resolver the caches were not filled by, a received time that is not a float, a
new second -- is the schema's ``format_notification`` itself.  The v3 header is
never cached; it is the schema's f-string, written again here (the twin property
test holds the two to the same bytes).
"""

from libc.math cimport modf, rint
from libc.stdio cimport snprintf

from json.encoder import encode_basestring as _quote

from snmptrapmgr.collector import schema
from snmptrapmgr.events import SNMPTrapMgrInformRequestEventParams as _Inform

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
cdef str _INFORM = '"inform"'
cdef str _TRAP = '"trap"'


def format_line(event, received, names=None):
    """``event`` received at ``received`` (epoch) as its JSON text line (with "\\n")."""
    cdef double whole, frac, micro
    cdef char digits[8]
    cdef dict cache
    version = event.snmp_version
    if (version != 2 and version != 3) or type(received) is not float:
        return _format(event, received, names)
    if names is not None and _NAMED_BY[0] is not names:  # the schema empties its named caches
        return _format(event, received, names)
    if version == 3:  # never cached (user, engine, context): the schema's own text, built here
        header = (f'Z","source":{{"address":{_quote(event.source_address)},"port":{event.source_port}}},'
                  f'"version":"v3","pdu":{_INFORM if type(event) is _Inform else _TRAP},'
                  f'"user":{_quote(event.user)},"security_level":{event.security_level},'
                  f'"engine_id":"{event.engine_id.hex()}",'
                  f'"context_engine_id":"{event.context_engine_id.hex()}",'
                  f'"context_name":{_quote(event.context_name.decode("utf-8", "replace"))},'
                  f'"request_id":')
    else:
        key = (type(event), event.source_address, event.source_port, version, event.community,
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
            # a number kept by its OID alone (schema._varbind_missed): sysUpTime, counters
            entry = cache.get(vb[0])
            value = vb[2]
            if type(entry) is tuple and (<tuple>entry)[0] == vb[1] and type(value) is int:
                text = f"{(<tuple>entry)[1]}{value}{(<tuple>entry)[2]}"
            else:
                text = _varbind_missed(vb, names)
        parts.append(text)
    return (f'{{"time":"{clock.prefix}{digits.decode("ascii")}{header}{event.request_id},'
            f'"trap_oid":"{trap_oid}","trap_oid_rfc3584":"{trap_oid}"{named},'
            f'"uptime":{event.time_stamp},"varbinds":[{",".join(parts)}]}}\n')
