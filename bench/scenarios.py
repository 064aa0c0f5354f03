"""The collector rows (the collector's targets), each for both implementations in one run.

All traffic goes from a ``python -m bench.loadgen`` process to 127.0.0.1, bounded in
count and time; the receiver is another process:

- ``e2e_sustained``: the typical v2c trap at a fixed offered rate (250,000/s) for longer
  (10 s) through SNMPTrapMgr + on_trap (a ``bench._receiver`` child);
- ``e2e_burst``: N typical traps queued in the socket while the receiver is stopped
  (SIGSTOP), then drained (SIGCONT): the receiver's rate alone on one core, without the
  sender competing for the machine (the concurrent rows are sender-bound on 2 cores);
- ``v3_<rate>`` / ``v3_max`` / ``v3_burst``: the same with SNMPv3 authPriv SHA-1/AES-128
  traps of a user with a known engine (the receiver pins the engine's boots/time before
  each row, so the prebuilt datagrams stay inside the 150 s window);
- ``listen_<rate>`` / ``listen_max`` / ``listen_burst``: ``python -m snmptrapmgr listen
  --output FILE`` (MIB names on, the default) as a subprocess; ``listen_burst_numeric``: the
  same burst to a second listen with ``--numeric``, alternating with the named one; each row sends its own request-ids and counts the
  lines carrying them (so a line written late for one row is never counted in the next),
  the processing rate from the file's growth (polled every 5 ms; the first flushed batch
  is not counted); a row ends when the sender is done, the listen socket's queue is
  empty and the file stopped growing;
- memory: a fresh receiver per implementation; VmRSS at the start, after N typical traps
  processed and after M v3 traps from M distinct engine IDs for a user added with an
  empty engine ID (each correctly authenticated for its engine: accepted and learned,
  the worst case for the bounded caches), sent in SIGSTOP bursts so none is lost.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .e2e import (RCVBUF, E2ERow, ReceiverProcess, _env, child_cwd, one, rcvbuf_errors, run_sender, sender_args,
                  sender_result)
from .traffic import FIRST_REQUEST_ID

LISTEN_RCVBUF = RCVBUF  # the collector's default, as the bench receiver asks (InBufferSize)
LISTEN_QUIET_S = 0.5   # no file growth for this long ...
LISTEN_EMPTY_S = 0.2   # ... and the listen socket's queue empty for this long: the row is over
MAX_DRAIN_S = 40.0
PORT_LINE = re.compile(r"listening on udp:127\.0\.0\.1:(\d+) rcvbuf=(\d+)")


def process_cpu_s(pid: int) -> Optional[float]:
    """User + system CPU seconds of a process so far (/proc/PID/stat), None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _stopped(pid: int):
    """Context manager: the process is stopped (SIGSTOP) inside, continued after."""
    class _Stop:
        def __enter__(self) -> None:
            os.kill(pid, signal.SIGSTOP)
            time.sleep(0.02)

        def __exit__(self, *exc: object) -> None:
            os.kill(pid, signal.SIGCONT)
    return _Stop()


def burst(rec: ReceiverProcess, count: int, kind: str = "v2c", first: int = 0, name: str = "") -> E2ERow:
    """``count`` datagrams queued while the receiver is stopped, then drained."""
    rec.command("reset")
    before = rcvbuf_errors()
    with _stopped(rec.proc.pid):
        sender = run_sender(rec.hello["port"], 0, 60.0, count, kind, seconds=60.0, first=first)
    report = rec.command("report")
    after = rcvbuf_errors()
    return E2ERow(rec.kind, 0, sender["sent"], sender["elapsed_s"], report["traps"], report["busy_s"],
                  report["bad"], None if before is None or after is None else after - before,
                  {"send_errors": sender["errors"], "drained": report["drained"], "traffic": kind,
                   "socket_drops": report.get("socket_drops"), "datagrams": report.get("datagrams"),
                   "build_s": sender.get("build_s"), "burst": True, "cpu_s": report.get("cpu_s")}, name)


