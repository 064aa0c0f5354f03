"""The collector's one-pass wire -> JSON line (collector.wire): the compiled walk against
its Python twin (decoder + schema) on random and malformed datagrams, the cache bounded,
and the collector taking the usual v2c trap through it."""

from __future__ import annotations

import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.codec.encode import (PDU_INFORM, PDU_TRAP, encode_community_message, encode_pdu,
                                      encode_v1_trap_pdu, encode_value)
from snmptrapmgr.collector import _wire_py, wire
from snmptrapmgr.collector.config import CollectorConfig
from snmptrapmgr.collector.schema import cache_bounds
from snmptrapmgr.collector.service import Collector
from snmptrapmgr.mib import active
from snmptrapmgr.receiver import Receiver

from test_collector_outputs import HeldOutput
from test_collector_schema import _VALUES, _schema

UPTIME = "1.3.6.1.2.1.1.3.0"
TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
# MIB-known OIDs (an enumeration, a DISPLAY-HINT, plain numbers) and unknown ones
_OIDS = st.one_of(
    st.sampled_from(["1.3.6.1.2.1.2.2.1.1.3", "1.3.6.1.2.1.2.2.1.7.3", "1.3.6.1.2.1.2.2.1.8.3",
                     "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.31.1.1.1.1.3", "1.3.6.1.2.1.2.2.1.6.1",
                     "1.3.6.1.4.1.99999.1.1", UPTIME, TRAP_OID]),
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=40).map(
        lambda a: "1.3." + ".".join(map(str, a))))
_TRAPS = st.sampled_from(["1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.4.1.99999.0.7",
                          "1.3.6.1.4.1.9.9.41.2.0.1"])


def _encodable(item) -> bool:
    try:
        encode_value(*item)
    except Exception:  # noqa: BLE001 - the schema tests' OIDs need not be valid on the wire
        return False
    return True


_WIRE_VALUES = _VALUES.filter(_encodable)


def _compiled():
    try:
        from snmptrapmgr.collector import _wire_c
    except ImportError:
        pytest.skip("Cython extensions not built")
    return _wire_c


def _trap(varbinds, community=b"public", request_id=7, trap_oid="1.3.6.1.6.3.1.1.5.3", uptime=42,
          tag=PDU_TRAP) -> bytes:
    shaped = [(UPTIME, 0x43, uptime), (TRAP_OID, 0x06, trap_oid)] + list(varbinds)
    return encode_community_message(1, community, encode_pdu(tag, request_id, 0, 0, shaped))


def _oid_octets(oid: str) -> int:
    arcs = [int(a) for a in oid.split(".")]
    return 1 + sum(max(1, (a.bit_length() + 6) // 7) for a in arcs[2:])


@settings(max_examples=400, deadline=None)
@given(varbinds=st.lists(st.tuples(_OIDS, _WIRE_VALUES).map(lambda t: (t[0],) + t[1]), max_size=8),
       community=st.binary(max_size=12), request_id=st.integers(-(1 << 31), (1 << 31) - 1),
       trap_oid=_TRAPS, uptime=st.integers(0, (1 << 32) - 1),
       address=st.sampled_from([("10.0.0.1", 162), ("::1", 65535, 0, 0), ("192.0.2.9", 0)]),
       named=st.booleans(), stamp=st.floats(0, 4e9, allow_nan=False))
def test_the_walk_writes_the_python_twins_line_for_every_usual_trap(varbinds, community, request_id,
                                                                    trap_oid, uptime, address, named, stamp):
    """Every v2c trap as encoders write it (short OIDs) is taken by the compiled walk, and its
    line is the Python twin's (the receiver's decoder + the schema) byte for byte, whether its
    pieces are cached or not, and reads back as the README's schema."""
    c_twin = _compiled()
    names = active() if named else None
    data = _trap(varbinds, community, request_id, trap_oid, uptime)
    c, py = c_twin.WireLines(names), _wire_py.WireLines(names)
    want = py.line(data, address, stamp)
    assert want is not None
    for _ in range(2):
        got = c.line(data, address, stamp)
        if any(_oid_octets(oid) > c_twin.MAX_OID for oid, _, _ in varbinds):
            assert got in (None, want)
        else:
            assert got == want
    event = Receiver().receive_datagram(data, address, 0.0)[0]
    parsed = json.loads(want)
    if named:  # the names are additive: without them the line is the schema's
        for item in parsed["varbinds"]:
            for key in ("name", "label", "display"):
                item.pop(key, None)
        parsed.pop("trap_name", None)
    expected = _schema(event, stamp)
    try:
        community.decode("utf-8")
    except UnicodeDecodeError:  # lossless: the octets in hex, marked (test_collector_schema)
        expected["community"], expected["community_encoding"] = community.hex(), "hex"
    assert parsed == json.loads(json.dumps(expected))


def _mutations():
    return st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 255)), min_size=1,
                    max_size=4)


@settings(max_examples=600, deadline=None)
@given(varbinds=st.lists(st.tuples(_OIDS, _WIRE_VALUES).map(lambda t: (t[0],) + t[1]), max_size=5),
       edits=_mutations(), named=st.booleans())
