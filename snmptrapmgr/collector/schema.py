"""The collector's JSON schema, written once: one notification -> one JSON object.

:func:`format_notification` is the one definition: it builds the JSON text
of a trap or inform by hand (``json.dumps`` of a dict costs several
microseconds per trap) and every output writes or publishes that text.
:func:`notification_to_dict` is the same object parsed back, for Python
callers (``snmptrapmgr.output`` re-exports it).  Changes are additive only:
alerting and storage systems parse these lines (tests/data/golden_listen.jsonl).

Fields, in this order: ``time`` (UTC ISO 8601, microseconds, ``Z``),
``source`` {address, port}, ``version`` ("v1", "v2c", "v3"), ``pdu``
("trap", "inform"); v1/v2c ``community`` (text; a community that is not
valid UTF-8 is lowercase hex with ``"community_encoding": "hex"`` after it,
so two communities never print the same); v3 ``user``, ``security_level``,
``engine_id``, ``context_engine_id`` (hex), ``context_name``; then
``request_id``, ``trap_oid`` (the reference's form), ``trap_oid_rfc3584``,
``uptime`` (TimeTicks); v1 only ``enterprise``, ``agent_address``,
``generic_trap``, ``specific_trap``; and ``varbinds``: a list of
{oid, type, value}.  With MIB names (``names``, a
:class:`snmptrapmgr.mib.Resolver`; ``listen`` without ``--numeric``),
``trap_name`` follows ``trap_oid_rfc3584`` and a varbind gains ``name``,
``label`` (an enumerated INTEGER's label) and ``display`` (the value as
its DISPLAY-HINT reads it, or an OID value's name) after its other keys,
each only when a MIB gives one: an unknown OID simply has none.  Values
are JSON-natural: numbers as numbers, OIDs and addresses as text, printable octet strings as text, other octets as
lowercase hex with ``"encoding": "hex"`` beside them, NULL and the
exception values as null.

Caches save most of the formatting, because devices repeat themselves.
Each is bounded by entries *and* by bytes, and what cannot be cached
cheaply is not cached at all (formatted every time), so a flood of large,
distinct, valid notifications leaves memory flat:

* varbinds (key: the decoded (oid, type, value) tuple; one cache without
  and one with MIB names): at most :data:`VARBIND_CACHE_ENTRIES` entries
  and :data:`VARBIND_CACHE_BYTES` counted bytes each; an OID text or a
  value longer than :data:`VARBIND_CACHE_ITEM` characters/octets is never
  cached;
* headers (key: event class, source address and port, version,
  community text and octets): at most :data:`HEADER_CACHE_ENTRIES` entries and
  :data:`HEADER_CACHE_BYTES` counted bytes; a community longer than
  :data:`HEADER_CACHE_COMMUNITY` octets (the longest SnmpAdminString) is
  never cached.

An entry counts the bytes of its key's strings and of its text (non-ASCII
text at 4 bytes a character, the most CPython uses) plus
:data:`ENTRY_OVERHEAD` bytes for the objects around them (tuple, object
headers, dict slot): at least what an entry really holds (tracemalloc,
tests/test_collector_schema.py).  A full cache is emptied and refilled
by the traffic that follows (cheap, and no ordering to maintain on the
hot path).  :func:`set_cache_bounds` changes the byte bounds (and the
per-item limits) of every cache; ``python -m bench.hostile`` uses it to
compare the defaults with the bounds effectively off.
"""

from __future__ import annotations

import json
import math
import time
from math import modf as _modf
from json.encoder import encode_basestring as _quote  # C-accelerated, like json.dumps(ensure_ascii=False)
from typing import Any, NamedTuple

from ..events import TYPE_NAMES, SNMPTrapMgrInformRequestEventParams

__all__ = [
    "format_notification", "notification_to_dict", "octets_to_json", "Clock", "TextCache",
    "varbind_text", "varbind_parts", "trap_name_field",
    "cache_sizes", "clear_caches", "cache_bounds", "set_cache_bounds",
    "VARBIND_CACHE_ENTRIES", "VARBIND_CACHE_BYTES", "VARBIND_CACHE_ITEM",
    "HEADER_CACHE_ENTRIES", "HEADER_CACHE_BYTES", "HEADER_CACHE_COMMUNITY", "ENTRY_OVERHEAD",
]

