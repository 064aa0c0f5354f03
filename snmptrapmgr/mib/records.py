"""From the MIB compiler's JSON documents to index records.

pysmi's JSON generator writes one document per module: symbol -> definition,
in the order of the text.  What a receiver needs from it is small, so each
definition with an OID becomes one flat record::

    node   = (oid, module, label, kind, syntax, index)
    syntax = (base, hint, enum, tc, size)        # or None
    index  = ((oid of an index object, implied), ...)   # or None

``kind`` is one of :data:`KINDS`; ``base`` one of "int", "str", "oid", "ip",
"bits", "other"; ``enum`` the (value, label) pairs of an enumerated INTEGER
or the (bit, name) pairs of BITS; ``tc`` the nearest TEXTUAL-CONVENTION
("INET-ADDRESS-MIB::InetAddress"); ``size`` the SIZE ranges of a string,
flat (``SIZE (4 | 8..16)`` -> (4, 4, 8, 16)), or None.  Columns carry their row's INDEX (AUGMENTS followed),
so the resolver never has to walk up the tree.

pysmi writes hyphenated descriptors with underscores and prefixes Python
keywords with ``pysmi_``; :func:`unmangle` gives the name the MIB wrote.
No pysmi import here: this module only reads its output.
"""

from __future__ import annotations

import keyword
import re
from typing import Any, Iterable, Optional

__all__ = [
    "KINDS", "KIND_NOTIFICATION", "KIND_SCALAR", "KIND_COLUMN", "KIND_ROW", "KIND_TABLE", "KIND_OTHER",
    "NodeBuilder", "module_nodes", "import_order", "module_names", "load_order", "unmangle", "words_of",
]

KIND_NOTIFICATION = "n"   # NOTIFICATION-TYPE, and SMIv1 TRAP-TYPE at enterprise.0.specific
KIND_SCALAR = "s"
KIND_COLUMN = "c"
KIND_ROW = "r"
KIND_TABLE = "t"
KIND_OTHER = "o"          # OBJECT IDENTIFIER, MODULE-IDENTITY, groups, compliances
KINDS = (KIND_NOTIFICATION, KIND_SCALAR, KIND_COLUMN, KIND_ROW, KIND_TABLE, KIND_OTHER)

_NODE_KINDS = {"scalar": KIND_SCALAR, "column": KIND_COLUMN, "row": KIND_ROW, "table": KIND_TABLE}
_BASES = {
    "INTEGER": "int", "Integer32": "int", "Unsigned32": "int", "Counter32": "int", "Gauge32": "int",
    "TimeTicks": "int", "Counter64": "int", "Counter": "int", "Gauge": "int", "UInteger32": "int",
    "OCTET STRING": "str", "Opaque": "str", "IpAddress": "ip", "NetworkAddress": "ip",
    "OBJECT IDENTIFIER": "oid", "Bits": "bits", "BITS": "bits",
}
_MAX_DEPTH = 16  # TEXTUAL-CONVENTION chains are short; a loop in broken input must end
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_COMMENT = re.compile(r"--.*?(?:--|$)", re.M)
_GAP = r"(?:\s|--[^\n]*(?:\n|$))+"  # white space and comments between the header's tokens
_HEADER = re.compile(rf"^[ \t]*([A-Z][A-Za-z0-9-]*){_GAP}DEFINITIONS(?:{_GAP})?::=(?:{_GAP})?BEGIN\b", re.M)
_IMPORTS = re.compile(r"\bIMPORTS\b(.*?);", re.S)
_FROM = re.compile(r"\bFROM\s+([A-Za-z][A-Za-z0-9-]*)")


def words_of(text: str) -> frozenset:
    """Every identifier-like word of a MIB text containing "_" (for :func:`unmangle`)."""
    return frozenset(w for w in _WORD.findall(text) if "_" in w)


def unmangle(name: str, words: frozenset = frozenset()) -> str:
    """The descriptor as the MIB wrote it, from pysmi's key (``mib_2`` -> ``mib-2``).

    SMI descriptors cannot hold "_", so pysmi's "_" was a "-" -- unless the
    text itself used the underscore (some vendor MIBs do): ``words`` has those.
    """
    if name.startswith("pysmi_") and keyword.iskeyword(name[6:]):
        name = name[6:]
    if "_" in name and name not in words:
        name = name.replace("_", "-")
    return name


