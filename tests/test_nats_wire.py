"""The nats output's own protocol half (frames built and parsed, no socket) and its PubAck book.

The frames are checked against the real nats-server elsewhere (tests/test_output_nats.py and
tests/test_bus_collector.py publish through them); here: any split of the server's bytes gives
the same messages, a counted run of PubAcks confirms exactly what one-by-one would, errors,
statuses and acknowledgements out of order are placed by their subject.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.collector.outputs.nats_acks import AckBook
from snmptrapmgr.collector.outputs.nats_wire import Parser, ProtocolError, Run, connect_frame, publish_frames

PREFIX = b"_SNMPTRAPMGR.0123456789abcdef0123456789abcdef"


def ack(subject: bytes, seq: int, error: bool = False) -> bytes:
    body = (b'{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}' if error
            else b'{"stream":"SNMPTRAPMGR","seq":%d}' % seq)
    return b"MSG %s 1 %d\r\n%s\r\n" % (subject, len(body), body)


def flat(messages: list) -> list:
    out = []
    for m in messages:
        out += m.messages() if isinstance(m, Run) else [m]
    return out


def test_publish_frames_are_hpub_with_the_message_id_header():
    records = [("a" * 32, "snmp.traps", b'{"x":1}'), ("b" * 32, "snmp.other", b"")]
    data = publish_frames(records, b"_I.m1")
    first, rest = data.split(b"\r\n", 1)
    assert first == b"HPUB snmp.traps _I.m1.0 59 66"
    assert rest.startswith(b"NATS/1.0\r\nNats-Msg-Id: " + b"a" * 32 + b"\r\n\r\n{\"x\":1}\r\nHPUB snmp.other _I.m1.1 59 59\r\n")
    assert data.endswith(b"Nats-Msg-Id: " + b"b" * 32 + b"\r\n\r\n\r\n")


def test_connect_frame_carries_credentials_and_asks_for_headers():
    line = connect_frame({"user": "u", "password": "p"})
    assert line.startswith(b"CONNECT ") and line.endswith(b"\r\n")
    fields = json.loads(line[8:])
    assert fields["user"] == "u" and fields["pass"] == "p" and fields["headers"] is True
    assert fields["verbose"] is False and "auth_token" not in fields
    assert json.loads(connect_frame({"token": "t"})[8:])["auth_token"] == "t"


def stream_of(count: int) -> bytes:
    parts = [b"INFO {\"server_id\":\"x\"}\r\n", b"PING\r\n"]
    for i in range(count):
        parts.append(ack(b"%s.m1.%d" % (PREFIX, i), i + 1))
        if i == count // 2:
            parts += [b"PONG\r\n", b"HMSG %s.m1.x 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n" % PREFIX, b"+OK\r\n"]
    return b"".join(parts)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.lists(st.integers(1, 400), max_size=30))
def test_any_split_of_the_bytes_gives_the_same_frames_and_messages(count, cuts):
    data = stream_of(count)
    whole = Parser().feed(data)
    parser = Parser()
    frames, messages = [], []
    at = 0
    for cut in cuts + [len(data)]:
        got = parser.feed(data[at:at + cut])
        frames += got[0]
        messages += got[1]
        at += cut
        if at >= len(data):
            break
    got = parser.feed(data[at:])
    frames += got[0]
    messages += got[1]
    assert [f.op for f in frames] == [f.op for f in whole[0]] == ["INFO", "PING", "PONG", "OK"]
    assert flat(messages) == flat(whole[1])
    assert len(flat(messages)) == count + 1
    assert (PREFIX + b".m1.x", b"", b"503") in flat(messages)
    assert not parser.buffer


def test_plain_pubacks_come_as_one_counted_run():
    data = b"".join(ack(b"%s.m1.%d" % (PREFIX, i), i) for i in range(500))
    frames, messages = Parser().feed(data)
    assert frames == [] and len(messages) == 1 and isinstance(messages[0], Run)
    assert messages[0].count == 500 and messages[0].last_subject == PREFIX + b".m1.499"


def test_an_error_ack_makes_the_run_go_frame_by_frame():
    data = b"".join(ack(b"%s.m1.%d" % (PREFIX, i), i, error=(i == 7)) for i in range(20))
    _, messages = Parser().feed(data)
    assert [isinstance(m, Run) for m in messages] == [False] * 8 + [True]  # up to the error, then counted
    assert len(flat(messages)) == 20


@pytest.mark.parametrize("garbage", [b"HELLO there\r\n", b"MSG a 1 notanumber\r\nxx\r\n", b"X" * 5000])
def test_garbage_is_a_protocol_error(garbage):
    with pytest.raises(ProtocolError):
        Parser().feed(garbage)


def book_with(sizes: list) -> tuple:
    book = AckBook()
    owners_by_chunk = []
    for n, size in enumerate(sizes):
        owners = [f"p{n}-{i // 3}" for i in range(size)]  # three records per pending
        book.add(b"%s.m%d" % (PREFIX, n), owners)
        owners_by_chunk.append(owners)
    return book, owners_by_chunk


def totals(confirmed: list) -> dict:
    out: dict = {}
    for pending, count in confirmed:
        out[pending] = out.get(pending, 0) + count
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.lists(st.integers(1, 500), max_size=20),
       st.booleans())
def test_runs_confirm_exactly_what_one_by_one_would(sizes, cuts, swap):
    """In-order PubAcks in any grouping (and one pair swapped) confirm each record once."""
    subjects = [b"%s.m%d.%d" % (PREFIX, n, i) for n, size in enumerate(sizes) for i in range(size)]
    if swap and len(subjects) > 2:
        subjects[0], subjects[1] = subjects[1], subjects[0]
    data = b"".join(ack(s, k) for k, s in enumerate(subjects))
    book, owners = book_with(sizes)
    parser = Parser()
    confirmed: list = []
    at = 0
    for cut in cuts + [len(data)]:
        done, refused = book.take(parser.feed(data[at:at + cut])[1])
        assert refused == []
        confirmed += done
        at += cut
    confirmed += book.take(parser.feed(data[at:])[1])[0]
    expected: dict = {}
    for chunk in owners:
        for pending in chunk:
            expected[pending] = expected.get(pending, 0) + 1
    assert totals(confirmed) == expected
    assert not book.order and not book.chunks


def test_a_refused_message_is_rejected_for_its_own_pending_the_rest_confirmed():
    book, owners = book_with([6])
    data = b"".join(ack(b"%s.m0.%d" % (PREFIX, i), i, error=(i == 4)) for i in range(6))
    confirmed, refused = book.take(Parser().feed(data)[1])
    assert refused == [("p0-1", "stream refused a message: maximum messages exceeded")]
    assert totals(confirmed) == {"p0-0": 3, "p0-1": 2}


def test_acks_of_forgotten_chunks_are_ignored():
    book, _ = book_with([4])
    book.clear()
    data = b"".join(ack(b"%s.m0.%d" % (PREFIX, i), i) for i in range(4))
    assert book.take(Parser().feed(data)[1]) == ([], [])
