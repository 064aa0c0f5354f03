"""Interop with net-snmp's snmptrap / snmpinform over loopback, through SNMPTrapMgr.

Expected types follow net-snmp's documented value letters (snmpcmd(1) / snmpset -h:
"i: INTEGER, u: unsigned INTEGER, t: TIMETICKS, a: IPADDRESS, o: OBJID, s: STRING,
x: HEX STRING, d: DECIMAL STRING, b: BITS, U: unsigned int64, I: signed int64,
F: float, D: double") and snmp_add_var() in snmplib/snmp_api.c, which snmptrap uses:
'u' -> ASN_GAUGE (Gauge32/Unsigned32, tag 0x42), '3' -> ASN_UINTEGER (0x47),
'c' -> ASN_COUNTER (Counter32), 'C' -> ASN_COUNTER64, 'n' -> ASN_NULL,
's'/'x'/'d'/'b' -> OCTET STRING (BITS as octets, bit 0 = MSB of the first octet),
and U/I/F/D -> the net-snmp Opaque-wrapped types (ASN_OPAQUE_U64 / I64 / FLOAT /
DOUBLE: an Opaque whose content is the tag 0x9f 0x7b / 0x7a / 0x78 / 0x79, a length and
the value).
"""

from __future__ import annotations

import shutil
import socket
import struct

import pytest

import peers
from snmptrapmgr.codec import ber

pytestmark = pytest.mark.peer

assert shutil.which("snmptrap") and shutil.which("snmpinform"), "net-snmp's snmptrap/snmpinform are required"

ENT = "1.3.6.1.4.1.99999"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"

# letter, text given to snmptrap, expected type, expected obj_value (bytes)
LETTERS = [
    ("i", "-2147483648", 2, b"-2147483648"),
    ("i", "2147483647", 2, b"2147483647"),
    ("u", "4294967295", 66, b"4294967295"),
    ("3", "1234567", 71, b"1234567"),
    ("c", "4294967295", 65, b"4294967295"),
    ("C", "18446744073709551615", 70, b"18446744073709551615"),
    ("C", "0", 70, b"0"),
    ("t", "4294967295", 67, b"4294967295"),
    ("t", "0", 67, b"0"),
    ("a", "192.168.1.254", 64, b"192.168.1.254"),
    ("o", "1.3.6.1.4.1.99999.42.4294967295", 6, b"1.3.6.1.4.1.99999.42.4294967295"),
    ("s", "hello world", 4, b"hello world"),
    ("s", "", 4, b""),
    ("x", "00 01 fe FF 80", 4, b"\x00\x01\xfe\xff\x80"),
    ("d", "0.1.127.128.255", 4, b"\x00\x01\x7f\x80\xff"),
    ("b", "0 7 8 15", 4, b"\x81\x81"),
    ("n", "", 5, b""),
    ("U", "18446744073709551615", 68, b"\x9f\x7b\x09\x00" + b"\xff" * 8),
    ("U", "0", 68, b"\x9f\x7b\x01\x00"),
    ("I", "-9223372036854775808", 68, b"\x9f\x7a\x08\x80" + b"\x00" * 7),
    ("I", "9223372036854775807", 68, b"\x9f\x7a\x08\x7f" + b"\xff" * 7),
    ("F", "1.5", 68, b"\x9f\x78\x04" + struct.pack(">f", 1.5)),
    ("D", "-2.25", 68, b"\x9f\x79\x08" + struct.pack(">d", -2.25)),
]
TYPE_STRINGS = {2: "Integer", 4: "OctetString", 5: "Null", 6: "ObjectID", 64: "IPAddress", 65: "Counter32",
                66: "Gauge32", 67: "TimeTicks", 68: "Opaque", 70: "Counter64", 71: "UnsignedInteger32"}


def varbind_args() -> list:
    args = []
    for i, (letter, text, _t, _v) in enumerate(LETTERS):
        args += [f"{ENT}.1.{i + 1}", letter, text]
    return args + [f"{ENT}.4294967295", "i", "0"]