def module_names(text: str) -> list:
    """The modules a text declares (``NAME DEFINITIONS ::= BEGIN`` at a line start), in order."""
    found = []
    for name in _HEADER.findall(text):
        if name not in found:
            found.append(name)
    return found


def import_order(text: str, doc: dict) -> list:
    """The modules a MIB imports, in the order its IMPORTS clause names them.

    net-snmp loads imports in that order, which decides who names an OID
    that two modules define; the JSON document has them sorted, so the
    text is read (comments stripped), and the document fills any gap.
    """
    found: list = []
    match = _IMPORTS.search(_COMMENT.sub("", text)) if text else None
    if match:
        for name in _FROM.findall(match.group(1)):
            if name not in found:
                found.append(name)
    for name in (doc.get("imports") or {}):
        if name != "class" and name not in found:
            found.append(name)
    return found


def load_order(files: Iterable[tuple], imports: dict) -> list:
    """Module names in the order net-snmp's ``-m ALL`` loads them.

    ``files``: (file name, module name) pairs of one directory.  net-snmp
    reads the directory sorted by file name and loads the modules last
    file first, each module's imports before the module itself; the first
    module to define an OID is the one it prints.
    """
    order: list = []
    seen: set = set()

    def visit(name: str, depth: int) -> None:
        if name in seen or name not in imports or depth > 64:
            return
        seen.add(name)
        for dep in imports[name]:
            visit(dep, depth + 1)
        order.append(name)

    for _, module in sorted(files, reverse=True):
        visit(module, 0)
    return order


def _import_map(doc: dict) -> dict:
    found = {}
    for module, symbols in (doc.get("imports") or {}).items():
        if module != "class" and isinstance(symbols, list):
            for symbol in symbols:
                found.setdefault(symbol, module)
    return found


def _sizes(constraints: Any) -> Optional[tuple]:
    """SIZE (a | b..c) as the flat tuple (a, a, b, c), or None."""
    sizes = constraints.get("size") if isinstance(constraints, dict) else None
    if not isinstance(sizes, list) or not sizes:
        return None
    flat = []
    for item in sizes:
        low, high = (item.get("min"), item.get("max")) if isinstance(item, dict) else (None, None)
        if not isinstance(low, int) or not isinstance(high, int):
            return None
        flat += [low, high]
    return tuple(flat)


def _pairs(mapping: Any) -> Optional[tuple]:
    if not isinstance(mapping, dict) or not mapping:
        return None
    pairs = [(v, k) for k, v in mapping.items() if isinstance(v, int) and isinstance(k, str)]
    return tuple(sorted(pairs)) if pairs else None


