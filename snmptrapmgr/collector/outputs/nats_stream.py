"""The JetStream side of the nats output: the stream that captures its subject, found or made.

Kept apart from the publishing (:mod:`.nats`) because it runs once per
connection, through nats-py's JetStream API, and reads the stream's
configuration the way an operator set it up.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable
from urllib.parse import urlsplit

from ..config import ConfigError
from .msgid import render_subject

__all__ = ["check_stream", "subject_matches", "why"]


async def why(server: str, exc: BaseException) -> BaseException:
    """A clearer reason than nats-py's timeout: what a plain TCP connect to the first server says."""
    parsed = urlsplit(server if "://" in server else f"nats://{server}")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parsed.hostname, parsed.port or 4222), 2.0)
        writer.close()
    except (OSError, asyncio.TimeoutError, ValueError) as reason:
        return reason if str(reason) else exc
    return exc


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: ``*`` one token, ``>`` the rest."""
    want = pattern.split(".")
    have = subject.split(".")
    for index, token in enumerate(want):
        if token == ">":
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(want) == len(have)



async def check_stream(nc: Any, subject: str, stream: str, create_stream: bool, replicas: int, name_for_log: str,
                       log: Callable[[str], None]) -> bool:
    """Find or create the stream that captures ``subject``; True when it allows atomic batches."""
    js = nc.jetstream()
    sample = render_subject(subject, '{"time":"","source":{"address":"127.0.0.1","port":1},'
                            '"version":"v2c","pdu":"trap"')
    capture = render_subject(subject.replace("{version}", "*").replace("{pdu}", "*")
                             .replace("{source}", "*"), "")
    name = stream
    if not name:
        try:
            name = await js.find_stream_name_by_subject(sample)
        except Exception:  # noqa: BLE001 - no stream captures it
            name = ""
    if name:
        try:
            info = await js.stream_info(name)
        except Exception:  # noqa: BLE001 - named stream absent
            info = None
        if info is not None:
            if not any(subject_matches(s, sample) for s in info.config.subjects or []):
                raise ConfigError(f"stream {name} does not capture subject {sample} (its subjects: "
                                  f"{', '.join(info.config.subjects or [])}): add it or pick another stream")
            atomic = bool(info.config.allow_atomic)
            if not atomic:
                log(f"{name_for_log}: stream {name} has no allow_atomic: publishing message by message")
            return atomic
    if not create_stream:
        raise ConfigError(f"no stream captures subject {sample} and create_stream is false")
    from nats.js.api import StorageType, StreamConfig
    await js.add_stream(StreamConfig(name=name or "SNMPTRAPMGR", subjects=[capture],
                                     storage=StorageType.FILE, allow_atomic=True,
                                     num_replicas=replicas, duplicate_window=120.0))
    log(f"{name_for_log}: created stream {name or 'SNMPTRAPMGR'} (file storage) for {capture}")
    return True
