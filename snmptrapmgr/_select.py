"""The one binding rule for the accelerated twins, written once.

Each accelerated module is a triplet: ``pkg/_x_c`` (Cython), ``pkg/_x_py``
(pure Python, same signatures) and the selector ``pkg/x.py``, which calls
:func:`load` with its own ``__name__`` at import and binds the twin's public
names.  ``SNMPTRAPMGR_NO_EXTENSIONS=1`` or an ImportError gives the Python
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
ACCELERATED = ("codec.ber", "codec.oid", "codec.community", "security.keys", "security.cipher", "io.batch")


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
        for attr in selector.__all__:
            if attr != "USING_CYTHON":
                setattr(selector, attr, getattr(twin, attr))
        selector.USING_CYTHON = kind == "cython"


def current() -> str:
    ber = importlib.import_module("snmptrapmgr.codec.ber")
    return "cython" if ber.USING_CYTHON else "python"