def expected_rows() -> list:
    rows = [(f"{ENT}.1.{i + 1}", t, v, TYPE_STRINGS[t]) for i, (_l, _x, t, v) in enumerate(LETTERS)]
    return rows + [(f"{ENT}.4294967295", 2, b"0", "Integer")]


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sender(tool: str, mgr, *args: str, client_port: int = 0) -> list:
    """``tool OPTIONS 127.0.0.1:PORT PARAMS``: options are the leading args that start with '-'
    (each with its value)."""
    args = list(args)
    options = []
    while args and args[0].startswith("-"):
        options += args[:2]
        del args[:2]
    argv = [tool]
    if client_port:
        argv += [f"--clientaddr=127.0.0.1:{client_port}", "--clientaddrUsesPort=yes"]
    return argv + options + [f"127.0.0.1:{mgr.local_port}"] + args


@pytest.fixture
def mgr(impl):
    m = peers.new_mgr()
    yield m
    m.deactivate()


def test_v2c_trap_every_type_letter(mgr):
    rec = peers.Recorder(mgr)
    cport = free_port()
    argv = sender("snmptrap", mgr, "-v", "2c", "-c", "s3cr\u00e9t", "4242", ENT + ".0.1", *varbind_args(),
                  client_port=cport)
    res = peers.run_sender(mgr, argv, lambda: rec.traps)
    assert res.returncode == 0, res.stderr
    assert len(rec.traps) == 1 and rec.bad == []
    t = rec.traps[0]
    assert t.snmp_version == 2
    assert t.community == "s3cr\u00e9t"
    assert t.request_id != 0
    assert t.trap_oid == ENT + ".0.1"
    assert t.time_stamp == 4242
    assert (t.source_address, t.source_port) == ("127.0.0.1", cport)
    assert (mgr.config("SourceAddress"), mgr.config("SourcePort")) == ("127.0.0.1", str(cport))
    rows = rec.snapshots[0]
    assert rows[:2] == [(SYS_UPTIME, 67, b"4242", "TimeTicks"),
                        (SNMP_TRAP_OID, 6, (ENT + ".0.1").encode(), "ObjectID")]
    assert rows[2:] == expected_rows()
    assert [(o.oid, o.obj_type, o.value) for o in t.objects] == [r[:3] for r in rows]


def test_request_ids_differ_per_trap(mgr):
    rec = peers.Recorder(mgr)
    for n in (1, 2):
        res = peers.run_sender(mgr, sender("snmptrap", mgr, "-v", "2c", "-c", "public", str(n), ENT + ".0.9"),
                               lambda: len(rec.traps) == n)
        assert res.returncode == 0, res.stderr
    assert [t.time_stamp for t in rec.traps] == [1, 2]
    assert rec.traps[0].request_id != rec.traps[1].request_id
    assert all(len(s) == 2 for s in rec.snapshots)  # sysUpTime.0 and snmpTrapOID.0 only


def test_v1_trap_every_type_letter(mgr):
    rec = peers.Recorder(mgr)
    cport = free_port()
    argv = sender("snmptrap", mgr, "-v", "1", "-c", "public", ENT, "10.1.2.3", "6", "99", "4294967295",
                  *varbind_args(), client_port=cport)
    res = peers.run_sender(mgr, argv, lambda: rec.traps)
    assert res.returncode == 0, res.stderr
    t = rec.traps[0]
    assert (t.snmp_version, t.community, t.request_id) == (1, "public", 0)
    assert t.agent_address == "10.1.2.3"
    assert t.time_stamp == 4294967295
    assert t.enterprise == ENT
    assert t.trap_oid == ENT + ".6.99"
    assert t.rfc3584_trap_oid == ENT + ".0.99"
    assert (t.source_address, t.source_port) == ("127.0.0.1", cport)
    assert rec.snapshots[0] == expected_rows()