VARBIND_CACHE_ENTRIES = 8192
VARBIND_CACHE_BYTES = 4 << 20
VARBIND_CACHE_ITEM = 128
HEADER_CACHE_ENTRIES = 4096
HEADER_CACHE_BYTES = 2 << 20
HEADER_CACHE_COMMUNITY = 255
#: bytes counted per entry beyond its characters: the key tuple, the str/bytes headers, the dict slot
ENTRY_OVERHEAD = 320

_VERSIONS = {1: '"v1"', 2: '"v2c"', 3: '"v3"'}
_INTEGERS = frozenset((0x02, 0x41, 0x42, 0x43, 0x46, 0x47))
_OCTETS = frozenset((0x04, 0x44, 0x45))
_TEXT = frozenset((0x06, 0x40))  # decoder-made dotted text: digits and dots only
# '{"oid":"' + oid + <one of these> + value + '}'
_TYPE_PART = {t: f'","type":"{name}","value":' for t, name in TYPE_NAMES.items()}


def octets_to_json(value: bytes) -> tuple[str, bool]:
    """(text, is_hex): printable UTF-8 as text, anything else as hex."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex(), True
    if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text):
        return text, False
    return value.hex(), True


class Clock:
    """UTC ISO-8601 text of an epoch float, exactly as datetime's isoformat, cached per second."""

    __slots__ = ("second", "prefix")

    def __init__(self) -> None:
        self.second = None
        self.prefix = ""

    def iso(self, stamp: float) -> str:
        frac, whole = math.modf(stamp)
        micro = round(frac * 1e6)
        if micro >= 1000000:
            whole += 1.0
            micro -= 1000000
        elif micro < 0:
            whole -= 1.0
            micro += 1000000
        if whole != self.second:
            self.second = whole
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(whole))
        return self.prefix + str(1000000 + micro)[1:] + "Z"


class TextCache:
    """key -> JSON text, bounded by entries and by counted bytes (emptied when either is reached)."""

    __slots__ = ("entries", "size", "max_entries", "max_bytes")

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.entries: dict = {}  # never replaced: callers may keep its .get
        self.size = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def put(self, key: Any, text: str, cost: int) -> None:
        """Keep ``text`` for ``key``; ``cost``: the bytes of the key's own strings."""
        self.keep(key, text, cost + _size(text))

    def keep(self, key: Any, value: Any, cost: int) -> None:
        """Keep ``value`` for ``key``; ``cost``: the bytes of every string in key and value."""
        cost += ENTRY_OVERHEAD
        if len(self.entries) >= self.max_entries or self.size + cost > self.max_bytes:
            self.clear()
        self.entries[key] = value
        self.size += cost

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


def _size(text: Any) -> int:
    """Bytes of a str's or bytes' characters (non-ASCII text counted at 4 bytes a character)."""
    return len(text) if isinstance(text, bytes) or text.isascii() else 4 * len(text)


class CacheSize(NamedTuple):
    entries: int
    bytes: int  # counted as documented above, not measured


_CLOCK = Clock()
_VARBIND_CACHE = TextCache(VARBIND_CACHE_ENTRIES, VARBIND_CACHE_BYTES)
_NAMED_CACHE = TextCache(VARBIND_CACHE_ENTRIES, VARBIND_CACHE_BYTES)  # varbinds with MIB names
_TRAP_NAME_CACHE = TextCache(HEADER_CACHE_ENTRIES, HEADER_CACHE_BYTES)  # trap OID -> ',"trap_name":...'
_NAMED_BY: list = [None]  # the resolver _NAMED_CACHE and _TRAP_NAME_CACHE were filled by
_HEADER_CACHE = TextCache(HEADER_CACHE_ENTRIES, HEADER_CACHE_BYTES)
_header_text = _HEADER_CACHE.entries.get
_varbind_text = _VARBIND_CACHE.entries.get
_named_text = _NAMED_CACHE.entries.get
_trap_name_text = _TRAP_NAME_CACHE.entries.get

