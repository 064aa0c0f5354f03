"""The usual SNMPv3 trap in one call: the compiled ``_fast_c`` when built, else ``_fast_py``.

``receive_trap(settings, cache, msg, data, addr, now)`` -> the trap event, or
None when the message is anything but the usual case (see ``_fast_py``); the
USM pipeline then decides it from the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["receive_trap", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._fast_py import receive_trap

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
