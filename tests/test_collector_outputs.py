"""The collector's outputs: the interface, fan-out to several outputs, and when an inform is answered.

In-process Collectors on 127.0.0.1 fed by a real UDP socket; the order of
"line written" and "Response sent" is seen through the facade's packet
trace, which fires for the Response just before it is sent.
"""

from __future__ import annotations

import json
import os
import socket

import pytest

from snmptrapmgr.codec.encode import PDU_INFORM, PDU_TRAP, encode_community_message, encode_pdu
from snmptrapmgr.collector.config import CollectorConfig, ConfigError
from snmptrapmgr.collector.delivery import BATCH_LINES, CHECK_EVERY, Delivery
from snmptrapmgr.collector.outputs import Batch, FileOutput, Output, create, register, types
from snmptrapmgr.collector.service import Collector

OUTGOING = 2  # packet trace direction of what we send
VARBINDS = [("1.3.6.1.2.1.1.3.0", 0x43, 5), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.6.3.1.1.5.3")]


def _datagram(tag: int, request_id: int) -> bytes:
    return encode_community_message(1, b"public", encode_pdu(tag, request_id, 0, 0, VARBINDS))


class HeldOutput(Output):
    """An output that takes batches now and acknowledges them only when the test says so."""

    type_name = "held"
    wants_events = True

    def __init__(self) -> None:
        super().__init__()
        self.batches: list = []
        self.taken = 0
        self.woken = 0

    def submit(self, batch: Batch) -> None:
        self.batches.append(batch)

    def acked(self) -> int:
        return self.taken

    def acknowledge_all(self) -> None:
        self.taken = self.batches[-1].end
        self.wake()


class Rig:
    """A Collector on 127.0.0.1:0, a sender socket, and the packets the collector sends."""

    def __init__(self, outputs, **config) -> None:
        self.config = CollectorConfig(**config)
        self.collector = Collector(self.config, outputs)
        self.collector.open([("127.0.0.1", 0)])
        self.mgr = self.collector.managers[0]
        self.sent: list = []       # at each outgoing packet: what the checks saw then
        self.checks = []
        self.errors: list = []
        self.mgr.on_packet_trace = self._trace
        self.mgr.on_error = lambda event: self.errors.append(event.description)
        self.sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sender.bind(("127.0.0.1", 0))
        self.sender.settimeout(5.0)

    def _trace(self, event) -> None:
        if event.direction == OUTGOING:
            self.sent.append([check() for check in self.checks])

    def send(self, *datagrams: bytes) -> None:
        for data in datagrams:
            self.sender.sendto(data, ("127.0.0.1", self.mgr.local_port))
        taken = 0
        for _ in range(100):  # loopback delivers at sendto; bounded anyway
            taken += self.mgr.process_waiting()
            if taken >= len(datagrams):
                break
        assert taken == len(datagrams)

    def close(self) -> None:
        self.sender.close()
        self.collector.close()


def _lines(path) -> list:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_inform_answered_only_after_its_line_was_written(tmp_path):
    path = tmp_path / "out.jsonl"
    rig = Rig(None, output=str(path))
    rig.checks.append(lambda: [line["request_id"] for line in _lines(path)])
    try:
        rig.send(_datagram(PDU_TRAP, 11), _datagram(PDU_TRAP, 12), _datagram(PDU_INFORM, 13))
        response = rig.sender.recv(2048)
        # when the Response went out, the inform's line (and the traps before it) were in the file
        assert rig.sent == [[[11, 12, 13]]]
        assert response[:1] == b"\x30" and b"\xa2" in response
        assert rig.collector.stats()["responses_sent"] == 1
        assert rig.collector.stats()["delivered"] == 3
    finally:
        rig.close()


def test_a_retransmitted_inform_is_answered_each_time_and_written_once(tmp_path):
    path = tmp_path / "out.jsonl"
    rig = Rig(None, output=str(path))
    try:
        inform = _datagram(PDU_INFORM, 41)
        rig.send(inform, inform, inform)
        responses = [rig.sender.recv(2048) for _ in range(3)]
        assert len(set(responses)) == 1 and b"\xa2" in responses[0]
        assert [line["request_id"] for line in _lines(path)] == [41]
        stats = rig.collector.stats()
        assert (stats["responses_sent"], stats["informs_duplicate"], stats["delivered"]) == (3, 2, 1)
        rig.send(_datagram(PDU_INFORM, 42))  # another request-id is another inform
        rig.sender.recv(2048)
        assert [line["request_id"] for line in _lines(path)] == [41, 42]
    finally:
        rig.close()


def test_a_retransmission_of_a_held_inform_is_answered_when_the_first_is_stored(tmp_path):
    held = HeldOutput()
    rig = Rig([held], output=str(tmp_path / "unused"))
    try:
        inform = _datagram(PDU_INFORM, 51)
        rig.send(inform, inform)
        assert rig.sent == [] and [(b.first, b.end) for b in held.batches] == [(0, 1)]
        held.acknowledge_all()
        rig.collector.turn()
        responses = [rig.sender.recv(2048) for _ in range(2)]
        assert responses[0] == responses[1] and rig.collector.stats()["responses_sent"] == 2
    finally:
        rig.close()


def test_inform_not_answered_until_every_output_took_it(tmp_path):
    path = tmp_path / "out.jsonl"
    held = HeldOutput()
    rig = Rig([FileOutput(str(path)), held], output=str(path))
    try:
        rig.send(_datagram(PDU_TRAP, 21), _datagram(PDU_INFORM, 22))
        assert rig.sent == []                      # no Response: one output has not taken it
        assert [line["request_id"] for line in _lines(path)] == [21, 22]  # the file did
        stats = rig.collector.stats()
        assert stats["delivered"] == 0 and stats["responses_sent"] == 0
        assert [(b.first, b.end) for b in held.batches] == [(0, 2)]
        held.acknowledge_all()
        assert rig.collector.stats()["delivered"] == 2
        # the next batch continues the numbering; delivered is the slowest output's watermark
        rig.send(_datagram(PDU_TRAP, 23), _datagram(PDU_TRAP, 24))
        rig.collector.flush()
        assert [(b.first, b.end) for b in held.batches] == [(0, 2), (2, 4)]
        assert [len(b.events) for b in held.batches] == [2, 2]
        assert rig.collector.stats()["delivered"] == 2
        held.acknowledge_all()
        assert rig.collector.stats()["delivered"] == 4
    finally:
        rig.close()


def test_inform_not_answered_when_the_line_cannot_be_written(capfd):
    rig = Rig(None, output="/dev/full")  # every write(2) fails with ENOSPC
    try:
        rig.send(_datagram(PDU_INFORM, 31), _datagram(PDU_INFORM, 32))
        rig.collector.turn()  # the loop's retry fails again: still one line for the episode
        assert rig.sent == []
        stats = rig.collector.stats()
        assert stats["delivered"] == 0 and stats["responses_sent"] == 0
        assert rig.errors == []  # counted and said by the output, not a handler error
        said = [x for x in capfd.readouterr().err.splitlines() if "cannot write" in x]
        assert len(said) == 1 and "/dev/full: No space left on device (ENOSPC)" in said[0], said
        assert rig.collector.delivery.outputs[0].write_errors >= 2
    finally:
        rig.sender.close()
        rig.collector.delivery.close()
        rig.mgr.deactivate()


def test_inform_response_off_still_writes(tmp_path):
    path = tmp_path / "out.jsonl"
    rig = Rig(None, output=str(path), respond_informs=False)
    try:
        rig.send(_datagram(PDU_INFORM, 41))
        rig.collector.flush()
        assert rig.sent == [] and [line["request_id"] for line in _lines(path)] == [41]
    finally:
        rig.close()


class RaisingOutput(HeldOutput):
    """An output whose submit raises (a bug, or an output that reports failures by raising)."""

    def submit(self, batch: Batch) -> None:
        raise OSError(28, "No space left on device")


def test_delivery_gives_every_output_the_batch_even_if_one_fails():
    held = HeldOutput()
    delivery = Delivery([RaisingOutput(), held], batch_lines=3)
    delivery.add("a\n", None)
    delivery.add("b\n", None)
    assert delivery.end == 2 and held.batches == []
    with pytest.raises(OSError):
        delivery.add("c\n", None)  # the third fills the batch: submitted, the file fails
    assert [(b.first, b.end, b.lines) for b in held.batches] == [(0, 3, ["a\n", "b\n", "c\n"])]
    held.acknowledge_all()
    assert delivery.delivered() == 0  # the failing output took nothing
    delivery.close()
    with pytest.raises(ValueError):
        Delivery([])


def test_delivery_batches_are_bounded_by_characters_too():
    held = HeldOutput()
    delivery = Delivery([held], batch_chars=10 * CHECK_EVERY)
    for i in range(3 * CHECK_EVERY + 5):
        delivery.add("%019d\n" % i, i)  # 20 characters: full by characters at the first check
    assert [(b.first, len(b.lines)) for b in held.batches] == [(0, CHECK_EVERY), (CHECK_EVERY, CHECK_EVERY),
                                                              (2 * CHECK_EVERY, CHECK_EVERY)]
    delivery.submit()
    lines = [line for b in held.batches for line in b.lines]
    events = [e for b in held.batches for e in b.events]
    assert lines == ["%019d\n" % i for i in range(3 * CHECK_EVERY + 5)] and events == list(range(3 * CHECK_EVERY + 5))
    small = HeldOutput()
    delivery = Delivery([small])
    for i in range(5000):
        delivery.add("x\n", i)
    assert [len(b.lines) for b in small.batches] == [BATCH_LINES, BATCH_LINES]


def test_file_output_keeps_what_a_failed_write_left():
    read_end, write_end = os.pipe()
    out = FileOutput(f"/dev/fd/{write_end}")  # the pipe, opened again by its path
    os.close(write_end)
    os.set_blocking(out.fd, False)  # a full pipe makes write(2) fail (EAGAIN) instead of waiting
    lines = ["%06d" % i + "x" * 993 + "\n" for i in range(300)]  # 300 kB: more than a pipe holds
    out.submit(Batch(0, lines, [None] * 300))  # part written, the rest kept: never raised
    assert out.acked() == 0 and out.write_errors == 1
    got = b""
    for _ in range(1000):  # read some, retry the rest, until it all went
        got += os.read(read_end, 1 << 16)
        out.poll()
        if out.acked():
            break
    assert out.acked() == 300
    out.submit(Batch(300, ["last\n"], [None]))
    assert out.acked() == 301
    out.close()
    while True:
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        got += chunk
    os.close(read_end)
    assert got.decode().splitlines() == [line[:-1] for line in lines] + ["last"]  # in order, once each


def test_output_registry(tmp_path):
    assert "file" in types()
    out = create({"type": "file", "path": str(tmp_path / "f.jsonl")})
    assert isinstance(out, FileOutput) and out.acked() == 0
    out.close()
    with pytest.raises(ConfigError, match="unknown output type 'natz' .*file"):
        create({"type": "natz"})
    register("held", lambda spec, **context: HeldOutput())
    assert isinstance(create({"type": "held"}), HeldOutput)


def test_events_kept_only_for_an_output_that_wants_them(tmp_path):
    plain = Delivery([FileOutput(str(tmp_path / "a.jsonl"))])
    plain.add("x\n", object())  # a file output reads lines only: no event is kept alive for it
    assert not plain.keep_events and plain.events == [] and plain.lines == ["x\n"]
    plain.close()
    held = HeldOutput()
    both = Delivery([FileOutput(str(tmp_path / "b.jsonl")), held])
    both.add("y\n", "event")
    both.submit()
    assert both.keep_events and held.batches[0].events == ["event"]
    both.close()


def test_bad_packets_shown_20_per_period_then_one_summary_line(tmp_path, monkeypatch):
    import io

    from snmptrapmgr.collector import service

    rig = Rig(None, output=str(tmp_path / "out.jsonl"))
    rig.collector.err = io.StringIO()
    try:
        rig.send(*[b"\x30\x03\x02\x01" + bytes([i]) for i in range(25)])  # 25 truncated messages
        monkeypatch.setattr(service, "BAD_PACKETS_PERIOD", 0.0)
        rig.collector.turn()
        rig.send(b"\x30\x03\x02\x01\x63")  # shown again: a new period began
        err = rig.collector.err.getvalue().splitlines()
        shown = [x for x in err if ": bad packet from 127.0.0.1:" in x]
        assert len(shown) == 21, err
        assert [x for x in err if "more bad packets" in x] == [
            "snmptrapmgr: 5 more bad packets (or refused replies) not shown (at most 20 are shown per 0 s)"]
        assert rig.collector.stats()["bad_packets"] == 26
    finally:
        rig.close()


def _resident_octets(path) -> int:
    """What of ``path`` the page cache holds, as util-linux's fincore reports it."""
    import subprocess
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


@pytest.mark.parametrize("drop_behind", [True, False])
def test_file_output_hands_what_lies_behind_back_to_the_page_cache(tmp_path, monkeypatch, drop_behind):
    from snmptrapmgr.collector.outputs import file as file_output
    monkeypatch.setattr(file_output, "BEHIND", 1 << 20)
    monkeypatch.setattr(file_output, "BEHIND_STEP", 256 << 10)
    path = tmp_path / "lines.jsonl"
    out = create({"type": "file", "path": str(path), "fsync": True, "drop_behind": drop_behind})
    line = '{"n":%6d,"pad":"' + "x" * 1000 + '"}\n'
    total = 8192                      # ~8 MiB in batches of 128 lines, each fsynced (so clean)
    for first in range(0, total, 128):
        out.submit(Batch(first, [line % n for n in range(first, first + 128)], []))
    assert out.acked() == total
    out.close()
    size = path.stat().st_size
    resident = _resident_octets(path)  # before reading it back, which would cache it all again
    numbers = [json.loads(text)["n"] for text in path.read_text().splitlines()]
    assert numbers == list(range(total))  # every line written once, in order, whatever was dropped
    if drop_behind:  # the last BEHIND (+ a step not yet asked, + a step asked once) stays
        assert resident <= (1 << 20) + 2 * (256 << 10) + (64 << 10), (resident, size)
    else:
        assert resident >= size * 0.9, (resident, size)


def test_file_output_drop_behind_must_be_a_boolean(tmp_path):
    with pytest.raises(ConfigError, match="drop_behind is true or false"):
        create({"type": "file", "path": str(tmp_path / "x.jsonl"), "drop_behind": "yes"})


@pytest.mark.parametrize("window", [0, 300])
def test_the_collector_keeps_reading_within_an_outputs_in_flight_window(monkeypatch, window):
    """A bus holds up to max_in_flight unacknowledged by design (its acknowledgements may lag a
    second at 100,000/s): the collector stops reading only beyond MAX_BACKLOG plus that."""
    import io

    from snmptrapmgr.collector import service

    monkeypatch.setattr(service, "MAX_BACKLOG", 100)
    held = HeldOutput()
    held.in_flight_window = window
    rig = Rig([held], output="-")
    said = rig.collector.err = io.StringIO()
    try:
        rig.send(*[_datagram(PDU_TRAP, n) for n in range(250)])
        rig.collector.turn()
        if window:
            assert "not reading" not in said.getvalue() and held.batches  # 250 waiting, within 100 + 300
        else:
            assert "250 notifications wait for the outputs: not reading" in said.getvalue()
        held.acknowledge_all()
        rig.collector.turn()
        assert ("reading again" in said.getvalue()) == (not window)
    finally:
        rig.close()


def test_a_forward_outputs_queue_bound_does_not_move_the_collectors_pause():
    """The inform forwarder's max_pending bounds its own queue (default 200,000, above the
    collector's MAX_BACKLOG so the collector stops reading first); it is no in-flight window."""
    from snmptrapmgr.collector import service

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        forward = create({"type": "forward", "target": f"127.0.0.1:{silent.getsockname()[1]}",
                          "mode": "inform"})
        try:
            assert forward.max_pending > service.MAX_BACKLOG
            assert Delivery([forward]).backlog_limit(service.MAX_BACKLOG) == service.MAX_BACKLOG
        finally:
            forward.close()


def test_a_bus_outputs_window_is_its_max_in_flight():
    from snmptrapmgr.collector.outputs.bus import BusOutput

    bus = BusOutput("test", None, max_in_flight=300)
    try:
        assert Delivery([bus]).backlog_limit(100) == 400
        bus.max_in_flight = 500  # one setting, no copy to keep in step
        assert Delivery([bus]).backlog_limit(100) == 600
    finally:
        bus.close()
