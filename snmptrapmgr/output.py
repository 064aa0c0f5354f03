"""The collector's output schema for Python callers: one notification as a JSON-ready dict.

The schema is defined once, in :mod:`snmptrapmgr.collector.schema` (its
docstring lists the fields); ``notification_to_dict(event, received)`` is
exactly the object ``snmptrapmgr listen`` writes as one line.
"""

from __future__ import annotations

from .collector.schema import format_notification, notification_to_dict, octets_to_json

__all__ = ["notification_to_dict", "format_notification", "octets_to_json"]
