"""Hypothesis: mutated v1/v2c/inform datagrams never break the receiver.

Sans-IO first (``Receiver.receive_datagram``: many examples, no sockets), then
the same through a live SNMPTrapMgr socket for a smaller sample.  After every
batch of garbage a valid packet must still be delivered intact.
"""

from __future__ import annotations

import glob
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peers
from snmptrapmgr import SNMPTrapMgrError
from snmptrapmgr.events import (
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrTrapEventParams,
)
from snmptrapmgr.codec.encode import encode_community_message, encode_pdu, encode_v1_trap_pdu
from snmptrapmgr.codec.pdu import PDU_INFORM, PDU_TRAP
from snmptrapmgr.receiver import Hooks, Receiver

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
ENT = "1.3.6.1.4.1.99999"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
ADDR = ("192.0.2.1", 16200)

VARBINDS = [
    (SYS_UPTIME, 0x43, 4242), (SNMP_TRAP_OID, 0x06, ENT + ".0.1"), (ENT + ".1", 0x02, -5),
    (ENT + ".2", 0x04, b"text\x00\xff"), (ENT + ".3", 0x05, None), (ENT + ".4", 0x40, "10.0.0.1"),
    (ENT + ".5", 0x41, 7), (ENT + ".6", 0x42, 8), (ENT + ".7", 0x46, (1 << 64) - 1),
    (ENT + ".8", 0x44, b"\x9f\x78\x04\x3f\xc0\x00\x00"), (ENT + ".9", 0x06, "1.3.6.1.4.1.4294967295"),
    (ENT + ".10", 0x80, None),
]
V2C_TRAP = encode_community_message(1, b"public", encode_pdu(PDU_TRAP, 1234, 0, 0, VARBINDS))
V2C_INFORM = encode_community_message(1, b"public", encode_pdu(PDU_INFORM, 99, 0, 0, VARBINDS))
V1_TRAP = encode_community_message(0, b"public", encode_v1_trap_pdu(
    ENT, "10.1.2.3", 6, 17, 555, VARBINDS[2:]))
CAPTURED = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(DATA, "*.bin")))
            if "v3" not in os.path.basename(p)]
SEEDS = [V2C_TRAP, V2C_INFORM, V1_TRAP] + CAPTURED

VALID = encode_community_message(1, b"after", encode_pdu(PDU_TRAP, 4321, 0, 0, [
    (SYS_UPTIME, 0x43, 77), (SNMP_TRAP_OID, 0x06, ENT + ".0.99"), (ENT + ".42", 0x04, b"intact")]))
VALID_VARBINDS = [(SYS_UPTIME, 0x43, 77), (SNMP_TRAP_OID, 0x06, ENT + ".0.99"), (ENT + ".42", 0x04, b"intact")]

KNOWN_EVENTS = (SNMPTrapMgrTrapEventParams, SNMPTrapMgrInformRequestEventParams,
                SNMPTrapMgrBadPacketEventParams, SNMPTrapMgrDiscoveryRequestEventParams)
# decode errors (317 defective, 320 bad packet, 305 version, 306 PDU, 316 security model)
# and what an accidental SNMPv3 message may earn (308-329: auth, engine, user, level...)
BAD_CODES = {305, 306, 316, 317, 320} | set(range(308, 330))

op = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just("xor"), st.integers(0, 1 << 16), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 16), st.integers(1, 8)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 16), st.just(0)),
    st.tuples(st.just("append"), st.just(0), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("length"), st.integers(0, 1 << 16),
              st.sampled_from([0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0x88, 0xff])),
)
mutated = st.builds(lambda seed, ops: mutate(seed, ops), st.sampled_from(SEEDS), st.lists(op, min_size=1, max_size=6))


