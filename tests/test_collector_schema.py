"""The collector's JSON schema: the fast text against a field-by-field oracle, lossless
communities, and the formatting caches bounded by entries and by bytes."""

from __future__ import annotations

import datetime
import gc
import glob
import json
import os
import random
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.codec.encode import PDU_TRAP, encode_community_message, encode_pdu
from snmptrapmgr.collector import schema
from snmptrapmgr.collector.schema import Clock, cache_sizes, clear_caches, format_notification
from snmptrapmgr.events import TYPE_NAMES, SNMPTrapMgrInformRequestEventParams, SNMPTrapMgrTrapEventParams
from snmptrapmgr.output import notification_to_dict
from snmptrapmgr.receiver import Receiver

DATA = os.path.join(os.path.dirname(__file__), "data")


# ----------------------------------------------------------------------------- JSON lines

def _schema(event, received):
    """The output schema as the README states it, built field by field: the oracle of the fast text."""
    stamp = datetime.datetime.fromtimestamp(received, datetime.timezone.utc)
    out = {
        "time": stamp.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "source": {"address": event.source_address, "port": event.source_port},
        "version": {1: "v1", 2: "v2c", 3: "v3"}.get(event.snmp_version, str(event.snmp_version)),
        "pdu": "inform" if isinstance(event, SNMPTrapMgrInformRequestEventParams) else "trap",
    }
    if event.snmp_version == 3:
        out["user"] = event.user
        out["security_level"] = event.security_level
        out["engine_id"] = event.engine_id.hex()
        out["context_engine_id"] = event.context_engine_id.hex()
        out["context_name"] = event.context_name.decode("utf-8", "replace")
    else:
        out["community"] = event.community
    out["request_id"] = event.request_id
    out["trap_oid"] = event.trap_oid
    out["trap_oid_rfc3584"] = getattr(event, "rfc3584_trap_oid", event.trap_oid)
    out["uptime"] = event.time_stamp
    if event.snmp_version == 1:
        out["enterprise"] = event.enterprise
        out["agent_address"] = event.agent_address
        out["generic_trap"] = event.generic_trap
        out["specific_trap"] = event.specific_trap
    out["varbinds"] = [_schema_varbind(o, t, v) for o, t, v in event.varbinds]
    return out


def _schema_varbind(oid, obj_type, value):
    item = {"oid": oid, "type": TYPE_NAMES.get(obj_type, str(obj_type)), "value": value}
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
            item["value"] = text
        else:
            item["value"], item["encoding"] = value.hex(), "hex"
    return item


def _check_line(event, stamp):
    line = format_notification(event, stamp)
    assert line.endswith("\n") and "\n" not in line[:-1]
    want = _schema(event, stamp)
    assert json.loads(line) == want
    assert notification_to_dict(event, stamp) == want

def _events_from_captures():
    receiver = Receiver()
    events = []
    for path in sorted(glob.glob(os.path.join(DATA, "*.bin"))):
        with open(path, "rb") as handle:
            data = handle.read()
        events += [e for e in receiver.receive_datagram(data, ("192.0.2.7", 1620), 0.0)
                   if isinstance(e, (SNMPTrapMgrTrapEventParams, SNMPTrapMgrInformRequestEventParams))]
    return events


def test_format_matches_output_schema_on_captures(impl):
    events = _events_from_captures()
    assert len(events) >= 10
    for i, event in enumerate(events):
        stamp = 1700000000.0 + i * 0.1234567
        _check_line(event, stamp)


_VALUES = st.one_of(
    st.tuples(st.just(0x02), st.integers(-(1 << 63), (1 << 63) - 1)),
    st.tuples(st.sampled_from([0x41, 0x42, 0x43, 0x47]), st.integers(0, (1 << 32) - 1)),
    st.tuples(st.just(0x46), st.integers(0, (1 << 64) - 1)),
    st.tuples(st.sampled_from([0x04, 0x44, 0x45]), st.binary(max_size=40)),
    st.tuples(st.sampled_from([0x04]), st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass"))),
    st.tuples(st.just(0x06), st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=8).map(
        lambda a: ".".join(map(str, a)))),
    st.tuples(st.just(0x40), st.tuples(*[st.integers(0, 255)] * 4).map(lambda a: "%d.%d.%d.%d" % a)),
    st.tuples(st.sampled_from([0x05, 0x80, 0x81, 0x82]), st.none()),
)


