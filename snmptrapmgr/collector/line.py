"""The JSON line of a notification: the compiled ``_line_c`` when built, else ``_line_py``.

``format_line(event, received, names=None)`` is
:func:`~snmptrapmgr.collector.schema.format_notification` (the schema, written once
there), the usual v2c notification built in C from the schema's own caches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["format_line", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._line_py import format_line

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
