"""pysnmp 7 as a second, independent sender, through a live SNMPTrapMgr.

pysnmp runs in a subprocess (its own asyncio loop) while the test pumps
``do_events``; pysnmp can drop a notification silently, so every test asserts
that the packet actually arrived.
"""

from __future__ import annotations

import json
import sys

import pytest

import peers

pytestmark = pytest.mark.peer

import pysnmp  # noqa: E402,F401  - a test dependency: fail loudly if it is missing

ENT = "1.3.6.1.4.1.99999"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
C64_MAX = (1 << 64) - 1
OPAQUE_FLOAT = bytes.fromhex("9f78043fc00000")  # net-snmp's Opaque-wrapped float 1.5

SENDER = r'''
import asyncio, json, sys
from pysnmp.hlapi.v3arch import asyncio as hl
from pysnmp.proto import rfc1902

spec = json.loads(sys.argv[1])

def value(type_name, raw):
    if isinstance(raw, dict):
        raw = bytes.fromhex(raw["hex"])
    return getattr(rfc1902, type_name)(raw)

async def main():
    engine = hl.SnmpEngine()
    try:
        target = await hl.UdpTransportTarget.create(("127.0.0.1", spec["port"]), timeout=2, retries=0)
        notification = hl.NotificationType(hl.ObjectIdentity(spec["trap_oid"])).add_varbinds(
            *[(oid, value(t, v)) for oid, t, v in spec["varbinds"]])
        error, status, index, vbs = await hl.send_notification(
            engine, hl.CommunityData(spec["community"], mpModel=spec["mp_model"]), target,
            hl.ContextData(), spec.get("kind", "trap"), notification)
        print(json.dumps({"error": str(error) if error else None, "status": int(status or 0),
                          "index": int(index or 0)}), flush=True)
        await asyncio.sleep(0.1)  # let the datagram leave before the dispatcher closes
    finally:
        engine.close_dispatcher()

asyncio.run(main())
'''


def send(mgr, until, **spec):
    spec["port"] = mgr.local_port
    res = peers.run_sender(mgr, [sys.executable, "-c", SENDER, json.dumps(spec)], until, deadline=10)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture
def mgr(impl):
    m = peers.new_mgr()
    yield m
    m.deactivate()


def test_pysnmp_v2c_trap_counter64_opaque(mgr):
    rec = peers.Recorder(mgr)
    out = send(mgr, lambda: rec.traps, mp_model=1, community="pysnmp-c", trap_oid=ENT + ".0.7", varbinds=[
        [ENT + ".6.1", "Counter64", C64_MAX], [ENT + ".6.2", "Counter64", 0],
        [ENT + ".6.3", "Opaque", {"hex": OPAQUE_FLOAT.hex()}], [ENT + ".6.4", "Opaque", {"hex": ""}],
        [ENT + ".6.5", "Unsigned32", 4294967295], [ENT + ".6.6", "Integer32", -7],
        [ENT + ".6.7", "OctetString", {"hex": "00ff10"}], [ENT + ".6.8", "IpAddress", "1.2.3.4"],
        [ENT + ".6.9", "TimeTicks", 4294967295], [ENT + ".6.10", "Counter32", 12]])
    assert out["error"] is None
    assert len(rec.traps) == 1, "pysnmp's trap did not arrive"
    assert rec.bad == []
    t = rec.traps[0]
    assert (t.snmp_version, t.community, t.trap_oid) == (2, "pysnmp-c", ENT + ".0.7")
    assert t.request_id != 0 and t.source_address == "127.0.0.1"
    rows = rec.snapshots[0]
    assert rows[0][:2] == (SYS_UPTIME, 67) and int(rows[0][2]) == t.time_stamp
    assert rows[1] == (SNMP_TRAP_OID, 6, (ENT + ".0.7").encode(), "ObjectID")
    assert rows[2:] == [
        (ENT + ".6.1", 70, str(C64_MAX).encode(), "Counter64"),
        (ENT + ".6.2", 70, b"0", "Counter64"),
        (ENT + ".6.3", 68, OPAQUE_FLOAT, "Opaque"),
        (ENT + ".6.4", 68, b"", "Opaque"),
        (ENT + ".6.5", 66, b"4294967295", "Gauge32"),  # SMIv2 Unsigned32 shares Gauge32's tag
        (ENT + ".6.6", 2, b"-7", "Integer"),
        (ENT + ".6.7", 4, b"\x00\xff\x10", "OctetString"),
        (ENT + ".6.8", 64, b"1.2.3.4", "IPAddress"),
        (ENT + ".6.9", 67, b"4294967295", "TimeTicks"),
        (ENT + ".6.10", 65, b"12", "Counter32"),
    ]
    assert [o.native for o in t.objects][2] == C64_MAX


