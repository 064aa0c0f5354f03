"""Report rate limits: token buckets per source and in all, the 32-octet user name, the fast encoder.

The flood tests drive a real SNMPTrapMgr on 127.0.0.1 from real sockets:
10,000 discovery probes from one source within about a second get at most
the configured Reports while v2c traps from another source keep arriving.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr import SNMPTrapMgr
from snmptrapmgr.codec import ber
from snmptrapmgr.codec.encode import (
    PDU_GET,
    PDU_REPORT,
    PDU_TRAP,
    encode_community_message,
    encode_pdu,
    encode_scoped_pdu,
    encode_v3_message,
)
from snmptrapmgr.errors import ERR_DEFECTIVE_PACKET
from snmptrapmgr.security.reports import USM_STATS_OIDS, ReportLimiter, noauth_report
from snmptrapmgr.codec.encode import encode_tlv
from snmptrapmgr.codec.oid import oid_to_ber

TRAP_OID = "1.3.6.1.6.3.1.1.5.3"


def discovery(msg_id: int = 1, user: bytes = b"") -> bytes:
    pdu = encode_pdu(PDU_GET, msg_id, 0, 0, [])
    return encode_v3_message(msg_id, 65507, 4, b"", 0, 0, user, b"", b"",
                             encode_scoped_pdu(b"", b"", pdu))[0]


def v2c_trap(request_id: int) -> bytes:
    pdu = encode_pdu(PDU_TRAP, request_id, 0, 0, [("1.3.6.1.2.1.1.3.0", 0x43, 5),
                                                  ("1.3.6.1.6.3.1.1.4.1.0", 0x06, TRAP_OID)])
    return encode_community_message(1, b"public", pdu)


# ------------------------------------------------------------------ the buckets


def test_per_source_bucket_burst_then_rate() -> None:
    limiter = ReportLimiter(rate=8, burst=5, total_rate=0)  # times in binary fractions: exact
    assert [limiter.allow("10.0.0.1", 100.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert limiter.allow("10.0.0.2", 100.0)  # another source has its own bucket
    assert not limiter.allow("10.0.0.1", 100.0625)  # half a token
    assert limiter.allow("10.0.0.1", 100.125)
    assert limiter.suppressed == 3
    assert [limiter.allow("10.0.0.1", 1000.0) for _ in range(6)].count(True) == 5  # refilled to burst only


def test_global_bucket_bounds_many_sources() -> None:
    limiter = ReportLimiter(rate=50, burst=50, total_rate=16)
    allowed = sum(limiter.allow(f"10.0.{i // 256}.{i % 256}", 5.0) for i in range(1000))
    assert allowed == 16
    assert limiter.suppressed == 984
    assert limiter.allow("10.9.9.9", 5.125) and limiter.allow("10.9.9.8", 5.125)
    assert not limiter.allow("10.9.9.7", 5.125)


def test_zero_means_unlimited() -> None:
    limiter = ReportLimiter(rate=0, total_rate=0)
    assert all(limiter.allow("10.0.0.1", 1.0) for _ in range(10000))
    assert limiter.suppressed == 0 and len(limiter) == 0


def test_source_table_is_bounded() -> None:
    limiter = ReportLimiter(rate=1, burst=1, total_rate=0, max_sources=100)
    for i in range(5000):
        limiter.allow(f"2001:db8::{i:x}", 1.0)
    assert len(limiter) == 100
    assert limiter.evicted == 4900
    limiter.configure("ReportSources", 10)
    assert len(limiter) == 10


def test_clock_going_back_does_not_mint_tokens() -> None:
    limiter = ReportLimiter(rate=1, burst=1, total_rate=0)
    assert limiter.allow("a", 100.0)
    assert not limiter.allow("a", 50.0)
    assert not limiter.allow("a", 50.5)


def test_settings_reach_the_limiter() -> None:
    mgr = SNMPTrapMgr()
    mgr.config("ReportRate=2.5")
    mgr.config("ReportBurst=3")
    mgr.config("ReportRateTotal=100")
    mgr.config("ReportSources=7")
    limiter = mgr.endpoint.receiver.usm.limiter
    assert (limiter.rate, limiter.burst, limiter.total_rate, limiter.max_sources) == (2.5, 3, 100.0, 7)
    assert mgr.config("ReportRate") == "2.5"
    assert mgr.setting("ReportBurst") == 3
    assert SNMPTrapMgr().config("ReportRate") == "50.0"  # the documented defaults
    assert SNMPTrapMgr().config("ReportRateTotal") == "1000.0"
    for bad in ("ReportRate=-1", "ReportRate=fast", "ReportRate=inf", "ReportBurst=1.5"):
        with pytest.raises(Exception, match="ReportRate|ReportBurst"):
            mgr.config(bad)


# ------------------------------------------------------------------ the encoder


@settings(max_examples=300, deadline=None)
@given(msg_id=st.integers(0, 2**31 - 1), engine=st.binary(min_size=5, max_size=32),
       etime=st.integers(0, 2**31 - 1), user=st.binary(max_size=32),
       request_id=st.integers(-2**31, 2**31 - 1), counter=st.sampled_from(sorted(USM_STATS_OIDS)),
       value=st.integers(0, 2**32 - 1))
def test_fast_report_encoder_matches_the_general_one(msg_id: int, engine: bytes, etime: int, user: bytes,
                                                     request_id: int, counter: str, value: int) -> None:
    pdu = encode_pdu(PDU_REPORT, request_id, 0, 0, [(USM_STATS_OIDS[counter], 0x41, value)])
    expected = encode_v3_message(msg_id, 65507, 0, engine, 0, etime, user, b"", b"",
                                 encode_scoped_pdu(engine, b"", pdu))[0]
    oid_tlv = encode_tlv(0x06, oid_to_ber(USM_STATS_OIDS[counter]))
    assert noauth_report(msg_id, engine, etime, user, request_id, oid_tlv, value) == expected
    # twice: the second comes from the one-entry cache of the security parameters
    assert noauth_report(msg_id, engine, etime, user, request_id, oid_tlv, value) == expected


# ------------------------------------------------------------------ on the wire


def _manager(**config: object) -> SNMPTrapMgr:
    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    mgr.config("InBufferSize=8388608")
    for name, value in config.items():
        mgr.config(f"{name}={value}")
    mgr.activate()
    return mgr


def _drain(sock: socket.socket) -> list:
    sock.setblocking(False)
    out = []
    while True:
        try:
            out.append(sock.recv(65535))
        except BlockingIOError:
            return out


def test_discovery_flood_gets_at_most_the_configured_reports_and_traps_flow() -> None:
    rate, burst = 20, 10
    mgr = _manager(ReportRate=rate, ReportBurst=burst)
    traps: list = []
    discoveries: list = []
    mgr.on_trap = traps.append
    mgr.on_discovery_request = discoveries.append
    port = mgr.local_port
    runner = threading.Thread(target=mgr.run, args=(30.0,), daemon=True)
    runner.start()
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.bind(("127.0.0.1", 0))
    flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    normal = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    normal.bind(("127.0.0.1", 0))
    probe = discovery(42)
    started = time.monotonic()
    try:
        for step in range(100):  # 10,000 probes and 500 traps paced over ~1 s
            for _ in range(100):
                flood.sendto(probe, ("127.0.0.1", port))
            for i in range(5):
                normal.sendto(v2c_trap(step * 5 + i), ("127.0.0.1", port))
            time.sleep(max(0.0, started + (step + 1) * 0.01 - time.monotonic()))
        end = time.monotonic() + 20
        while (len(discoveries) < 10000 or len(traps) < 500) and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        mgr.stop()
        runner.join(10)
        elapsed = time.monotonic() - started
        mgr.deactivate()
    reports = _drain(flood)
    counters = mgr.endpoint.counters()
    assert counters.kernel_drops == 0
    assert len(discoveries) == 10000
    assert len(traps) == 500, "normal traps must keep flowing during the flood"
    assert burst <= len(reports) <= burst + rate * elapsed + 1, (len(reports), elapsed)
    assert counters.reports_suppressed == 10000 - len(reports)
    assert sum(1 for e in discoveries if e.respond) == len(reports)
    for report in reports:
        msg = ber.decode_message(report)
        assert msg.scoped.pdu.tag == PDU_REPORT
        assert msg.scoped.pdu.varbinds[0][0] == USM_STATS_OIDS["usmStatsUnknownEngineIDs"]
    flood.close()
    normal.close()


def test_global_limit_across_sources() -> None:
    mgr = _manager(ReportRate=0, ReportRateTotal=5)
    try:
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        started = time.monotonic()
        for i in range(200):
            socks[i % 4].sendto(discovery(i), ("127.0.0.1", mgr.local_port))
        end = time.monotonic() + 5
        while mgr.endpoint.counters().received < 200 and time.monotonic() < end:
            mgr.do_events()
        elapsed = time.monotonic() - started
        time.sleep(0.05)
        reports = sum(len(_drain(sock)) for sock in socks)
        assert mgr.endpoint.counters().received == 200
        assert 5 <= reports <= 5 + 5 * elapsed + 1
        assert mgr.endpoint.counters().reports_suppressed == 200 - reports
    finally:
        mgr.deactivate()


def test_long_user_name_gets_no_report() -> None:
    mgr = _manager(ReportRate=0, ReportRateTotal=0)
    bad: list = []
    discoveries: list = []
    mgr.on_bad_packet = bad.append
    mgr.on_discovery_request = discoveries.append
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.sendto(discovery(1, b"u" * 1400), ("127.0.0.1", mgr.local_port))
        sock.sendto(discovery(2, b"u" * 33), ("127.0.0.1", mgr.local_port))
        sock.sendto(discovery(3, b"u" * 32), ("127.0.0.1", mgr.local_port))  # the longest allowed
        end = time.monotonic() + 5
        while mgr.endpoint.counters().received < 3 and time.monotonic() < end:
            mgr.do_events()
        time.sleep(0.1)
        replies = _drain(sock)
        assert [e.error_code for e in bad] == [ERR_DEFECTIVE_PACKET, ERR_DEFECTIVE_PACKET]
        assert "1400 octets" in bad[0].error_description
        assert not any(e.report for e in bad)
        assert len(discoveries) == 1 and discoveries[0].user == "u" * 32
        assert len(replies) == 1  # only the 32-octet one
        assert ber.decode_message(replies[0]).user == b"u" * 32
        assert mgr.usm_stats["snmpInASNParseErrs"] == 2
        sock.close()
    finally:
        mgr.deactivate()


def test_netsnmp_inform_still_discovers_under_a_tight_limit() -> None:
    """A real snmpinform -v 3 needs one discovery Report: ReportRate=1, ReportBurst=1 give it."""
    mgr = _manager(ReportRate=1, ReportBurst=1)
    mgr.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    informs: list = []

    def on_inform(event: object) -> None:
        event.respond = True
        informs.append(event)

    mgr.on_inform_request = on_inform
    try:
        proc = subprocess.Popen(["snmpinform", "-v", "3", "-t", "2", "-r", "1", "-u", "alice", "-l",
                                 "authPriv", "-a", "SHA", "-A", "authpass1", "-x", "AES", "-X",
                                 "privpass1", f"udp:127.0.0.1:{mgr.local_port}", "", TRAP_OID],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        end = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < end:
            mgr.do_events()
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=5)
        assert proc.returncode == 0, err
        assert len(informs) == 1
        assert mgr.endpoint.counters().reports_suppressed == 0
    finally:
        mgr.deactivate()
