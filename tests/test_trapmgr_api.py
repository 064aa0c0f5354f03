"""The documented surface of SNMPTrapMgr: properties, methods, events, config, error codes.

Every test takes the ``impl`` fixture and builds its SNMPTrapMgr afterwards,
so it runs against both the pure-Python and the Cython twins.
"""

from __future__ import annotations

import pytest

import peers
from snmptrapmgr import SNMPObject, SNMPTrapMgr, SNMPTrapMgrError
from snmptrapmgr import events as ev
from snmptrapmgr.codec.encode import (
    PDU_INFORM,
    PDU_TRAP,
    encode_community_message,
    encode_pdu,
    encode_v1_trap_pdu,
)

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
ENT = "1.3.6.1.4.1.99999"

# (oid, BER tag, native value, obj_value bytes, type string) for every SMI type
ALL_TYPES = [
    (SYS_UPTIME, 0x43, 4242, b"4242", "TimeTicks"),
    (SNMP_TRAP_OID, 0x06, ENT + ".0.7", (ENT + ".0.7").encode(), "ObjectID"),
    (ENT + ".1.1", 0x02, -2147483648, b"-2147483648", "Integer"),
    (ENT + ".1.2", 0x02, 2147483647, b"2147483647", "Integer"),
    (ENT + ".1.3", 0x04, b"caf\xc3\xa9\x00\xff", b"caf\xc3\xa9\x00\xff", "OctetString"),
    (ENT + ".1.4", 0x04, b"", b"", "OctetString"),
    (ENT + ".1.5", 0x05, None, b"", "Null"),
    (ENT + ".1.6", 0x06, "1.3.6.1.4.1.4294967295", b"1.3.6.1.4.1.4294967295", "ObjectID"),
    (ENT + ".1.7", 0x40, "192.168.1.254", b"192.168.1.254", "IPAddress"),
    (ENT + ".1.8", 0x41, 4294967295, b"4294967295", "Counter32"),
    (ENT + ".1.9", 0x42, 0, b"0", "Gauge32"),
    (ENT + ".1.10", 0x43, 4294967295, b"4294967295", "TimeTicks"),
    (ENT + ".1.11", 0x44, b"\x9f\x78\x04\x3f\xc0\x00\x00", b"\x9f\x78\x04\x3f\xc0\x00\x00", "Opaque"),
    (ENT + ".1.12", 0x45, b"\x47\x00\x01", b"\x47\x00\x01", "NSAP"),
    (ENT + ".1.13", 0x46, 18446744073709551615, b"18446744073709551615", "Counter64"),
    (ENT + ".1.14", 0x47, 1234567, b"1234567", "UnsignedInteger32"),
    (ENT + ".1.15", 0x80, None, b"", "NoSuchObject"),
    (ENT + ".1.16", 0x81, None, b"", "NoSuchInstance"),
    (ENT + ".1.17", 0x82, None, b"", "EndOfMibView"),
]


def v2c_trap(request_id: int = 77, varbinds=None, community: bytes = b"public", tag: int = PDU_TRAP) -> bytes:
    if varbinds is None:
        varbinds = [(o, t, v) for o, t, v, _b, _s in ALL_TYPES]
    return encode_community_message(1, community, encode_pdu(tag, request_id, 0, 0, varbinds))


def v1_trap(generic: int = 6, specific: int = 3, enterprise: str = ENT, varbinds=()) -> bytes:
    return encode_community_message(0, b"public", encode_v1_trap_pdu(
        enterprise, "10.9.8.7", generic, specific, 99, list(varbinds)))


# ------------------------------------------------------------------ surface
PROPERTIES = {
    "accept_data": True, "active": False, "local_engine_id": b"", "local_host": "",
    "local_port": 162, "obj_count": 0, "request_id": 1,
}
METHODS = ["activate", "add_engine", "add_user", "clear_cache", "config", "deactivate", "do_events",
           "hash_passwords", "remove_engine", "remove_user", "reset", "show_cache", "value",
           "get_obj_id", "set_obj_id", "get_obj_type", "set_obj_type", "get_obj_type_string",
           "get_obj_value", "set_obj_value", "get_obj_count", "set_obj_count"]
