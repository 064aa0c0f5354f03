"""End-to-end over loopback: sender process -> UDP 127.0.0.1 -> SNMPTrapMgr (child process).

One receiver child per implementation stays up for the whole run; for each
offered rate the implementations take turns (order alternating), each with a
fresh sender process.  Loss = (sent - received) / sent, counted after the
receiver has drained its socket.  The kernel's UDP RcvbufErrors (machine-wide,
from /proc/net/snmp) is recorded beside it as a cross-check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from snmptrapmgr.collector.config import DEFAULT_RCVBUF

from . import measured

ROOT = measured.ROOT
DEFAULT_RATES = (20000, 50000, 100000, 150000, 200000)
RCVBUF = DEFAULT_RCVBUF  # what `snmptrapmgr listen` asks for by default


def _env(kind: str) -> dict:
    """A child's environment: the measured snmptrapmgr and this checkout's bench first on its
    path (:mod:`bench.measured`), the pure-Python fallback forced for "python"."""
    env = measured.child_env()
    if kind == "python":
        env["SNMPTRAPMGR_NO_EXTENSIONS"] = "1"
    else:
        env.pop("SNMPTRAPMGR_NO_EXTENSIONS", None)
    return env


def child_cwd() -> str:
    """Every child's working directory (never the repository root: see bench.measured)."""
    return measured.child_cwd()


def rcvbuf_errors() -> Optional[int]:
    """UDP RcvbufErrors of the whole machine (Linux), or None."""
    try:
        lines = Path("/proc/net/snmp").read_text().splitlines()
    except OSError:
        return None
    udp = [line.split() for line in lines if line.startswith("Udp:")]
    if len(udp) < 2 or "RcvbufErrors" not in udp[0]:
        return None
    return int(udp[1][udp[0].index("RcvbufErrors")])


