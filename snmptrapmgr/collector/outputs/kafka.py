"""The ``kafka`` output: every notification into a Kafka topic, at least once (confluent-kafka).

Why these settings: an idempotent producer with ``acks=all`` makes a
delivery report mean "stored by every in-sync replica" and keeps the
order within a partition across librdkafka's own retries; the key is the
source address, so one device's notifications stay in one partition, in
order.  Each record carries its message id in the header ``msg-id`` (a
republish from the spool repeats it; Kafka itself does not deduplicate
across producer sessions, so a consumer may see it twice).

Delivery reports come back per partition, out of order across
partitions: a background thread serves them (``poll(0.1)``) and
:class:`~.bus.BusOutput` folds them into the in-order watermark.
``message.timeout.ms`` (default here 10 s, below librdkafka's 300 s) makes
a broker that is away show up as failed reports, which sends the batch to
the spool.  ``settings`` (a TOML table) passes any librdkafka property
through (SASL, TLS, ...) and overrides these defaults, except that
``enable.idempotence`` and ``acks`` stay as the guarantee needs them.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any, Mapping

from ..config import ConfigError
from .bus import MAX_IN_FLIGHT, BusOutput, Pending, check_spec, checked_spool, connect_failed
from .msgid import line_fields

__all__ = ["KafkaOutput"]

OPTIONS = {
    "type": str, "bootstrap_servers": str, "topic": str, "settings": dict, "create_topic": bool,
    "partitions": int, "spool_dir": str, "spool_max_bytes": int, "ack_timeout": (int, float),
    "max_in_flight": int, "connect_timeout": (int, float),
}
DEFAULTS = {"linger.ms": 5, "message.timeout.ms": 10000, "queue.buffering.max.messages": 200000,
            "queue.buffering.max.kbytes": 65536,
            "compression.type": "none", "log.connection.close": False}
FIXED = {"enable.idempotence": True, "acks": "all"}
HEADER = "msg-id"


class KafkaOutput(BusOutput):
    type_name = "kafka"

    def __init__(self, settings: dict, topic: str, create_topic: bool = True, partitions: int = 3,
                 connect_timeout: float = 5.0, **bus: Any) -> None:
        from confluent_kafka import Producer
        super().__init__(f"kafka output {settings['bootstrap.servers']}/{topic}", **bus)
        self.settings = settings
        self.topic = topic
        self.create_topic = create_topic
        self.partitions = partitions
        self.connect_timeout = connect_timeout
        self.down = threading.Event()
        self.need_topic = threading.Event()  # the topic was not seen yet (broker away at start, or lost)
        self.stopping = threading.Event()
        self.fatal = threading.Event()       # the producer is unusable: poll() builds a new one
        self.producer = Producer({**settings, "error_cb": self._error})
        self.thread = threading.Thread(target=self._serve, name="snmptrapmgr-kafka", daemon=True)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> "KafkaOutput":
        where = "output kafka"
        check_spec(spec, OPTIONS, where, "confluent_kafka", "kafka")
        servers = spec.get("bootstrap_servers", "")
        topic = spec.get("topic", "")
        if not servers or not topic:
            raise ConfigError(f"{where}: bootstrap_servers and topic are required "
                              f"(kafka://HOST:PORT/TOPIC)")
        settings = {**DEFAULTS, **spec.get("settings", {}), **FIXED, "bootstrap.servers": servers}
        spool = checked_spool(spec.get("spool_dir", ""), spec.get("spool_max_bytes", 1 << 30), where)
        try:
            output = cls(settings, topic, spec.get("create_topic", True), spec.get("partitions", 3),
                         float(spec.get("connect_timeout", 5.0)), spool=spool,
                         ack_timeout=float(spec.get("ack_timeout", 15.0)),
                         max_in_flight=spec.get("max_in_flight", MAX_IN_FLIGHT))
        except Exception as exc:  # KafkaException: a bad librdkafka property
            if spool is not None:
                spool.close()
            raise ConfigError(f"{where}: settings: {exc}") from None
        output.start()
        return output

    def start(self) -> None:
        """Check the broker (and create the topic) once, bounded; then serve reports in a thread."""
        if not self._ensure_topic():
            self.need_topic.set()
        self.thread.start()

    def _ensure_topic(self, quiet: bool = False) -> bool:
        """True once the topic exists (created here if allowed); False while the broker is away."""
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({k: v for k, v in self.settings.items() if k not in DEFAULTS and k not in FIXED})
        try:
            metadata = admin.list_topics(timeout=self.connect_timeout)
        except Exception as exc:  # noqa: BLE001 - unreachable: said once, then the spool takes over
            if not quiet:
                connect_failed(self, self.settings["bootstrap.servers"], exc)
            self.down.set()
            return False
        if self.topic in metadata.topics or not self.create_topic:
            return True
        futures = admin.create_topics([NewTopic(self.topic, num_partitions=self.partitions,
                                                replication_factor=-1)])
        try:
            futures[self.topic].result(self.connect_timeout)
            self.log(f"{self.name}: created topic {self.topic} ({self.partitions} partitions)")
        except Exception as exc:  # noqa: BLE001 - e.g. created meanwhile; produce will tell
            self.log(f"{self.name}: could not create topic {self.topic}: {exc}")
        return True

    def _serve(self) -> None:
        """Serve delivery reports; while the topic is not known, look for it every 2 s."""
        next_check = 0.0
        while not self.stopping.is_set():
            try:
                self.producer.poll(0.1)
            except Exception as exc:  # noqa: BLE001 - KafkaException: a fatal idempotence error
                self._fatal(exc)
            if self.need_topic.is_set() and time.monotonic() >= next_check:
                next_check = time.monotonic() + 2.0
                if self._ensure_topic(quiet=True):
                    self.need_topic.clear()
                    self.wake()

    def _fatal(self, reason: Any) -> None:
        if not self.fatal.is_set():
            self.log(f"{self.name}: producer failed ({reason}); a new one takes over, "
                     f"unacknowledged batches go to the spool")
            self.fatal.set()
            self.wake()
        time.sleep(0.1)

    def poll(self) -> None:
        """Replace a producer that hit a fatal error (e.g. the broker lost our producer id after a
        restart); what it had not delivered times out into the spool and is replayed."""
        if self.fatal.is_set():
            from confluent_kafka import Producer
            self.producer = Producer({**self.settings, "error_cb": self._error})
            self.need_topic.set()
            self.fatal.clear()
        super().poll()

    def _error(self, error: Any) -> None:
        if error.fatal():
            self._fatal(error.str())
            return
        if error.name() == "_ALL_BROKERS_DOWN":  # librdkafka's name for it; said once per outage
            if not self.down.is_set():
                self.log(f"{self.name}: all brokers down ({error.str()})")
            self.down.set()

    # ------------------------------------------------------------- BusOutput
    def ready(self) -> bool:
        return not self.need_topic.is_set()  # librdkafka reconnects by itself; a failed replay backs off

    def key_for(self, line: str) -> str:
        return line_fields(line).source

    def send(self, pending: Pending) -> None:
        produce = self.producer.produce
        topic = self.topic
        report = functools.partial(self._delivered, pending)
        for msg_id, key, data in pending.records:
            produce(topic, data, key.encode(), headers=[(HEADER, msg_id.encode())], on_delivery=report)

    def _delivered(self, pending: Pending, error: Any, message: Any) -> None:
        if error is None:
            if self.down.is_set():
                self.down.clear()
            self.confirm(pending, 1)
        else:
            if error.name() == "UNKNOWN_TOPIC_OR_PART":
                self.need_topic.set()
            self.reject(pending, f"delivery failed: {error.str()}")

    def close(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(5.0)
        self.producer.flush(1.0)
        super().close()
        self.producer = None  # librdkafka's threads (and their reconnect log lines) end with it