def mutate(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for kind, pos, arg in ops:
        n = len(buf)
        p = pos % (n + 1) if kind == "insert" else (pos % n if n else 0)
        if kind == "flip" and n:
            buf[p] = arg
        elif kind == "xor" and n:
            buf[p] ^= arg
        elif kind == "insert":
            buf[p:p] = arg
        elif kind == "delete" and n:
            del buf[p:p + arg]
        elif kind == "truncate":
            del buf[p:]
        elif kind == "append":
            buf += arg
        elif kind == "length" and n:
            buf[p] = arg
    return bytes(buf)


def check_events(receiver: Receiver, data: bytes, events: list) -> None:
    assert isinstance(events, list) and events, "every datagram yields at least one event"
    for event in events:
        assert isinstance(event, KNOWN_EVENTS), type(event)
        if isinstance(event, SNMPTrapMgrBadPacketEventParams):
            assert event.error_code in BAD_CODES, (event.error_code, event.error_description, data.hex())
            assert not event.error_description.startswith("internal error"), (event.error_description, data.hex())
            assert event.packet == data
            assert (event.source_address, event.source_port) == ADDR
            event.report = True
        elif isinstance(event, (SNMPTrapMgrTrapEventParams, SNMPTrapMgrInformRequestEventParams)):
            assert event.snmp_version in (1, 2, 3)
            assert isinstance(event.trap_oid, str) and isinstance(event.time_stamp, int)
            for obj in event.objects:  # the object view must build for whatever was decoded
                assert isinstance(obj.value, bytes) and obj.type_string
            if isinstance(event, SNMPTrapMgrInformRequestEventParams):
                event.respond = True
                event.error_status, event.error_index = 5, 1
        # building the reply the handler asked for never raises anything but SNMPTrapMgrError
        try:
            reply = receiver.reply(event, ADDR)
        except SNMPTrapMgrError:
            continue
        assert reply is None or isinstance(reply, bytes)


def check_valid(events: list) -> None:
    assert len(events) == 1
    (event,) = events
    assert type(event) is SNMPTrapMgrTrapEventParams
    assert (event.snmp_version, event.community, event.request_id) == (2, "after", 4321)
    assert (event.trap_oid, event.time_stamp) == (ENT + ".0.99", 77)
    assert list(event.varbinds) == VALID_VARBINDS
    assert [tuple(o) for o in event.objects][2] == (ENT + ".42", 4, b"intact")


def test_seeds_are_valid(impl):
    receiver = Receiver(Hooks())
    for seed in SEEDS:
        events = receiver.receive_datagram(seed, ADDR, 1000.0)
        assert [type(e) for e in events] in ([SNMPTrapMgrTrapEventParams], [SNMPTrapMgrInformRequestEventParams])
    check_valid(receiver.receive_datagram(VALID, ADDR, 1000.0))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(mutated, min_size=1, max_size=5))
def test_mutations_never_raise_sans_io(impl, batch):
    receiver = Receiver(Hooks())
    for data in batch:
        events = receiver.receive_datagram(data, ADDR, 1000.0)
        check_events(receiver, data, events)
    check_valid(receiver.receive_datagram(VALID, ADDR, 1001.0))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_never_raise_sans_io(impl, data):
    receiver = Receiver(Hooks())
    check_events(receiver, data, receiver.receive_datagram(data, ADDR, 1000.0))
    check_valid(receiver.receive_datagram(VALID, ADDR, 1001.0))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(mutated, min_size=1, max_size=8))
def test_mutations_through_live_socket(impl, batch):
    mgr = peers.new_mgr()
    try:
        rec = peers.Recorder(mgr, respond=True, error_status=5, error_index=1)
        sock = peers.send_udp(mgr.local_port, *[d for d in batch if d])
        expected = sum(1 for d in batch if d)
        assert peers.pump(mgr, lambda: len(rec.trace) >= expected
                          and len([t for t in rec.trace if t.direction == 1]) >= expected)
        sock.sendto(VALID, ("127.0.0.1", mgr.local_port))
        assert peers.pump(mgr, lambda: any(t.community == "after" for t in rec.traps))
        sock.close()
    finally:
        mgr.deactivate()
    assert rec.errors == []
    for bad in rec.bad:
        assert bad.error_code in BAD_CODES, (bad.error_code, bad.error_description)
        assert not bad.error_description.startswith("internal error"), bad.error_description
    last = rec.traps[-1]
    assert (last.request_id, last.trap_oid, last.time_stamp) == (4321, ENT + ".0.99", 77)
    assert list(last.varbinds) == VALID_VARBINDS
    assert rec.snapshots[-1][2] == (ENT + ".42", 4, b"intact", "OctetString")


def test_v1_trap_pdu_in_v2c_message_is_unknown_pdu(impl):
    """Found by the fuzzer: a Trap-PDU (0xA4) under version 1 (v2c) was an internal error."""
    data = encode_community_message(1, b"public", encode_v1_trap_pdu(ENT, "10.1.2.3", 6, 1, 5, []))
    receiver = Receiver(Hooks())
    events = receiver.receive_datagram(data, ADDR, 1000.0)
    assert [type(e) for e in events] == [SNMPTrapMgrBadPacketEventParams]
    assert events[0].error_code == 306
    check_events(receiver, data, events)
    # and a v2 PDU under version 0 (v1) likewise
    data = encode_community_message(0, b"public", encode_pdu(PDU_TRAP, 1, 0, 0, VARBINDS))
    events = receiver.receive_datagram(data, ADDR, 1000.0)
    assert [e.error_code for e in events] == [306]