# What the compiled line writer (collector.line) reads on its hit path; on a miss it calls
# header_text, trap_name_text or varbind_missed, so every text is still made here, once.
CLOCK = _CLOCK
HEADERS = _HEADER_CACHE.entries
VARBINDS = _VARBIND_CACHE.entries
NAMED_VARBINDS = _NAMED_CACHE.entries
TRAP_NAMES = _TRAP_NAME_CACHE.entries
NAMED_BY = _NAMED_BY


def cache_sizes() -> dict:
    """{"varbinds": CacheSize, "headers": CacheSize}: what the formatting caches hold now."""
    return {"varbinds": CacheSize(len(_VARBIND_CACHE.entries), _VARBIND_CACHE.size),
            "headers": CacheSize(len(_HEADER_CACHE.entries), _HEADER_CACHE.size),
            "named_varbinds": CacheSize(len(_NAMED_CACHE.entries), _NAMED_CACHE.size),
            "trap_names": CacheSize(len(_TRAP_NAME_CACHE.entries), _TRAP_NAME_CACHE.size)}


def clear_caches() -> None:
    _VARBIND_CACHE.clear()
    _HEADER_CACHE.clear()
    _NAMED_CACHE.clear()
    _TRAP_NAME_CACHE.clear()


def cache_bounds() -> dict:
    """The byte bounds in force: ``varbind_bytes`` (each varbind cache), ``header_bytes`` (the header and
    trap-name caches), ``varbind_item`` (longest OID text or value kept) and ``header_community``
    (longest community kept); the entry bounds are fixed."""
    return {"varbind_bytes": _VARBIND_CACHE.max_bytes, "header_bytes": _HEADER_CACHE.max_bytes,
            "varbind_item": VARBIND_CACHE_ITEM, "header_community": HEADER_CACHE_COMMUNITY}


def set_cache_bounds(varbind_bytes: Any = None, header_bytes: Any = None, varbind_item: Any = None,
                     header_community: Any = None) -> dict:
    """Change the byte bounds of the formatting caches (None: unchanged); returns :func:`cache_bounds`
    as it was, so ``set_cache_bounds(**previous)`` restores it.  Entries already held stay (a cache
    over a smaller bound is emptied at its next insertion).  VARBIND_CACHE_BYTES and
    HEADER_CACHE_BYTES stay the defaults; VARBIND_CACHE_ITEM and HEADER_CACHE_COMMUNITY are the
    item limits in force (rebound here).  A bound like ``1 << 62`` is effectively off."""
    global VARBIND_CACHE_ITEM, HEADER_CACHE_COMMUNITY
    previous = cache_bounds()
    for name, value in (("varbind_bytes", varbind_bytes), ("header_bytes", header_bytes),
                        ("varbind_item", varbind_item), ("header_community", header_community)):
        if value is not None and (type(value) is not int or value < 0):
            raise ValueError(f"{name} must be a non-negative int, not {value!r}")
    if varbind_bytes is not None:
        _VARBIND_CACHE.max_bytes = _NAMED_CACHE.max_bytes = varbind_bytes
    if header_bytes is not None:
        _HEADER_CACHE.max_bytes = _TRAP_NAME_CACHE.max_bytes = header_bytes
    if varbind_item is not None:
        VARBIND_CACHE_ITEM = varbind_item
    if header_community is not None:
        HEADER_CACHE_COMMUNITY = header_community
    return previous


def _varbind(oid: str, obj_type: int, value: Any) -> str:
    head = _TYPE_PART.get(obj_type)
    if head is None:
        head = f'","type":{_quote(str(obj_type))},"value":'
    if obj_type in _INTEGERS:
        return f'{{"oid":"{oid}{head}{value}}}'
    if obj_type in _OCTETS or isinstance(value, bytes):
        text, is_hex = octets_to_json(value)
        if is_hex:
            return f'{{"oid":"{oid}{head}"{text}","encoding":"hex"}}'
        return f'{{"oid":"{oid}{head}{_quote(text)}}}'
    if value is None:
        return f'{{"oid":"{oid}{head}null}}'
    if obj_type in _TEXT:
        return f'{{"oid":"{oid}{head}"{value}"}}'
    if isinstance(value, int):
        return f'{{"oid":"{oid}{head}{value}}}'
    return f'{{"oid":"{oid}{head}{_quote(str(value))}}}'


