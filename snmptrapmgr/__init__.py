"""snmptrapmgr: a fast, complete SNMP v1/v2c/v3 trap and inform receiver."""

from __future__ import annotations

from ._select import available as available_implementations
from ._select import current as _current
from ._select import use as use_implementation
from .errors import SNMPTrapMgrError
from .events import SNMPObject
from .trapmgr import SNMPTrapMgr
from .version import __version__


def __getattr__(name: str) -> str:
    # "implementation" follows use_implementation(): read it, don't store it
    if name == "implementation":
        return _current()
    raise AttributeError(f"module 'snmptrapmgr' has no attribute {name!r}")


__all__ = [
    "SNMPTrapMgr",
    "SNMPObject",
    "SNMPTrapMgrError",
    "implementation",
    "available_implementations",
    "use_implementation",
    "__version__",
]
