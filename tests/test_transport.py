"""The UDP listening point through the public API: binding, options, delivery, tracing.

Live sockets on loopback only; every wait is bounded (see peers.pump).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import peers
from snmptrapmgr import SNMPTrapMgr, SNMPTrapMgrError
from snmptrapmgr.codec import ber
from snmptrapmgr.codec.encode import PDU_INFORM, PDU_TRAP, encode_community_message, encode_pdu

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
ENT = "1.3.6.1.4.1.99999"


def trap(n: int = 1, extra=(), tag: int = PDU_TRAP, community: bytes = b"public") -> bytes:
    varbinds = [(SYS_UPTIME, 0x43, n), (SNMP_TRAP_OID, 6, f"{ENT}.0.{n}"), (ENT + ".1", 2, n), *extra]
    return encode_community_message(1, community, encode_pdu(tag, n, 0, 0, varbinds))


def port_in_use_by_other() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


# ------------------------------------------------------------------ lifecycle
def test_activate_deactivate_active(impl):
    mgr = SNMPTrapMgr()
    mgr.local_host, mgr.local_port = "127.0.0.1", 0
    assert mgr.active is False
    mgr.activate()
    assert mgr.active is True
    port = mgr.local_port
    assert port != 0
    mgr.deactivate()
    assert mgr.active is False
    # the port is released: a plain socket can take it now
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", port))
    probe.close()
    # and the manager can be activated again and still receives
    mgr.active = True
    try:
        assert mgr.active
        rec = peers.Recorder(mgr)
        peers.send_udp(mgr.local_port, trap()).close()
        assert peers.pump(mgr, lambda: rec.traps)
    finally:
        mgr.active = False
    assert not mgr.active


def test_local_port_zero_picks_free_port(impl):
    mgr = peers.new_mgr(port=0)
    try:
        port = mgr.local_port
        assert 1024 <= port <= 65535
        assert mgr.config("LocalPort") == str(port)
        rec = peers.Recorder(mgr)
        peers.send_udp(port, trap(5)).close()
        assert peers.pump(mgr, lambda: rec.traps)
        assert rec.traps[0].request_id == 5
    finally:
        mgr.deactivate()


def test_force_local_port_true_raises_when_busy(impl):
    busy = port_in_use_by_other()
    try:
        port = busy.getsockname()[1]
        mgr = SNMPTrapMgr()
        mgr.local_host, mgr.local_port = "127.0.0.1", port
        assert mgr.config("ForceLocalPort") == "True"
        with pytest.raises(SNMPTrapMgrError) as info:
            mgr.activate()
        assert info.value.code == 10048
        assert mgr.active is False
    finally:
        busy.close()


def test_force_local_port_false_falls_back(impl):
    busy = port_in_use_by_other()
    try:
        port = busy.getsockname()[1]
        mgr = SNMPTrapMgr()
        mgr.local_host, mgr.local_port = "127.0.0.1", port
        mgr.config("ForceLocalPort=False")
        mgr.activate()
        try:
            assert mgr.active
            assert mgr.local_port not in (0, port)
            rec = peers.Recorder(mgr)
            peers.send_udp(mgr.local_port, trap()).close()
            assert peers.pump(mgr, lambda: rec.traps)
        finally:
            mgr.deactivate()
    finally:
        busy.close()


def test_local_host_binds_one_interface(impl):
    mgr = peers.new_mgr(host="127.0.0.1")
    try:
        port = mgr.local_port
        rec = peers.Recorder(mgr)
        # another loopback address is a different interface address: not bound
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind(("127.0.0.2", port))  # would fail with EADDRINUSE if we had bound 0.0.0.0
        other.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(trap(1), ("127.0.0.2", port))
        sock.sendto(trap(2), ("127.0.0.1", port))
        sock.close()
        assert peers.pump(mgr, lambda: rec.traps)
        peers.pump(mgr, lambda: False, 0.2)
        assert [t.request_id for t in rec.traps] == [2]
        assert mgr.local_host == "127.0.0.1"
    finally:
        mgr.deactivate()


def test_ipv6_loopback_with_snmptrap(impl):
    mgr = SNMPTrapMgr()
    mgr.config("UseIPv6=True")
    mgr.local_host, mgr.local_port = "::1", 0
    mgr.activate()
    try:
        rec = peers.Recorder(mgr)
        res = peers.run_sender(mgr, ["snmptrap", "-v", "2c", "-c", "six", f"udp6:[::1]:{mgr.local_port}",
                                     "77", ENT + ".0.6", ENT + ".6", "s", "over v6"], lambda: rec.traps)
        assert res.returncode == 0, res.stderr
        assert len(rec.traps) == 1
        t = rec.traps[0]
        assert t.source_address == "::1" and t.community == "six"
        assert t.trap_oid == ENT + ".0.6" and t.time_stamp == 77
        assert [(o.oid, o.value) for o in t.objects][2:] == [(ENT + ".6", b"over v6")]
        assert mgr.config("SourceAddress") == "::1"
    finally:
        mgr.deactivate()


CHILD = textwrap.dedent("""
    import select, sys, time
    sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
    import snmptrapmgr
    snmptrapmgr.use_implementation({impl!r})
    from snmptrapmgr import SNMPTrapMgr
    mgr = SNMPTrapMgr()
    mgr.local_host, mgr.local_port = "127.0.0.1", {port}
    mgr.config("ShareLocalPort=True"); mgr.config("SelectWaitMillis=5")
    got = []
    mgr.on_trap = got.append
    mgr.activate()
    print("ready", flush=True)
    end = time.monotonic() + 8
    while time.monotonic() < end:
        mgr.do_events()
        if select.select([sys.stdin], [], [], 0)[0]:
            break
    for _ in range(20):
        mgr.do_events()
    print(len(got), flush=True)
