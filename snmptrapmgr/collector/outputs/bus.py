"""What the NATS and Kafka outputs share: records, the in-order watermark, the spool, counters.

A bus acknowledges later, from its client's thread, and possibly out of
order (Kafka partitions).  :class:`BusOutput` keeps every submitted batch
as a :class:`Pending` in submission order; the client (a subclass: the
*driver*) sends it and calls :meth:`BusOutput.confirm` per acknowledged
record, or :meth:`BusOutput.reject`.  The watermark (:meth:`acked`) passes
a batch once all its records are acknowledged *and* every earlier batch
is, so an out-of-order acknowledgement never reports a gap as taken.

When the bus is away or slow (a rejection, an acknowledgement later than
``ack_timeout``, more than ``max_in_flight`` records waiting) everything
unacknowledged goes to the :class:`~.spool.Spool` and counts as taken once
fsynced; from then on new batches go to the spool too (so order is kept)
until the replay, which starts when the driver says it is ready, has
emptied it.  Without a spool (``spool_dir`` empty) the unacknowledged
batches are kept in memory and sent again, up to ``max_in_flight``
records; beyond that a batch is dropped, counted and logged.

A dropped record (spool full, or no spool and memory full) moves the
watermark past it: the collector cannot keep it anywhere, and holding the
watermark would hold every later inform forever.  ``dropped`` says so.
"""

from __future__ import annotations

import difflib
import importlib
import fcntl
import os
import sys
import threading
import time
from collections import deque
from typing import Any, Mapping, Optional

from ..config import ConfigError
from .base import Batch, Output
from .msgid import record
from .spool import Spool

__all__ = ["BusOutput", "Pending", "REPLAY_CHUNK", "REPLAY_WINDOW"]

REPLAY_CHUNK = 1000
REPLAY_WINDOW = 8
#: records sent and not yet acknowledged before new ones go to the spool: ~2.5 s at 100,000/s, so
#: that a broker's acknowledgements lagging a second or more (nats-server at 100,000/s on 2 cores
#: here: up to 140,000 behind) are waited for instead of starting a spool-and-replay cycle
#: (at 100,000 in flight the same run spooled half its traps and lost 2-4 % to the kernel)
MAX_IN_FLIGHT = 250_000
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0
MAX_SPOOLS = 64


class Pending:
    """One batch on its way: live (``first``/``end`` are sequence numbers) or a spool replay."""

    __slots__ = ("first", "end", "records", "acked", "sent_at", "position", "dead", "failed", "sent")

    def __init__(self, first: int, end: int, records: list, position: Any = None) -> None:
        self.first = first
        self.end = end
        self.records = records        # [(msg_id, key, data)]
        self.acked = 0
        self.sent_at = time.monotonic()
        self.position = position      # replay: the spool position after these records
        self.dead = False             # spilled or abandoned: late acknowledgements are ignored
        self.failed = ""              # the broker's rejection, for poll() to handle
        self.sent = 0                 # records handed to the client so far (the driver's count)

    @property
    def done(self) -> bool:
        return self.acked >= len(self.records)


