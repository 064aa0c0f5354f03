"""The one binding rule for the accelerated twins, written once.

Each accelerated module is a triplet: ``pkg/_x_c`` (Cython), ``pkg/_x_py``
(pure Python, same signatures) and the selector ``pkg/x.py``, which calls
:func:`bind` with its own namespace at import: the twin's public names
(the selector's ``__all__``) and ``USING_CYTHON`` are set there.  ``SNMPTRAPMGR_NO_EXTENSIONS=1`` or an ImportError gives the Python
twin.  Other modules reach a twin only through its selector's attributes,
read when they build an object or make a call -- never copied at import --
so :func:`use` (the test suite and the bench run both twins in one process)
takes effect for everything built after it.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: the selectors, as dotted names under the package
ACCELERATED = ("codec.ber", "codec.oid", "codec.community", "security.keys", "security.cipher", "security.mac",
               "security.fast", "io.batch", "readers",
               "collector.line", "collector.wire")


def no_extensions() -> bool:
    return os.environ.get("SNMPTRAPMGR_NO_EXTENSIONS", "") not in ("", "0")


def twin_name(selector: str, kind: str) -> str:
    """``snmptrapmgr.codec.ber``, "cython" -> ``snmptrapmgr.codec._ber_c``."""
    if not selector.startswith("snmptrapmgr."):
        selector = "snmptrapmgr." + selector
    package, _, name = selector.rpartition(".")
    return f"{package}._{name}_{'c' if kind == 'cython' else 'py'}"


def load(selector: str) -> tuple[ModuleType, bool]:
    """(twin module, is_compiled) for the selector module named ``selector``."""
    if not no_extensions():
        try:
            return importlib.import_module(twin_name(selector, "cython")), True
        except ImportError:
            pass
    return importlib.import_module(twin_name(selector, "python")), False


def _set_names(namespace: dict, twin: ModuleType, compiled: bool) -> None:
    """Copy the selector's public names (its ``__all__``) from ``twin`` into ``namespace``."""
    for attr in namespace["__all__"]:
        if attr != "USING_CYTHON":
            namespace[attr] = getattr(twin, attr)
    namespace["USING_CYTHON"] = compiled


def bind(namespace: dict) -> None:
    """Called by a selector module with ``globals()``: bind the twin chosen by :func:`load`."""
    twin, compiled = load(namespace["__name__"])
    _set_names(namespace, twin, compiled)


def available() -> list[str]:
    """The implementations that can be activated here: "python", maybe "cython"."""
    try:
        for name in ACCELERATED:
            importlib.import_module(twin_name(name, "cython"))
    except ImportError:
        return ["python"]
    return ["python", "cython"]


def use(kind: str) -> None:
    """Bind every selector to the "cython" or the "python" twins."""
    if kind not in ("cython", "python"):
        raise ValueError(f"unknown implementation {kind!r}")
    for name in ACCELERATED:
        twin = importlib.import_module(twin_name(name, kind))
        selector = importlib.import_module("snmptrapmgr." + name)
        _set_names(vars(selector), twin, kind == "cython")


def stale() -> list[str]:
    """The compiled twins older than their Cython source beside them (a checkout edited after its
    last build): they still load, so ``listen`` says so instead of running old code silently."""
    package = os.path.dirname(os.path.abspath(__file__))
    sources = os.path.join(os.path.dirname(package), "src")
    if not os.path.isdir(sources):
        return []  # an installed package: no sources to compare with
    out = []
    for name in ACCELERATED:
        layer, _, short = name.rpartition(".")  # a top-level module's Cython source is in src/facade
        source = os.path.join(sources, layer or "facade", f"_{short}_c.pyx")
        try:
            module = importlib.import_module(twin_name(name, "cython"))
            built = os.path.getmtime(module.__file__ or "")
            if os.path.getmtime(source) > built:
                out.append(os.path.relpath(source, os.path.dirname(package)))
        except (ImportError, OSError):
            continue
    return out


def current() -> str:
    ber = importlib.import_module("snmptrapmgr.codec.ber")
    return "cython" if ber.USING_CYTHON else "python"