@settings(max_examples=300, deadline=None)
@given(varbinds=st.lists(st.tuples(st.just("1.3.6.1.2.1.1.5.0"), _VALUES).map(lambda t: (t[0],) + t[1]),
                         max_size=6),
       community=st.text(max_size=12), version=st.sampled_from([1, 2, 3]),
       inform=st.booleans(), stamp=st.floats(0, 4e9, allow_nan=False))
def test_format_matches_output_schema_random(varbinds, community, version, inform, stamp):
    cls = SNMPTrapMgrInformRequestEventParams if inform and version != 1 else SNMPTrapMgrTrapEventParams
    event = cls(version, 12345, community, "us\"er", 2, "1.3.6.1.6.3.1.1.5.3", 99,
                "::ffff:10.0.0.1", 162, varbinds)
    if version == 3:
        event.engine_id = b"\x80\x00\x01\x02\x03"
        event.context_engine_id = b"\x80\x00"
        event.context_name = "ctx\u00e9\n".encode()
    if version == 1:
        event.enterprise, event.agent_address = "1.3.6.1.4.1.9", "10.0.0.1"
        event.generic_trap, event.specific_trap, event.rfc3584_trap_oid = 6, 3, "1.3.6.1.4.1.9.0.3"
    _check_line(event, stamp)


def test_line_time_matches_datetime():
    event = _events_from_captures()[0]
    rng = random.Random(6)
    stamps = [rng.uniform(0, 4e9) for _ in range(3000)] + [1.0000005, 1.9999995, 1700000000.9999996, 0.0,
                                                            1700000000.0000004, 1700000001.0]
    stamps += [1700000000 + i * 0.1999999 for i in range(60)]  # same second again and again, then the next
    for stamp in stamps:
        want = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(
            timespec="microseconds").replace("+00:00", "Z")
        assert json.loads(format_notification(event, stamp))["time"] == want, stamp


def test_clock_matches_datetime():
    clock = Clock()
    rng = random.Random(5)
    stamps = [rng.uniform(0, 4e9) for _ in range(20000)] + [1.0000005, 1.9999995, 1700000000.9999996, 0.0]
    for stamp in stamps:
        want = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(
            timespec="microseconds").replace("+00:00", "Z")
        assert clock.iso(stamp) == want, stamp


# ----------------------------------------------------------------------------- communities

def _event(community: bytes, port: int = 1620, varbinds=(), request_id: int = 7):
    data = encode_community_message(1, community, encode_pdu(PDU_TRAP, request_id, 0, 0, list(varbinds)))
    [event] = Receiver().receive_datagram(data, ("192.0.2.7", port), 0.0)
    if not event.community_bytes:
        event.community_bytes = community  # until every decoder fills it (issue 12)
    return event


def test_community_not_utf8_is_hex_and_never_the_same_as_another():
    clear_caches()
    fffe = json.loads(format_notification(_event(b"\xff\xfe"), 0.0))
    feff = json.loads(format_notification(_event(b"\xfe\xff"), 0.0))  # same source and port: same cache slot
    assert (fffe["community"], fffe["community_encoding"]) == ("fffe", "hex")
    assert (feff["community"], feff["community_encoding"]) == ("feff", "hex")
    keys = list(fffe)
    assert keys[keys.index("community") + 1] == "community_encoding"


def test_community_utf8_prints_as_text_without_a_marker():
    for raw in (b"public", "caf\u00e9".encode(), b"", b"tab\there"):
        event = _event(raw)
        line = json.loads(format_notification(event, 0.0))
        assert line["community"] == raw.decode() == event.community and "community_encoding" not in line


# ----------------------------------------------------------------------------- cache bounds

def _oid(arcs: int, last: int) -> str:
    return "1.3.6.1.4.1." + ".".join(["7"] * arcs) + f".{last}"


def test_what_cannot_be_cached_cheaply_is_not_cached():
    clear_caches()
    long_oid = _oid(80, 1)
    assert len(long_oid) > schema.VARBIND_CACHE_ITEM
    for varbinds in ([(long_oid, 0x02, 1)],
                     [("1.3.6.1.2.1.1.5.0", 0x04, b"x" * (schema.VARBIND_CACHE_ITEM + 1))],
                     [("1.3.6.1.2.1.1.5.0", 0x06, long_oid)]):
        format_notification(_event(b"public", varbinds=varbinds), 0.0)
        assert cache_sizes()["varbinds"].entries == 0
    clear_caches()
    format_notification(_event(b"c" * (schema.HEADER_CACHE_COMMUNITY + 1)), 0.0)
    assert cache_sizes()["headers"].entries == 0
    format_notification(_event(b"c" * schema.HEADER_CACHE_COMMUNITY), 0.0)
    format_notification(_event(b"public", varbinds=[("1.3.6.1.2.1.1.5.0", 0x04, b"x" * schema.VARBIND_CACHE_ITEM)]), 0.0)
    assert cache_sizes()["headers"].entries == 2 and cache_sizes()["varbinds"].entries == 1