class _Types:
    """Resolves a SYNTAX through TEXTUAL-CONVENTIONs and type assignments, across modules."""

    def __init__(self, docs: dict) -> None:
        self.docs = docs
        self.imports: dict = {}
        self.words: dict = {}

    def import_map(self, module: str) -> dict:
        found = self.imports.get(module)
        if found is None:
            found = self.imports[module] = _import_map(self.docs.get(module) or {})
        return found

    def find(self, module: str, name: str, want_type: bool) -> tuple:
        """(module, definition) of ``name`` as seen from ``module``, following IMPORTS.

        ``want_type``: a TEXTUAL-CONVENTION or type assignment; else an
        object with an OID (INDEX and AUGMENTS name those).
        """
        for _ in range(_MAX_DEPTH):
            doc = self.docs.get(module) or {}
            found = doc.get(name) or doc.get(name.replace("-", "_"))
            if isinstance(found, dict) and (
                    found.get("class") in ("textualconvention", "type") if want_type else "oid" in found):
                return module, found
            source = self.import_map(module).get(name)
            if source is None or source == module:
                return module, None
            module = source
        return module, None

    def syntax(self, module: str, syntax: Any) -> Optional[tuple]:
        if not isinstance(syntax, dict):
            return None
        constraints = syntax.get("constraints") or {}
        enum = _pairs(constraints.get("enumeration")) or _pairs(syntax.get("bits"))
        size = _sizes(constraints)
        hint = ""
        tc = ""
        name = syntax.get("type")
        base = "other"
        for _ in range(_MAX_DEPTH):
            if not isinstance(name, str):
                break
            if name in _BASES:
                base = _BASES[name]
                break
            module, found = self.find(module, name, True)
            if found is None:
                break
            if not tc and found.get("class") == "textualconvention":
                tc = f"{module}::{name}"
            hint = hint or found.get("displayhint") or ""
            inner = found.get("type") or {}
            inner_constraints = inner.get("constraints") or {}
            enum = enum or _pairs(inner_constraints.get("enumeration")) or _pairs(inner.get("bits"))
            if size is None:
                size = _sizes(inner_constraints)
            name = inner.get("type")
        if base == "ip":
            size = (4, 4)
        return (base, hint if isinstance(hint, str) else "", enum, tc, size)

    def row_index(self, module: str, row: dict) -> Optional[tuple]:
        for _ in range(_MAX_DEPTH):
            augments = row.get("augmentation")
            if not isinstance(augments, dict):
                break
            module, row = self.find(augments.get("module") or module, augments.get("object") or "", False)
            if row is None:
                return None
        parts = []
        for item in row.get("indices") or ():
            if not isinstance(item, dict):
                return None
            _, found = self.find(item.get("module") or module, item.get("object") or "", False)
            if found is None or not isinstance(found.get("oid"), str):
                return None
            parts.append((found["oid"], 1 if item.get("implied") else 0))
        return tuple(parts) or None


def _kind(definition: dict) -> str:
    cls = definition.get("class")
    if cls == "notificationtype":
        return KIND_NOTIFICATION
    if cls == "objecttype":
        return _NODE_KINDS.get(definition.get("nodetype"), KIND_OTHER)
    return KIND_OTHER


class NodeBuilder:
    """Node records of modules, with one shared view of every compiled document."""

    def __init__(self, docs: dict) -> None:
        self.types = _Types(docs)
        self.docs = docs
        self._rows: Optional[dict] = None

    def _row_anywhere(self, oid: str) -> Optional[tuple]:
        """(module, definition) of the row at ``oid`` in any document (a row in another module)."""
        if self._rows is None:
            self._rows = {}
            for module, doc in self.docs.items():
                for definition in doc.values():
                    if isinstance(definition, dict) and definition.get("nodetype") == "row":
                        self._rows.setdefault(definition.get("oid"), (module, definition))
        return self._rows.get(oid)

    def module_nodes(self, module: str, words: frozenset = frozenset()) -> list:
        """The node records of ``module``, in the order of its text."""
        types = self.types
        doc = self.docs.get(module) or {}
        rows: dict = {}
        nodes = []
        for key, definition in doc.items():
            if not isinstance(definition, dict) or not isinstance(definition.get("oid"), str):
                continue
            oid = definition["oid"]
            if not _valid_oid(oid):
                continue
            kind = _kind(definition)
            label = unmangle(str(definition.get("name") or key), words)
            syntax = types.syntax(module, definition.get("syntax")) if kind in (KIND_SCALAR, KIND_COLUMN) \
                else None
            if kind == KIND_ROW:
                rows[oid] = types.row_index(module, definition)
            nodes.append([oid, module, label, kind, syntax, None])
        for node in nodes:
            if node[3] == KIND_COLUMN:
                parent = node[0].rpartition(".")[0]
                if rows.get(parent) is not None:
                    node[5] = rows[parent]
                else:  # the row is in another module, or its INDEX did not resolve here
                    found = self._row_anywhere(parent)
                    node[5] = types.row_index(*found) if found else None
        return [tuple(n) for n in nodes]


def module_nodes(docs: dict, module: str, words: frozenset = frozenset()) -> list:
    """The node records of ``module`` (docs: every module's JSON document, imports included)."""
    return NodeBuilder(docs).module_nodes(module, words)


def _valid_oid(oid: str) -> bool:
    parts = oid.split(".")
    return len(parts) >= 1 and all(p.isdigit() and len(p) <= 10 and int(p) < 1 << 32 for p in parts) \
        and parts[0] in ("0", "1", "2")
