"""The ``nats`` output: every notification into a NATS JetStream stream, at least once.

Why this shape: nats-py's per-message acknowledgements (``js.publish`` /
``publish_async``: a future and a parsed PubAck per message) cap at
~15,000/s here, so records go as JetStream *atomic batches* (nats-server
2.12+, ``allow_atomic``) over core publish: up to ``batch_size`` (<= 1000)
messages with ``Nats-Batch-Id``/``Nats-Batch-Sequence`` and their
``Nats-Msg-Id``, the last with ``Nats-Batch-Commit: 1`` and a reply
subject; one PubAck stores the whole batch (README "Scaling out" has the
figures).  A batch refused for a duplicate message id (a republish after
an outage, error 10201) is sent again message by message, where the
server simply acknowledges duplicates.  A stream without ``allow_atomic``
(created by someone else) gets message-by-message publishing.

Faster still, and the default: publishing over a connection of our own
(:mod:`.nats_link`, frames built by :mod:`.nats_wire`), message by
message with ``Nats-Msg-Id`` and one PubAck each, parsed in bulk: the
server stores those faster than atomic batches (measured here, file
storage: ~91,000/s against ~51,000/s from a bare client).  nats-py keeps
the stream management, and the publishing too when TLS or a credentials
file is configured (``tls_*``, ``creds``): the link speaks plain TCP with
user/password or token only.

The client runs its asyncio loop in a background thread; :meth:`send`
hands a batch over with ``call_soon_threadsafe`` and returns.  The stream
is created (file storage, ``allow_atomic``, 2-minute duplicate window)
when no stream captures the subject and ``create_stream`` is true; a named
``stream`` that exists but does not capture the subject is a ConfigError.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import threading
import uuid
from collections import deque
from urllib.parse import urlsplit
from typing import Any, Mapping, Optional

from ..config import ConfigError
from .bus import MAX_IN_FLIGHT, BusOutput, Pending, check_spec, checked_spool, connect_failed
from .msgid import render_subject
from .nats_acks import AckBook
from .nats_stream import check_stream, why
from .nats_link import Link, LinkError
from .nats_wire import publish_frames

__all__ = ["NatsOutput"]

DUPLICATE_IN_BATCH = 10201
MAX_BATCHES = 40          # the server allows 50 atomic batches in flight per stream
OPTIONS = {
    "type": str, "servers": (list, str), "subject": str, "stream": str, "create_stream": bool,
    "user": str, "password": str, "token": str, "creds": str, "tls_ca": str, "tls_cert": str,
    "tls_key": str, "spool_dir": str, "spool_max_bytes": int, "ack_timeout": (int, float),
    "max_in_flight": int, "batch_size": int, "connect_timeout": (int, float), "replicas": int,
}


def _runs(owners: list) -> list:
    """[(pending, how many)] of consecutive equal owners."""
    return [(pending, len(list(group))) for pending, group in itertools.groupby(owners)]


class NatsOutput(BusOutput):
    type_name = "nats"

    def __init__(self, servers: list, subject: str, stream: str = "", create_stream: bool = True,
                 connect: Optional[dict] = None, batch_size: int = 1000, connect_timeout: float = 2.0,
                 replicas: int = 1, **bus: Any) -> None:
        super().__init__(f"nats output {','.join(servers)}/{subject}", **bus)
        self.servers = servers
        self.subject = subject
        self.stream = stream
        self.create_stream = create_stream
        self.connect_options = connect or {}
        self.batch_size = max(1, min(1000, batch_size))
        self.connect_timeout = connect_timeout
        self.replicas = replicas
        self.atomic = True
        self.connected = threading.Event()
        self.started = threading.Event()
        self.start_error = ""
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.batches: dict = {}           # reply token -> (pending, count); loop thread only
        self.slots: Optional[asyncio.Semaphore] = None
        self.outbox: deque = deque()      # Pending waiting to be published; loop thread only
        self.publisher: Optional[asyncio.Task] = None
        self.inbox = f"_SNMPTRAPMGR.{uuid.uuid4().hex}"
        self.ids = itertools.count()
        self.stopping = False
        self.nc: Any = None
        self.direct = "tls" not in self.connect_options and "user_credentials" not in self.connect_options
        self.link: Optional[Link] = None  # the publishing connection (direct mode)
        self.book = AckBook()             # what the link sent and awaits PubAcks for; loop thread only
        self.link_lost = False            # said once per outage
        self.last_error: Optional[Exception] = None  # the client's latest error (e.g. authorization)
        self.thread = threading.Thread(target=self._run, name="snmptrapmgr-nats", daemon=True)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> "NatsOutput":
        where = "output nats"
        check_spec(spec, OPTIONS, where, "nats", "nats")
        servers = spec.get("servers") or ["nats://127.0.0.1:4222"]
        servers = [servers] if isinstance(servers, str) else list(servers)
        subject = spec.get("subject", "")
        if not subject or " " in subject or subject.startswith(".") or subject.endswith("."):
            raise ConfigError(f"{where}: subject {subject!r} is not a NATS subject (e.g. snmp.traps)")
        try:
            render_subject(subject, "")
        except (KeyError, IndexError, ValueError):
            raise ConfigError(f"{where}: subject {subject!r}: placeholders are {{version}}, {{pdu}}, "
                              f"{{source}}") from None
        connect: dict = {}
        for key, name in (("user", "user"), ("password", "password"), ("token", "token"),
                          ("creds", "user_credentials")):
            if spec.get(key):
                connect[name] = spec[key]
        if spec.get("tls_ca") or spec.get("tls_cert"):
            try:
                tls = ssl.create_default_context(cafile=spec.get("tls_ca") or None)
                if spec.get("tls_cert"):
                    tls.load_cert_chain(spec["tls_cert"], spec.get("tls_key") or None)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"{where}: TLS files: {exc}") from None
            connect["tls"] = tls
        spool = checked_spool(spec.get("spool_dir", ""), spec.get("spool_max_bytes", 1 << 30), where)
        output = cls(servers, subject, spec.get("stream", ""), spec.get("create_stream", True), connect,
                     spec.get("batch_size", 1000), float(spec.get("connect_timeout", 2.0)),
                     spec.get("replicas", 1), spool=spool,
                     ack_timeout=float(spec.get("ack_timeout", 5.0)),
                     max_in_flight=spec.get("max_in_flight", MAX_IN_FLIGHT))
        output.start()
        return output

    # ------------------------------------------------------------- the client thread
    def start(self) -> None:
        """Start the client; wait (bounded) for the first connection and the stream check."""
        self.thread.start()
        self.started.wait(self.connect_timeout + 5.0)
        if self.start_error:
            self.close()
            raise ConfigError(f"output nats: {self.start_error}")

    def _run(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        import nats
        self.slots = asyncio.Semaphore(MAX_BATCHES)
        delay = 0.5
        first = True
        resets = 0
        while not self.stopping:
            try:
                # bounded: with unlimited reconnects nats-py also retries the first connect forever
                nc = await asyncio.wait_for(nats.connect(
                    self.servers, connect_timeout=self.connect_timeout, allow_reconnect=True,
                    max_reconnect_attempts=-1, reconnect_time_wait=0.5, pending_size=64 << 20,
                    skip_subject_validation=True, error_cb=self._quiet, disconnected_cb=self._down,
                    reconnected_cb=self._up, **self.connect_options), self.connect_timeout * len(self.servers) + 1)
                break
            except Exception as exc:  # noqa: BLE001 - any failure to connect is retried
                if first:
                    reason = await why(self.servers[0], exc)
                    if reason is exc and self.last_error is not None:  # reachable: what the server said
                        reason = self.last_error
                    if isinstance(reason, (ConnectionResetError, BrokenPipeError)) and resets < 2:
                        resets += 1  # closed before its -ERR was read (a refusal races the close): ask again
                        await asyncio.sleep(0.1)
                        continue
                    connect_failed(self, ",".join(self.servers), reason)
                    first = False
                    self.started.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        else:
            return
        said = False
        while not self.stopping:
            try:
                await self._check_stream(nc)
                break
            except ConfigError as exc:
                if self.started.is_set():  # found only after a late connect: say it, keep spooling
                    self.log(f"{self.name}: {exc}")
                self.start_error = str(exc)
                self.started.set()
                await nc.close()
                return
            except Exception as exc:  # noqa: BLE001 - e.g. a cluster without a JetStream leader yet
                if not said:
                    self.log(f"{self.name}: cannot check the stream yet ({type(exc).__name__}: {exc}); retrying")
                    said = True
                    self.started.set()
                await asyncio.sleep(1.0)
        self.nc = nc
        if self.direct:
            try:
                self.link = await self._open_link()
            except LinkError as exc:
                self.log(f"{self.name}: {exc}; publishing through nats-py instead (slower)")
                self.direct = False
        if not self.direct:
            await nc.subscribe(self.inbox + ".>", cb=self._on_ack)
        self.connected.set()
        self.started.set()
        self.wake()
        if not first:
            self.log(f"{self.name}: connected")
        while not self.stopping:
            await asyncio.sleep(0.2)
        if self.link is not None:
            self.link.close()
        try:
            await nc.drain()
        except Exception:  # noqa: BLE001 - reconnecting or gone: nothing to drain, just close
            await nc.close()

    async def _check_stream(self, nc: Any) -> None:
        self.atomic = await check_stream(nc, self.subject, self.stream, self.create_stream, self.replicas,
                                         self.name, self.log)

    async def _quiet(self, exc: Exception) -> None:
        """nats-py reports each failed reconnect; the bus layer says it once (kept for that line)."""
        self.last_error = exc

    async def _down(self) -> None:
        self.connected.clear()

    async def _up(self) -> None:
        self.connected.set()
        self.wake()

    # ------------------------------------------------------------- publishing (loop thread)
    def ready(self) -> bool:
        if self.direct:
            link = self.link
            return link is not None and not link.closed
        return self.connected.is_set()

    def key_for(self, line: str) -> str:
        return render_subject(self.subject, line)

    def send(self, pending: Pending) -> None:
        loop = self.loop
        if loop is None or loop.is_closed() or self.nc is None:
            raise ConnectionError("not connected")
        loop.call_soon_threadsafe(self._enqueue, pending)

    def _enqueue(self, pending: Pending) -> None:
        self.outbox.append(pending)
        if self.publisher is None or self.publisher.done():
            assert self.loop is not None
            self.publisher = self.loop.create_task(self._publish_outbox())

    async def _publish_outbox(self) -> None:
        """Publish what waits, in order, in chunks of up to batch_size records across batches:
        the collector submits small batches when traffic is light, and one PubAck per chunk
        (not per submitted batch) is what keeps the server's batch limit and the acks cheap."""
        outbox = self.outbox
        while outbox:
            owners: list = []     # the Pending of each record in the chunk
            chunk: list = []
            while outbox and len(chunk) < self.batch_size:
                pending = outbox[0]
                if pending.dead:
                    outbox.popleft()
                    continue
                taken = pending.sent
                room = self.batch_size - len(chunk)
                part = pending.records[taken:taken + room]
                chunk.extend(part)
                owners.extend([pending] * len(part))
                if taken + len(part) >= len(pending.records):
                    outbox.popleft()
                else:
                    pending.sent = taken + len(part)
            if not chunk:
                return
            try:
                if self.direct:
                    await self._linked(owners, chunk)
                elif self.atomic:
                    assert self.slots is not None
                    await self.slots.acquire()
                    await self._atomic(owners, chunk)
                else:
                    await self._one_by_one(owners, chunk)
            except Exception as exc:  # noqa: BLE001 - a client error is a rejection of the chunk
                for pending in set(owners):
                    self.reject(pending, f"{type(exc).__name__}: {exc}")

    async def _linked(self, owners: list, chunk: list) -> None:
        link = self.link
        if link is None or link.closed:
            raise ConnectionError("the publishing connection is down")
        prefix = f"{self.inbox}.m{next(self.ids)}".encode()
        self.book.add(prefix, owners)
        link.write(publish_frames(chunk, prefix))
        await link.drain()

    # ------------------------------------------------------------- the publishing link (loop thread)
    async def _open_link(self) -> Link:
        """A publishing connection to the server nats-py is on, else to the next one that answers."""
        current = self.nc.connected_url.geturl() if self.nc is not None and self.nc.connected_url else ""
        order = [u for u in self.servers if current.endswith(urlsplit(u if "://" in u else f"nats://{u}").netloc)]
        order += [u for u in self.servers if u not in order]
        reasons = []
        for url in order:
            link = Link(self._link_acks, self._link_closed)
            try:
                await link.open(url, self.connect_options, self.inbox, self.connect_timeout)
                return link
            except LinkError as exc:
                reasons.append(str(exc))
        raise LinkError("; ".join(reasons))

    def _link_closed(self, reason: str) -> None:
        self.link = None
        if not self.stopping:
            if not self.link_lost:
                self.link_lost = True
                self.log(f"{self.name}: publishing connection lost ({reason}); reconnecting")
            assert self.loop is not None
            self.loop.create_task(self._relink())

    async def _relink(self) -> None:
        delay = 0.25
        while not self.stopping and self.link is None:
            try:
                self.link = await self._open_link()
            except LinkError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.link_lost = False
            self.log(f"{self.name}: publishing connection back ({self.link.url})")
            self.wake()

    def _link_acks(self, messages: list) -> None:
        confirmed, refused = self.book.take(messages)
        for pending, count in confirmed:
            self.confirm(pending, count)
        for pending, reason in refused:
            self.reject(pending, reason)

    async def _atomic(self, owners: list, chunk: list) -> None:
        token = f"b{next(self.ids)}"
        batch_id = f"{self.inbox[13:]}{token}"
        self.batches[token] = [owners, chunk, 1]
        publish = self.nc.publish
        last = len(chunk)
        for index, (msg_id, subject, data) in enumerate(chunk, 1):
            headers = {"Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(index), "Nats-Msg-Id": msg_id}
            if index == last:
                headers["Nats-Batch-Commit"] = "1"
                await publish(subject, data, reply=f"{self.inbox}.{token}", headers=headers)
            else:
                await publish(subject, data, headers=headers)

    async def _one_by_one(self, owners: list, chunk: list) -> None:
        token = f"m{next(self.ids)}"
        self.batches[token] = [owners, chunk, 0]
        publish = self.nc.publish
        for index, (msg_id, subject, data) in enumerate(chunk):
            await publish(subject, data, reply=f"{self.inbox}.{token}.{index}", headers={"Nats-Msg-Id": msg_id})

    async def _on_ack(self, msg: Any) -> None:
        parts = msg.subject[len(self.inbox) + 1:].split(".")
        entry = self.batches.get(parts[0])
        if entry is None:
            return
        owners, chunk, _ = entry
        try:
            reply = json.loads(msg.data)
        except ValueError:
            reply = {"error": {"description": f"unreadable PubAck {msg.data[:80]!r}"}}
        error = reply.get("error")
        if parts[0][0] == "b":
            del self.batches[parts[0]]
            assert self.slots is not None
            self.slots.release()
            if error and error.get("err_code") == DUPLICATE_IN_BATCH:
                await self._one_by_one(owners, chunk)
            elif error:
                for pending in set(owners):
                    self.reject(pending, f"stream refused a batch: {error.get('description', error)}")
            else:
                for pending, count in _runs(owners):
                    self.confirm(pending, count)
            return
        pending = owners[int(parts[1])]
        entry[2] += 1
        if entry[2] == len(chunk):
            del self.batches[parts[0]]
        if error:
            self.reject(pending, f"stream refused a message: {error.get('description', error)}")
        else:
            self.confirm(pending, 1)

    def forget(self) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._forget)

    def _forget(self) -> None:
        for token in [t for t in self.batches if t[0] == "b"]:
            assert self.slots is not None
            self.slots.release()
        self.batches.clear()
        self.book.clear()

    def close(self) -> None:
        self.stopping = True
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(5.0)
        super().close()
