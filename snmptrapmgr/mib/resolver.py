"""OID -> ``MODULE::name.index``, name -> OID, enum labels and display hints.

The resolver answers from a :class:`~snmptrapmgr.mib.index.MibIndex` by
longest prefix, and remembers each OID text it answered in a cache that is
bounded by entries *and* by counted bytes (emptied when either is
reached, like the collector's caches), so a flood of distinct OIDs costs
a bounded amount of memory while a device repeating itself costs one dict
lookup per varbind.

Two readings of an OID:

- :meth:`Resolver.translate` is ``snmptranslate -OS``: any known prefix
  names it (``SNMPv2-SMI::enterprises.99999.1``);
- :meth:`Resolver.name` is what notifications carry: a name only when a
  MIB defines the OID itself or it is an instance of a defined scalar or
  column; otherwise None (the OID stays numeric, nothing is dropped).
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from . import hints
from .index import MibIndex
from .instances import format_instance

__all__ = ["Resolver", "CACHE_ENTRIES", "CACHE_BYTES", "ENTRY_OVERHEAD",
           "INTEGER_TYPES", "OCTET_TYPES", "OBJECT_ID_TYPE"]

CACHE_ENTRIES = 16384
CACHE_BYTES = 8 << 20
#: bytes counted per cache entry beyond its texts (tuple, str headers, dict slot)
ENTRY_OVERHEAD = 256
#: bytes counted for the name-only view of an entry (its dict slot and key)
NAME_OVERHEAD = 160
#: an OID text longer than this is answered but never cached
CACHE_ITEM = 256

INTEGER_TYPES = frozenset((0x02, 0x41, 0x42, 0x43, 0x46, 0x47))
OCTET_TYPES = frozenset((0x04, 0x44))
OBJECT_ID_TYPE = 0x06
_INET_ADDRESS = "INET-ADDRESS-MIB::InetAddress"


class _NameCache(dict):
    """oid -> name or None: a hit is dict's own lookup (C speed); a miss asks ``fill``."""

    __slots__ = ("fill",)

    def __missing__(self, oid: str) -> Optional[str]:
        return self.fill(oid)


