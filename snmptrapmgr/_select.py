"""Pick the compiled twin of each accelerated module, or its pure-Python twin.

``SNMPTRAPMGR_NO_EXTENSIONS=1`` forces the pure-Python twins at import;
:func:`use` rebinds them at run time, which is how the test suite and the
bench run both implementations in one process.  Objects built afterwards
(receivers, managers) pick up the active twins.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

ACCELERATED = ("ber", "oid", "usmkey", "recv", "usmcipher", "notify")


def no_extensions() -> bool:
    return os.environ.get("SNMPTRAPMGR_NO_EXTENSIONS", "") not in ("", "0")


def load(name: str) -> tuple[ModuleType, bool]:
    """Return (module, is_compiled) for the accelerated module ``name``."""
    if not no_extensions():
        try:
            return importlib.import_module(f"snmptrapmgr._{name}_c"), True
        except ImportError:
            pass
    return importlib.import_module(f"snmptrapmgr._{name}_py"), False


def available() -> list[str]:
    """The implementations that can be activated here: "python", maybe "cython"."""
    kinds = ["python"]
    try:
        for name in ACCELERATED:
            importlib.import_module(f"snmptrapmgr._{name}_c")
    except ImportError:
        return kinds
    return kinds + ["cython"]


def use(kind: str) -> None:
    """Bind every selector module to the "cython" or the "python" twins."""
    if kind not in ("cython", "python"):
        raise ValueError(f"unknown implementation {kind!r}")
    suffix = "c" if kind == "cython" else "py"
    package = importlib.import_module("snmptrapmgr")
    for name in ACCELERATED:
        twin = importlib.import_module(f"snmptrapmgr._{name}_{suffix}")
        selector = importlib.import_module(f"snmptrapmgr.{name}")
        for attr in selector.__all__:
            if attr != "USING_CYTHON":
                setattr(selector, attr, getattr(twin, attr))
        selector.USING_CYTHON = kind == "cython"
    package.implementation = kind


def current() -> str:
    ber = importlib.import_module("snmptrapmgr.ber")
    return "cython" if ber.USING_CYTHON else "python"