def test_caches_stay_within_entries_and_bytes_and_count_at_least_what_they_hold():
    clear_caches()
    rng = random.Random(12)
    # the largest cacheable entries: OID text and a binary value at the item limit (bytes bound first) ...
    big = [_event(b"c" * schema.HEADER_CACHE_COMMUNITY, port=1024 + i % 5000,
                  varbinds=[(_oid(54, i), 0x04, rng.randbytes(schema.VARBIND_CACHE_ITEM))]) for i in range(12000)]
    # ... and many small distinct ones (entries bound first)
    small = [_event(b"public", port=1024 + i % 7000, varbinds=[("1.3.6.1.2.1.2.2.1.1", 0x02, i)])
             for i in range(20000)]
    for event in big + small:
        format_notification(event, 0.0)
        sizes = cache_sizes()
        assert sizes["varbinds"].entries <= schema.VARBIND_CACHE_ENTRIES
        assert sizes["varbinds"].bytes <= schema.VARBIND_CACHE_BYTES
        assert sizes["headers"].entries <= schema.HEADER_CACHE_ENTRIES
        assert sizes["headers"].bytes <= schema.HEADER_CACHE_BYTES
    # what the counted bytes claim is at least what the caches really hold (keys included)
    for events in (big, small):
        clear_caches()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        copies = [_event(e.community_bytes, e.source_port, [tuple(vb) for vb in e.varbinds]) for e in events[:3000]]
        for event in copies:
            format_notification(event, 0.0)
        del copies, event
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        sizes = cache_sizes()
        assert 0 < held <= sizes["varbinds"].bytes + sizes["headers"].bytes, (held, sizes)


# ----------------------------------------------------------------------------- the line twins

def _line_twins():
    from snmptrapmgr.collector import _line_py

    try:
        from snmptrapmgr.collector import _line_c
    except ImportError:
        import pytest

        pytest.skip("Cython extensions not built")
    return _line_py, _line_c


_OIDS = st.sampled_from(["1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.2.1.2.2.1.1.3",
                         "1.3.6.1.2.1.2.2.1.7.3", "1.3.6.1.2.1.2.2.1.8.3", "1.3.6.1.4.1.99999.1.1",
                         "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.31.1.1.1.1.3"])


@settings(max_examples=300, deadline=None)
@given(notes=st.lists(st.tuples(
           st.lists(st.tuples(_OIDS, _VALUES).map(lambda t: (t[0],) + t[1]), max_size=6),
           st.sampled_from(["public", "p\u00e9", "x\"y"]), st.sampled_from([1, 2, 2, 2, 3]),
           st.booleans(), st.sampled_from(["10.0.0.1", "::1"]), st.integers(0, 65535),
           st.sampled_from(["1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.4.1.99999.0.7"]),
           st.one_of(st.floats(1.7e9, 1.7e9 + 3, allow_nan=False), st.integers(1_700_000_000, 1_700_000_002)),
           st.booleans()), min_size=1, max_size=12),
       clear=st.booleans(),
       v3=st.tuples(st.text(max_size=6), st.integers(0, 2), st.binary(max_size=8), st.binary(max_size=4),
                    st.binary(max_size=6)))
def test_line_twins_write_the_same_bytes(notes, clear, v3):
    """The compiled line writer and the schema give the same line for the same notification,
    whether its pieces are cached or not (each line is made twice, so the second meets the
    caches the first filled), with and without MIB names, for every version."""
    from snmptrapmgr.mib import active

    py, c = _line_twins()
    if clear:
        clear_caches()
    for varbinds, community, version, inform, address, port, trap_oid, stamp, named in notes:
        cls = SNMPTrapMgrInformRequestEventParams if inform and version != 1 else SNMPTrapMgrTrapEventParams
        event = cls(version, 7, community, "u", 2, trap_oid, 99, address, port, varbinds,
                    community.encode())
        if version == 1:
            event.enterprise, event.agent_address = "1.3.6.1.4.1.9", "10.0.0.1"
            event.generic_trap, event.specific_trap, event.rfc3584_trap_oid = 6, 3, "1.3.6.1.4.1.9.0.3"
        if version == 3:  # any user text, engine IDs, and a context name that need not be UTF-8
            event.user, event.security_level = v3[0], v3[1]
            event.engine_id, event.context_engine_id, event.context_name = v3[2], v3[3], v3[4]
        names = active() if named else None
        for _ in range(2):
            assert c.format_line(event, stamp, names) == py.format_line(event, stamp, names)