def best_burst(rec: ReceiverProcess, count: int, repeats: int, kind: str, name: str) -> E2ERow:
    rows = [burst(rec, count, kind, name=name) for _ in range(max(1, repeats))]
    best = max(rows, key=lambda r: r.processed_per_s)
    best.extra["samples_per_s"] = [r.processed_per_s for r in rows]
    best.extra["repeats"] = len(rows)
    return best


# ----------------------------------------------------------------------------- listen


class ListenProcess:
    """``python -m snmptrapmgr listen --output FILE`` for one implementation.

    Every row sends its own request-ids (``bench.loadgen --sequence --first``, a range
    no other row uses) and counts only the lines carrying them, so a line written late
    for an earlier row can never be counted twice; a row ends once the sender is done,
    the listen socket's queue is empty (/proc/net/udp) and the file stopped growing.
    """

    def __init__(self, kind: str, workdir: Path, rcvbuf: int = LISTEN_RCVBUF, timeout_s: float = 30.0,
                 numeric: bool = False) -> None:
        self.kind = kind
        tag = f"{kind}-numeric" if numeric else kind
        self.output = workdir / f"listen-{tag}.jsonl"
        self.errpath = workdir / f"listen-{tag}.err"
        self._err = open(self.errpath, "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
             "--output", str(self.output), "--rcvbuf", str(rcvbuf)] + (["--numeric"] if numeric else []),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err, cwd=child_cwd(),
            env=_env(kind))
        end = time.monotonic() + timeout_s
        while True:
            found = PORT_LINE.search(self.stderr())
            if found:
                break
            if self.proc.poll() is not None or time.monotonic() > end:
                self.close()
                last = self.stderr().strip().splitlines()
                raise RuntimeError(f"snmptrapmgr listen ({kind}) did not start: "
                                   f"{last[-1] if last else 'no message'}")
            time.sleep(0.02)
        self.port, self.rcvbuf_kernel = int(found.group(1)), int(found.group(2))
        self.final: dict = {}

    def stderr(self) -> str:
        return self.errpath.read_text(errors="replace")

    def size(self) -> int:
        try:
            return os.path.getsize(self.output)
        except OSError:
            return 0

    def lines_since(self, offset: int) -> int:
        if not self.output.exists():
            return 0
        with open(self.output, "rb") as handle:
            handle.seek(offset)
            return handle.read().count(b"\n")

    def run(self, rate: float, duration_s: float, count: int, seconds: Optional[float] = None,
            stop_first: bool = False, name: str = "") -> E2ERow:
        """One row: a sender at ``rate`` (0 = max), or a burst queued while listen is stopped."""
        first = take_request_ids(count)
        start_size = self.size()
        cpu_before = process_cpu_s(self.proc.pid)
        before = rcvbuf_errors()
        sock_before = udp_socket(self.port)
        if stop_first:
            with _stopped(self.proc.pid):
                sender = run_sender(self.port, 0, 60.0, count, "v2c", seconds=60.0, first=first, sequence=True)
            sender_proc = None
        else:
            if seconds is None:
                seconds = duration_s if rate <= 0 else 1.5 * duration_s + 0.5
            sender_proc = subprocess.Popen(sender_args(self.port, rate, count, seconds, first=first, sequence=True),
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                           cwd=child_cwd(), env=_env("cython"))
            sender = None
        samples = [(time.perf_counter(), start_size)]
        started = time.perf_counter()
        empty_since = None  # since when the listen socket's queue has been seen empty
        while True:
            time.sleep(0.005)
            now, size = time.perf_counter(), self.size()
            if size != samples[-1][1]:
                samples.append((now, size))
                empty_since = None
            if sender_proc is None or sender_proc.poll() is not None:
                queued = udp_socket(self.port)
                if queued is not None and queued[0] > 0:
                    empty_since = None
                elif empty_since is None:
                    empty_since = now
                # done: the listener took all the kernel queued and wrote nothing more for a while
                if (empty_since is not None and now - empty_since >= LISTEN_EMPTY_S
                        and now - samples[-1][0] >= LISTEN_QUIET_S):
                    break
            if now - started > MAX_DRAIN_S + (seconds or 0):
                break
        if sender_proc is not None:
            try:
                out, err = sender_proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                sender_proc.kill()
                out, err = sender_proc.communicate()
            sender = sender_result(out, err, sender_proc.returncode)
        after = rcvbuf_errors()
        cpu_after = process_cpu_s(self.proc.pid)
        sock_after = udp_socket(self.port)
        lines, own = count_own_lines(self.output, start_size, FIRST_REQUEST_ID + first, count)
        grown = samples[1:]
        rate_lines = 0.0
        rate_from = "file growth"
        if lines and len(grown) >= 2 and grown[-1][0] > grown[0][0]:
            per_line = (samples[-1][1] - start_size) / lines
            rate_lines = (grown[-1][1] - grown[0][1]) / per_line / (grown[-1][0] - grown[0][0])
        elif own and grown and grown[-1][0] > started:
            # everything came in one flush: lines / time from the start to that flush (a lower bound)
            rate_lines = own / (grown[-1][0] - started)
            rate_from = "one flush (lower bound)"
        busy_s = (own - 1) / rate_lines if rate_lines > 0 and own > 1 else 0.0
        drops = (None if sock_before is None or sock_after is None else sock_after[1] - sock_before[1])
        return E2ERow(self.kind, rate, sender["sent"], sender["elapsed_s"], own, busy_s, 0,
                      None if before is None or after is None else after - before,
                      {"send_errors": sender["errors"], "traffic": "v2c", "burst": stop_first,
                       "file_growth_samples": len(grown), "drained": True, "socket_drops": drops,
                       "other_lines": lines - own, "rate_from": rate_from,
                       "cpu_s": None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
                       "request_ids": [FIRST_REQUEST_ID + first, FIRST_REQUEST_ID + first + count - 1]}, name)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=MAX_DRAIN_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        found = re.findall(r"snmptrapmgr final[^:]*: (.*)", self.stderr())
        if found:
            self.final = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])}


