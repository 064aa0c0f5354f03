"""The MIB index: OID -> definition, in a compact file that loads in a few ms.

One format for the standard index shipped as package data and for the
cache of compiled vendor directories: JSON, one node per line (so a
regenerated file diffs readably), with the syntaxes, enumerations and
INDEX clauses stored once in tables and nodes pointing at them::

    {"format": "snmptrapmgr-mib-index", "version": 1, "compiler": "...",
     "modules": [[name, origin], ...],               # load order
     "enums": [[value, label, value, label, ...], ...],
     "syntaxes": [[base, hint, enum, tc, sizes], ...],  # sizes: [min, max, ...] or null
     "indexes": [[oid, implied, oid, implied, ...], ...],
     "nodes": [[oid, module, label, kind, syntax, index], ...],   # -1: none
     "aliases": [[oid, module, label], ...],          # other definitions of an OID
     "problems": [[file, message], ...]}

Each OID has one node: the definition net-snmp prints (see
:func:`encode`); the others are aliases, still found by name.  Loading
keeps the parsed lists as they are and indexes them by OID text, so a
warm start costs one ``json.loads`` and one dict, never a compile.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional, Sequence

__all__ = ["FORMAT", "VERSION", "IndexFileError", "encode", "decode", "MibIndex", "oid_key", "ROOTS"]

FORMAT = "snmptrapmgr-mib-index"
VERSION = 1
#: the three top arcs, which no module defines and net-snmp prints bare
ROOTS = (("0", "ccitt"), ("1", "iso"), ("2", "joint-iso-ccitt"))


class IndexFileError(ValueError):
    """An index file that is not one (wrong format, version, or shape)."""


def oid_key(oid: str) -> tuple:
    """Sort key of a dotted OID: numeric arc by arc."""
    return tuple(int(p) for p in oid.split("."))


def _table(store: dict, rows: list, value: Any) -> int:
    if value is None:
        return -1
    found = store.get(value)
    if found is None:
        found = store[value] = len(rows)
        rows.append(value)
    return found


def encode(modules: Sequence[tuple], nodes: Iterable[tuple], compiler: str,
           problems: Iterable[tuple] = (), roots: bool = False) -> str:
    """The index text of ``nodes`` (records of :mod:`records`) from ``modules``.

    ``modules``: (name, origin) in load order.  An OID defined more than
    once is named by the first module in that order and, within one module,
    by its last definition (what net-snmp prints); the rest become aliases.
    The text depends only on its input: same input, same bytes.
    """
    rank = {name: i for i, (name, _) in enumerate(modules)}
    by_module: dict = {}
    for node in nodes:
        if node[1] in rank:
            by_module.setdefault(node[1], []).append(node)
    primary: dict = {}
    aliases = []
    for name, _ in modules:
        for node in reversed(by_module.get(name, ())):
            if node[0] in primary:
                aliases.append((node[0], rank[name], node[2]))
            else:
                primary[node[0]] = node
    enums: dict = {}
    enum_rows: list = []
    syntaxes: dict = {}
    syntax_rows: list = []
    indexes: dict = {}
    index_rows: list = []
    lines = []
    if roots:
        for oid, label in ROOTS:
            primary.setdefault(oid, (oid, None, label, "o", None, None))
    for oid in sorted(primary, key=oid_key):
        _, module, label, kind, syntax, index = primary[oid]
        syntax_id = -1
        if syntax is not None:
            base, hint, enum, tc, sizes = syntax
            enum_id = _table(enums, enum_rows, enum)
            syntax_id = _table(syntaxes, syntax_rows, (base, hint, enum_id, tc, sizes))
        index_id = _table(indexes, index_rows, index)
        lines.append([oid, -1 if module is None else rank[module], label, kind, syntax_id, index_id])
    aliases.sort(key=lambda a: (oid_key(a[0]), a[1], a[2]))
    dump = json.dumps
    out = [
        '{"format":%s,"version":%d,"compiler":%s,' % (dump(FORMAT), VERSION, dump(compiler)),
        '"modules":' + _rows([list(m) for m in modules]) + ",",
        '"enums":' + _rows([[x for pair in enum for x in pair] for enum in enum_rows]) + ",",
        '"syntaxes":' + _rows([list(s) for s in syntax_rows]) + ",",
        '"indexes":' + _rows([[x for part in index for x in part] for index in index_rows]) + ",",
        '"nodes":' + _rows(lines) + ",",
        '"aliases":' + _rows([list(a) for a in aliases]) + ",",
        '"problems":' + _rows([list(p) for p in sorted(problems)]),
        "}\n",
    ]
    return "\n".join(out)


def _rows(rows: list) -> str:
    if not rows:
        return "[]"
    dump = json.dumps
    return "[\n" + ",\n".join(dump(r, separators=(",", ":"), ensure_ascii=False) for r in rows) + "\n]"


def decode(text: str, where: str = "index") -> dict:
    """The parsed index, checked for its format and shape (IndexFileError otherwise)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise IndexFileError(f"{where}: not an index file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise IndexFileError(f"{where}: not an index file")
    if doc.get("version") != VERSION:
        raise IndexFileError(f"{where}: index version {doc.get('version')!r}, expected {VERSION}")
    for key in ("modules", "enums", "syntaxes", "indexes", "nodes", "aliases", "problems"):
        if not isinstance(doc.get(key), list):
            raise IndexFileError(f"{where}: no {key!r} list")
    return doc


class MibIndex:
    """Several decoded index parts (the standard one first) as one lookup.

    A later part's definition of an OID an earlier part already names
    becomes an alias: the standard modules keep their names, and a vendor
    directory only adds.  Read-only after construction, so one index can
    serve every thread.
    """

    def __init__(self, parts: Sequence[dict]) -> None:
        self.modules: list = []        # [name, origin] in load order over all parts
        self.enums: list = []
        self.syntaxes: list = []
        self.indexes: list = []
        self.nodes: dict = {}          # oid -> [oid, module, label, kind, syntax, index]
        self.aliases: list = []        # [oid, module, label]
        self.problems: list = []       # [file, message]
        self.compilers: list = []
        self._names: Optional[dict] = None
        self._depth: Optional[int] = None  # arcs of the deepest node, for longest()
        for part in parts:
            self._add(part)

    def _add(self, part: dict) -> None:
        self._depth = None
        self.compilers.append(part.get("compiler", ""))
        self.problems.extend(part["problems"])
        known = {m[0] for m in self.modules}
        module_map = []
        for name, origin in part["modules"]:
            module_map.append(len(self.modules))
            if name in known:  # a later copy of a module never replaces the first
                self.problems.append([origin, f"module {name} is already loaded; this copy is not used"])
            self.modules.append([name, origin])
        if not self.nodes:  # the first part: take its tables as they are (no copy, no remap)
            self.enums, self.syntaxes, self.indexes = part["enums"], part["syntaxes"], part["indexes"]
            self.nodes = {node[0]: node for node in part["nodes"]}
            self.aliases = list(part["aliases"])
            return
        enum_base, syntax_base, index_base = len(self.enums), len(self.syntaxes), len(self.indexes)
        self.enums = self.enums + part["enums"]
        self.syntaxes = self.syntaxes + [
            [s[0], s[1], s[2] + enum_base if s[2] >= 0 else -1, s[3], s[4]] for s in part["syntaxes"]]
        self.indexes = self.indexes + part["indexes"]
        nodes = self.nodes
        for oid, module, label, kind, syntax, index in part["nodes"]:
            module = module_map[module] if module >= 0 else -1
            if self.modules[module][0] in known and module >= 0:
                continue
            if oid in nodes:
                self.aliases.append([oid, module, label])
                continue
            nodes[oid] = [oid, module, label, kind, syntax + syntax_base if syntax >= 0 else -1,
                          index + index_base if index >= 0 else -1]
        for oid, module, label in part["aliases"]:
            self.aliases.append([oid, module_map[module], label])

    def module_name(self, module: int) -> str:
        return self.modules[module][0] if module >= 0 else ""

    def longest(self, oid: str) -> tuple:
        """(node, suffix) for the longest known prefix of ``oid`` ("" suffix: exact); (None, oid)."""
        nodes = self.nodes
        # start at most as deep as the deepest node: a hostile 60,000-arc OID must cost one
        # scan, not one hash of every prefix (that was quadratic: ~1.5 s per such varbind)
        depth = self._depth
        if depth is None:
            depth = self._depth = max((key.count(".") + 1 for key in nodes), default=0)
        cut = -1
        for _ in range(depth):
            cut = oid.find(".", cut + 1)
            if cut < 0:
                break
        prefix = oid[:cut] if cut >= 0 else oid
        while prefix:
            node = nodes.get(prefix)
            if node is not None:
                return node, oid[len(prefix) + 1:]
            prefix = prefix.rpartition(".")[0]
        return None, oid

    def names(self) -> dict:
        """"MODULE::label" and "label" -> OID (first definition in load order wins a bare label)."""
        if self._names is None:
            names: dict = {}
            entries = [(n[1], n[2], n[0]) for n in self.nodes.values()]
            entries += [(a[1], a[2], a[0]) for a in self.aliases]
            entries.sort(key=lambda e: (e[0] if e[0] >= 0 else -1, oid_key(e[2])))
            for module, label, oid in entries:
                if module >= 0:
                    names.setdefault(f"{self.modules[module][0]}::{label}", oid)
                names.setdefault(label, oid)
            self._names = names
        return self._names

    def enum(self, enum_id: int) -> dict:
        """value -> label of enumeration ``enum_id``."""
        flat = self.enums[enum_id]
        return dict(zip(flat[0::2], flat[1::2]))