def test_line_twin_takes_the_usual_trap_from_the_caches():
    """Proof that the compiled writer builds the usual v2c line itself: once its pieces are
    cached, no Python function runs for it (the schema's code runs only on a miss)."""
    import sys

    py, c = _line_twins()
    varbinds = [("1.3.6.1.2.1.1.3.0", 0x43, 5), ("1.3.6.1.2.1.1.5.0", 0x04, b"router")]
    event = SNMPTrapMgrTrapEventParams(2, 7, "public", "", 0, "1.3.6.1.6.3.1.1.5.3", 5,
                                       "10.0.0.1", 162, varbinds, b"public")
    stamp = 1_700_000_000.25
    first = c.format_line(event, stamp)  # fills the caches (through the schema)
    calls = []

    def profile(frame, what, arg):
        if what == "call":
            calls.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        again = c.format_line(event, stamp)
    finally:
        sys.setprofile(None)
    assert again == first == py.format_line(event, stamp)
    assert calls == [], calls
    sys.setprofile(profile)
    try:
        py.format_line(event, stamp)
    finally:
        sys.setprofile(None)
    assert "format_notification" in calls  # the Python twin is the schema's own code


# a plain TimeTicks, an InterfaceIndex (DISPLAY-HINT "d"), a counter, an unknown OID: the same
# text around every value; an enumeration (labels) and a "d-1" hint (display): not
_NUMBERS = [("1.3.6.1.2.1.1.3.0", 0x43, True), ("1.3.6.1.2.1.2.2.1.1.3", 0x02, True),
            ("1.3.6.1.2.1.2.2.1.10.3", 0x41, True), ("1.3.6.1.4.1.99999.1.2", 0x42, True),
            ("1.3.6.1.2.1.2.2.1.8.3", 0x02, False), ("1.3.6.1.2.1.169.1.1.20.1.3.1", 0x02, False)]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(-3, 9), st.integers(-2**31, 2**31 - 1)),
                       min_size=2, max_size=40),
       named=st.booleans())
def test_numbers_that_change_every_trap_give_the_line_made_from_scratch(values, named):
    """sysUpTime and counters change in every trap: their text is kept by OID (head and tail
    around the value) where the MIB adds nothing that depends on the value; each twin, with
    its caches warm, writes what the schema writes with every cache empty."""
    from snmptrapmgr.mib import active

    names = active() if named else None
    if named:  # what the MIB says, as this test assumes it: a label, a display, neither
        assert names.describe("1.3.6.1.2.1.2.2.1.8.3", 0x02, 1)[1] == "up"
        assert names.describe("1.3.6.1.2.1.169.1.1.20.1.3.1", 0x02, 15)[2] == "1.5"
        assert names.describe("1.3.6.1.2.1.2.2.1.1.3", 0x02, 15)[1:] == (None, None)
    events = []
    for uptime, small, big in values:
        chosen = {0x43: uptime, 0x41: uptime, 0x42: uptime}
        varbinds = [(oid, kind, chosen.get(kind, small if plain or oid.endswith(".8.3") else big))
                    for oid, kind, plain in _NUMBERS]
        events.append(SNMPTrapMgrTrapEventParams(2, 7, "public", "", 0, "1.3.6.1.6.3.1.1.5.3", uptime,
                                                 "10.0.0.1", 162, varbinds, b"public"))
    stamp = 1_700_000_000.5
    cold = []
    for event in events:
        clear_caches()
        cold.append(format_notification(event, stamp, names))
    for twin in _line_twins():
        clear_caches()
        assert [twin.format_line(event, stamp, names) for event in events] == cold
        held = schema.NAMED_VARBINDS if named else schema.VARBINDS
        kept = {key for key in held if isinstance(key, str)}
        # kept by OID: exactly those (without MIB names, nothing depends on the value)
        assert kept == {oid for oid, _, plain in _NUMBERS if plain or not named}
        assert len(held) <= len(kept) + 2 * len(values)  # no entry per value of a plain number