EVENTS = ["on_bad_packet", "on_cache_entry", "on_check_engine", "on_discovery_request", "on_error",
          "on_get_user_password", "on_get_user_security_level", "on_hash_password",
          "on_inform_request", "on_packet_trace", "on_trap"]
EVENT_PARAMS = {
    "SNMPTrapMgrBadPacketEventParams": ["packet", "source_address", "source_port", "error_code",
                                        "error_description", "report"],
    "SNMPTrapMgrErrorEventParams": ["error_code", "description"],
    "SNMPTrapMgrPacketTraceEventParams": ["packet", "direction", "packet_address", "packet_port"],
}
TRAP_FIELDS = ["request_id", "snmp_version", "community", "user", "security_level", "trap_oid",
               "time_stamp", "agent_address", "source_address", "source_port"]
INFORM_FIELDS = ["request_id", "snmp_version", "community", "user", "security_level", "trap_oid",
                 "time_stamp", "source_address", "source_port", "error_index", "error_status",
                 "respond", "message_id"]

CONFIG_DEFAULTS = {
    "TimeWindow": "150", "SelectWaitMillis": "20", "ForceLocalPort": "True", "MaxPacketSize": "65535",
    "CodePage": "65001", "CompatibilityMode": "0", "DecryptLogPackets": "False",
    "ShareLocalPort": "False", "UseIPv6": "False", "UseConnection": "False", "DontFragment": "False",
    "CaptureIPPacketInfo": "False", "DelayHostResolution": "False", "AbsoluteTimeout": "False",
    "MaskSensitive": "True", "ProcessIdleEvents": "True", "QOSDSCPValue": "0", "SourceAddress": "",
    "SourcePort": "0", "IncomingContextEngineId": "", "IncomingContextName": "", "LocalHost": "",
    "ContextName": "", "ContextEngineId": "", "AuthenticationKey": "", "EncryptionKey": "",
    "SourceIPAddress": "", "SourceMacAddress": "", "FirewallData": "", "DestinationAddress": "",
    "UseInternalSecurityAPI": "True",
}


def test_properties_defaults(impl):
    mgr = SNMPTrapMgr()
    for name, default in PROPERTIES.items():
        assert getattr(mgr, name) == default, name
        assert type(getattr(mgr, name)) is type(default), name


def test_methods_and_events_exist(impl):
    mgr = SNMPTrapMgr()
    for name in METHODS:
        assert callable(getattr(mgr, name)), name
    for name in EVENTS:
        assert getattr(mgr, name) is None, name
        handler = lambda e: None  # noqa: E731
        setattr(mgr, name, handler)
        assert getattr(mgr, name) is handler, name
        setattr(mgr, name, None)
        assert getattr(mgr, name) is None


def test_event_param_classes_carry_reference_names(impl):
    bad = ev.SNMPTrapMgrBadPacketEventParams(b"x", "1.2.3.4", 5, 317, "why")
    for cls, fields in EVENT_PARAMS.items():
        assert hasattr(ev, cls)
    for f in EVENT_PARAMS["SNMPTrapMgrBadPacketEventParams"]:
        assert hasattr(bad, f), f
    assert bad.report is False
    trap = ev.SNMPTrapMgrTrapEventParams(2, 1, "c", "", 0, "1.3", 0, "h", 1, [])
    for f in TRAP_FIELDS:
        assert hasattr(trap, f), f
    inform = ev.SNMPTrapMgrInformRequestEventParams(2, 1, "c", "", 0, "1.3", 0, "h", 1, [])
    for f in INFORM_FIELDS:
        assert hasattr(inform, f), f
    assert inform.respond is False and inform.error_status == 0 and inform.error_index == 0


