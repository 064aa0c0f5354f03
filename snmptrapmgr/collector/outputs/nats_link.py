"""The nats output's publishing connection: frames from :mod:`.nats_wire`, over asyncio streams.

One plain-TCP connection per output, next to nats-py's (which keeps the
stream management).  It subscribes to the output's reply inbox, writes
the HPUB frames of a whole chunk at once and hands every acknowledgement
that arrives, in bulk, to ``on_acks``.  It does not reconnect by itself:
when the connection ends it calls ``on_closed`` once and the output
decides (unacknowledged batches time out and are sent again or spooled,
as with any outage).  TLS and credential files are nats-py's job: the
output keeps publishing through nats-py when they are configured.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Mapping, Optional
from urllib.parse import urlsplit

from .nats_wire import Parser, ProtocolError, connect_frame

__all__ = ["Link", "LinkError"]

READ_SIZE = 1 << 16


class LinkError(ConnectionError):
    """The publishing connection could not be made (the reason is the message)."""


class Link:
    """A connected publishing link (see the module docstring); loop thread only."""

    def __init__(self, on_acks: Callable[[list], None], on_closed: Callable[[str], None]) -> None:
        self.on_acks = on_acks
        self.on_closed = on_closed
        self.parser = Parser()
        self.reader: Optional[asyncio.StreamReader] = None
        self.writer: Optional[asyncio.StreamWriter] = None
        self.task: Optional[asyncio.Task] = None
        self.url = ""
        self.closed = False

    async def open(self, url: str, options: Mapping[str, Any], inbox: str, timeout: float) -> None:
        """Connect, authenticate, subscribe to ``inbox.>`` and wait for the server's PONG."""
        parsed = urlsplit(url if "://" in url else f"nats://{url}")
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 4222
        options = dict(options)
        if parsed.username and not options.get("user") and not options.get("token"):
            if parsed.password is None:
                options["token"] = parsed.username
            else:
                options["user"], options["password"] = parsed.username, parsed.password
        try:
            self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            await asyncio.wait_for(self._handshake(options, inbox), timeout)
        except (OSError, asyncio.TimeoutError, ProtocolError, ValueError) as exc:
            self.close()
            raise LinkError(f"publishing connection to {host}:{port}: {type(exc).__name__}: {exc}") from None
        self.url = url
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _handshake(self, options: Mapping[str, Any], inbox: str) -> None:
        assert self.reader is not None and self.writer is not None
        line = await self.reader.readline()
        if not line.startswith(b"INFO "):
            raise ProtocolError(f"expected INFO, got {line[:60]!r}")
        info = json.loads(line[5:])
        if info.get("tls_required"):
            raise LinkError("the server requires TLS")
        self.writer.write(connect_frame(options) + b"SUB " + inbox.encode() + b".> 1\r\nPING\r\n")
        while True:
            data = await self.reader.read(READ_SIZE)
            if not data:
                raise LinkError("the server closed the connection during the handshake")
            for frame in self.parser.feed(data)[0]:
                if frame.op == "PONG":
                    return
                if frame.op == "ERR":
                    raise LinkError(f"the server said: {frame.data.decode('utf-8', 'replace')}")
                if frame.op == "PING":
                    self.writer.write(b"PONG\r\n")

    def write(self, frames: bytes) -> None:
        """Queue ``frames`` on the connection (raises ConnectionError once it is closed)."""
        if self.closed or self.writer is None or self.writer.is_closing():
            raise ConnectionError("the publishing connection is closed")
        self.writer.write(frames)

    async def drain(self) -> None:
        """Wait while the kernel's send buffer is full (the server is slower than we are)."""
        if self.writer is not None and not self.closed:
            await self.writer.drain()

    async def _read(self) -> None:
        reason = "the server closed the connection"
        try:
            assert self.reader is not None and self.writer is not None
            while True:
                data = await self.reader.read(READ_SIZE)
                if not data:
                    break
                frames, messages = self.parser.feed(data)
                for frame in frames:
                    if frame.op == "PING":
                        self.writer.write(b"PONG\r\n")
                    elif frame.op == "ERR":
                        reason = f"the server said: {frame.data.decode('utf-8', 'replace')}"
                if messages:
                    self.on_acks(messages)
        except (OSError, ProtocolError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except asyncio.CancelledError:
            return
        self.close()
        self.on_closed(reason)

    def close(self) -> None:
        """Close the connection (idempotent); ``on_closed`` is not called for this."""
        self.closed = True
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        if self.writer is not None:
            self.writer.close()
