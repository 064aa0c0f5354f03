"""Which snmptrapmgr the bench measures, decided before anything imports it.

``python -m bench`` runs in the repository root, so Python finds the checkout's
``./snmptrapmgr`` first.  After a plain ``pip install .`` that folder has no compiled
modules (pip built them into site-packages), and measuring it would measure only the
pure-Python fallback.  :func:`choose` therefore looks, without importing anything:

1. at the snmptrapmgr Python would import; if every compiled module its
   ``_select.ACCELERATED`` names is there for this interpreter, that one is measured;
2. otherwise at every other ``sys.path`` entry (site-packages, PYTHONPATH, a
   ``pip install --target`` folder); the first snmptrapmgr with all its compiled
   modules is measured instead, put first on ``sys.path``.

Child processes (receivers, ``snmptrapmgr listen``, senders) must import the same
package: :func:`child_env` / :data:`child_cwd` give them a private folder holding only
two links, ``snmptrapmgr`` -> the measured package and ``bench`` -> this checkout's
bench, as their working directory and first PYTHONPATH entry (a working directory of
the repository root would put the checkout's snmptrapmgr first again).
"""

from __future__ import annotations

import ast
import atexit
import importlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent  # the checkout holding this bench
BENCH = ROOT / "bench"
BUILD_HINT = "build them with `pip install .` or `python setup.py build_ext --inplace` in the repository root"


def accelerated(package: Path) -> tuple:
    """The compiled modules a package folder should have (its ``_select.ACCELERATED``), read
    from the source without importing it; () when it cannot be read."""
    try:
        tree = ast.parse((package / "_select.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return ()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        if any(isinstance(t, ast.Name) and t.id == "ACCELERATED" for t in targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return ()
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, (tuple, list)) else ()
    return ()


def missing_compiled(package: Path) -> list:
    """The compiled modules (``codec.ber``, ...) ``package`` lacks for this interpreter."""
    names = accelerated(package)
    if not names:
        return ["(its _select.py names no compiled modules)"]
    missing = []
    for name in names:
        layer, _, stem = name.rpartition(".")
        folder = package.joinpath(*layer.split(".")) if layer else package
        if not any((folder / f"_{stem}_c{suffix}").is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES):
            missing.append(name)
    return missing


@dataclass
class Measured:
    package: Path                      # the snmptrapmgr folder measured
    compiled: bool                     # all its compiled modules are there
    origin: str                        # "checkout" (this repository) or "installed"
    passed_over: Optional[Path] = None  # the folder Python would have imported (no compiled modules)

    def describe(self) -> str:
        where = "this checkout" if self.origin == "checkout" else "an installed copy"
        text = f"{self.package} ({where}"
        if self.passed_over is not None:
            text += f"; {self.passed_over} has no compiled modules, so it is not measured"
        return text + ")"


_current: Optional[Measured] = None
_overlay: Optional[Path] = None


def _origin(package: Path) -> str:
    return "checkout" if package == ROOT / "snmptrapmgr" else "installed"


def _found() -> Optional[Path]:
    """The snmptrapmgr folder ``import snmptrapmgr`` gives (or gave) here, without importing it."""
    module = sys.modules.get("snmptrapmgr")
    if module is not None and getattr(module, "__file__", None):
        return Path(module.__file__).resolve().parent
    try:
        spec = importlib.util.find_spec("snmptrapmgr")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def choose(prefer_compiled: bool = True) -> Optional[Measured]:
    """Decide which snmptrapmgr is measured (see the module doc); None if none is importable.

    With ``prefer_compiled`` False (a pure-Python run) the one Python finds is kept.  Once
    snmptrapmgr is imported in this process, the imported one is kept whatever it has.
    """
    global _current, _overlay
    if _overlay is not None:  # links made for an earlier decision
        _remove_overlay()
        _overlay = None
    found = _found()
    if found is None:
        return None
    missing = missing_compiled(found)
    _current = Measured(found, not missing, _origin(found))
    if not missing or not prefer_compiled or "snmptrapmgr" in sys.modules:
        return _current
    for entry in sys.path:
        try:
            candidate = (Path(entry) if entry else Path.cwd()).resolve() / "snmptrapmgr"
        except OSError:
            continue
        if candidate == found or not (candidate / "__init__.py").is_file() or missing_compiled(candidate):
            continue
        _current = Measured(candidate, True, _origin(candidate), passed_over=found)
        overlay = child_cwd()
        sys.path.insert(0, overlay if (Path(overlay) / "snmptrapmgr").exists() else str(candidate.parent))
        importlib.invalidate_caches()
        return _current
    return _current


def current() -> Optional[Measured]:
    """What :func:`choose` decided; if it was not called, the snmptrapmgr imported here."""
    global _current
    if _current is None:
        found = _found()
        if found is not None:
            _current = Measured(found, not missing_compiled(found), _origin(found))
    return _current


def _remove_overlay() -> None:
    if _overlay is not None:
        shutil.rmtree(_overlay, ignore_errors=True)


def child_cwd() -> str:
    """A private folder holding ``snmptrapmgr`` (the measured package) and ``bench`` (this
    checkout's), as links: the working directory and first PYTHONPATH entry of every child."""
    global _overlay
    if _overlay is None:
        _overlay = Path(tempfile.mkdtemp(prefix="snmptrapmgr-bench-"))
        atexit.register(_remove_overlay)
        measured = current()
        links = [("bench", BENCH)] + ([("snmptrapmgr", measured.package)] if measured else [])
        for name, target in links:
            try:
                (_overlay / name).symlink_to(target, target_is_directory=True)
            except OSError:  # no symlinks here: child_env falls back on the folders themselves
                pass
    return str(_overlay)


def child_env(base: Optional[dict] = None) -> dict:
    """``base`` (default os.environ) with PYTHONPATH leading to the measured snmptrapmgr and
    this checkout's bench (use with ``cwd=child_cwd()``)."""
    env = dict(os.environ if base is None else base)
    overlay = Path(child_cwd())
    measured = current()
    entries = [str(overlay)]
    if not (overlay / "bench").exists():
        entries.append(str(ROOT))
    if measured is not None and not (overlay / "snmptrapmgr").exists():
        entries.insert(0, str(measured.package.parent))
    if env.get("PYTHONPATH"):
        entries.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(entries)
    return env


def same_package(file: str) -> bool:
    """Whether a child's ``snmptrapmgr.__file__`` is the measured package."""
    measured = current()
    return measured is None or Path(file).resolve().parent == measured.package