def test_object_arrays_defaults_and_reset(impl):
    mgr = SNMPTrapMgr()
    mgr.obj_count = 2
    assert mgr.obj_count == 2
    assert mgr.get_obj_type(0) == 5  # documented default: NULL
    assert mgr.get_obj_id(1) == ""
    assert mgr.get_obj_value(1) == b""
    assert mgr.get_obj_type_string(0) == "Null"
    mgr.set_obj_id(1, "1.3.6.1.2.1.1.1.0")
    mgr.set_obj_type(1, 4)
    mgr.set_obj_value(1, b"New Value")
    assert (mgr.get_obj_id(1), mgr.get_obj_type(1), mgr.get_obj_value(1)) == ("1.3.6.1.2.1.1.1.0", 4, b"New Value")
    assert mgr.value("1.3.6.1.2.1.1.1.0") == "New Value"
    mgr.request_id = 9
    mgr.reset()
    assert mgr.obj_count == 0 and mgr.request_id == 1


def test_local_engine_id_generated_on_activate(impl):
    mgr = peers.new_mgr()
    try:
        eid = mgr.local_engine_id
        assert isinstance(eid, bytes) and 5 <= len(eid) <= 32 and eid[0] & 0x80
    finally:
        mgr.deactivate()
    mgr2 = SNMPTrapMgr()
    mgr2.local_engine_id = b"\x80\x00\x1f\x88\x04abc"
    assert mgr2.local_engine_id == b"\x80\x00\x1f\x88\x04abc"


# ------------------------------------------------------------------- config
def test_config_defaults(impl):
    mgr = SNMPTrapMgr()
    for name, want in CONFIG_DEFAULTS.items():
        got = mgr.config(name)
        assert isinstance(got, str), name
        assert got == want, f"{name}: {got!r} != {want!r}"
    assert mgr.config("LocalPort") == "162"
    assert mgr.config("BuildInfo") and mgr.config("LicenseInfo")


@pytest.mark.parametrize("name,value,back", [
    ("TimeWindow", "300", "300"), ("SelectWaitMillis", "5", "5"), ("CodePage", "1252", "1252"),
    ("MaxPacketSize", "1500", "1500"), ("CompatibilityMode", "2", "2"),
    ("ContextName", "ctx", "ctx"), ("LocalHost", "127.0.0.1", "127.0.0.1"),
])
def test_config_set_reads_back(impl, name, value, back):
    mgr = SNMPTrapMgr()
    mgr.config(f"{name}={value}")
    assert mgr.config(name) == back


@pytest.mark.parametrize("text,want", [
    ("True", "True"), ("true", "True"), ("TRUE", "True"), ("1", "True"), ("Yes", "True"),
    ("yes", "True"), ("yEs", "True"), ("False", "False"), ("false", "False"), ("0", "False"),
    ("No", "False"), ("NO", "False"),
])
def test_config_booleans(impl, text, want):
    mgr = SNMPTrapMgr()
    mgr.config("ForceLocalPort=" + ("False" if want == "True" else "True"))
    mgr.config(f"ForceLocalPort={text}")
    assert mgr.config("ForceLocalPort") == want
    mgr.config(f"DecryptLogPackets={text}")
    assert mgr.config("DecryptLogPackets") == want


@pytest.mark.parametrize("text", ["NoSuchSetting", "NoSuchSetting=1", "TimeWindow=abc",
                                  "ForceLocalPort=maybe", "ForceLocalPort=2", "SelectWaitMillis=-1",
                                  "CompatibilityMode=7", "CodePage=4242", "MaxPacketSize=0",
                                  "MaxPacketSize=70000", "TimeWindow="])
def test_config_rejects_unknown_or_bad(impl, text):
    mgr = SNMPTrapMgr()
    with pytest.raises(SNMPTrapMgrError) as info:
        mgr.config(text)
    assert isinstance(info.value.code, int) and info.value.code > 0


@pytest.mark.parametrize("name", ["SourceAddress", "SourcePort", "IncomingContextEngineId",
                                  "IncomingContextName", "BuildInfo", "LicenseInfo",
                                  "KernelDrops"])
