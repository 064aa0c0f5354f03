"""MIB texts -> index parts, compiled by pysmi (PyPI ``pysnmp-pysmi``), local sources only.

The only module that imports pysmi, and only when something has to be
compiled: the standard index is package data and vendor directories come
from the cache, so a warm start never gets here.  pysmi is given exactly
two sources -- its bundled IETF/IANA/IEEE texts and the texts we hand it --
and never a URL: its default remote source waits about 15 s for the
network on every compile.
"""

from __future__ import annotations

import json
import logging
import os
from importlib import metadata
from typing import Iterable, Optional

from . import index, records

__all__ = ["CompileError", "compiler_name", "bundled_dir", "module_names", "compile_modules", "build_part"]

DISTRIBUTION = "pysnmp-pysmi"


class CompileError(RuntimeError):
    """pysmi is missing or unusable: vendor MIBs cannot be compiled here."""


def compiler_name() -> str:
    """"pysnmp-pysmi 6.0.1": recorded in every index, part of every cache key."""
    try:
        return f"{DISTRIBUTION} {metadata.version(DISTRIBUTION)}"
    except metadata.PackageNotFoundError:
        raise CompileError(f"the MIB compiler is not installed: pip install {DISTRIBUTION}") from None


def _pysmi():
    try:
        import pysmi  # noqa: F401  (pysnmp-pysmi; never PyPI "pysmi", same import name)
        from pysmi.codegen import JsonCodeGen
        from pysmi.compiler import MibCompiler
        from pysmi.parser import SmiV1CompatParser
        from pysmi.reader import CallbackReader
        from pysmi.writer import CallbackWriter
    except ImportError as exc:
        raise CompileError(f"the MIB compiler is not usable ({exc}): pip install {DISTRIBUTION}") from None
    logging.getLogger("pysmi").addHandler(logging.NullHandler())  # its notes are ours to report
    return JsonCodeGen, MibCompiler, SmiV1CompatParser, CallbackReader, CallbackWriter


def bundled_dir() -> str:
    """pysmi's own directory of standard MIB texts (what the standard index is built from)."""
    import pysmi
    return os.path.join(os.path.dirname(pysmi.__file__), "mibs", "asn1")


def module_names(text: str) -> list:
    """The modules a text defines (``NAME DEFINITIONS ::= BEGIN`` headers, comments allowed between)."""
    return records.module_names(text)


def compile_modules(names: Iterable[str], texts: Optional[dict] = None) -> tuple:
    """Compile ``names`` (and whatever they import) to JSON documents.

    ``texts``: module name -> MIB text offered besides pysmi's bundled ones
    (a bundled module is always taken from the bundle).  Returns
    ``(docs, failures)``: module -> parsed JSON document for every module
    compiled, imports included, and module -> the compiler's reason for
    each one that failed or was missing.
    """
    JsonCodeGen, MibCompiler, Parser, CallbackReader, CallbackWriter = _pysmi()
    texts = texts or {}
    docs: dict = {}

    def write(name: str, data: str, _ctx: object) -> None:
        docs[name] = json.loads(data)

    compiler = MibCompiler(Parser(), JsonCodeGen(), CallbackWriter(write))
    compiler.add_sources(CallbackReader(lambda name, _ctx: texts.get(name, "")))
    status = compiler.compile(*sorted(set(names)), genTexts=False, ignoreErrors=True)
    failures = {}
    for name, state in status.items():
        if str(state) in ("failed", "missing", "unprocessed"):
            failures[name] = (str(state), str(getattr(state, "error", "") or ""))
    return docs, failures


def build_part(modules: list, docs: dict, texts: dict, problems: Iterable[tuple] = (),
               standard: bool = False) -> str:
    """The index text of ``modules``: (file name, module name, origin) of the texts to keep.

    ``docs`` holds every compiled document (imports included) so types and
    INDEX objects from other modules resolve; only the listed modules
    become nodes, in net-snmp's load order over the listed files.
    """
    names = {module for _, module, _ in modules}
    imports = {module: [m for m in records.import_order(texts.get(module, ""), docs.get(module, {}))
                        if m in names]
               for module in names if module in docs}
    order = records.load_order([(f, m) for f, m, _ in modules if m in docs], imports)
    origin = {module: where for _, module, where in modules}
    nodes = []
    builder = records.NodeBuilder(docs)
    for module in order:
        nodes.extend(builder.module_nodes(module, records.words_of(texts.get(module, ""))))
    return index.encode([(m, origin[m]) for m in order], nodes, compiler_name(), problems, roots=standard)
