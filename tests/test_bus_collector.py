"""The collector's receive loop publishing to real brokers: floods, a broker outage, a SIGKILL.

``bench.loadgen --sequence`` gives every trap its own request-id, so the
stream can be checked for exactly the request-ids that were sent.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

from brokers import NatsServer, free_port, read_stream, send_traps, spool_records, start_collector
from test_output_kafka import read_topic
from brokers import Tansu

FIRST_REQUEST_ID = 0x01000000
STREAM = "SNMPTRAPMGR"


def _request_ids(payloads) -> set:
    return {json.loads(data)["request_id"] - FIRST_REQUEST_ID for data in payloads}


def _wait(check, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def _informs(port: int, count: int, spread: float, results: dict) -> threading.Thread:
    """net-snmp snmpinform ``count`` times over ``spread`` s in a thread; results[i] = exit code."""
    def run() -> None:
        procs = []
        for i in range(count):
            procs.append((i, subprocess.Popen(
                ["snmpinform", "-v", "2c", "-c", "public", "-r", "8", "-t", "1", f"127.0.0.1:{port}", "",
                 "1.3.6.1.4.1.99999.0.1", "1.3.6.1.4.1.99999.1.1", "s", f"inform-{i}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
            time.sleep(spread / count)
        for i, proc in procs:
            try:
                results[i] = proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                results[i] = "timeout"

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_flood_with_the_server_stopped_4s_in_the_middle_loses_nothing(tmp_path):
    server = NatsServer(str(tmp_path / "store")).start()
    port = free_port()
    spec = {"type": "nats", "servers": [server.url], "subject": "snmp.traps", "ack_timeout": 1.0,
            "spool_dir": str(tmp_path / "spool")}
    log = str(tmp_path / "collector.log")
    collector = start_collector(port, [spec], 60, log)
    try:
        results: dict = {}
        informs = _informs(port, 40, 2.5, results)
        sender = send_traps(port, 20000, 8000)
        time.sleep(1.0)
        server.stop()
        time.sleep(4.0)
        server.start()  # same store
        assert sender.wait(30) == 0
        informs.join(60)
        assert results == dict.fromkeys(range(40), 0)  # every snmpinform got its Response
        got = read_stream([server.url], STREAM, 20040, timeout=40)
        traps = [json.loads(data) for data, _ in got]
        assert _request_ids(json.dumps(t) for t in traps if t["pdu"] == "trap") == set(range(20000)), \
            open(log).read()[-2000:]
        values = [t["varbinds"][-1]["value"] for t in traps if t["pdu"] == "inform"]
        assert sorted(values) == sorted(f"inform-{i}" for i in range(40))  # each stored once
        assert len(got) == 20040
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(20)
        server.stop()


def test_collector_sigkilled_while_the_bus_is_down_delivers_its_spool_after_restart(tmp_path):
    nats_port = free_port()
    port = free_port()
    spool = str(tmp_path / "spool")
    spec = {"type": "nats", "servers": [f"nats://127.0.0.1:{nats_port}"], "subject": "snmp.traps",
            "connect_timeout": 0.5, "ack_timeout": 1.0, "spool_dir": spool}
    log = str(tmp_path / "collector.log")
    collector = start_collector(port, [spec], 60, log)
    server = NatsServer(str(tmp_path / "store"), port=nats_port)
    try:
        assert send_traps(port, 5000, 5000).wait(30) == 0
        assert _wait(lambda: spool_records(spool) == 5000, 20), (spool_records(spool), open(log).read())
        collector.send_signal(signal.SIGKILL)
        collector.wait(10)
        server.start()
        collector = start_collector(port, [spec], 60, log)
        got = read_stream([server.url], STREAM, 5000, timeout=40)
        assert _request_ids(data for data, _ in got) == set(range(5000))
        assert _wait(lambda: spool_records(spool) == 0, 20)  # replayed, acknowledged, deleted
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(20)
        server.stop()


def test_kafka_flood_through_the_collector(tmp_path):
    broker = Tansu().start()
    port = free_port()
    spec = {"type": "kafka", "bootstrap_servers": broker.bootstrap, "topic": "snmp-traps",
            "spool_dir": str(tmp_path / "spool")}
    collector = start_collector(port, [spec], 60, str(tmp_path / "collector.log"))
    try:
        assert send_traps(port, 20000, 8000).wait(30) == 0
        got = read_topic(broker.bootstrap, 20000)
        assert _request_ids(value for _, value, _, _ in got) == set(range(20000))
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(20)
        broker.stop()


def test_kafka_flood_with_the_broker_frozen_4s_in_the_middle_loses_nothing(tmp_path):
    """Tansu keeps its data in memory only, so the outage is a frozen broker (SIGSTOP: it takes
    connections' bytes but answers nothing, as a hung or partitioned broker does), then SIGCONT;
    plus informs over the run, each answered only once stored."""
    broker = Tansu().start()
    port = free_port()
    spec = {"type": "kafka", "bootstrap_servers": broker.bootstrap, "topic": "snmp-traps", "ack_timeout": 1.0,
            "spool_dir": str(tmp_path / "spool")}
    log = str(tmp_path / "collector.log")
    collector = start_collector(port, [spec], 60, log)
    try:
        results: dict = {}
        informs = _informs(port, 40, 2.5, results)
        sender = send_traps(port, 20000, 8000)
        time.sleep(1.0)
        broker.proc.send_signal(signal.SIGSTOP)
        try:
            time.sleep(4.0)
        finally:
            broker.proc.send_signal(signal.SIGCONT)
        assert sender.wait(30) == 0
        informs.join(60)
        assert results == dict.fromkeys(range(40), 0)  # every snmpinform got its Response
        # every notification taken (stored or spooled), then the spool replayed into the topic
        assert _wait(lambda: "delivered=20040 " in open(log).read().rsplit("snmptrapmgr stats:", 1)[-1], 60)
        assert _wait(lambda: "spool replayed" in open(log).read(), 60), open(log).read()[-2000:]
        got = read_topic(broker.bootstrap, 10**6, timeout=8.0)  # all of it: an outage may leave duplicates
        notes = [json.loads(value) for _, value, _, _ in got]
        assert _request_ids(json.dumps(n) for n in notes if n["pdu"] == "trap") == set(range(20000)), \
            open(log).read()[-2000:]
        values = {n["varbinds"][-1]["value"] for n in notes if n["pdu"] == "inform"}
        assert values == {f"inform-{i}" for i in range(40)}
        assert "spooling" in open(log).read()  # the outage was seen, not slept through
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(20)
        broker.stop()


def _run_listen(specs: list, tmp_path, duration: float = 0.5) -> tuple:
    """collector.launch.run_listen (what `listen` runs) with these output specs: (exit code, stderr)."""
    import io

    from snmptrapmgr.collector.config import CollectorConfig
    from snmptrapmgr.collector.launch import run_listen

    def build() -> CollectorConfig:
        config = CollectorConfig(listen=[("127.0.0.1", 0)], numeric=True)
        config.output_specs = lambda: specs  # the [[output]] tables, until the config file has them
        return config

    err = io.StringIO()
    code = run_listen(build, duration, err)
    return code, err.getvalue()


def test_bad_bus_configurations_are_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    server = NatsServer(str(tmp_path / "store")).start()
    try:
        import asyncio

        import nats

        async def other_stream() -> None:
            nc = await nats.connect(server.url)
            await nc.jetstream().add_stream(name="OTHER", subjects=["other.>"])
            await nc.close()

        asyncio.run(other_stream())
        cases = [
            ({"type": "natz"}, "unknown output type 'natz'"),
            ({"type": "nats", "servers": [server.url], "subject": "snmp.traps",
              "spool_dir": str(blocker / "spool")}, "is not a writable directory"),
            ({"type": "nats", "servers": [server.url], "subject": "snmp.traps", "stream": "OTHER"},
             "stream OTHER does not capture subject snmp.traps"),
            ({"type": "kafka", "bootstrap_servers": "127.0.0.1:1", "topic": "t", "settings": {"acks": 5, "x.y": 1}},
             "output kafka: settings:"),
        ]
        for spec, message in cases:
            code, err = _run_listen([spec], tmp_path)
            lines = [x for x in err.splitlines() if x.strip()]
            assert code == 2 and len(lines) == 1 and message in lines[0], (spec, code, err)
    finally:
        server.stop()


def test_unreachable_broker_starts_with_one_line_and_runs(tmp_path, capfd):
    port = free_port()
    spec = {"type": "nats", "servers": [f"nats://127.0.0.1:{port}"], "subject": "snmp.traps",
            "connect_timeout": 0.5, "spool_dir": str(tmp_path / "spool")}
    code, _ = _run_listen([spec], tmp_path, 1.0)
    assert code == 0
    lines = [x for x in capfd.readouterr().err.splitlines() if "cannot connect" in x]
    assert len(lines) == 1 and "Connection refused" in lines[0], lines


WORKERS = """
import json, sys
from snmptrapmgr.collector.config import CollectorConfig
from snmptrapmgr.collector.launch import run_listen
def build():
    config = CollectorConfig(listen=[("127.0.0.1", int(sys.argv[1]))], numeric=True, workers=2)
    config.output_specs = lambda: [json.loads(sys.argv[2])]
    return config
sys.exit(run_listen(build, float(sys.argv[3])))
"""


def test_workers_each_publish_with_a_spool_of_their_own(tmp_path):
    import sys

    server = NatsServer(str(tmp_path / "store")).start()
    port = free_port()
    spool = tmp_path / "spool"
    spec = {"type": "nats", "servers": [server.url], "subject": "snmp.traps", "spool_dir": str(spool)}
    proc = subprocess.Popen([sys.executable, "-c", WORKERS, str(port), json.dumps(spec), "15"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert _wait(lambda: spool.exists() and len(list(spool.iterdir())) == 2, 20)
        time.sleep(1.0)  # both workers connected
        assert send_traps(port, 4000, 4000).wait(30) == 0
        got = read_stream([server.url], STREAM, 4000, timeout=30)
        assert _request_ids(data for data, _ in got) == set(range(4000))
        assert sorted(p.name for p in spool.iterdir()) == ["0", "1"]  # one spool per worker
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        server.stop()


def test_listen_command_line_publishes_to_nats_and_a_file_at_once(tmp_path):
    """``--output nats://HOST:PORT/SUBJECT --output FILE``: the real CLI, fan-out, informs answered."""
    import os
    import sys

    server = NatsServer(str(tmp_path / "store")).start()
    port = free_port()
    out = tmp_path / "traps.jsonl"
    err = open(tmp_path / "listen.err", "w+")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port",
                             str(port), "--output", f"{server.url}/snmp.traps", "--output", str(out)],
                            stderr=err, stdout=subprocess.DEVNULL, cwd=str(tmp_path),
                            env={**os.environ, "PYTHONPATH": root})
    try:
        assert _wait(lambda: "listening on" in open(tmp_path / "listen.err").read(), 20)
        results: dict = {}
        informs = _informs(port, 5, 1.0, results)
        assert send_traps(port, 500, 2000).wait(30) == 0
        informs.join(60)
        assert results == dict.fromkeys(range(5), 0)  # answered once the stream and the file had them
        got = read_stream([server.url], STREAM, 505, timeout=30)
        assert len(got) == 505
        assert _wait(lambda: out.read_text().count("\n") == 505, 20)
        assert sorted(json.loads(data)["request_id"] for data, _ in got) == \
            sorted(json.loads(line)["request_id"] for line in out.read_text().splitlines())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        err.close()
        server.stop()