""")


def test_share_local_port_two_processes(impl):
    mgr = peers.new_mgr(port=0, activate=False, ShareLocalPort="True")
    mgr.activate()
    port = mgr.local_port
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=ROOT, here=HERE, impl=impl, port=port)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        rec = peers.Recorder(mgr)
        total = 200
        # many source ports so SO_REUSEPORT's hash spreads the burst over both sockets
        for i in range(total):
            peers.send_udp(port, trap(i + 1)).close()
            if i % 20 == 19:
                mgr.do_events()
        peers.pump(mgr, lambda: False, 0.5)
        out, _ = child.communicate("stop\n", timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        mgr.deactivate()
    theirs = int(out.strip().splitlines()[-1])
    ours = len(rec.traps)
    assert ours + theirs == total, (ours, theirs)
    assert ours > 0 and theirs > 0, (ours, theirs)


def test_buffer_sizes_set_socket_options(impl):
    mgr = peers.new_mgr(activate=False, InBufferSize="65536", OutBufferSize="32768")
    assert mgr.config("InBufferSize") == "65536"
    mgr.activate()
    try:
        # Linux reports twice what was asked (bookkeeping overhead)
        assert mgr.config("InBufferSize") == str(2 * 65536)
        assert mgr.config("OutBufferSize") == str(2 * 32768)
    finally:
        mgr.deactivate()


def test_max_packet_size_bounds_a_datagram(impl):
    mgr = peers.new_mgr(activate=False, MaxPacketSize="300")
    mgr.activate()
    try:
        rec = peers.Recorder(mgr)
        big = trap(1, extra=[(ENT + ".2", 4, b"x" * 400)])
        small = trap(2)
        assert len(big) > 300 and len(small) < 300
        peers.send_udp(mgr.local_port, big, small).close()
        assert peers.pump(mgr, lambda: rec.traps)
        assert [b.error_code for b in rec.bad] == [118]
        assert rec.bad[0].packet == big[:300] or rec.bad[0].packet == big
        assert [t.request_id for t in rec.traps] == [2]
        # the limit itself is allowed
        exact = next(d for d in (trap(3, extra=[(ENT + ".2", 4, b"y" * n)]) for n in range(400))
                     if len(d) == 300)
        peers.send_udp(mgr.local_port, exact).close()
        assert peers.pump(mgr, lambda: len(rec.traps) == 2)
        assert rec.traps[1].request_id == 3 and len(rec.bad) == 1
    finally:
        mgr.deactivate()


def test_accept_data_false_pauses_delivery(impl):
    mgr = peers.new_mgr()
    try:
        rec = peers.Recorder(mgr)
        mgr.accept_data = False
        assert mgr.accept_data is False
        peers.send_udp(mgr.local_port, trap(1), trap(2), trap(3)).close()
        for _ in range(5):
            mgr.do_events()
        assert rec.traps == [] and rec.trace == []
        mgr.accept_data = True
        assert peers.pump(mgr, lambda: len(rec.traps) == 3)
        assert [t.request_id for t in rec.traps] == [1, 2, 3]
    finally:
        mgr.deactivate()


def test_packet_trace_in_and_out(impl):
    mgr = peers.new_mgr()
    try:
        rec = peers.Recorder(mgr, respond=True)
        inform = trap(9, tag=PDU_INFORM)
        datagrams = [trap(1), b"\x30\x03\x02\x01", inform]
        sock = peers.send_udp(mgr.local_port, *datagrams)
        src = sock.getsockname()
        assert peers.pump(mgr, lambda: rec.informs and len(rec.trace) == 4)
        sock.settimeout(2)
        reply, addr = sock.recvfrom(65535)
        sock.close()
    finally:
        mgr.deactivate()
    incoming = [t for t in rec.trace if t.direction == 1]
    outgoing = [t for t in rec.trace if t.direction == 2]
    assert [t.packet for t in incoming] == datagrams
    assert all((t.packet_address, t.packet_port) == src for t in incoming)
    assert len(outgoing) == 1
    assert outgoing[0].packet == reply
    assert (outgoing[0].packet_address, outgoing[0].packet_port) == src
    assert addr[1] == mgr.local_port or addr[0] == "127.0.0.1"
    assert ber.decode_message(reply)[2][0] == 0xA2  # a Response-PDU
    assert len(rec.bad) == 1


def test_source_address_and_port_read_back(impl):
    mgr = peers.new_mgr()
    try:
        rec = peers.Recorder(mgr)
        inside = []
        mgr.on_trap = lambda e: inside.append((mgr.config("SourceAddress"), mgr.config("SourcePort")))
        s1 = peers.send_udp(mgr.local_port, trap(1))
        assert peers.pump(mgr, lambda: inside)
        assert inside[0] == ("127.0.0.1", str(s1.getsockname()[1]))
        s2 = peers.send_udp(mgr.local_port, trap(2))
        assert peers.pump(mgr, lambda: len(inside) == 2)
        # after the event, the last sender is still shown
        assert mgr.config("SourcePort") == str(s2.getsockname()[1])
        assert mgr.config("SourceAddress") == "127.0.0.1"
        s1.close(), s2.close()
        assert rec.bad == []
    finally:
        mgr.deactivate()


def test_do_events_drains_every_waiting_datagram(impl):
    mgr = peers.new_mgr(activate=False, InBufferSize=str(1 << 21))
    mgr.activate()
    try:
        rec = peers.Recorder(mgr)
        sock = peers.send_udp(mgr.local_port, *(trap(i) for i in range(1, 201)))
        sock.close()
        time.sleep(0.05)
        mgr.do_events()
        assert len(rec.traps) == 200
        assert [t.request_id for t in rec.traps] == list(range(1, 201))
    finally:
        mgr.deactivate()


def test_do_events_waits_select_wait_millis_when_idle(impl):
    mgr = peers.new_mgr(activate=False, SelectWaitMillis="150")
    mgr.activate()
    try:
        start = time.monotonic()
        mgr.do_events()
        assert 0.12 <= time.monotonic() - start < 1.5
    finally:
        mgr.deactivate()


def test_raising_handler_does_not_stop_receiver(impl, caplog):
    mgr = peers.new_mgr()
    try:
        rec = peers.Recorder(mgr)
        calls = []

        def on_trap(e):
            calls.append(e.request_id)
            if e.request_id == 1:
                raise RuntimeError("handler boom")
        mgr.on_trap = on_trap
        with caplog.at_level(logging.ERROR, logger="snmptrapmgr"):
            peers.send_udp(mgr.local_port, trap(1)).close()
            assert peers.pump(mgr, lambda: calls)
            peers.send_udp(mgr.local_port, trap(2)).close()
            assert peers.pump(mgr, lambda: len(calls) == 2)
        assert calls == [1, 2]
        assert len(rec.errors) == 1 and "handler boom" in rec.errors[0].description
        assert any("handler boom" in (r.getMessage() + str(r.exc_info)) for r in caplog.records)
    finally:
        mgr.deactivate()


def test_raising_on_error_handler_is_logged_too(impl, caplog):
    mgr = peers.new_mgr()
    try:
        calls = []
        mgr.on_trap = lambda e: (calls.append(e), 1 / 0)

        def on_error(e):
            raise ValueError("on_error boom")
        mgr.on_error = on_error
        with caplog.at_level(logging.ERROR, logger="snmptrapmgr"):
            peers.send_udp(mgr.local_port, trap(1), trap(2)).close()
            assert peers.pump(mgr, lambda: len(calls) == 2)
        text = " ".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
        assert "ZeroDivisionError" in text and "on_error boom" in text
    finally:
        mgr.deactivate()


@pytest.mark.parametrize("host,ipv6,code", [
    ("::1", False, 10047), ("127.0.0.1", True, 10047), ("no-such-host.invalid", False, 11001),
    ("192.0.2.123", False, 10049),
])
def test_bind_errors_use_reference_codes(impl, host, ipv6, code):
    mgr = SNMPTrapMgr()
    mgr.local_host, mgr.local_port = host, 0
    mgr.config(f"UseIPv6={ipv6}")
    with pytest.raises(SNMPTrapMgrError) as info:
        mgr.activate()
    assert info.value.code == code
    assert mgr.active is False
