"""Where index parts come from: the standard one (package data) and vendor directories.

A vendor directory set is compiled once and cached by content under
``$XDG_CACHE_HOME/snmptrapmgr/mib`` (default ``~/.cache/snmptrapmgr/mib``):
the key hashes the compiler's name, the index version and every file of
every directory (path, name, bytes), so a restart with the same texts
loads the cached part at once, and any changed, added or removed file
means one recompile.  A file that cannot be used -- unreadable, binary,
not a MIB, a syntax error, an import nobody provides, a module defined
twice -- is a problem naming the file and the reason; the other files
still load.  Problems are stored with the part, so a cached load reports
them again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from typing import Iterable, Optional, Sequence

from . import index

__all__ = ["STANDARD_INDEX", "read_standard", "standard_part", "cache_dir", "VendorSet", "MAX_FILE_BYTES", "CACHE_KEEP"]

STANDARD_INDEX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "standard.json")
#: the largest file read as a MIB text (the biggest real MIBs are a few MB)
MAX_FILE_BYTES = 16 << 20
#: cached vendor parts kept; older ones are removed when a new one is written
CACHE_KEEP = 32

_standard: Optional[dict] = None


def read_standard() -> dict:
    """The standard index, read and decoded now (the package data file)."""
    with open(STANDARD_INDEX, encoding="utf-8") as handle:
        return index.decode(handle.read(), STANDARD_INDEX)


def standard_part() -> dict:
    """The decoded standard index, read once per process (every MibIndex shares it)."""
    global _standard
    if _standard is None:
        _standard = read_standard()
    return _standard


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "snmptrapmgr", "mib")


class _File:
    __slots__ = ("path", "name", "data", "problem")

    def __init__(self, path: str, name: str, data: bytes, problem: str = "") -> None:
        self.path = path
        self.name = name
        self.data = data
        self.problem = problem


def _read_dir(directory: str) -> tuple:
    """(files, problems) of one directory: regular files, hidden ones skipped, read whole."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return [], [(directory, "no such directory")]
    except NotADirectoryError:
        return [], [(directory, "not a directory")]
    except OSError as exc:
        return [], [(directory, f"cannot list: {exc.strerror or exc}")]
    files = []
    for name in names:
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        try:
            size = os.path.getsize(path)
            if size > MAX_FILE_BYTES:
                files.append(_File(path, name, b"", f"{size} bytes: larger than {MAX_FILE_BYTES}, "
                                                   "not read as a MIB text"))
                continue
            with open(path, "rb") as handle:
                files.append(_File(path, name, handle.read()))
        except OSError as exc:
            files.append(_File(path, name, b"", f"cannot read: {exc.strerror or exc}"))
    if not files:
        return [], [(directory, "no MIB files in this directory")]
    return files, []


def _text(item: _File) -> Optional[str]:
    """The file's text, or None with ``item.problem`` set when it cannot be a MIB."""
    if item.problem:
        return None
    if b"\0" in item.data:
        item.problem = "binary data, not a MIB text"
        return None
    if b"DEFINITIONS" not in item.data:
        item.problem = "not a MIB module (no 'NAME DEFINITIONS ::= BEGIN')"
        return None
    try:
        return item.data.decode("utf-8")
    except UnicodeDecodeError:
        return item.data.decode("latin-1")