class Resolver:
    """Names for OIDs (and values) from one MIB index; thread-safe for reading."""

    def __init__(self, mib_index: MibIndex, max_entries: int = CACHE_ENTRIES,
                 max_bytes: int = CACHE_BYTES) -> None:
        self.index = mib_index
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._cache: dict = {}            # oid -> (name, translated, syntax)
        self._names = _NameCache()         # oid -> name: the hot path's view of the same entries
        self._names.fill = self._name_missed
        self._name_of = self._names.__getitem__
        self._size = 0
        self._enums: dict = {}

    # -- the cache -------------------------------------------------------------------------

    def cache_size(self) -> tuple:
        """(entries, counted bytes) held now."""
        return len(self._cache), self._size

    def clear_cache(self) -> None:
        self._cache.clear()
        self._names.clear()
        self._size = 0

    def _entry(self, oid: str) -> tuple:
        """(name or None, translated text or None, syntax row or None) for ``oid``."""
        found = self._cache.get(oid)
        if found is None:
            found = self._resolve(oid)
            if len(oid) <= CACHE_ITEM:
                cost = len(oid) + len(found[1] or "") + ENTRY_OVERHEAD
                if len(self._cache) >= self.max_entries or self._size + cost > self.max_bytes:
                    self.clear_cache()
                self._cache[oid] = found
                self._size += cost
        return found

    def _resolve(self, oid: str) -> tuple:
        if oid.startswith("."):
            oid = oid[1:]
        node, suffix = self.index.longest(oid)
        if node is None:
            return (None, None, None)
        _, module, label, kind, syntax_id, index_id = node
        module_name = self.index.module_name(module)
        text = f"{module_name}::{label}" if module_name else label
        syntax = self.index.syntaxes[syntax_id] if syntax_id >= 0 else None
        if not suffix:
            return (text, text, syntax)
        try:
            parts = [int(p) for p in suffix.split(".")]
        except ValueError:
            return (None, None, None)
        if index_id >= 0:
            instance = format_instance(self.index.indexes[index_id], parts, self._syntax_of, self._enum)
        else:
            instance = suffix
        text = f"{text}.{instance}"
        if kind in ("s", "c"):
            return (text, text, syntax)
        return (None, text, None)

    def _syntax_of(self, oid: str) -> Optional[list]:
        node = self.index.nodes.get(oid)
        if node is None or node[4] < 0:
            return None
        return self.index.syntaxes[node[4]]

    def _enum(self, enum_id: int) -> dict:
        found = self._enums.get(enum_id)
        if found is None:
            found = self._enums[enum_id] = self.index.enum(enum_id)
        return found

    # -- names -----------------------------------------------------------------------------

    def _name_missed(self, oid: str) -> Optional[str]:
        name = self._entry(oid)[0]
        if oid in self._cache:  # kept (short enough): mirror it for the hot path
            self._names[oid] = name
            self._size += len(oid) + NAME_OVERHEAD
        return name

    def name(self, oid: str) -> Optional[str]:
        """``MODULE::name.index`` for a defined OID or an instance of a scalar/column; else None."""
        return self._name_of(oid)

    def names(self, oids: Iterable[str]) -> list:
        """:meth:`name` of each OID, in order (one call for a whole varbind list)."""
        return list(map(self._name_of, oids))

    def translate(self, oid: str) -> Optional[str]:
        """What ``snmptranslate -OS`` prints for ``oid`` (any known prefix); None if none is known."""
        return self._entry(oid)[1]

    def oid(self, name: str) -> Optional[str]:
        """The dotted OID of ``MODULE::name[.index]`` or ``name[.index]``; None if unknown.

        The index part may be numbers, ``"text"`` (length-prefixed) or
        ``'text'`` (IMPLIED / fixed size), as :meth:`translate` prints it.
        """
        name = name.strip()
        base, suffix = _split_name(name)
        found = self.index.names().get(base)
        if found is None:
            return None
        if not suffix:
            return found
        encoded = _encode_suffix(suffix)
        return f"{found}.{encoded}" if encoded else None

    # -- values ----------------------------------------------------------------------------

    def label(self, oid: str, value: Any) -> Optional[str]:
        """The enumeration label of an integer ``value`` of ``oid`` (``down``), or None."""
        syntax = self._entry(oid)[2]
        if syntax is None or syntax[2] < 0 or not isinstance(value, int) or syntax[0] != "int":
            return None
        return self._enum(syntax[2]).get(value)

    def display(self, oid: str, obj_type: int, value: Any) -> Optional[str]:
        """``value`` as its DISPLAY-HINT (or OID name, InetAddress, BITS) reads it, when that differs."""
        if obj_type == OBJECT_ID_TYPE:
            return self.name(value) if isinstance(value, str) else None
        syntax = self._entry(oid)[2]
        if syntax is None:
            return None
        base, hint, enum_id, tc = syntax[0], syntax[1], syntax[2], syntax[3]
        if obj_type in INTEGER_TYPES:
            if not hint or not isinstance(value, int):
                return None
            shown = hints.integer_hint(hint, value)
            return shown if shown is not None and shown != str(value) else None
        if obj_type not in OCTET_TYPES or not isinstance(value, bytes):
            return None
        if base == "bits" and enum_id >= 0:
            shown = hints.bits(value, self._enum(enum_id))
        elif tc == _INET_ADDRESS:
            shown = hints.inet_address(value)
        elif hint:
            shown = hints.octet_hint(hint, value)
        else:
            return None
        if shown is None:
            return None
        try:
            if shown == value.decode("utf-8"):
                return None
        except UnicodeDecodeError:
            pass
        return shown

    def value_free(self, oid: str, obj_type: int) -> bool:
        """True when :meth:`describe` gives the same for every integer value of ``oid`` with
        ``obj_type``: no enumeration label, no DISPLAY-HINT (what a formatter may cache by OID)."""
        if obj_type not in INTEGER_TYPES:
            return False
        found = self._cache.get(oid) or self._entry(oid)
        syntax = found[2]
        if found[0] is None or syntax is None:
            return True
        if obj_type == 0x02 and syntax[0] == "int" and syntax[2] >= 0:
            return False  # an enumeration: a label for some values
        return syntax[1] in ("", None, "d", "d-0")  # other DISPLAY-HINTs may show a value otherwise

    def describe(self, oid: str, obj_type: int, value: Any) -> tuple:
        """(name, label, display) of one varbind; each None when it does not apply."""
        found = self._cache.get(oid) or self._entry(oid)
        if found[0] is None and obj_type != OBJECT_ID_TYPE:
            return (None, None, None)
        label = self.label(oid, value) if obj_type == 0x02 and found[2] is not None else None
        return (found[0], label, self.display(oid, obj_type, value))

    # -- what is loaded --------------------------------------------------------------------

    def modules(self) -> list:
        """[(module, origin)] in load order; origin "" for the standard index."""
        return [(name, origin) for name, origin in self.index.modules]

    @property
    def problems(self) -> list:
        """[(file, message)]: the MIB files that could not be used, and why."""
        return [tuple(p) for p in self.index.problems]


def _split_name(name: str) -> tuple:
    module, sep, rest = name.rpartition("::")
    label, dot, suffix = rest.partition(".")
    return (f"{module}::{label}" if sep else label), suffix


def _encode_suffix(suffix: str) -> Optional[str]:
    """"3", '"public".2', "'abc'" -> dotted sub-identifiers; None if malformed."""
    out: list = []
    i, end = 0, len(suffix)
    while i < end:
        ch = suffix[i]
        if ch in "\"'":
            close = suffix.find(ch, i + 1)
            if close < 0:
                return None
            data = suffix[i + 1:close].encode("utf-8")
            if ch == '"':
                out.append(str(len(data)))
            out.extend(str(b) for b in data)
            i = close + 1
        else:
            j = suffix.find(".", i)
            j = end if j < 0 else j
            token = suffix[i:j]
            if not token.isdigit():
                return None
            out.append(str(int(token)))
            i = j
        if i < end:
            if suffix[i] != ".":
                return None
            i += 1
    return ".".join(out) if out else None
