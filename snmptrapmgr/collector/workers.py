"""``--workers N``: N collector processes sharing the listen port(s) with SO_REUSEPORT.

The kernel spreads senders over the workers by flow hash.  Each worker is a
:class:`~.service.Collector` with its own outputs; file outputs share one
lock, so batches from different workers never interleave.  The parent
forwards SIGINT/SIGTERM, collects each worker's final counters and prints
the totals.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
from typing import Any, Callable, Optional, TextIO

from ..errors import SNMPTrapMgrError
from .config import CollectorConfig, ConfigError
from .outputs import create
from .service import Collector
from .stats import add, format_line

__all__ = ["run_workers"]


def _worker(config: CollectorConfig, err: TextIO, duration: Optional[float], lock: Any, index: int,
            listen: list, ready: Any, result: Any) -> None:
    """One worker process: open, say so (or why not) on ``ready``, run, send counters on ``result``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent forwards SIGTERM
    try:
        outputs = [create(spec, lock=lock) for spec in config.output_specs()]
        collector = Collector(config, outputs, err, share_port=True, label=f"[worker {index}]")
    except OSError as exc:
        ready.send(("error", f"cannot open {config.output}: {exc.strerror}"))
        os._exit(1)
    except ConfigError as exc:
        ready.send(("error", str(exc)))
        os._exit(1)
    try:
        bound = collector.open(listen)
    except SNMPTrapMgrError as exc:
        ready.send(("error", str(exc)))
        os._exit(1)
    signal.signal(signal.SIGTERM, lambda *_: collector.stop())
    ready.send(("ok", bound))
    ready.close()
    collector.run(duration)
    values = collector.report_stats(final=True)
    collector.close()
    result.send(json.dumps(values))
    result.close()


def run_workers(config: CollectorConfig, err: TextIO = sys.stderr, duration: Optional[float] = None,
                on_bound: Optional[Callable[[list], None]] = None) -> int:
    """Fork ``config.workers`` collectors sharing the listen port(s) with SO_REUSEPORT.

    The first worker binds (resolving port 0); the others bind the same
    ports.  SIGINT/SIGTERM to the parent is passed on; each worker drains
    its own socket, writes, and sends its counters to the parent, which
    prints the totals.  Returns the exit status (0 when every worker
    exited cleanly).
    """
    config.load_mibs()  # once, before the fork: the workers share it and its notes are printed once
    ctx = multiprocessing.get_context("fork")
    lock = ctx.Lock()
    listen = list(config.listen or [("0.0.0.0", 162)])
    children: list = []
    status = 0
    stopping = False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for proc, _ in children:
            if proc.pid and proc.is_alive():
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for index in range(config.workers):
            ready_r, ready_w = ctx.Pipe(False)
            result_r, result_w = ctx.Pipe(False)
            proc = ctx.Process(target=_worker, daemon=False,
                               args=(config, err, duration, lock, index, listen, ready_w, result_w))
            proc.start()
            ready_w.close()
            result_w.close()
            children.append((proc, result_r))
            try:
                kind, value = ready_r.recv()
            except EOFError:
                kind, value = "error", "worker died while binding"
            if kind == "error":
                err.write(f"snmptrapmgr: {value}\n")
                forward(signal.SIGTERM, None)
                status = 1
                break
            if index == 0:
                listen = [tuple(a) for a in value]  # port 0 resolved: the others share it
                if on_bound is not None:
                    on_bound(listen)
            if stopping:
                break
        totals: dict = {}
        for proc, result_r in children:
            try:
                while True:
                    try:
                        totals = add(totals, json.loads(result_r.recv()))
                        break
                    except InterruptedError:
                        continue
            except (EOFError, OSError):
                status = status or 1
            proc.join()
            if proc.exitcode:
                status = status or 1
        if children:
            err.write(format_line(totals, f"total ({len(children)} workers)"))
            err.flush()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status