def test_config_read_only(impl, name):
    mgr = SNMPTrapMgr()
    before = mgr.config(name)
    with pytest.raises(SNMPTrapMgrError):
        mgr.config(f"{name}=1")
    assert mgr.config(name) == before


def test_config_kernel_drops_reads_the_socket_counter(impl):
    """Loss is never silent: a burst into a tiny buffer shows in config("KernelDrops")."""
    import socket

    from snmptrapmgr.codec.encode import encode_community_message, encode_pdu

    datagram = encode_community_message(1, b"public", encode_pdu(0xA7, 1, 0, 0, [("1.3.6.1", 2, 1)]))
    mgr = SNMPTrapMgr()
    mgr.local_host, mgr.local_port = "127.0.0.1", 0
    mgr.config("InBufferSize=2048")
    with mgr:
        assert mgr.config("KernelDrops") == "0"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for _ in range(300):
                tx.sendto(datagram, ("127.0.0.1", mgr.local_port))
        drops = int(mgr.config("KernelDrops"))
        assert drops > 0 and drops == mgr.kernel_drops


@pytest.mark.parametrize("name,value,back", [
    ("CaptureIPPacketInfo", "yes", "True"), ("QOSDSCPValue", "46", "46"),
    ("QOSTrafficType", "Voice", "Voice"), ("SourceIPAddress", "10.0.0.1", "10.0.0.1"),
    ("SourceMacAddress", "00:11:22:33:44:55", "00:11:22:33:44:55"),
    ("UseInternalSecurityAPI", "0", "False"), ("ProcessIdleEvents", "No", "False"),
    ("FirewallData", "x-hdr", "x-hdr"), ("AbsoluteTimeout", "1", "True"),
    ("DelayHostResolution", "TRUE", "True"), ("MaskSensitive", "false", "False"),
])
def test_config_platform_settings_accepted(impl, name, value, back):
    mgr = SNMPTrapMgr()
    mgr.config(f"{name}={value}")
    assert mgr.config(name) == back
    # and they do not stop the receiver from working
    mgr.local_host, mgr.local_port = "127.0.0.1", 0
    mgr.activate()
    try:
        rec = peers.Recorder(mgr)
        peers.send_udp(mgr.local_port, v2c_trap()).close()
        assert peers.pump(mgr, lambda: rec.traps)
    finally:
        mgr.deactivate()


# -------------------------------------------------------------- misuse codes
def test_bad_object_index_301(impl):
    mgr = SNMPTrapMgr()
    for call in (lambda: mgr.get_obj_id(5), lambda: mgr.get_obj_type(0), lambda: mgr.get_obj_value(-1),
                 lambda: mgr.get_obj_type_string(0), lambda: mgr.set_obj_id(0, "1.3")):
        with pytest.raises(SNMPTrapMgrError) as info:
            call()
        assert info.value.code == 301


def test_bad_object_index_301_during_trap(impl):
    mgr = peers.new_mgr()
    codes, counts = [], []

    def on_trap(e):
        counts.append(mgr.obj_count)
        for i in (mgr.obj_count, mgr.obj_count + 5, -1):
            try:
                mgr.get_obj_id(i)
            except SNMPTrapMgrError as exc:
                codes.append(exc.code)
    mgr.on_trap = on_trap
    try:
        peers.send_udp(mgr.local_port, v2c_trap(varbinds=[(SYS_UPTIME, 0x43, 1),
                                                          (SNMP_TRAP_OID, 6, ENT + ".0.1")])).close()
        assert peers.pump(mgr, lambda: counts)
    finally:
        mgr.deactivate()
    assert counts == [2]
    assert codes == [301, 301, 301]


def test_local_port_while_active_106(impl):
    mgr = peers.new_mgr()
    try:
        port = mgr.local_port
        with pytest.raises(SNMPTrapMgrError) as info:
            mgr.local_port = port + 1
        assert info.value.code == 106
        with pytest.raises(SNMPTrapMgrError) as info:
            mgr.config(f"LocalPort={port + 1}")
        assert info.value.code == 106
        assert mgr.local_port == port
    finally:
        mgr.deactivate()
    mgr.local_port = 0  # allowed again once inactive
    assert mgr.local_port == 0