def _with_names(text: str, described: tuple) -> str:
    """A varbind's JSON with the MIB's name, label and display added (each only if known)."""
    name, label, display = described
    extra = ""
    if name is not None:
        extra += ',"name":' + _quote(name)
    if label is not None:
        extra += ',"label":' + _quote(label)
    if display is not None:
        extra += ',"display":' + _quote(display)
    return text[:-1] + extra + "}" if extra else text


def _varbind_missed(vb: tuple, cache: TextCache = _VARBIND_CACHE, names: Any = None) -> str:
    """Format a varbind the cache did not have; keep it if it is small.

    A number whose text is the same around every value (no enumeration label, no
    DISPLAY-HINT) is kept by its OID alone, as ``(type, head, tail)``: sysUpTime and the
    counters change in every trap, and one entry per value would only churn the cache.
    """
    text = varbind_text(vb, names)
    oid, obj_type, value = vb
    if len(oid) > VARBIND_CACHE_ITEM:
        return text
    if type(value) is int and obj_type in _INTEGERS:
        head, tail, free = varbind_parts(oid, obj_type, names)
        if free and text == f"{head}{value}{tail}":
            cache.keep(oid, (obj_type, head, tail), len(oid) + _size(head) + _size(tail))
            return text
    size = len(oid)
    if isinstance(value, (bytes, str)):
        if len(value) > VARBIND_CACHE_ITEM:
            return text
        size += _size(value)
    cache.put(vb, text, size)
    return text


def _value_free(names: Any, oid: str, obj_type: int) -> bool:
    check = getattr(names, "value_free", None)  # a resolver of another kind: never assumed
    return bool(check is not None and check(oid, obj_type))


def varbind_text(vb: tuple, names: Any = None) -> str:
    """A varbind's JSON text, made afresh (no cache read or filled): what the wire writer keeps."""
    text = _varbind(*vb)
    return text if names is None else _with_names(text, names.describe(*vb))


def varbind_parts(oid: str, obj_type: int, names: Any = None) -> tuple:
    """(head, tail, value_free) of a varbind of ``oid`` and ``obj_type``: its text is head + the
    value's JSON + tail for every value when value_free (no label or DISPLAY-HINT depends on it)."""
    head = f'{{"oid":"{oid}{_TYPE_PART[obj_type]}'
    if names is None:
        return head, "}", True
    if obj_type not in _INTEGERS or not _value_free(names, oid, obj_type):
        return head, "}", False
    text = _with_names(_varbind(oid, obj_type, 0), names.describe(oid, obj_type, 0))
    return head, text[len(head) + 1:], True


def trap_name_field(names: Any, oid: str) -> str:
    """',"trap_name":"IF-MIB::linkDown"', or "" when no MIB names ``oid`` (never cached here)."""
    name = names.name(oid)
    return "" if name is None else ',"trap_name":' + _quote(name)


def varbind_missed(vb: tuple, names: Any = None) -> str:
    """A varbind's text that its cache (with or without names) did not have."""
    return _varbind_missed(vb, _VARBIND_CACHE if names is None else _NAMED_CACHE, names)


def _varbinds(varbinds: list, names: Any = None) -> str:
    if names is None:
        get = _varbind_text
        cache = _VARBIND_CACHE
    else:
        get = _named_text
        cache = _NAMED_CACHE
    parts = []
    append = parts.append
    by_oid = cache.entries.get
    for vb in varbinds:
        text = get(vb)
        if text is None:  # a number kept by its OID alone (see _varbind_missed)?
            entry = by_oid(vb[0])
            if type(entry) is tuple and entry[0] == vb[1] and type(vb[2]) is int:
                text = f"{entry[1]}{vb[2]}{entry[2]}"
            else:
                text = _varbind_missed(vb, cache, names)
        append(text)
    return ",".join(parts)


def trap_name_text(names: Any, oid: str) -> str:
    """',"trap_name":"IF-MIB::linkDown"', or "" when no MIB names ``oid`` (called first, with names)."""
    if _NAMED_BY[0] is not names:  # another resolver names things differently
        _NAMED_CACHE.clear()
        _TRAP_NAME_CACHE.clear()
        _NAMED_BY[0] = names
    text = _trap_name_text(oid)
    if text is None:
        text = trap_name_field(names, oid)
        if len(oid) <= VARBIND_CACHE_ITEM:
            _TRAP_NAME_CACHE.put(oid, text, _size(oid))
    return text


