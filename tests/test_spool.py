"""The bus outputs' disk spool: record format (hypothesis), order, bounds, crash leftovers."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.collector.config import ConfigError
from snmptrapmgr.collector.outputs.bus import checked_spool
from snmptrapmgr.collector.outputs.spool import Record, Spool, decode_records, encode_record

records = st.lists(st.tuples(st.text(max_size=40), st.text(max_size=40), st.binary(max_size=300)),
                   min_size=1, max_size=20)


@given(records)
def test_records_round_trip(items):
    data = b"".join(encode_record(*item) for item in items)
    got, end, problem = decode_records(data)
    assert got == [Record(*item) for item in items]
    assert (end, problem) == (len(data), "")


@given(records, st.data())
def test_any_truncation_keeps_the_whole_records_and_reports_the_torn_tail(items, data):
    encoded = [encode_record(*item) for item in items]
    blob = b"".join(encoded)
    cut = data.draw(st.integers(0, len(blob) - 1))
    got, end, problem = decode_records(blob[:cut])
    whole = 0
    size = 0
    for record in encoded:
        if size + len(record) > cut:
            break
        size += len(record)
        whole += 1
    assert got == [Record(*item) for item in items[:whole]]
    assert end == size
    assert problem == ("torn" if cut > size else "")


@given(records, st.data())
@settings(max_examples=300)
def test_any_flipped_byte_is_detected(items, data):
    blob = bytearray(b"".join(encode_record(*item) for item in items))
    at = data.draw(st.integers(0, len(blob) - 1))
    blob[at] ^= data.draw(st.integers(1, 255))
    got, end, problem = decode_records(bytes(blob))
    originals = [Record(*item) for item in items]
    # never garbage: whatever is returned is a prefix of what was written, and the damage is reported
    assert got == originals[:len(got)]
    assert problem in ("torn", "corrupt")
    assert end <= at


def _items(first: int, count: int) -> list:
    return [(f"id{i}", "snmp.traps", b'{"n":%d}' % i) for i in range(first, first + count)]


def test_append_read_release_in_order_across_segments(tmp_path):
    spool = Spool(str(tmp_path), segment_bytes=2000)
    assert spool.append(_items(0, 300)) == 300
    assert len([n for n in os.listdir(tmp_path) if n.endswith(".spool")]) > 5
    seen = []
    while True:
        got, position = spool.read(70)
        if not got:
            break
        seen += [r.msg_id for r in got]
        spool.release(position, len(got))
    assert seen == [f"id{i}" for i in range(300)]
    assert spool.waiting == 0 and not spool.unread()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".spool")]  # consumed segments deleted
    assert spool.append(_items(300, 5)) == 5  # and it goes on after being emptied
    assert [r.msg_id for r in spool.read(10)[0]] == [f"id{i}" for i in range(300, 305)]


def test_rewind_reads_unreleased_records_again(tmp_path):
    spool = Spool(str(tmp_path))
    spool.append(_items(0, 10))
    first, position = spool.read(4)
    spool.release(position, 4)
    spool.read(6)
    spool.rewind()
    assert [r.msg_id for r in spool.read(100)[0]] == [f"id{i}" for i in range(4, 10)]


def test_full_spool_stores_what_fits_and_says_how_many(tmp_path):
    one = len(encode_record(*_items(0, 1)[0]))
    spool = Spool(str(tmp_path), max_bytes=one * 10 + 3)
    assert spool.append(_items(0, 25)) == 10
    assert spool.append(_items(25, 1)) == 0
    assert spool.bytes <= one * 10 + 3


def test_reopen_after_a_crash_replays_and_skips_a_torn_tail(tmp_path):
    logged = []
    spool = Spool(str(tmp_path))
    spool.append(_items(0, 50))
    spool.append(_items(50, 50))
    segment = os.path.join(tmp_path, [n for n in os.listdir(tmp_path) if n.endswith(".spool")][0])
    with open(segment, "ab") as handle:  # a write cut short by the crash
        handle.write(encode_record("half", "k", b"x" * 100)[:37])
    again = Spool(str(tmp_path), log=logged.append)
    assert again.recovered == 100
    assert [r.msg_id for r in again.read(1000)[0]] == [f"id{i}" for i in range(100)]
    assert again.corrupt_bytes == 37
    assert len(logged) == 1 and "torn record" in logged[0] and "37 bytes skipped" in logged[0]
    assert again.append(_items(100, 1)) == 1  # new records go after the good ones
    assert [r.msg_id for r in again.read(10)[0]] == ["id100"]


def test_corrupt_record_inside_a_segment_is_cut_off_not_replayed(tmp_path):
    spool = Spool(str(tmp_path))
    spool.append(_items(0, 10))
    segment = os.path.join(tmp_path, [n for n in os.listdir(tmp_path) if n.endswith(".spool")][0])
    size = len(encode_record(*_items(0, 1)[0]))
    with open(segment, "r+b") as handle:
        handle.seek(size * 3 + 20)
        handle.write(b"\xff")
    again = Spool(str(tmp_path), log=lambda text: None)
    assert [r.msg_id for r in again.read(100)[0]] == ["id0", "id1", "id2"]


def test_spool_dir_that_cannot_be_written_is_one_clear_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match=r"output nats: spool_dir .*file/x.* is not a writable directory"):
        checked_spool(str(blocker / "x"), 1 << 20, "output nats")


def test_two_processes_never_share_a_spool(tmp_path):
    first = checked_spool(str(tmp_path), 1 << 20, "output nats")
    second = checked_spool(str(tmp_path), 1 << 20, "output nats")
    assert first.directory != second.directory
    first.close()
    third = checked_spool(str(tmp_path), 1 << 20, "output nats")  # a freed spool is taken again
    assert third.directory == first.directory
    second.close()
    third.close()
