"""The nats output against a real nats-server (JetStream): at least once, spool, ids, bad configs.

The servers are started here on free loopback ports and stopped by each
test; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import time

import nats
import pytest

from brokers import NatsCluster, NatsServer, free_port, read_stream, stream_messages
from snmptrapmgr.collector.config import ConfigError
from snmptrapmgr.collector.outputs import Batch, create
from snmptrapmgr.collector.outputs.msgid import message_id

STREAM = "SNMPTRAPMGR"


def line(i: int, pdu: str = "trap", micro: int = -1) -> str:
    micro = i % 1_000_000 if micro < 0 else micro
    return (f'{{"time":"2026-12-03T17:00:00.{micro:06d}Z","source":{{"address":"10.0.{i % 3}.1","port":161}},'
            f'"version":"v2c","pdu":"{pdu}","community":"public","request_id":{i},"varbinds":[]}}\n')


class Feeder:
    """Submits numbered lines in batches to an output, polling it like the collector does."""

    def __init__(self, output) -> None:
        self.output = output
        self.next = 0
        self.woken = 0
        output.open(self.wake)

    def wake(self) -> None:
        self.woken += 1

    def feed(self, count: int, size: int = 500) -> None:
        for start in range(self.next, self.next + count, size):
            n = min(size, self.next + count - start)
            self.output.submit(Batch(start, [line(i) for i in range(start, start + n)], []))
            self.output.poll()
        self.next += count

    def until(self, check, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.output.poll()
            if check():
                return True
            time.sleep(0.05)
        return False


@pytest.fixture
def server(tmp_path):
    srv = NatsServer(str(tmp_path / "store")).start()
    yield srv
    srv.stop()


def _spec(urls, tmp_path, **more) -> dict:
    return {"type": "nats", "servers": list(urls), "subject": "snmp.{version}.{source}",
            "spool_dir": str(tmp_path / "spool"), **more}


def _ids(count: int) -> set:
    return {message_id(line(i)) for i in range(count)}


def test_every_line_is_one_message_with_its_id_and_acked_only_after_the_puback(server, tmp_path):
    output = create(_spec([server.url], tmp_path))
    try:
        feeder = Feeder(output)
        feeder.feed(5000)
        assert feeder.until(lambda: output.acked() == 5000)
        assert feeder.woken > 0  # acknowledgements came from the client thread, with wake()
        got = read_stream([server.url], STREAM, 5000)
        assert sorted(data for data, _ in got) == sorted(line(i).rstrip("\n").encode() for i in range(5000))
        assert {msg_id for _, msg_id in got} == _ids(5000)
        counters = output.counters()
        assert counters["published"] == counters["acknowledged"] == 5000
        assert counters["in_flight"] == counters["spooled"] == counters["dropped"] == 0
    finally:
        output.close()


def test_subject_template_puts_each_source_on_its_subject(server, tmp_path):
    output = create(_spec([server.url], tmp_path))
    try:
        feeder = Feeder(output)
        feeder.feed(9)
        assert feeder.until(lambda: output.acked() == 9)

        async def subjects() -> set:
            nc = await nats.connect(server.url)
            sub = await nc.jetstream().pull_subscribe("", stream=STREAM)
            msgs = await sub.fetch(9, timeout=5)
            await nc.close()
            return {m.subject for m in msgs}

        assert asyncio.run(subjects()) == {f"snmp.v2c.10_0_{k}_1" for k in range(3)}
    finally:
        output.close()


def test_a_retransmitted_inform_is_stored_once(server, tmp_path):
    output = create(_spec([server.url], tmp_path))
    try:
        feeder = Feeder(output)
        first, again = line(7, "inform", 1), line(7, "inform", 999)  # received at two times
        output.submit(Batch(0, [first], []))
        output.submit(Batch(1, [again], []))
        assert feeder.until(lambda: output.acked() == 2)
        assert stream_messages([server.url], STREAM) == 1
    finally:
        output.close()


def test_outage_goes_to_the_spool_and_is_replayed_in_order_when_the_server_is_back(server, tmp_path):
    output = create(_spec([server.url], tmp_path, ack_timeout=1.0))
    try:
        feeder = Feeder(output)
        feeder.feed(3000)
        assert feeder.until(lambda: output.acked() == 3000)
        server.stop()
        feeder.feed(4000)  # the bus is away: taken once in the spool
        assert feeder.until(lambda: output.acked() == 7000, 20)
        assert output.counters()["spooled"] >= 4000
        server.start()  # same store
        feeder.feed(1000)
        assert feeder.until(lambda: output.counters()["spool_waiting"] == 0 and not output.spooling, 30)
        got = read_stream([server.url], STREAM, 8000)
        assert {msg_id for _, msg_id in got} == _ids(8000)
        assert len(got) == 8000  # republished duplicates removed by Nats-Msg-Id
        after = [int(data.split(b'"request_id":')[1].split(b",")[0]) for data, _ in got[3000:]]
        per_source = {k: [r for r in after if r % 3 == k] for k in range(3)}
        assert all(rs == sorted(rs) for rs in per_source.values())  # replayed in order
    finally:
        output.close()


def test_unreachable_broker_at_start_is_one_line_then_the_spool_takes_the_load(tmp_path, capfd):
    port = free_port()
    output = create(_spec([f"nats://127.0.0.1:{port}"], tmp_path, connect_timeout=0.5, ack_timeout=1.0))
    srv = NatsServer(str(tmp_path / "store"), port=port)
    try:
        err = [x for x in capfd.readouterr().err.splitlines() if x.startswith("snmptrapmgr:")]
        assert len(err) == 1 and f"cannot connect to nats://127.0.0.1:{port}: Connection refused" in err[0]
        assert "retrying with backoff, spooling to" in err[0]
        feeder = Feeder(output)
        feeder.feed(2000)
        assert feeder.until(lambda: output.acked() == 2000, 10)
        srv.start()
        assert feeder.until(lambda: output.counters()["spool_waiting"] == 0 and not output.spooling, 40)
        assert stream_messages([srv.url], STREAM) == 2000
    finally:
        output.close()
        srv.stop()


def test_a_stream_that_does_not_capture_the_subject_is_a_config_error(server, tmp_path):
    async def make() -> None:
        nc = await nats.connect(server.url)
        await nc.jetstream().add_stream(name="OTHER", subjects=["other.>"])
        await nc.close()

    asyncio.run(make())
    with pytest.raises(ConfigError, match=r"stream OTHER does not capture subject snmp\.v2c\.127_0_0_1"):
        create(_spec([server.url], tmp_path, stream="OTHER"))


@pytest.mark.parametrize("spec, message", [
    ({"subject": ""}, "subject '' is not a NATS subject"),
    ({"subject": "a.{nope}"}, "placeholders are {version}, {pdu}, {source}"),
    ({"subjcet": "x"}, "unknown key 'subjcet' (did you mean subject?)"),
    ({"batch_size": "10"}, "batch_size: expected int, not '10'"),
    ({"create_stream": 1}, "create_stream: expected bool, not 1"),
])
def test_bad_settings_are_one_clear_line(tmp_path, spec, message):
    full = {"type": "nats", "servers": ["nats://127.0.0.1:1"], "subject": "snmp.traps", **spec}
    with pytest.raises(ConfigError) as info:
        create(full)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_three_node_cluster_r3_stream_loses_nothing_when_a_node_dies_mid_flood(tmp_path):
    cluster = NatsCluster(str(tmp_path)).start()
    output = None
    try:
        deadline = time.monotonic() + 20
        while True:  # the cluster needs a JetStream meta leader before a stream can be made
            try:
                output = create(_spec(cluster.urls, tmp_path, replicas=3, ack_timeout=2.0))
                break
            except ConfigError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        feeder = Feeder(output)
        feeder.feed(4000)
        cluster.nodes[0].stop()  # the node listed first: the client's likely server
        feeder.feed(6000)
        assert feeder.until(lambda: output.acked() == 10000, 30)
        assert feeder.until(lambda: output.counters()["spool_waiting"] == 0 and not output.spooling, 40)
        got = read_stream(cluster.urls[1:], STREAM, 10000)
        assert {msg_id for _, msg_id in got} == _ids(10000)
    finally:
        if output is not None:
            output.close()
        cluster.stop()


def test_closing_keeps_what_was_not_acknowledged_in_the_spool_for_the_next_start(server, tmp_path):
    output = create(_spec([server.url], tmp_path, ack_timeout=30.0))
    feeder = Feeder(output)
    server.stop()  # acknowledgements cannot come: everything submitted is in flight
    feeder.feed(1500)
    output.close()
    assert output.counters()["spooled"] == 1500
    server.start()
    again = create(_spec([server.url], tmp_path))  # the next start replays it
    try:
        Feeder(again).until(lambda: again.counters()["spool_waiting"] == 0 and not again.spooling, 30)
        assert {msg_id for _, msg_id in read_stream([server.url], STREAM, 1500)} == _ids(1500)
    finally:
        again.close()


def test_credentials_are_passed_to_the_server(tmp_path, capfd):
    server = NatsServer(str(tmp_path / "store"), extra=("--user", "collector", "--pass", "s3cret")).start()
    try:
        output = create(_spec([server.url], tmp_path, user="collector", password="s3cret"))
        try:
            feeder = Feeder(output)
            feeder.feed(100)
            assert feeder.until(lambda: output.acked() == 100 and output.counters()["spooled"] == 0, 10)
        finally:
            output.close()
        wrong = create(_spec([server.url], tmp_path, user="collector", password="nope", connect_timeout=0.5))
        wrong.close()
        err = [x for x in capfd.readouterr().err.splitlines() if "cannot connect" in x]
        assert len(err) == 1 and "Authorization Violation" in err[0], err
    finally:
        server.stop()


def test_a_full_spool_drops_counted_with_one_line_and_memory_stays_bounded(tmp_path, capfd):
    port = free_port()  # nothing listens: everything goes to the spool
    output = create(_spec([f"nats://127.0.0.1:{port}"], tmp_path, connect_timeout=0.5,
                          spool_max_bytes=200_000))
    try:
        feeder = Feeder(output)
        feeder.feed(5000)  # ~1 MB of lines for a 200 kB spool
        assert feeder.until(lambda: output.acked() == 5000, 10)
        counters = output.counters()
        assert counters["spooled"] + counters["dropped"] == 5000
        assert 0 < counters["spooled"] < 1500 and counters["spool_bytes"] <= 200_000
        assert counters["in_flight"] == 0 and len(output.live) == 0  # nothing held in memory
        lines = [x for x in capfd.readouterr().err.splitlines() if "dropping" in x]
        assert len(lines) == 1 and "spool" in lines[0] and "full" in lines[0] and "counted in dropped" in lines[0]
    finally:
        output.close()


def test_message_ids_and_subjects_from_real_listen_lines():
    from snmptrapmgr.collector.outputs.msgid import line_fields, render_subject

    golden = [x for x in open(os.path.join(os.path.dirname(__file__), "data", "golden_listen.jsonl"))
              if x.strip()]
    ids = [message_id(x) for x in golden]
    assert len(set(ids)) == len(set(golden)) and all(len(i) == 32 for i in ids)
    for text in golden:
        fields = line_fields(text)
        assert f'"address":"{fields.source}"' in text and f'"version":"{fields.version}"' in text
        assert f'"pdu":"{fields.pdu}"' in text
    v6 = line(1).replace("10.0.1.1", "fe80::1")
    assert render_subject("snmp.{version}.{pdu}.{source}", v6) == "snmp.v2c.trap.fe80__1"
    # an inform received again later (a retransmission) keeps its id; a trap does not merge
    assert message_id(line(5, "inform", 1)) == message_id(line(5, "inform", 2))
    assert message_id(line(5, "trap", 1)) != message_id(line(5, "trap", 2))
    assert message_id(line(5, "inform", 1)) != message_id(line(6, "inform", 1))


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, PEM files (the test's own CA)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_with_tls_it_publishes_through_nats_py_and_loses_nothing(tmp_path, capfd):
    """TLS is nats-py's: the output's own publishing connection is plain TCP only, so with tls_*
    set the records go as atomic batches through nats-py (the path kept for TLS and creds)."""
    cert, key = _self_signed(tmp_path)
    server = NatsServer(str(tmp_path / "store"), extra=("--tls", "--tlscert", cert, "--tlskey", key)).start()
    try:
        output = create(_spec([server.url.replace("nats://", "tls://")], tmp_path, tls_ca=cert))
        try:
            feeder = Feeder(output)
            feeder.feed(3000)
            assert feeder.until(lambda: output.acked() == 3000, 30), output.counters()
            assert output.counters()["spooled"] == 0 and output.counters()["rejected"] == 0
        finally:
            output.close()
        assert not [x for x in capfd.readouterr().err.splitlines() if "publishing connection" in x]
    finally:
        server.stop()