class ReceiverProcess:
    """A bench._receiver child and its line protocol."""

    def __init__(self, kind: str, rcvbuf: int = RCVBUF, timeout_s: float = 60.0) -> None:
        self.kind = kind
        self.timeout_s = timeout_s
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._receiver", kind, str(rcvbuf)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=child_cwd(), env=_env(kind),
        )
        self.hello = self._read()
        if self.hello.get("implementation") != kind:
            self.close()
            raise RuntimeError(f"the {kind} receiver process runs {self.hello.get('implementation')!r} instead")
        if self.hello.get("file") and not measured.same_package(self.hello["file"]):
            self.close()
            raise RuntimeError(f"the {kind} receiver process imported snmptrapmgr from {self.hello['file']}, "
                               f"not the measured {measured.current().package}")

    def _read(self) -> dict:
        import select

        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout_s)
        if not ready:
            raise RuntimeError(f"{self.kind} receiver did not answer within {self.timeout_s} s")
        line = self.proc.stdout.readline()
        if not line:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            raise RuntimeError(f"the {self.kind} receiver process exited (code {self.proc.returncode}) "
                               "before answering; its error is above")
        return json.loads(line)

    def command(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def sender_args(port: int, rate: float, count: int, seconds: float, kind: str = "v2c", first: int = 0,
                sequence: bool = False) -> list:
    """The ``python -m bench.loadgen`` command line (``sequence``: v2c request-ids ``first``...)."""
    args = [sys.executable, "-m", "bench.loadgen", "--port", str(port), "--count", str(count),
            "--rate", str(rate), "--seconds", f"{seconds:g}", "--kind", kind, "--json"]
    if sequence:
        args.append("--sequence")
    if first:
        args += ["--first", str(first)]
    return args


def sender_result(stdout: str, stderr: str, returncode: int) -> dict:
    """The sender's JSON line, or a RuntimeError naming its last error line."""
    lines = stdout.strip().splitlines()
    if returncode != 0 or not lines:
        why = (stderr or "").strip().splitlines()
        raise RuntimeError(f"the sender (python -m bench.loadgen) failed with exit code {returncode}: "
                           f"{why[-1] if why else 'no message'}")
    return json.loads(lines[-1])


def run_sender(port: int, rate: float, duration_s: float, count: int = 0, kind: str = "v2c",
               seconds: Optional[float] = None, first: int = 0, sequence: bool = False) -> dict:
    """``python -m bench.loadgen`` in its own process (the compiled build if present).

    ``count`` 0 = ``rate * duration_s`` (or 10,000,000 at rate 0); the sender stops after
    ``seconds`` at the latest (default: ``duration_s`` at rate 0, else ``1.5 * duration_s + 0.5``).
    """
    if not count:
        count = max(1, int(rate * duration_s)) if rate > 0 else 10_000_000
    if seconds is None:
        seconds = duration_s if rate <= 0 else 1.5 * duration_s + 0.5
    args = sender_args(port, rate, count, seconds, kind, first, sequence)
    try:
        out = subprocess.run(args, capture_output=True, text=True, cwd=child_cwd(), env=_env("cython"),
                             timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the sender (python -m bench.loadgen) did not finish within {seconds + 120:g} s") \
            from None
    return sender_result(out.stdout, out.stderr, out.returncode)


@dataclass
class E2ERow:
    implementation: str
    offered_rate: float          # 0 = max throughput (as fast as the sender can)
    sent: int
    sender_elapsed_s: float
    received: int
    busy_s: float
    bad: int
    kernel_rcvbuf_errors: Optional[int]
    extra: dict = field(default_factory=dict)
    name: str = ""               # rows beyond the offered-rate sweep (see bench.scenarios)

    @property
    def actual_rate(self) -> float:
        return self.sent / self.sender_elapsed_s if self.sender_elapsed_s > 0 else 0.0

    @property
    def processed_per_s(self) -> float:
        """Traps handled per second of receiver time (first to last trap)."""
        if self.received < 2 or self.busy_s <= 0:
            return 0.0
        return (self.received - 1) / self.busy_s

    @property
    def cpu_us_per_trap(self) -> float:
        """CPU-µs the receiving process spent per trap handled (getrusage, reset to report)."""
        cpu_s = self.extra.get("cpu_s")
        return 1e6 * cpu_s / self.received if cpu_s is not None and self.received else 0.0

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 0.0

    @property
    def problem(self) -> str:
        """Why the row's counts cannot be right ("" when they can): a receiver never gets more
        traps than were sent to it, so such a row counted traffic that was not its own."""
        if self.received > self.sent:
            return (f"received {self.received:,} of {self.sent:,} sent: it counted traffic that was not "
                    "its own, so its loss is unknown")
        if self.sent < 0 or self.received < 0:
            return f"negative count (sent {self.sent:,}, received {self.received:,})"
        return ""


def one(rec: ReceiverProcess, rate: float, duration_s: float, count: int = 0, kind: str = "v2c",
        seconds: Optional[float] = None, name: str = "") -> E2ERow:
    rec.command("reset")
    before = rcvbuf_errors()
    sender = run_sender(rec.hello["port"], rate, duration_s, count, kind, seconds)
    report = rec.command("report")
    after = rcvbuf_errors()
    return E2ERow(rec.kind, rate, sender["sent"], sender["elapsed_s"], report["traps"],
                  report["busy_s"], report["bad"],
                  None if before is None or after is None else after - before,
                  {"send_errors": sender["errors"], "drained": report["drained"],
                   "socket_drops": report.get("socket_drops"), "traffic": kind,
                   "cpu_s": report.get("cpu_s")}, name)


def run(kinds: list, rates: list, duration_s: float, max_duration_s: float, max_count: int = 0,
        progress: Callable[[str], None] = lambda s: None) -> tuple[list, dict]:
    """Run every rate for every implementation, then the max-throughput rows."""
    receivers = {}
    rows: list = []
    try:
        for kind in kinds:
            receivers[kind] = ReceiverProcess(kind)
        for i, rate in enumerate(rates):
            order = kinds if i % 2 == 0 else list(reversed(kinds))
            for kind in order:
                progress(f"{kind} at {rate:,.0f}/s")
                count = int(rate * duration_s)
                rows.append(one(receivers[kind], rate, duration_s,
                                min(count, max_count) if max_count else count))
        for i, kind in enumerate(kinds):
            progress(f"{kind} max throughput")
            rows.append(one(receivers[kind], 0, max_duration_s, max_count))
        info = {k: r.hello for k, r in receivers.items()}
    finally:
        for r in receivers.values():
            r.close()
    return rows, info