def test_a_malformed_datagram_is_declined_or_gets_the_python_twins_line(varbinds, edits, named):
    """Byte flips, truncations, insertions and deletions: the walk never writes a line the
    decoder + schema would not (None sends the datagram to the usual path, which says what
    is wrong with it), and never raises."""
    c_twin = _compiled()
    names = active() if named else None
    data = bytearray(_trap(varbinds))
    for op, at, byte in edits:
        at %= len(data) + 1
        if op == 0 and at < len(data):
            data[at] = byte
        elif op == 1:
            del data[at:]
        elif op == 2:
            data[at:at] = bytes((byte,))
        elif at < len(data):
            del data[at]
    data = bytes(data)
    got = c_twin.WireLines(names).line(data, ("10.0.0.1", 162), 1.7e9)
    assert got is None or got == _wire_py.WireLines(names).line(data, ("10.0.0.1", 162), 1.7e9)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_are_declined_or_agree(data):
    c_twin = _compiled()
    got = c_twin.WireLines().line(data, ("10.0.0.1", 162), 1.7e9)
    assert got is None or got == _wire_py.WireLines().line(data, ("10.0.0.1", 162), 1.7e9)


def test_what_the_walk_leaves_to_the_usual_path():
    """v1, an inform, a refused community, a non-bytes datagram: declined, by both twins
    (the Python twin takes v2c traps only, like the walk)."""
    c_twin = _compiled()
    v1 = encode_community_message(0, b"public", encode_v1_trap_pdu("1.3.6.1.4.1.9", "10.0.0.1", 6, 1, 5, []))
    inform = _trap([], tag=PDU_INFORM)
    for twin in (c_twin, _wire_py):
        lines = twin.WireLines(None, {b"public"})
        assert lines.line(v1, ("10.0.0.1", 162), 1.7e9) is None
        assert lines.line(inform, ("10.0.0.1", 162), 1.7e9) is None
        assert lines.line(_trap([], community=b"private"), ("10.0.0.1", 162), 1.7e9) is None
        assert lines.line(bytearray(_trap([])), ("10.0.0.1", 162), 1.7e9) is None
        assert lines.line(_trap([]), ("10.0.0.1", 162), 1.7e9) is not None


def test_the_cache_stays_within_its_entries_and_bytes():
    """A flood of distinct OIDs and of distinct enumerated values (names on): the cache never
    holds more than ENTRIES entries or the schema's varbind byte bound plus its slot table."""
    c_twin = _compiled()
    lines = c_twin.WireLines(active())
    bound = cache_bounds()["varbind_bytes"]
    most = (0, 0)
    for i in range(20_000):
        varbinds = [(f"1.3.6.1.4.1.99999.{i}.{j}", 0x04, b"x" * 100) for j in range(4)]
        varbinds.append(("1.3.6.1.2.1.2.2.1.7.%d" % (i % 7), 0x02, i))  # ifAdminStatus: labelled values
        assert lines.line(_trap(varbinds), ("10.0.0.1", 162), 1.7e9) is not None
        most = max(most, lines.cache_size)
    entries, size = most
    assert entries <= c_twin.ENTRIES
    assert size <= bound + c_twin.SLOTS * 40
    assert lines.cache_size[0] > 0


def _collector(tmp_path, outputs=None):
    path = tmp_path / "out.jsonl"
    collector = Collector(CollectorConfig(output=str(path)), outputs)
    collector.open([("127.0.0.1", 0)])
    return collector, path


def _send(mgr, datagrams) -> None:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    try:
        for data in datagrams:
            sender.sendto(data, ("127.0.0.1", mgr.local_port))
        taken = 0
        for _ in range(200):  # loopback delivers at sendto; bounded anyway
            taken += mgr.process_waiting()
            if taken >= len(datagrams):
                break
        assert taken == len(datagrams)
    finally:
        sender.close()


def test_the_collector_takes_v2c_traps_in_one_pass_and_counts_them(tmp_path, impl):
    """Compiled: the v2c traps go through the walk (no on_trap), the v1 trap and the inform
    through the events; the file has every line, the stats count every trap.  Python: no lane."""
    collector, path = _collector(tmp_path)
    mgr = collector.managers[0]
    traps = [_trap([("1.3.6.1.2.1.2.2.1.1.3", 0x02, i)], request_id=i) for i in range(50)]
    v1 = encode_community_message(0, b"public", encode_v1_trap_pdu("1.3.6.1.4.1.9", "10.0.0.1", 6, 1, 5, []))
    try:
        _send(mgr, traps + [v1, _trap([], request_id=999, tag=PDU_INFORM)])
        collector.settle()
        stats = collector.stats()
        if impl == "cython":
            assert mgr.fast_lane is not None and mgr.fast_lane.taken == 50
        else:
            assert mgr.fast_lane is None
        assert (stats["traps_v2c"], stats["traps_v1"], stats["informs_v2c"]) == (50, 1, 1)
        assert stats["received"] == 52 and stats["delivered"] == 52
    finally:
        collector.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["request_id"] for line in lines if line["version"] == "v2c") == list(range(50)) + [999]
    for line in lines:
        if line["version"] == "v2c" and line["pdu"] == "trap":
            assert line["trap_name"] == "IF-MIB::linkDown"  # the collector's default: MIB names on
            assert line["varbinds"][2] == {"oid": "1.3.6.1.2.1.2.2.1.1.3", "type": "Integer",
                                           "value": line["request_id"], "name": "IF-MIB::ifIndex.3"}


def test_no_lane_where_a_trap_needs_its_event(tmp_path, impl):
    """An output that wants events gets them: the collector leaves the lane off."""
    collector, _ = _collector(tmp_path, [HeldOutput()])
    try:
        assert collector.managers[0].fast_lane is None
    finally:
        collector.close()


def test_the_selector_binds_a_twin():
    assert wire.WireLines is (_compiled().WireLines if wire.USING_CYTHON else _wire_py.WireLines)