class BusOutput(Output):
    """The bus-independent half of an output (see the module docstring)."""

    wants_events = False

    def __init__(self, name: str, spool: Optional[Spool], ack_timeout: float = 5.0,
                 max_in_flight: int = MAX_IN_FLIGHT) -> None:
        super().__init__()
        self.name = name
        self.spool = spool
        self.ack_timeout = ack_timeout
        self.max_in_flight = max_in_flight
        self.lock = threading.Lock()
        self.live: deque = deque()     # Pending, submission order (spooled ones count as done)
        self.replay: deque = deque()   # Pending read from the spool, in order
        self.retry: deque = deque()    # no spool: unacknowledged batches to send again
        self.taken = 0
        self.trouble = False           # a rejection came in: the next submit looks before it adds
        self.spooling = bool(spool is not None and spool.waiting)
        self.in_flight = 0
        self.retry_at = 0.0
        self.backoff = BACKOFF_FIRST
        self.full_logged = False
        self.latency_ms = 0.0
        self.stats = dict.fromkeys(("published", "acknowledged", "retried", "spooled", "dropped",
                                    "rejected", "timeouts"), 0)
        if spool is not None and spool.waiting:
            self.log(f"{spool.waiting} notifications left in spool {spool.directory}: replaying them first")

    # ------------------------------------------------------------- for the driver
    def key_for(self, line: str) -> str:
        """The record's subject or partition key (the driver's)."""
        raise NotImplementedError

    def send(self, pending: Pending) -> None:
        """Start publishing ``pending`` without blocking (the driver's)."""
        raise NotImplementedError

    def ready(self) -> bool:
        """True when the driver believes the broker is reachable (replay may start)."""
        return True

    def forget(self) -> None:
        """Drop the driver's bookkeeping of batches spilled to the spool (nothing by default)."""

    def confirm(self, pending: Pending, count: int = 1) -> None:
        """``count`` records of ``pending`` were acknowledged (any thread)."""
        with self.lock:
            if pending.dead:
                return
            pending.acked += count
            self.stats["acknowledged"] += count
            if pending.position is None:
                self.in_flight -= count
        if pending.done:
            self.wake()

    def reject(self, pending: Pending, reason: str) -> None:
        """The broker refused ``pending`` (any thread): poll() spills it."""
        with self.lock:
            if not pending.failed:
                pending.failed = reason or "rejected"
            self.trouble = True
        self.wake()

    @staticmethod
    def log(text: str) -> None:
        sys.stderr.write(f"snmptrapmgr: {text}\n")
        sys.stderr.flush()

    # ------------------------------------------------------------- Output
    def submit(self, batch: Batch) -> None:
        live = self.live
        if self.trouble or (live and not live[0].done and time.monotonic() - live[0].sent_at > self.ack_timeout):
            self.poll()  # a flood may keep the collector from polling: spill here, memory stays bounded
        key_for = self.key_for
        records = [(msg_id, key_for(line), data) for line in batch.lines for msg_id, data in (record(line),)]
        pending = Pending(batch.first, batch.end, records)
        if self.spool is not None and (self.spooling or not self.ready()
                                       or self.in_flight + len(records) > self.max_in_flight):
            self._to_spool([pending])
            self.live.append(pending)
            self._fold()
            return
        if self.spool is None and self.in_flight + len(records) > self.max_in_flight:
            self._drop([pending], "memory limit (max_in_flight) reached and no spool_dir")
            self.live.append(pending)
            self._fold()
            return
        with self.lock:
            self.in_flight += len(records)
        self.live.append(pending)
        self._publish(pending)

    def _publish(self, pending: Pending) -> None:
        pending.sent_at = time.monotonic()
        self.stats["published"] += len(pending.records)
        try:
            self.send(pending)
        except Exception as exc:  # noqa: BLE001 - a client refusing to queue is a rejection
            self.reject(pending, f"{type(exc).__name__}: {exc}")

    @property
    def in_flight_window(self) -> int:  # type: ignore[override]
        """A bus holds up to max_in_flight unacknowledged by design (Output.in_flight_window)."""
        return self.max_in_flight

    def acked(self) -> int:
        return self.taken

    def poll(self) -> None:
        self.trouble = False
        self._fold()
        now = time.monotonic()
        late = [p for p in list(self.live) + list(self.replay)
                if not p.done and not p.dead and (p.failed or now - p.sent_at > self.ack_timeout)]
        if late:
            first = late[0]
            what = first.failed or f"no acknowledgement within {self.ack_timeout:g} s"
            self.stats["rejected" if first.failed else "timeouts"] += len(late)
            self._spill(what, backoff=bool(first.failed) or not self.ready())
        if self.spool is not None and self.spooling:
            self._replay(now)
        elif self.retry and now >= self.retry_at and self.ready():
            self._resend()
        self._fold()

    def _fold(self) -> None:
        """Advance the watermark over the finished prefix; release replayed spool records."""
        live = self.live
        while live and (live[0].done or live[0].dead):
            pending = live.popleft()
            self.taken = pending.end
            if not pending.dead and pending.position is None:
                elapsed = (time.monotonic() - pending.sent_at) * 1000.0
                self.latency_ms = elapsed if not self.latency_ms else 0.8 * self.latency_ms + 0.2 * elapsed
        replay = self.replay
        while replay and replay[0].done:
            pending = replay.popleft()
            assert self.spool is not None
            self.spool.release(pending.position, len(pending.records))
            self.backoff = BACKOFF_FIRST

    def _spill(self, reason: str, backoff: bool = True) -> None:
        """Everything unacknowledged goes to the spool (or the memory retry queue)."""
        with self.lock:
            unfinished = [p for p in self.live if not p.done and not p.dead]
            for pending in unfinished:
                pending.dead = True
            for pending in self.replay:
                pending.dead = True
            self.in_flight = 0
        self.forget()
        if self.replay:
            self.replay.clear()
            assert self.spool is not None
            self.spool.rewind()
        if backoff:  # refused or away: wait before trying again; merely slow: replay at once
            self.retry_at = time.monotonic() + self.backoff
            self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        if not self.spooling:
            self.log(f"{self.name}: {reason}; "
                     + ("spooling to " + self.spool.directory if self.spool is not None
                        else "keeping unacknowledged batches in memory to send again"))
        if self.spool is not None:
            self._to_spool(unfinished)
            return
        for pending in unfinished:  # fresh objects: a late acknowledgement of the old send is ignored
            fresh = Pending(pending.first, pending.end, pending.records)
            fresh.sent_at = float("inf")  # not late before it is sent again
            self.live[self.live.index(pending)] = fresh
            self.retry.append(fresh)
            self.in_flight += len(fresh.records)

    def _to_spool(self, pendings: list) -> None:
        """Store ``pendings`` in the spool in order; they count as taken (what did not fit: dropped)."""
        assert self.spool is not None
        self.spooling = True
        for pending in pendings:
            try:
                stored = self.spool.append(pending.records)
            except OSError as exc:
                stored = 0
                self.log(f"{self.name}: cannot write spool {self.spool.directory}: {exc}")
            self.stats["spooled"] += stored
            if stored < len(pending.records):
                self._drop([pending], f"spool {self.spool.directory} full "
                           f"({self.spool.max_bytes} bytes)", len(pending.records) - stored)
            else:
                self.full_logged = False  # the next drop is news again
            pending.dead = True
            pending.records = []  # on disk now; the Pending only keeps its place in the order

    def _drop(self, pendings: list, reason: str, count: int = -1) -> None:
        lost = sum(len(p.records) for p in pendings) if count < 0 else count
        self.stats["dropped"] += lost
        for pending in pendings:
            pending.dead = True
        if not self.full_logged:
            self.full_logged = True
            self.log(f"{self.name}: dropping notifications: {reason} (counted in dropped)")

    def _replay(self, now: float) -> None:
        spool = self.spool
        assert spool is not None
        if now < self.retry_at or not self.ready():
            return
        while len(self.replay) < REPLAY_WINDOW:
            records, position = spool.read(REPLAY_CHUNK)
            if not records:
                break
            pending = Pending(-1, -1, records, position)
            self.stats["retried"] += len(records)
            self.replay.append(pending)
            self._publish(pending)
        if not self.replay and not spool.unread() and not spool.waiting:
            self.spooling = False
            self.log(f"{self.name}: spool replayed, publishing directly again")

    def _resend(self) -> None:
        """No spool: send the kept batches again, in order (their acknowledgements fold as usual)."""
        while self.retry:
            pending = self.retry.popleft()
            self.stats["retried"] += len(pending.records)
            self._publish(pending)

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted was acknowledged or spooled (a replay still
        running stays on disk for the next start)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.poll()
            if not self.live and not self.retry:
                return True
            time.sleep(0.01)
        return False

    def counters(self) -> dict:
        values = dict(self.stats)
        values["in_flight"] = max(0, self.in_flight)
        values["ack_latency_ms"] = round(self.latency_ms, 1)
        if self.spool is not None:
            values["spool_waiting"] = self.spool.waiting
            values["spool_bytes"] = self.spool.bytes
        return values

    def close(self) -> None:
        """What is still unacknowledged goes to the spool (replayed at the next start)."""
        if self.spool is not None:
            with self.lock:
                unfinished = [p for p in self.live if not p.done and not p.dead]
            if unfinished:
                count = sum(len(p.records) for p in unfinished)
                self._to_spool(unfinished)
                self.log(f"{self.name}: stopping with {count} unacknowledged notifications: "
                         f"kept in {self.spool.directory}")
            self.spool.close()