_next_request_id = 0


def take_request_ids(count: int) -> int:
    """The offset (from FIRST_REQUEST_ID) of ``count`` request-ids no other row of this run uses."""
    global _next_request_id
    first = _next_request_id
    _next_request_id += max(1, count)
    return first


REQUEST_ID = re.compile(rb'"request_id":(\d+)')


def count_own_lines(path: Path, offset: int, first_id: int, count: int) -> tuple:
    """(lines, own): the complete lines of ``path`` after ``offset``, and how many distinct
    request-ids ``first_id`` .. ``first_id + count - 1`` they carry (read in 16 MiB pieces)."""
    seen = bytearray(max(0, count))
    lines = 0
    try:
        handle = open(path, "rb")
    except OSError:
        return 0, 0
    with handle:
        handle.seek(offset)
        rest = b""
        while True:
            piece = handle.read(16 << 20)
            if not piece:
                break
            data = rest + piece
            cut = data.rfind(b"\n") + 1
            data, rest = data[:cut], data[cut:]
            lines += data.count(b"\n")
            for found in REQUEST_ID.findall(data):
                index = int(found) - first_id
                if 0 <= index < count:
                    seen[index] = 1
    return lines, count - seen.count(0)


def udp_socket(port: int) -> Optional[tuple]:
    """(bytes queued, drops) of the UDP socket bound to 127.0.0.1:``port`` (/proc/net/udp), or None."""
    try:
        text = Path("/proc/net/udp").read_text()
    except OSError:
        return None
    want = f":{port:04X}"
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 12 and fields[1].endswith(want) and fields[2].startswith("00000000:"):
            try:
                return int(fields[4].split(":")[1], 16), int(fields[-1])
            except (IndexError, ValueError):
                return None
    return None


