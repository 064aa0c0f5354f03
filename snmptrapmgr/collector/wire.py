"""Wire -> JSON line of the usual v2c trap: the compiled ``_wire_c`` when built, else ``_wire_py``.

``WireLines(names=None, communities=None, delivery=None, counts=None)``: ``line(data,
address, now)`` is the trap's JSON line (or None: the usual path takes it), and a call
puts that line in the delivery.  The collector sets the compiled one as each manager's
``fast_lane``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["WireLines", "SLOTS", "ENTRIES", "MAX_OID", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._wire_py import ENTRIES, MAX_OID, SLOTS, WireLines

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