def test_pysnmp_v1_trap(mgr):
    rec = peers.Recorder(mgr)
    # RFC 3584 3.2: snmpTrapEnterprise.0 / snmpTrapAddress.0 become the v1 enterprise and agent-addr
    out = send(mgr, lambda: rec.traps, mp_model=0, community="public", trap_oid=ENT + ".0.7", varbinds=[
        [ENT + ".6.7", "Integer32", -42], [ENT + ".6.8", "OctetString", {"hex": "6869"}],
        ["1.3.6.1.6.3.1.1.4.3.0", "ObjectIdentifier", ENT],
        ["1.3.6.1.6.3.18.1.3.0", "IpAddress", "10.9.8.7"]])
    assert out["error"] is None
    assert len(rec.traps) == 1, "pysnmp's v1 trap did not arrive"
    t = rec.traps[0]
    assert (t.snmp_version, t.community, t.request_id) == (1, "public", 0)
    assert (t.enterprise, t.agent_address) == (ENT, "10.9.8.7")
    assert (t.generic_trap, t.specific_trap) == (6, 7)
    assert t.trap_oid == ENT + ".6.7"
    assert t.rfc3584_trap_oid == ENT + ".0.7"  # what pysnmp was asked to send
    assert isinstance(t.time_stamp, int) and t.time_stamp >= 0
    # snmpTrapEnterprise.0 / snmpTrapAddress.0 went into the header, not the varbinds
    assert rec.snapshots[0] == [(ENT + ".6.7", 2, b"-42", "Integer"), (ENT + ".6.8", 4, b"hi", "OctetString")]


def test_pysnmp_v1_generic_trap(mgr):
    rec = peers.Recorder(mgr)
    out = send(mgr, lambda: rec.traps, mp_model=0, community="public", trap_oid="1.3.6.1.6.3.1.1.5.3",
               varbinds=[["1.3.6.1.2.1.2.2.1.1.3", "Integer32", 3]])
    assert out["error"] is None
    assert len(rec.traps) == 1, "pysnmp's v1 linkDown did not arrive"
    t = rec.traps[0]
    assert (t.generic_trap, t.specific_trap) == (2, 0)
    assert t.rfc3584_trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert t.trap_oid in (f"{t.enterprise}.2.0", "1.3.6.1.6.3.1.1.5.3")
    if t.enterprise == "1.3.6.1.6.3.1.1.5":
        assert t.trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert rec.snapshots[0] == [("1.3.6.1.2.1.2.2.1.1.3", 2, b"3", "Integer")]


def test_pysnmp_inform_acknowledged(mgr):
    rec = peers.Recorder(mgr, respond=True)
    out = send(mgr, lambda: rec.informs, mp_model=1, community="public", trap_oid=ENT + ".0.8", kind="inform",
               varbinds=[[ENT + ".6.1", "Counter64", C64_MAX]])
    assert len(rec.informs) == 1
    assert out == {"error": None, "status": 0, "index": 0}  # pysnmp accepted our Response
    assert rec.snapshots[0][2] == (ENT + ".6.1", 70, str(C64_MAX).encode(), "Counter64")