# ----------------------------------------------------------------------------- memory


@dataclass
class MemoryRun:
    implementation: str
    traps_target: int
    spoof_target: int
    start: dict = field(default_factory=dict)
    after_traps: dict = field(default_factory=dict)
    after_spoof: dict = field(default_factory=dict)
    traps_sent: int = 0
    traps_processed: int = 0
    traps_s: float = 0.0
    spoof_sent: int = 0
    spoof_handled: int = 0       # datagrams the receiver took
    spoof_accepted: int = 0      # delivered as traps (engine learned)
    spoof_s: float = 0.0
    notes: list = field(default_factory=list)

    @staticmethod
    def growth_mb(a: dict, b: dict) -> Optional[float]:
        if "vmrss_kb" not in a or "vmrss_kb" not in b:
            return None
        return (b["vmrss_kb"] - a["vmrss_kb"]) / 1024.0


def memory(kind: str, traps_target: int, spoof_target: int, spoof_burst: int, time_bound_s: float,
           rate_hint: float, progress: Callable[[str], None]) -> MemoryRun:
    run = MemoryRun(kind, traps_target, spoof_target)
    rec = ReceiverProcess(kind)
    try:
        run.start = rec.command("memory")
        # 1. typical v2c traps, concurrent sender paced near what this receiver takes
        t0 = time.monotonic()
        while run.traps_processed < traps_target:
            left = time_bound_s - (time.monotonic() - t0)
            if left <= 0.5:
                run.notes.append(f"time bound {time_bound_s:g} s reached after "
                                 f"{run.traps_processed:,} traps")
                break
            want = traps_target - run.traps_processed
            row = one(rec, rate_hint, left, count=want, seconds=left)
            run.traps_sent += row.sent
            run.traps_processed += row.received
        run.traps_s = time.monotonic() - t0
        run.after_traps = rec.command("memory")
        progress(f"{kind} memory: {run.traps_processed:,} traps in {run.traps_s:.1f} s")
        # 2. spoofed engine IDs, in bursts queued while the receiver is stopped (none lost)
        t0 = time.monotonic()
        first = 0
        while first < spoof_target:
            if time.monotonic() - t0 > time_bound_s:
                run.notes.append(f"time bound {time_bound_s:g} s reached after {first:,} engines")
                break
            n = min(spoof_burst, spoof_target - first)
            row = burst(rec, n, "v3-spoof", first)
            run.spoof_sent += row.sent
            run.spoof_handled += row.extra.get("datagrams") or 0
            run.spoof_accepted += row.received
            first += n
        run.spoof_s = time.monotonic() - t0
        run.after_spoof = rec.command("memory")
    finally:
        rec.close()
    return run


# ----------------------------------------------------------------------------- all of it


