"""``--workers N``: N supervised collector processes sharing the listen port(s) with SO_REUSEPORT.

The kernel spreads senders over the workers by flow hash.  Each worker is a
:class:`~.service.Collector` with its own outputs.  File outputs of the
workers write whole batches under a :class:`FileLock` (flock(2) on a lock
file each worker opens itself): batches never interleave, and a worker
that dies holding it releases it with its descriptors, so killing one in
the middle of a write never stops the others.

The parent supervises: a worker that dies is started again (one line with
its exit status); a slot that dies :data:`FAST_DEATHS` times within
:data:`FAST_WINDOW` seconds ends the collector with exit status 1.  SIGINT
and SIGTERM stop every worker, SIGHUP is passed on (each reopens and
reloads).  Each worker publishes its counters in shared memory after every
stats line and at exit, so the totals count every worker, killed ones
included (up to their last stats line).  A worker ends when the parent dies
(PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import fcntl
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from typing import Any, Callable, Optional, TextIO

from ..errors import SNMPTrapMgrError
from .config import CollectorConfig, ConfigError
from .outputs import create
from .metrics import maybe_serve
from .service import Collector
from .stats import SHARED, add, format_line

__all__ = ["run_workers", "FileLock", "FAST_DEATHS", "FAST_WINDOW"]

FAST_DEATHS = 5
FAST_WINDOW = 10.0
_PR_SET_PDEATHSIG = 1


class FileLock:
    """A cross-process lock that a dying holder cannot keep: flock(2) on ``path``, per process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1
        self.pid = 0

    def __enter__(self) -> "FileLock":
        if self.pid != os.getpid():  # a descriptor of our own: flock excludes per open file
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self.pid = os.getpid()
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the worker still stops at the parent's SIGTERM
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _worker(config: CollectorConfig, err: TextIO, duration: Optional[float], lock: Any, number: int,
            slot: int, listen: list, ready: Any, shared: Any,
            build_config: Optional[Callable[[], CollectorConfig]]) -> None:
    """One worker process: open, say so (or why not) on ``ready``, run, publish its counters."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent forwards SIGTERM
    try:
        outputs = [create(spec, lock=lock) for spec in config.output_specs()]
        collector = Collector(config, outputs, err, share_port=True, label=f"[worker {number}]")
        bound = collector.open(listen)
    except OSError as exc:
        ready.send(("error", f"cannot open {exc.filename or config.describe_outputs()}: {exc.strerror}"))
        os._exit(1)
    except (ConfigError, SNMPTrapMgrError) as exc:
        ready.send(("error", str(exc)))
        os._exit(1)
    collector.build_config = build_config
    base = slot * len(SHARED)

    def publish(values: dict) -> None:
        for i, name in enumerate(SHARED):
            shared[base + i] = int(values.get(name, 0))

    collector.on_stats = publish
    signal.signal(signal.SIGTERM, lambda *_: collector.stop())
    signal.signal(signal.SIGHUP, lambda *_: collector.hangup())
    ready.send(("ok", bound))
    ready.close()
    collector.run(duration)
    collector.settle()
    collector.report_stats(final=True)
    collector.close()
    publish(collector.stats())  # what close() delivered and answered counts too
    os._exit(0)


def run_workers(config: CollectorConfig, err: TextIO = sys.stderr, duration: Optional[float] = None,
                on_bound: Optional[Callable[[list], None]] = None,
                build_config: Optional[Callable[[], CollectorConfig]] = None) -> int:
    """Run ``config.workers`` supervised collectors; the exit status (0 after a clean stop)."""
    config.load_mibs()  # once, before the fork: the workers share it and its notes are printed once
    ctx = multiprocessing.get_context("fork")
    lock_dir = tempfile.mkdtemp(prefix="snmptrapmgr-")
    lock = FileLock(os.path.join(lock_dir, "write.lock"))
    listen = list(config.listen or [("0.0.0.0", 162)])
    count = config.workers
    slots = ctx.Array("q", (count + 64) * len(SHARED), lock=False)  # + room for restarted workers
    procs: dict = {}      # slot index -> Process
    deaths: dict = {}     # worker number -> monotonic times of its deaths
    totals_slots = [0]    # slots used so far
    status = 0
    stopping = False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for proc in list(procs.values()):
            if proc.pid and proc.is_alive():
                try:
                    os.kill(proc.pid, signal.SIGTERM if signum != signal.SIGHUP else signal.SIGHUP)
                except ProcessLookupError:
                    pass

    def start(number: int) -> tuple:
        nonlocal listen
        slot = totals_slots[0]
        if slot >= count + 64:
            return "error", "too many worker restarts"
        totals_slots[0] += 1
        ready_r, ready_w = ctx.Pipe(False)
        proc = ctx.Process(target=_worker, daemon=False,
                           args=(config, err, duration, lock, number, slot, listen, ready_w, slots, build_config))
        proc.start()
        ready_w.close()
        try:
            kind, value = ready_r.recv()
        except EOFError:
            kind, value = "error", f"worker {number} died while binding"
        ready_r.close()
        procs[number] = proc
        if kind == "ok" and number == 0 and not listen_resolved[0]:
            listen = [tuple(a) for a in value]  # port 0 resolved: the others share it
            listen_resolved[0] = True
            if on_bound is not None:
                on_bound(listen)
        return kind, value

    def totals() -> dict:
        out: dict = {}
        width = len(SHARED)
        for slot in range(totals_slots[0]):
            out = add(out, dict(zip(SHARED, slots[slot * width:(slot + 1) * width])))
        return out

    try:
        metrics = maybe_serve(config.metrics_listen, lambda: (totals(), {}))
    except ConfigError as exc:
        err.write(f"snmptrapmgr: {exc}\n")
        return 2
    if metrics is not None:
        err.write(f"snmptrapmgr: metrics on {metrics.url} (the sum of the workers)\n")
    listen_resolved = [False]
    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    started = time.monotonic()
    try:
        for number in range(count):
            kind, value = start(number)
            if kind == "error":
                err.write(f"snmptrapmgr: {value}\n")
                forward(signal.SIGTERM, None)
                status = 1
                break
            if stopping:
                break
        while not stopping and status == 0:
            if duration is not None and time.monotonic() - started > duration + 5:
                break  # the workers stop themselves at their duration
            for number, proc in list(procs.items()):
                if proc.is_alive():
                    continue
                proc.join()
                if stopping or (duration is not None and proc.exitcode == 0):
                    continue
                code = proc.exitcode
                why = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
                times = [t for t in deaths.get(number, []) if time.monotonic() - t < FAST_WINDOW]
                times.append(time.monotonic())
                deaths[number] = times
                if len(times) >= FAST_DEATHS:
                    err.write(f"snmptrapmgr: worker {number} died {len(times)} times within "
                              f"{FAST_WINDOW:g} s ({why}): giving up\n")
                    status = 1
                    forward(signal.SIGTERM, None)
                    break
                err.write(f"snmptrapmgr: worker {number} ended ({why}); starting it again\n")
                kind, value = start(number)
                if kind == "error":
                    err.write(f"snmptrapmgr: worker {number} could not start again: {value}\n")
                    status = 1
                    forward(signal.SIGTERM, None)
                    break
            if all(not p.is_alive() for p in procs.values()):
                break
            time.sleep(0.05)
        for proc in procs.values():
            proc.join()
            if proc.exitcode and not (stopping and proc.exitcode == -signal.SIGTERM):
                status = status or 1
        if procs:
            err.write(format_line(totals(), f"total ({len(procs)} workers)"))
            err.flush()
    finally:
        if metrics is not None:
            metrics.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for remove, path in ((os.unlink, lock.path), (os.rmdir, lock_dir)):
            try:
                remove(path)
            except OSError:
                pass
    return status
