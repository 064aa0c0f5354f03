"""Where notifications go, as written by a user: ``--output`` values and TOML ``output`` keys.

Each output becomes a spec dict for :func:`snmptrapmgr.collector.outputs.create`
(``{"type": "file", "path": ...}``, ``{"type": "nats", "servers": [...], "subject": ...}``,
...).  Only the shape is checked here; the keys inside a spec are the output's own to
check (its ``from_spec``), so a new output never edits this module.

``--output`` / ``output = "..."`` take a path (``-`` is stdout) or a URL:

- ``file:///var/log/traps.jsonl``
- ``nats://HOST:PORT[,HOST:PORT...]/SUBJECT`` (NATS JetStream)
- ``kafka://HOST:PORT[,HOST:PORT...]/TOPIC``
- ``forward://HOST:PORT`` (re-sent as SNMPv2c traps, the origin kept: see ``outputs.forward``);
  ``forward://HOST:PORT?mode=inform``: as informs, taken once the next manager answered
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from .options import ConfigError

__all__ = ["parse_output_url", "output_tables"]

_SCHEMES = ("file", "nats", "kafka", "forward")


def _hosts(netloc: str, text: str) -> list:
    hosts = [h.strip() for h in netloc.split(",") if h.strip()]
    for host in hosts:
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"output {text!r}: {host!r} is not HOST:PORT")
    if not hosts:
        raise ConfigError(f"output {text!r}: no HOST:PORT")
    return hosts


def parse_output_url(text: str) -> dict:
    """The output spec of a ``--output`` value (ConfigError naming what is wrong)."""
    if not isinstance(text, str) or not text:
        raise ConfigError(f"output {text!r}: a path, '-' for stdout, or a URL ({', '.join(_SCHEMES)})")
    if "://" not in text:
        return {"type": "file", "path": text}
    scheme = text.split("://", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise ConfigError(f"output {text!r}: unknown scheme {scheme!r} (one of {', '.join(_SCHEMES)}; "
                          "or a plain path)")
    parts = urlsplit(text)
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ConfigError(f"output {text!r}: file:///ABSOLUTE/PATH")
        return {"type": "file", "path": unquote(parts.path)}
    name = unquote(parts.path.lstrip("/"))
    hosts = _hosts(parts.netloc, text)
    if scheme == "forward":
        if len(hosts) != 1 or name or parts.fragment or parts.query not in ("", "mode=trap", "mode=inform"):
            raise ConfigError(f"output {text!r}: forward://HOST:PORT (one address), optionally ?mode=inform "
                              "(acknowledged forwarding); other settings go in a TOML [[output]] table")
        spec = {"type": "forward", "target": hosts[0]}
        if parts.query:
            spec["mode"] = parts.query.split("=", 1)[1]
        return spec
    if not name or "/" in name:
        what = "SUBJECT" if scheme == "nats" else "TOPIC"
        raise ConfigError(f"output {text!r}: {scheme}://HOST:PORT/{what} (one {what.lower()} after the address)")
    if parts.query or parts.fragment:
        raise ConfigError(f"output {text!r}: settings go in a TOML [[output]] table, not in the URL")
    if scheme == "nats":
        return {"type": "nats", "servers": [f"nats://{h}" for h in hosts], "subject": name}
    return {"type": "kafka", "bootstrap_servers": ",".join(hosts), "topic": name}


def _named(text: str, where: str) -> dict:
    try:
        return parse_output_url(text)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def output_tables(value: Any, where: str) -> list:
    """The specs of a TOML ``output`` key: a string, a table, or an array of tables."""
    if isinstance(value, str):
        return [_named(value, where)]
    tables = value if isinstance(value, list) else [value]
    specs = []
    for i, table in enumerate(tables):
        at = f"{where}[{i}]" if isinstance(value, list) else where
        if isinstance(table, str):
            specs.append(_named(table, at))
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{at}: an output is a path, a URL or a table with a type")
        if "type" not in table and set(table) == {"file"}:  # the older [output] file = "..."
            specs.append({"type": "file", "path": str(table["file"])})
            continue
        if not isinstance(table.get("type"), str):
            raise ConfigError(f"{at}: type = \"file\", \"nats\" or \"kafka\" is missing")
        specs.append(dict(table))
    return specs