class VendorSet:
    """The MIB directories given by the user, in order: scanned, hashed, compiled or cached."""

    def __init__(self, directories: Sequence[str], cache: Optional[str] = None) -> None:
        self.directories = [os.path.abspath(os.path.expanduser(d)) for d in directories]
        self.cache = cache if cache is not None else cache_dir()
        self.files: list = []
        self.problems: list = []
        for directory in self.directories:
            found, problems = _read_dir(directory)
            self.files.extend(found)
            self.problems.extend(problems)
        self.reports: dict = {}   # file path -> what compiling it gave ("compiled X", a problem...)
        self.last_problems: list = []  # (file or directory, message) of the last compile
        self.cached = False
        self.cache_note = ""

    def key(self, compiler: str) -> str:
        digest = hashlib.sha256(f"{index.FORMAT} {index.VERSION} {compiler}\n".encode())
        for directory in self.directories:
            digest.update(f"dir {directory}\n".encode())
        for item in self.files:
            digest.update(f"file {item.path} {len(item.data)} {item.problem}\n".encode())
            digest.update(hashlib.sha256(item.data).digest())
        return digest.hexdigest()

    def _cache_path(self, key: str) -> str:
        return os.path.join(self.cache, f"vendor-{key[:40]}.json")

    def part(self, standard_modules: Iterable[str], compiler: Optional[str] = None) -> Optional[dict]:
        """The decoded part of these directories: from the cache, else compiled (and cached)."""
        if not self.files:
            return None
        if compiler is None:
            from .compiler import compiler_name
            compiler = compiler_name()
        path = self._cache_path(self.key(compiler))
        try:
            with open(path, encoding="utf-8") as handle:
                part = index.decode(handle.read(), path)
            self.cached = True
            return part
        except (OSError, index.IndexFileError):
            pass
        text = self.compile(standard_modules)
        self.store(self.key(compiler), text)
        return index.decode(text, path)

    def compile(self, standard_modules: Iterable[str]) -> str:
        """Compile every file (pysmi); the index text of what compiled, with the problems."""
        from . import compiler

        standard = set(standard_modules)
        texts: dict = {}
        owner: dict = {}       # module -> file path
        modules = []           # (file name, module, origin)
        problems = list(self.problems)
        for item in self.files:
            text = _text(item)
            if text is None:
                problems.append((item.path, item.problem))
                self.reports[item.path] = item.problem
                continue
            names = compiler.module_names(text)
            if not names:
                problems.append((item.path, "not a MIB module (no 'NAME DEFINITIONS ::= BEGIN')"))
                self.reports[item.path] = problems[-1][1]
                continue
            notes = []
            for module in names:
                if module in standard:
                    notes.append(f"{module}: a standard module, the bundled copy is used")
                elif module in owner:
                    message = f"module {module} is already defined by {owner[module]}; this copy is not used"
                    problems.append((item.path, message))
                    notes.append(message)
                else:
                    owner[module] = item.path
                    texts[module] = text
                    modules.append((item.name, module, item.path))
            self.reports[item.path] = "; ".join(notes)
        docs, failures = compiler.compile_modules(list(owner), texts) if owner else ({}, {})
        for module, (state, reason) in sorted(failures.items()):
            if module in owner:
                message = _reason(state, reason, failures)
                problems.append((owner[module], f"{module}: {message}"))
                self.reports[owner[module]] = _join(self.reports.get(owner[module]), f"{module}: {message}")
        for _, module, path in modules:
            if module in docs:
                self.reports[path] = _join(self.reports.get(path), f"compiled {module}")
        kept = [m for m in modules if m[1] in docs]
        self.last_problems = sorted(problems)
        return compiler.build_part(kept, docs, texts, problems)

    def store(self, key: str, text: str) -> Optional[str]:
        """Write the compiled part for ``key`` into the cache; its path, or None (``cache_note`` says why)."""
        path = self._cache_path(key)
        try:
            os.makedirs(self.cache, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache, prefix=".vendor-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            self.cache_note = f"cannot write the MIB cache {self.cache}: {exc.strerror or exc} (compiled in memory)"
            return None
        _prune(self.cache, path)
        return path


def _join(first: Optional[str], second: str) -> str:
    return f"{first}; {second}" if first else second


def _reason(state: str, reason: str, failures: dict) -> str:
    """The compiler's reason, in words a MIB author acts on."""
    if state == "unprocessed" or "in symbolTable" in reason:
        missing = sorted(m for m, (s, _) in failures.items() if s == "missing")
        if missing and ("in symbolTable" in reason or state == "unprocessed"):
            for module in missing:
                if f'"{module}"' in reason:
                    return f"imports {module}, which no MIB directory provides"
        if 'no module "' in reason:
            module = reason.split('no module "', 1)[1].split('"', 1)[0]
            return f"imports {module}, which did not compile"
    return f"does not compile: {reason}" if reason else state


def _prune(directory: str, keep: str) -> None:
    try:
        entries = [os.path.join(directory, n) for n in os.listdir(directory)
                   if n.startswith("vendor-") and n.endswith(".json")]
        entries.sort(key=lambda p: os.path.getmtime(p), reverse=True)
        for stale in entries[CACHE_KEEP:]:
            if stale != keep:
                os.remove(stale)
    except OSError:
        pass
