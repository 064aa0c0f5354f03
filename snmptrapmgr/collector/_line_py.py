"""The collector's JSON line of one notification; the twin of ``src/collector/_line_c.pyx``.

The line is :func:`~snmptrapmgr.collector.schema.format_notification`'s, written
once there; this twin is that function.  The compiled twin builds the same line
from the same caches in C when every piece is already cached (the usual v1/v2c
trap), and asks the schema for anything else.
"""

from __future__ import annotations

from typing import Any

from .schema import format_notification

__all__ = ["format_line"]


def format_line(event: Any, received: float, names: Any = None) -> str:
    """``event`` received at ``received`` (epoch) as its JSON text line (with "\\n")."""
    return format_notification(event, received, names)
