"""One notification as a JSON-ready dict: the collector's stable output schema.

Fields: ``time`` (UTC ISO 8601), ``source`` {address, port}, ``version``
("v1", "v2c", "v3"), ``pdu`` ("trap", "inform"), ``community`` (v1/v2c) or
``user`` + ``security_level`` + ``engine_id`` (v3, hex), ``trap_oid`` (the
reference's form), ``trap_oid_rfc3584``, ``uptime`` (TimeTicks), v1 only
``enterprise``, ``agent_address``, ``generic_trap``, ``specific_trap``, and
``varbinds``: a list of {oid, type, value}.  Values are JSON-natural:
numbers as numbers, OIDs and addresses as text, printable octet strings as
text, other octets as lowercase hex with ``"encoding": "hex"`` beside them,
NULL and exceptions as null.
"""

from __future__ import annotations

import datetime
from typing import Any

from .events import TYPE_NAMES, SNMPTrapMgrInformRequestEventParams

__all__ = ["notification_to_dict", "octets_to_json"]

_VERSIONS = {1: "v1", 2: "v2c", 3: "v3"}


def octets_to_json(value: bytes) -> tuple[str, bool]:
    """(text, is_hex): printable UTF-8 as text, anything else as hex."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex(), True
    if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text):
        return text, False
    return value.hex(), True


def _varbind(oid: str, obj_type: int, value: Any) -> dict:
    item = {"oid": oid, "type": TYPE_NAMES.get(obj_type, str(obj_type)), "value": value}
    if isinstance(value, bytes):
        item["value"], is_hex = octets_to_json(value)
        if is_hex:
            item["encoding"] = "hex"
    return item


def notification_to_dict(event: Any, received: float) -> dict:
    """The JSON object of one trap or inform event, received at ``received`` (epoch)."""
    stamp = datetime.datetime.fromtimestamp(received, datetime.timezone.utc)
    out: dict[str, Any] = {
        "time": stamp.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "source": {"address": event.source_address, "port": event.source_port},
        "version": _VERSIONS.get(event.snmp_version, str(event.snmp_version)),
        "pdu": "inform" if isinstance(event, SNMPTrapMgrInformRequestEventParams) else "trap",
    }
    if event.snmp_version == 3:
        out["user"] = event.user
        out["security_level"] = event.security_level
        out["engine_id"] = event.engine_id.hex()
        out["context_engine_id"] = event.context_engine_id.hex()
        out["context_name"] = event.context_name.decode("utf-8", "replace")
    else:
        out["community"] = event.community
    out["request_id"] = event.request_id
    out["trap_oid"] = event.trap_oid
    out["trap_oid_rfc3584"] = getattr(event, "rfc3584_trap_oid", event.trap_oid)
    out["uptime"] = event.time_stamp
    if event.snmp_version == 1:
        out["enterprise"] = event.enterprise
        out["agent_address"] = event.agent_address
        out["generic_trap"] = event.generic_trap
        out["specific_trap"] = event.specific_trap
    out["varbinds"] = [_varbind(o, t, v) for o, t, v in event.varbinds]
    return out