def test_value_of_absent_oid_322(impl):
    mgr = SNMPTrapMgr()
    with pytest.raises(SNMPTrapMgrError) as info:
        mgr.value("1.3.6.1.2.1.1.1.0")
    assert info.value.code == 322


def test_max_packet_size_and_share_port_while_active(impl):
    mgr = peers.new_mgr()
    try:
        with pytest.raises(SNMPTrapMgrError) as info:
            mgr.config("MaxPacketSize=1000")
        assert info.value.code == 112
        with pytest.raises(SNMPTrapMgrError) as info:
            mgr.config("ShareLocalPort=True")
        assert info.value.code == 113
        assert mgr.config("MaxPacketSize") == "65535"
        assert mgr.config("ShareLocalPort") == "False"
    finally:
        mgr.deactivate()
    mgr.config("MaxPacketSize=1000")
    assert mgr.config("MaxPacketSize") == "1000"


# ------------------------------------------------------------ objects in events
def test_objects_inside_on_trap_describe_every_varbind(impl):
    mgr = peers.new_mgr()
    seen = {}

    def on_trap(e):
        seen["count"] = mgr.obj_count
        seen["rows"] = [(mgr.get_obj_id(i), mgr.get_obj_type(i), mgr.get_obj_value(i),
                         mgr.get_obj_type_string(i)) for i in range(mgr.obj_count)]
        seen["values"] = {o: mgr.value(o) for o, *_ in ALL_TYPES}
        seen["event"] = e
        try:
            mgr.value("1.3.6.1.9.9.9")
        except SNMPTrapMgrError as exc:
            seen["absent"] = exc.code
    mgr.on_trap = on_trap
    try:
        peers.send_udp(mgr.local_port, v2c_trap(request_id=4242)).close()
        assert peers.pump(mgr, lambda: "event" in seen)
    finally:
        mgr.deactivate()
    assert seen["count"] == len(ALL_TYPES)
    assert seen["rows"] == [(o, t, b, s) for o, t, _v, b, s in ALL_TYPES]
    assert seen["values"][ENT + ".1.3"] == "caf\u00e9\x00\ufffd"  # CodePage 65001, invalid byte replaced
    assert seen["values"][ENT + ".1.13"] == "18446744073709551615"
    assert seen["values"][SNMP_TRAP_OID] == ENT + ".0.7"
    assert seen["absent"] == 322
    e = seen["event"]
    assert (e.snmp_version, e.request_id, e.community) == (2, 4242, "public")
    assert (e.trap_oid, e.time_stamp) == (ENT + ".0.7", 4242)
    # event.objects outlives the event
    assert [tuple(o) for o in e.objects] == [(o, t, b) for o, t, _v, b, _s in ALL_TYPES]
    assert all(isinstance(o, SNMPObject) for o in e.objects)


def test_value_uses_code_page(impl):
    mgr = peers.new_mgr(CodePage="1252")
    got = []
    mgr.on_trap = lambda e: got.append(mgr.value(ENT + ".9"))
    try:
        peers.send_udp(mgr.local_port, v2c_trap(varbinds=[(SYS_UPTIME, 0x43, 1), (SNMP_TRAP_OID, 6, ENT),
                                                          (ENT + ".9", 4, b"caf\xe9")])).close()
        assert peers.pump(mgr, lambda: got)
    finally:
        mgr.deactivate()
    assert got == ["caf\u00e9"]