def run(kinds: list, cfg: dict, progress: Callable[[str], None] = lambda s: None) -> tuple:
    """Every scenario row for every implementation; returns (rows, memory runs, info)."""
    rows: list = []
    info: dict = {}

    def alternate(i: int) -> list:
        return kinds if i % 2 == 0 else list(reversed(kinds))

    receivers: dict = {}
    try:
        for kind in kinds:
            receivers[kind] = ReceiverProcess(kind)
        rate, secs = cfg["sustained_rate"], cfg["sustained_s"]
        for kind in alternate(0):
            progress(f"{kind} v2c sustained {rate:,.0f}/s for {secs:g} s")
            rows.append(one(receivers[kind], rate, secs, count=int(rate * secs), seconds=secs + 0.5,
                            name="e2e_sustained"))
        for kind in alternate(1):
            progress(f"{kind} v2c burst of {cfg['burst_count']:,}")
            rows.append(best_burst(receivers[kind], cfg["burst_count"], cfg["burst_repeats"], "v2c",
                                   "e2e_burst"))
        v3_rate = cfg["v3_rate"]
        for i, kind in enumerate(alternate(0)):
            progress(f"{kind} v3 at {v3_rate:,.0f}/s")
            count = min(int(v3_rate * cfg["duration_s"]), cfg["max_count"])
            rows.append(one(receivers[kind], v3_rate, cfg["duration_s"], count=count, kind="v3",
                            name=f"v3_{int(v3_rate)}"))
        for kind in alternate(1):
            progress(f"{kind} v3 max")
            rows.append(one(receivers[kind], 0, cfg["duration_s"], count=cfg["max_count"], kind="v3",
                            name="v3_max"))
        for kind in alternate(0):
            progress(f"{kind} v3 burst of {cfg['v3_burst_count']:,}")
            rows.append(best_burst(receivers[kind], cfg["v3_burst_count"], cfg["burst_repeats"], "v3",
                                   "v3_burst"))
        info["receivers"] = {k: r.hello for k, r in receivers.items()}
    finally:
        for r in receivers.values():
            r.close()

    listeners: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-listen-") as tmp:
        try:
            for kind in kinds:
                listeners[kind] = ListenProcess(kind, Path(tmp))
            lrate, lsecs = cfg["listen_rate"], cfg["listen_s"]
            for kind in alternate(0):
                progress(f"{kind} listen at {lrate:,.0f}/s for {lsecs:g} s")
                rows.append(listeners[kind].run(lrate, lsecs, int(lrate * lsecs), seconds=lsecs + 0.5,
                                                name=f"listen_{int(lrate)}"))
            for kind in alternate(1):
                progress(f"{kind} listen max")
                rows.append(listeners[kind].run(0, cfg["duration_s"], cfg["max_count"], name="listen_max"))
            for kind in kinds:  # MIB names off (--numeric), beside each: their cost (issue 11)
                listeners[f"{kind}-numeric"] = ListenProcess(kind, Path(tmp), numeric=True)
            for kind in alternate(0):
                progress(f"{kind} listen burst of {cfg['burst_count']:,}, names vs --numeric alternating")
                names, numeric = [], []
                for _ in range(max(1, cfg["burst_repeats"])):
                    names.append(listeners[kind].run(0, 60.0, cfg["burst_count"], stop_first=True,
                                                     name="listen_burst"))
                    numeric.append(listeners[f"{kind}-numeric"].run(0, 60.0, cfg["burst_count"], stop_first=True,
                                                                    name="listen_burst_numeric"))
                for samples in (names, numeric):
                    best = max(samples, key=lambda r: r.processed_per_s)
                    best.extra["samples_per_s"] = [r.processed_per_s for r in samples]
                    rows.append(best)
        finally:
            for listener in listeners.values():
                listener.close()
        info["listen"] = {k: {"rcvbuf_requested": LISTEN_RCVBUF, "rcvbuf_kernel": l.rcvbuf_kernel,
                              "final": l.final} for k, l in listeners.items() if k in kinds}

    runs = []
    for kind in kinds:
        burst_rate = max((r.processed_per_s for r in rows if r.name == "e2e_burst" and r.implementation == kind),
                         default=0.0)
        hint = 0.0 if burst_rate <= 0 or burst_rate * 0.8 >= 150_000 else burst_rate * 0.8
        progress(f"{kind} memory: {cfg['memory_traps']:,} traps, {cfg['memory_engines']:,} spoofed engines")
        runs.append(memory(kind, cfg["memory_traps"], cfg["memory_engines"], cfg["memory_engine_burst"],
                           cfg["memory_time_s"], hint, progress))
        runs[-1].notes.insert(0, f"traps sent at {'max' if hint == 0 else f'{hint:,.0f}/s'}")
    return rows, runs, info