def _community(text: str, raw: bytes) -> str:
    """The community field(s): the text when the octets are UTF-8 (or not known), else hex marked as such."""
    if raw:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return f'"community":"{raw.hex()}","community_encoding":"hex"'
    return f'"community":{_quote(text)}'


def header_text(event: Any, version: int) -> str:
    """The JSON between the time's digits and "request_id" of a v1/v2c notification (cached when small)."""
    community = event.community
    raw = event.community_bytes
    key = (type(event), event.source_address, event.source_port, version, community, raw)
    text = _header_text(key)
    if text is None:
        pdu = '"inform"' if type(event) is SNMPTrapMgrInformRequestEventParams else '"trap"'
        text = (f'Z","source":{{"address":{_quote(event.source_address)},"port":{event.source_port}}},'
                f'"version":{_VERSIONS.get(version) or _quote(str(version))},"pdu":{pdu},'
                f'{_community(community, raw)},"request_id":')
        if len(community) <= HEADER_CACHE_COMMUNITY and len(raw) <= HEADER_CACHE_COMMUNITY:
            _HEADER_CACHE.put(key, text, _size(community) + len(raw) + _size(event.source_address))
    return text


def format_notification(event: Any, received: float, names: Any = None) -> str:
    """One trap or inform event, received at ``received`` (epoch), as a JSON text line (with "\\n").

    ``names``: a :class:`snmptrapmgr.mib.Resolver` adds the MIB names; None leaves them out.
    """
    version = event.snmp_version
    if version == 3:
        pdu = '"inform"' if type(event) is SNMPTrapMgrInformRequestEventParams else '"trap"'
        header = (f'Z","source":{{"address":{_quote(event.source_address)},"port":{event.source_port}}},'
                  f'"version":"v3","pdu":{pdu},"user":{_quote(event.user)},'
                  f'"security_level":{event.security_level},"engine_id":"{event.engine_id.hex()}",'
                  f'"context_engine_id":"{event.context_engine_id.hex()}",'
                  f'"context_name":{_quote(event.context_name.decode("utf-8", "replace"))},"request_id":')
    else:
        header = header_text(event, version)
    trap_oid = event.trap_oid
    clock = _CLOCK  # the clock's common case inline: same second, no carry (see Clock.iso)
    frac, whole = _modf(received)
    micro = round(frac * 1e6)
    if whole == clock.second and 0 <= micro < 1000000:
        prefix = clock.prefix
    else:  # the clock's own way: carries, a new second
        stamp = clock.iso(received)
        prefix, micro = stamp[:-7], int(stamp[-7:-1])
    micro = str(1000000 + micro)[1:]
    if version == 1:
        rfc3584 = event.rfc3584_trap_oid
        return (f'{{"time":"{prefix}{micro}{header}{event.request_id},"trap_oid":"{trap_oid}",'
                f'"trap_oid_rfc3584":"{rfc3584}"{"" if names is None else trap_name_text(names, rfc3584)},'
                f'"uptime":{event.time_stamp},'
                f'"enterprise":"{event.enterprise}","agent_address":"{event.agent_address}",'
                f'"generic_trap":{event.generic_trap},"specific_trap":{event.specific_trap},'
                f'"varbinds":[{_varbinds(event.varbinds, names)}]}}\n')
    # v2c and v3: the trap OID is already in RFC 3584's (SNMPv2) form
    return (f'{{"time":"{prefix}{micro}{header}{event.request_id},"trap_oid":"{trap_oid}",'
            f'"trap_oid_rfc3584":"{trap_oid}"{"" if names is None else trap_name_text(names, trap_oid)},'
            f'"uptime":{event.time_stamp},'
            f'"varbinds":[{_varbinds(event.varbinds, names)}]}}\n')


def notification_to_dict(event: Any, received: float, names: Any = None) -> dict:
    """The JSON object of one trap or inform event, as a dict: the line above, parsed."""
    return json.loads(format_notification(event, received, names))