def test_objects_stay_valid_after_later_events(impl):
    mgr = peers.new_mgr()
    rec = peers.Recorder(mgr)
    first = [(SYS_UPTIME, 0x43, 1), (SNMP_TRAP_OID, 6, ENT + ".0.1"), (ENT + ".1", 2, 11)]
    second = [(SYS_UPTIME, 0x43, 2), (SNMP_TRAP_OID, 6, ENT + ".0.2"), (ENT + ".2", 4, b"zz"),
              (ENT + ".3", 0x41, 5)]
    try:
        peers.send_udp(mgr.local_port, v2c_trap(1, first), v1_trap(varbinds=[(ENT + ".4", 2, 4)]),
                       v2c_trap(2, second)).close()
        assert peers.pump(mgr, lambda: len(rec.traps) == 3)
    finally:
        mgr.deactivate()
    a, b, c = rec.traps
    assert [(o.oid, o.obj_type, o.native) for o in a.objects] == first
    assert [(o.oid, o.obj_type, o.native) for o in b.objects] == [(ENT + ".4", 2, 4)]
    assert [(o.oid, o.obj_type, o.native) for o in c.objects] == second
    assert [len(s) for s in rec.snapshots] == [3, 1, 4]
    # after the events, the object arrays show the last message's varbinds
    assert mgr.obj_count == 4 and mgr.get_obj_value(2) == b"zz"


def test_v1_trap_fields_via_api(impl):
    mgr = peers.new_mgr()
    rec = peers.Recorder(mgr)
    try:
        sock = peers.send_udp(mgr.local_port, v1_trap(6, 17, varbinds=[(ENT + ".5", 0x40, "1.2.3.4")]),
                              v1_trap(2, 0, enterprise="1.3.6.1.6.3.1.1.5"))
        src_port = sock.getsockname()[1]
        sock.close()
        assert peers.pump(mgr, lambda: len(rec.traps) == 2)
    finally:
        mgr.deactivate()
    a, b = rec.traps
    assert (a.snmp_version, a.community, a.agent_address, a.time_stamp) == (1, "public", "10.9.8.7", 99)
    assert a.trap_oid == ENT + ".6.17" and a.rfc3584_trap_oid == ENT + ".0.17"
    assert (a.source_address, a.source_port) == ("127.0.0.1", src_port)
    assert rec.snapshots[0] == [(ENT + ".5", 64, b"1.2.3.4", "IPAddress")]
    assert b.trap_oid == "1.3.6.1.6.3.1.1.5.3" and b.rfc3584_trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert rec.snapshots[1] == []


def test_an_internal_error_reaches_on_error_and_the_log_not_on_bad_packet(impl, caplog):
    """A bug met while decoding (simulated: the decoder raises once) is ours, not the sender's."""
    import logging
    import socket

    mgr = peers.new_mgr()
    rec = peers.Recorder(mgr)
    receiver = mgr.endpoint.receiver
    real = receiver._community  # test-only reach: the receiver has no seam for a failing decoder

    class FailsOnce:
        def __init__(self) -> None:
            self.calls = 0

        def decode(self, data, addr):
            self.calls += 1
            if self.calls == 1:
                raise ZeroDivisionError("simulated bug")
            return real.decode(data, addr)

    receiver._community = FailsOnce()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        trap = encode_community_message(1, b"public", encode_pdu(0xA7, 7, 0, 0, [
            ("1.3.6.1.2.1.1.3.0", 0x43, 5), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.4.1.99999.0.1")]))
        with caplog.at_level(logging.ERROR, logger="snmptrapmgr"):
            sock.sendto(trap, ("127.0.0.1", mgr.local_port))
            sock.sendto(trap, ("127.0.0.1", mgr.local_port))
            assert peers.pump(mgr, lambda: len(rec.traps) == 1)
        assert rec.bad == []
        assert len(rec.errors) == 1 and "internal error on a datagram from 127.0.0.1:" in rec.errors[0].description
        assert "ZeroDivisionError: simulated bug" in rec.errors[0].description
        logged = [r for r in caplog.records if "internal error" in r.getMessage()]
        assert len(logged) == 1 and logged[0].exc_info and logged[0].exc_info[0] is ZeroDivisionError
        assert receiver.counters["internal_errors"] == 1
    finally:
        sock.close()
        mgr.deactivate()