def checked_spool(spool_dir: str, max_bytes: int, where: str) -> Optional[Spool]:
    """The spool of an output in ``spool_dir/N``: the first N (0, 1, ...) no other process holds.

    Worker processes of one collector (and a restart after a crash) thus
    each find a spool of their own, and what a dead process left is
    replayed by whoever takes its directory next.  ConfigError when the
    directory cannot be used.
    """
    if not spool_dir:
        return None
    try:
        os.makedirs(spool_dir, exist_ok=True)
        for index in range(MAX_SPOOLS):
            path = os.path.join(spool_dir, str(index))
            os.makedirs(path, exist_ok=True)
            fd = os.open(os.path.join(path, "lock"), os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            spool = Spool(path, max_bytes, log=lambda text: BusOutput.log(f"{where}: {text}"))
            spool.lock_fd = fd  # held (and closed) for the life of the process
            return spool
    except OSError as exc:
        raise ConfigError(f"{where}: spool_dir {spool_dir!r} is not a writable directory: "
                          f"{exc.strerror or exc}") from None
    raise ConfigError(f"{where}: spool_dir {spool_dir!r}: all {MAX_SPOOLS} spools are held by other processes")


def check_spec(spec: Mapping[str, Any], options: Mapping[str, Any], where: str, module: str, extra: str
               ) -> None:
    """Unknown keys and wrong types in an [[output]] table, and the client library (the extra
    ``snmptrapmgr[extra]``) missing: ConfigError naming what to fix."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"{where}: needs the {module} package: install snmptrapmgr[{extra}]") from None
    for key, value in spec.items():
        kind = options.get(key)
        if kind is None:
            close = difflib.get_close_matches(key, list(options), 1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(sorted(options))})"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigError(f"{where}: {key}: expected {names}, not {value!r}")


def connect_failed(output: BusOutput, address: str, exc: BaseException) -> None:
    """The one line said when the broker cannot be reached at start."""
    errno = getattr(exc, "errno", None)
    text = os.strerror(errno) if errno else str(exc) or type(exc).__name__
    output.log(f"{output.name}: cannot connect to {address}: {text}; retrying with backoff"
               + (f", spooling to {output.spool.directory} meanwhile" if output.spool is not None else ""))
