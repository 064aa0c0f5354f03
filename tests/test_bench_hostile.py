"""``bench.hostile`` (issue 12's bench rows): a quick run gives well-formed rows for every implementation.

No timing or memory assertions beyond sanity: each RSS row is a real number from a real
``listen`` process that took every datagram it was sent (the pure-Python twin's reproducer 1
is cut by the time bound, and says so), each cost row a positive ratio of two positive
times.  Also: the datagram builders are the issue's reproducers, and
``schema.set_cache_bounds`` round-trips (the bench switches the bounds off and back).
"""

from __future__ import annotations

import json
import math

import pytest

from bench import hostile
from snmptrapmgr import _select
from snmptrapmgr.codec.encode import PDU_TRAP, encode_community_message, encode_pdu
from snmptrapmgr.collector import schema


def test_reproducer_1_datagram_is_the_encoders():
    for i in (0, 1, 127, 128, 8191):
        oid = f"1.3.6.1.4.1.{16384 + i}." + ".".join(["1"] * 60000)
        assert hostile.long_oid_trap(i) == encode_community_message(
            1, b"public", encode_pdu(PDU_TRAP, i, 0, 0, [(oid, 0x02, 1)]))
    assert len(hostile.long_oid_trap(0)) > 60000


def test_reproducer_2_datagrams():
    same = list(hostile.long_community_traps(0, 3, distinct=False))
    distinct = list(hostile.long_community_traps(0, 3, distinct=True))
    head = bytes.fromhex("3082ee6a0201010482ee48")
    tail = bytes.fromhex("a719020100020100020100300e300c06072b060104010101020101")
    assert same[0] == head + b"\xff" * 61000 + tail and len(set(same)) == 1
    assert len(set(distinct)) == 3 and all(len(d) == len(same[0]) for d in distinct)
    with pytest.raises(ValueError):
        hostile.long_community_trap(b"short")


def test_set_cache_bounds_round_trips():
    defaults = schema.cache_bounds()
    assert defaults == {"varbind_bytes": schema.VARBIND_CACHE_BYTES, "header_bytes": schema.HEADER_CACHE_BYTES,
                        "varbind_item": schema.VARBIND_CACHE_ITEM, "header_community": schema.HEADER_CACHE_COMMUNITY}
    try:
        previous = schema.set_cache_bounds(varbind_bytes=1 << 62, varbind_item=1 << 62)
        assert previous == defaults
        assert schema.cache_bounds()["varbind_bytes"] == 1 << 62 and schema.VARBIND_CACHE_ITEM == 1 << 62
        assert schema.cache_bounds()["header_bytes"] == defaults["header_bytes"]
        with pytest.raises(ValueError):
            schema.set_cache_bounds(header_bytes=-1)
    finally:
        schema.set_cache_bounds(**defaults)
    assert schema.cache_bounds() == defaults


@pytest.fixture(scope="module")
def quick_rows():
    kinds = list(reversed(_select.available()))  # cython first when built
    found = hostile.rows(quick=True, kinds=kinds)
    return kinds, found


def test_quick_rows_are_well_formed(quick_rows):
    kinds, found = quick_rows
    keys = {row.key for row in found}
    for kind in kinds:
        assert {f"hostile_rss_r1_{kind}", f"hostile_rss_r2_ports_{kind}", f"hostile_rss_r2_distinct_{kind}",
                f"hostile_bounds_numeric_{kind}", f"hostile_bounds_names_{kind}"} <= keys
    assert len(keys) == len(found) == 5 * len(kinds)
    for row in found:
        assert math.isfinite(row.best) and math.isfinite(row.median), row
        if row.unit == "MB":
            extra = row.extra
            assert row.target == "< 150 MB" and isinstance(row.passed, bool)
            assert row.best == extra["rss_after_mb"] - extra["rss_before_mb"]
            assert extra["rss_before_mb"] > 0 and extra["hwm_mb"] >= extra["rss_after_mb"]
            assert extra["sent"] > hostile.WARM and extra["processed"] == extra["sent"], row
            assert extra["final"].get("received") == extra["sent"], row
            assert extra["output_bytes"] > extra["sent"] * 60000, row  # every datagram became a line
            if not (extra["implementation"] == "python" and extra["variant"] == "r1"):
                assert extra["complete"] and extra["sent"] == extra["total"], row
        else:
            assert row.unit == "ratio" and row.best > 0 and row.median > 0
            assert all(t > 0 for t in row.extra["bounded_us"] + row.extra["unbounded_us"])
            assert row.best == pytest.approx(row.extra["bounded_us"][0] / row.extra["unbounded_us"][0])
    # the bounds are back at their defaults, the implementation as it was
    assert schema.cache_bounds()["varbind_bytes"] == schema.VARBIND_CACHE_BYTES
    text = hostile.table(found) + "\n" + hostile.targets(found, quick=True)
    assert "not graded" in text and "reproducer 1" in text
    json.dumps(hostile.rows_json(found))
