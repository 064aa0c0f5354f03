"""``snmptrapmgr mib ...``: translate OIDs and names, compile vendor MIBs ahead of time, list modules.

    snmptrapmgr mib translate [--mib-dir DIR]... OID|NAME...
    snmptrapmgr mib compile DIR...
    snmptrapmgr mib list [--mib-dir DIR]...

``translate`` prints one line per argument: an OID as ``snmptranslate -OS``
prints it (``IF-MIB::ifAdminStatus.3``), a name as its dotted OID; one it
cannot resolve gets a message on stderr and the exit status 1.
``compile`` fills the cache for exactly these directories (pass the same
list to ``listen --mib-dir``) and reports every file; exit 1 if any file
could not be used.  ``list`` prints each loaded module and where it came
from.  Bad input gives a message naming what to fix, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Optional, TextIO

from . import IndexFileError, load, loader

__all__ = ["add_arguments", "run", "translate", "compile_dirs", "list_modules"]


def add_arguments(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``mib`` and its subcommands on the ``snmptrapmgr`` command's subparsers."""
    parser = subparsers.add_parser(
        "mib", help="translate OIDs and names, compile vendor MIBs, list modules",
        description="MIB names: the standard modules are built in; vendor MIBs come from --mib-dir.")
    commands = parser.add_subparsers(dest="mib_command", required=True)
    translate_parser = commands.add_parser(
        "translate", help="OID -> MODULE::name.index, name -> OID (one line each)",
        description="Print each OID as snmptranslate -OS names it, each name as its dotted OID.")
    translate_parser.add_argument("items", nargs="+", metavar="OID|NAME")
    _mib_dir_option(translate_parser)
    compile_parser = commands.add_parser(
        "compile", help="compile MIB directories into the cache now, reporting every file",
        description="Compile the MIB files of these directories (pass the same list to listen --mib-dir).")
    compile_parser.add_argument("directories", nargs="+", metavar="DIR")
    list_parser = commands.add_parser("list", help="the loaded modules and where each came from")
    _mib_dir_option(list_parser)
    parser.set_defaults(handler=run)
    return parser


def _mib_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mib-dir", action="append", default=[], metavar="DIR",
                        help="also load the MIBs of this directory (repeatable)")


def run(args: argparse.Namespace, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Dispatch ``snmptrapmgr mib <command>``; the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if args.mib_command == "translate":
            return translate(args.items, args.mib_dir, out, err)
        if args.mib_command == "compile":
            return compile_dirs(args.directories, out, err)
        if args.mib_command == "list":
            return list_modules(args.mib_dir, out, err)
    except (IndexFileError, OSError) as exc:
        err.write(f"snmptrapmgr: the MIB index cannot be read: {exc}\n")
        return 2
    err.write(f"snmptrapmgr: unknown mib command {args.mib_command!r}\n")
    return 2


def _report_problems(problems: list, err: TextIO) -> None:
    for where, message in problems:
        err.write(f"snmptrapmgr: MIB {where}: {message}\n")


def _is_numeric(item: str) -> bool:
    text = item[1:] if item.startswith(".") else item
    return bool(text) and all(part.isdigit() for part in text.split("."))


def translate(items: list, mib_dirs: Optional[list], out: TextIO, err: TextIO) -> int:
    resolver = load(mib_dirs or ())
    _report_problems(resolver.problems, err)
    status = 0
    for item in items:
        if _is_numeric(item):
            answer: Optional[str] = resolver.translate(item[1:] if item.startswith(".") else item)
            what = "no MIB names any prefix of this OID"
        else:
            answer = resolver.oid(item)
            what = "no loaded MIB defines this name (MODULE::name, name, with an optional .index)"
        if answer is None:
            err.write(f"snmptrapmgr: cannot resolve {item}: {what}\n")
            status = 1
        else:
            out.write(answer + "\n")
    return status


def compile_dirs(directories: list, out: TextIO, err: TextIO) -> int:
    from .compiler import CompileError, compiler_name

    vendor = loader.VendorSet(directories)
    standard = [m[0] for m in loader.standard_part()["modules"]]
    try:
        text = vendor.compile(standard)
        path = vendor.store(vendor.key(compiler_name()), text)
    except CompileError as exc:
        err.write(f"snmptrapmgr: {exc}\n")
        return 2
    for item in vendor.files:
        out.write(f"{item.path}: {vendor.reports.get(item.path) or 'nothing to compile'}\n")
    for where, message in vendor.problems:
        out.write(f"{where}: {message}\n")
    err.write(f"snmptrapmgr: {vendor.cache_note or f'cached in {path}'}\n")
    if vendor.last_problems:
        where = {w for w, _ in vendor.last_problems}
        err.write(f"snmptrapmgr: {len(where)} of the files or directories could not be used "
                  "(see above); everything else compiled\n")
        return 1
    return 0


def list_modules(mib_dirs: Optional[list], out: TextIO, err: TextIO) -> int:
    resolver = load(mib_dirs or ())
    _report_problems(resolver.problems, err)
    compiler = resolver.index.compilers[0] if resolver.index.compilers else ""
    for name, origin in resolver.modules():
        out.write(f"{name}\t{origin or f'standard ({compiler} bundled texts)'}\n")
    return 0