@pytest.mark.parametrize("generic", range(7))
@pytest.mark.parametrize("enterprise", [ENT, SNMP_TRAPS])
def test_v1_generic_traps(mgr, generic, enterprise):
    rec = peers.Recorder(mgr)
    specific = 0 if generic < 6 else 42
    argv = sender("snmptrap", mgr, "-v", "1", "-c", "comm", enterprise, "172.16.0.9", str(generic),
                  str(specific), "1234", ENT + ".7", "s", f"g{generic}")
    res = peers.run_sender(mgr, argv, lambda: rec.traps)
    assert res.returncode == 0, res.stderr
    t = rec.traps[0]
    # the reference's rule
    if enterprise == SNMP_TRAPS:
        assert t.trap_oid == f"{SNMP_TRAPS}.{generic + 1}"
    else:
        assert t.trap_oid == f"{enterprise}.{generic}.{specific}"
    # RFC 3584 section 3.1
    if generic < 6:
        assert t.rfc3584_trap_oid == f"{SNMP_TRAPS}.{generic + 1}"
    else:
        assert t.rfc3584_trap_oid == f"{enterprise}.0.{specific}"
    assert (t.generic_trap, t.specific_trap, t.enterprise) == (generic, specific, enterprise)
    assert (t.snmp_version, t.community, t.agent_address, t.time_stamp) == (1, "comm", "172.16.0.9", 1234)
    assert t.source_address == "127.0.0.1" and t.source_port > 0
    assert rec.snapshots[0] == [(ENT + ".7", 4, f"g{generic}".encode(), "OctetString")]


def test_snmpinform_acknowledged_when_respond(mgr):
    rec = peers.Recorder(mgr, respond=True)
    argv = sender("snmpinform", mgr, "-v", "2c", "-c", "public", "-t", "1", "-r", "0", "777", ENT + ".0.2",
                  *varbind_args())
    res = peers.run_sender(mgr, argv, lambda: rec.informs)
    assert res.returncode == 0, res.stderr
    assert len(rec.informs) == 1 and rec.traps == []
    i = rec.informs[0]
    assert (i.snmp_version, i.community, i.trap_oid, i.time_stamp) == (2, "public", ENT + ".0.2", 777)
    assert i.request_id != 0
    assert rec.snapshots[0][2:] == expected_rows()
    out = [t for t in rec.trace if t.direction == 2]
    assert len(out) == 1
    version, community, pdu = ber.decode_message(out[0].packet)
    assert (version, community) == (1, b"public")
    assert pdu[:4] == (0xA2, i.request_id, 0, 0)
    assert pdu[4] == list(i.varbinds)


def test_snmpinform_not_answered_by_default(mgr):
    rec = peers.Recorder(mgr)  # respond left at its default (False)
    argv = sender("snmpinform", mgr, "-v", "2c", "-c", "public", "-t", "1", "-r", "0", "5", ENT + ".0.3")
    res = peers.run_sender(mgr, argv, lambda: rec.informs, deadline=6)
    assert len(rec.informs) == 1
    assert rec.informs[0].respond is False
    assert res.returncode != 0  # snmpinform timed out
    assert [t for t in rec.trace if t.direction == 2] == []


@pytest.mark.parametrize("status,index", [(5, 2), (16, 0), (2, 3)])
def test_inform_error_status_in_response(mgr, status, index):
    rec = peers.Recorder(mgr, respond=True, error_status=status, error_index=index)
    argv = sender("snmpinform", mgr, "-v", "2c", "-c", "public", "-t", "1", "-r", "0", "9", ENT + ".0.4",
                  ENT + ".1", "i", "5", ENT + ".2", "s", "x")
    res = peers.run_sender(mgr, argv, lambda: rec.informs and any(t.direction == 2 for t in rec.trace))
    out = [t for t in rec.trace if t.direction == 2]
    assert len(out) == 1, res.stderr
    assert (out[0].packet_address, out[0].packet_port) == (rec.informs[0].source_address,
                                                           rec.informs[0].source_port)
    _v, _c, pdu = ber.decode_message(out[0].packet)
    assert pdu[0] == 0xA2
    assert pdu[1] == rec.informs[0].request_id
    assert (pdu[2], pdu[3]) == (status, index)
    assert [vb[0] for vb in pdu[4]] == [SYS_UPTIME, SNMP_TRAP_OID, ENT + ".1", ENT + ".2"]
