"""The ``forward`` output: the origin travels with the notification, and inform mode loses nothing.

Trap mode: a real ``listen`` forwards to a real snmptrapd on a loopback port;
snmptrapd's log (numeric OIDs) must show snmpTrapAddress.0 = the original
sender and snmpTrapCommunity.0 = its community, for a v2c trap and for a v1
trap in its RFC 3584 v2 form.

Inform mode (``mode = "inform"``): ``listen`` A forwards to ``listen`` B (two
subprocesses); net-snmp's v1, v2c and v3 traps into A reach B's file with
their trap OID, varbinds and origin; B stopped (SIGSTOP, or killed and
restarted on its port) for 5 s while 200 traps reach A loses none of them.
In-process tests drive the output against a plain UDP socket as the next
manager: retransmission, retries spent, the window and the bounded queue.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from snmptrapmgr.codec.ber import decode_message
from snmptrapmgr.codec.community import CommunityDecoder
from snmptrapmgr.codec.encode import PDU_INFORM, PDU_RESPONSE, PDU_TRAP, encode_community_message, encode_pdu
from snmptrapmgr.collector.config import ConfigError, parse_output_url
from snmptrapmgr.collector.outputs import create
from snmptrapmgr.collector.outputs.base import Batch
from snmptrapmgr.collector.outputs.forward_inform import InformForwardOutput
from test_collector_cli import DEADLINE, PORT_LINE, Listener, _env, _net_snmp, listener  # noqa: F401

assert shutil.which("snmptrapd"), "net-snmp's snmptrapd is required (scripts/test.sh installs it)"


def _free_udp_port() -> int:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def snmptrapd(tmp_path):
    port = _free_udp_port()
    conf = tmp_path / "snmptrapd.conf"
    conf.write_text("disableAuthorization yes\n")
    log = tmp_path / "snmptrapd.log"
    env = dict(os.environ, SNMPCONFPATH=str(tmp_path), SNMP_PERSISTENT_DIR=str(tmp_path), MIBS="")
    proc = subprocess.Popen(["snmptrapd", "-f", "-C", "-c", str(conf), "-On", "-Lf", str(log),
                             f"udp:127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield port, log
    proc.terminate()
    proc.wait(DEADLINE)


def _wait_for(path, words, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        text = path.read_text() if path.exists() else ""
        if all(w in text for w in words):
            return text
        time.sleep(0.1)
    return path.read_text() if path.exists() else ""


def test_forwarded_traps_keep_their_origin(listener, snmptrapd, tmp_path):
    port, log = snmptrapd
    proc = listener("--host", "127.0.0.1", "--port", "0", "--output", f"forward://127.0.0.1:{port}",
                    "--output", str(tmp_path / "copy.jsonl"))
    _net_snmp(["snmptrap", "-v", "2c", "-c", "site-a", f"127.0.0.1:{proc.port}", "", ".1.3.6.1.4.1.99999.0.7",
               ".1.3.6.1.4.1.99999.1.1", "s", "forwarded-v2c"])
    _net_snmp(["snmptrap", "-v", "1", "-c", "site-b", f"127.0.0.1:{proc.port}", ".1.3.6.1.4.1.8072.3.2.10",
               "192.0.2.44", "6", "17", "", ".1.3.6.1.4.1.99999.1.2", "i", "5"])
    text = _wait_for(log, ["forwarded-v2c", "192.0.2.44"])
    assert proc.terminate() == 0
    assert ".1.3.6.1.6.3.18.1.3.0 = IpAddress: 127.0.0.1" in text, text
    assert '.1.3.6.1.6.3.18.1.4.0 = STRING: "site-a"' in text, text
    # the v1 trap in its RFC 3584 form: snmpTrapOID = enterprise.0.specific, the agent-addr as origin
    assert ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.8072.3.2.10.0.17" in text, text
    assert ".1.3.6.1.6.3.18.1.3.0 = IpAddress: 192.0.2.44" in text, text
    assert '.1.3.6.1.6.3.18.1.4.0 = STRING: "site-b"' in text, text
    assert ".1.3.6.1.6.3.1.1.4.3.0 = OID: .1.3.6.1.4.1.8072.3.2.10" in text, text


@pytest.mark.parametrize("spec, words", [
    ({"type": "forward"}, "target = \"HOST:PORT\" is missing"),
    ({"type": "forward", "target": "nohost"}, "is not HOST:PORT"),
    ({"type": "forward", "target": "127.0.0.1:162", "timeout": 1.0}, 'only with mode = "inform"'),
    ({"type": "forward", "target": "127.0.0.1:162", "mode": "inform", "window": 0}, "below the least"),
    ({"type": "forward", "target": "127.0.0.1:162", "mode": "inform", "retries": 1.5}, "expected an integer"),
    ({"type": "forward", "target": "127.0.0.1:162", "comunity": "x"}, "did you mean 'community'"),
])
def test_bad_forward_settings_are_one_clear_error(spec, words):
    with pytest.raises(ConfigError, match=words):
        create(spec)


def test_forward_url():
    assert parse_output_url("forward://127.0.0.1:10162") == {"type": "forward", "target": "127.0.0.1:10162"}
    assert parse_output_url("forward://127.0.0.1:10162?mode=inform") == {
        "type": "forward", "target": "127.0.0.1:10162", "mode": "inform"}
    for bad in ("forward://127.0.0.1:10162?mode=informs", "forward://127.0.0.1:10162?retries=3"):
        with pytest.raises(ConfigError, match=r"\?mode=inform"):
            parse_output_url(bad)
    with pytest.raises(ConfigError, match="forward://HOST:PORT"):
        parse_output_url("forward://127.0.0.1:10162/x")


# ----------------------------------------------------------------------------- inform mode, in process

TRAP_OID = "1.3.6.1.4.1.99999.0.7"
SEQ_OID = "1.3.6.1.4.1.99999.1.1"
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"


def _trap(seq: int) -> bytes:
    """A v2c trap whose SEQ_OID varbind carries ``seq`` (how the tests find each one again)."""
    return encode_community_message(1, b"public", encode_pdu(PDU_TRAP, 1000 + seq, 0, 0, [
        ("1.3.6.1.2.1.1.3.0", 0x43, 4242), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, TRAP_OID), (SEQ_OID, 0x02, seq)]))


def _batch(first: int, count: int) -> Batch:
    """Real trap events (decoded by the receiver's decoder), numbered ``first`` onwards."""
    decoder = CommunityDecoder()
    events = [decoder.decode(_trap(seq), ("192.0.2.7", 40000)) for seq in range(first, first + count)]
    return Batch(first, ["{}\n"] * count, events)


class Peer:
    """The next manager, by hand: a UDP socket that reads informs and answers the ones it is told to."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.target = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.copies: dict = {}  # request-id -> [datagram, ...]
        self.source = None

    def read(self) -> list:
        """The informs waiting now: [(request_id, message)]."""
        got = []
        for _ in range(10_000):
            try:
                data, self.source = self.sock.recvfrom(65536)
            except BlockingIOError:
                break
            message = decode_message(data)
            assert message.version == 1 and message.pdu.tag == PDU_INFORM
            self.copies.setdefault(message.pdu.request_id, []).append(data)
            got.append((message.pdu.request_id, message))
        return got

    def answer(self, request_id: int, error_status: int = 0, sock=None) -> None:
        response = encode_community_message(1, b"public", encode_pdu(PDU_RESPONSE, request_id, error_status, 0, []))
        (sock or self.sock).sendto(response, self.source)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()


def _run(output, until, seconds=5.0, peer=None, on_inform=None):
    """Poll ``output`` (and let ``peer`` read) until ``until()`` or ``seconds`` pass; return until()."""
    end = time.monotonic() + seconds
    while not until() and time.monotonic() < end:
        output.poll()
        if peer is not None:
            for request_id, message in peer.read():
                if on_inform is not None:
                    on_inform(request_id, message)
        time.sleep(0.005)
    output.poll()
    return until()


def test_an_inform_is_taken_only_after_its_response_and_resent_on_timeout(peer, capsys):
    output = create({"type": "forward", "target": peer.target, "mode": "inform", "timeout": 0.1})
    assert isinstance(output, InformForwardOutput)
    try:
        output.submit(_batch(0, 1))
        assert _run(output, lambda: len(peer.copies) == 1, peer=peer)
        (request_id, copies), = peer.copies.items()
        message = decode_message(copies[0])
        varbinds = {oid: value for oid, _, value in message.pdu.varbinds}
        assert varbinds[SEQ_OID] == 0 and varbinds["1.3.6.1.6.3.1.1.4.1.0"] == TRAP_OID
        assert varbinds[SNMP_TRAP_ADDRESS] == "192.0.2.7" and varbinds[SNMP_TRAP_COMMUNITY] == b"public"
        assert output.acked() == 0  # sent is not taken
        # a Response from another address, and one with another request-id: still not taken
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            stranger.bind(("127.0.0.1", 0))
            peer.answer(request_id, sock=stranger)
        peer.answer(request_id ^ 1)
        assert _run(output, lambda: output.counters().get("bad_responses"), seconds=2)
        assert output.acked() == 0
        # no Response: the same datagram (same request-id) again after the timeout, then answered
        assert _run(output, lambda: len(peer.copies[request_id]) >= 2, peer=peer)
        assert len(set(peer.copies[request_id])) == 1
        assert output.acked() == 0
        peer.answer(request_id)
        assert _run(output, lambda: output.acked() == 1, seconds=2)
        counters = output.counters()
        assert counters["sent"] == 1 and counters["acknowledged"] == 1 and counters["retransmitted"] >= 1
        assert "dropped" not in counters and "waiting" not in counters
        err = capsys.readouterr().err
        assert err.count("no Response within 0.1 s; retransmitting") == 1, err
        assert err.count("answering again") == 1, err
    finally:
        output.close()


def test_retries_spent_drop_counted_and_said_once(peer, capsys):
    output = create({"type": "forward", "target": peer.target, "mode": "inform", "timeout": 0.05,
                     "retries": 2})
    try:
        output.submit(_batch(0, 3))
        assert _run(output, lambda: output.acked() == 3, peer=peer)  # the watermark passes a drop
        assert sorted(len(copies) for copies in peer.copies.values()) == [3, 3, 3]  # 1 send + 2 retries
        assert output.counters()["dropped"] == 3
        err = capsys.readouterr().err
        assert err.count("dropping notifications: no Response after 3 sends (retries = 2)") == 1, err
        # an error-status Response also ends an inform: counted as rejected and dropped
        output.submit(_batch(3, 1))
        assert _run(output, lambda: len(peer.copies) == 4, peer=peer)
        last, = [rid for rid, copies in peer.copies.items() if decode_message(copies[0]).pdu.varbinds[2][2] == 3]
        peer.answer(last, error_status=18)
        assert _run(output, lambda: output.acked() == 4, peer=peer)
        assert output.counters()["rejected"] == 1 and output.counters()["dropped"] == 4
    finally:
        output.close()


def test_window_and_bounded_queue_hold_back_then_drop_counted(peer, capsys):
    output = create({"type": "forward", "target": peer.target, "mode": "inform", "timeout": 5.0,
                     "window": 4, "max_pending": 10})
    try:
        output.submit(_batch(0, 6))
        output.submit(_batch(6, 10))   # 10 fit: 10..15 are dropped
        output.submit(_batch(16, 5))   # still full: dropped, no second line
        assert _run(output, lambda: len(peer.copies) >= 4, peer=peer)
        time.sleep(0.1)
        output.poll()
        peer.read()
        assert len(peer.copies) == 4                       # at most `window` in flight
        assert output.acked() == 0                         # nothing answered: nothing taken
        assert output.counters()["dropped"] == 11 and output.counters()["waiting"] == 10
        err = capsys.readouterr().err
        assert err.count("dropping notifications: queue full") == 1, err
        answered = set()
        outstanding = []

        def on_inform(request_id, message):
            outstanding.append(request_id)

        def answer_all():
            assert len(set(outstanding) - answered) <= 4  # the window holds while it drains
            for request_id in outstanding:
                if request_id not in answered:
                    answered.add(request_id)
                    peer.answer(request_id)
            return output.acked() == 21

        outstanding.extend(peer.copies)
        assert _run(output, answer_all, peer=peer, on_inform=on_inform)
        seqs = sorted(decode_message(copies[0]).pdu.varbinds[2][2] for copies in peer.copies.values())
        assert seqs == list(range(10))  # the queued ones, in full; the dropped ones never sent
        counters = output.counters()
        assert counters["acknowledged"] == 10 and counters["dropped"] == 11 and "waiting" not in counters
        assert "queue has room again (11 dropped so far)" in capsys.readouterr().err
    finally:
        output.close()


# ----------------------------------------------------------------------------- inform mode, listen to listen

class ConfiguredListener(Listener):
    """``listen --config FILE`` whose outputs come from the file only (Listener adds --output)."""

    def __init__(self, tmp, config):  # noqa: super().__init__ would add --output
        self.tmp = str(tmp)
        self.output = None
        self.errpath = os.path.join(self.tmp, "err-a-%d.txt" % time.monotonic_ns())
        self.err = open(self.errpath, "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "snmptrapmgr", "listen", "--config", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=self.err, env=_env(), cwd=self.tmp)
        self.ports = self._ports()


@pytest.fixture
def forwarder(tmp_path):
    """Start listen A with a TOML forwarding as informs to ``target`` (plus ``extra`` TOML)."""
    started = []

    def start(target, extra="", options='timeout = 0.5\n'):
        config = tmp_path / "a.toml"
        config.write_text('listen = ["127.0.0.1:0"]\nnumeric = true\n' + extra
                          + f'[[output]]\ntype = "forward"\ntarget = "{target}"\nmode = "inform"\n' + options)
        proc = ConfiguredListener(tmp_path, config)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.err.close()


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lines(path) -> list:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return [json.loads(line) for line in text[:text.rfind("\n") + 1].splitlines()]


def _seqs(path) -> list:
    return [vb["value"] for line in _lines(path) for vb in line["varbinds"] if vb["oid"] == SEQ_OID]


V3_USER = ('[[user]]\nname = "fwduser"\nauth = "SHA"\nauth_password = "fwd-auth-pass"\n'
           'priv = "AES"\npriv_password = "fwd-priv-pass"\n')


def test_inform_forwarding_listen_to_listen_v1_v2c_v3(listener, forwarder):
    b = listener("--host", "127.0.0.1", "--port", "0", "--numeric")
    a = forwarder(f"127.0.0.1:{b.port}", extra='communities = ["site-a"]\n' + V3_USER)
    target = f"127.0.0.1:{a.port}"
    _net_snmp(["snmptrap", "-v", "2c", "-c", "site-a", target, "77", ".1.3.6.1.4.1.99999.0.7",
               SEQ_OID, "s", "forwarded-v2c"])
    _net_snmp(["snmptrap", "-v", "1", "-c", "site-a", target, ".1.3.6.1.4.1.8072.3.2.10",
               "192.0.2.44", "6", "17", "88", SEQ_OID, "s", "forwarded-v1"])
    _net_snmp(["snmptrap", "-v", "3", "-u", "fwduser", "-l", "authPriv", "-a", "SHA", "-A", "fwd-auth-pass",
               "-x", "AES", "-X", "fwd-priv-pass", "-e", "0x80001f8880aabbccdd", target, "99",
               ".1.3.6.1.4.1.99999.0.9", SEQ_OID, "s", "forwarded-v3"])
    lines = b.wait_lines(3)
    assert a.terminate() == 0
    assert b.terminate() == 0
    lines = b.lines()
    assert len(lines) == 3, (lines, a.stderr(), b.stderr())
    by_text = {}
    for line in lines:
        assert line["version"] == "v2c" and line["pdu"] == "inform" and line["community"] == "public", line
        values = {vb["oid"]: vb for vb in line["varbinds"]}
        by_text[values[SEQ_OID]["value"]] = (line, values)
    line, values = by_text["forwarded-v2c"]
    assert line["trap_oid"] == "1.3.6.1.4.1.99999.0.7" and line["uptime"] == 77
    assert values[SNMP_TRAP_ADDRESS] == {"oid": SNMP_TRAP_ADDRESS, "type": "IPAddress", "value": "127.0.0.1"}
    assert values[SNMP_TRAP_COMMUNITY]["value"] == "site-a"
    line, values = by_text["forwarded-v1"]  # its RFC 3584 v2 form; the origin is its agent-addr
    assert line["trap_oid"] == "1.3.6.1.4.1.8072.3.2.10.0.17" and line["uptime"] == 88
    assert values[SNMP_TRAP_ADDRESS]["value"] == "192.0.2.44"
    assert values["1.3.6.1.6.3.1.1.4.3.0"]["value"] == "1.3.6.1.4.1.8072.3.2.10"
    assert values[SNMP_TRAP_COMMUNITY]["value"] == "site-a"
    line, values = by_text["forwarded-v3"]
    assert line["trap_oid"] == "1.3.6.1.4.1.99999.0.9" and line["uptime"] == 99
    assert values[SNMP_TRAP_ADDRESS]["value"] == "127.0.0.1" and SNMP_TRAP_COMMUNITY not in values
    stats = a.final_stats()
    assert stats["received"] == 3 and stats["delivered"] == 3, a.stderr()
    assert "sent=3 acknowledged=3" in a.stderr(), a.stderr()


@pytest.mark.parametrize("outage", ["sigstop", "restart"])
def test_inform_forwarding_next_manager_away_5s_loses_nothing(listener, forwarder, tmp_path, outage):
    port = _free_udp_port()
    out = str(tmp_path / "b.jsonl")
    b = listener("--host", "127.0.0.1", "--port", str(port), "--numeric", output=out)
    a = forwarder(f"127.0.0.1:{port}")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(_trap(0), ("127.0.0.1", a.port))
        b.wait_lines(1)
        assert _seqs(out) == [0], (a.stderr(), b.stderr())
        away = time.monotonic()
        if outage == "sigstop":
            b.proc.send_signal(signal.SIGSTOP)
        else:
            b.proc.kill()
            b.proc.wait(DEADLINE)
        try:
            for seq in range(1, 201):
                sender.sendto(_trap(seq), ("127.0.0.1", a.port))
                time.sleep(0.005)
            time.sleep(max(0.0, away + 5.0 - time.monotonic()))
            assert _seqs(out) == [0]  # nothing got through while it was away
        finally:
            if outage == "sigstop":
                b.proc.send_signal(signal.SIGCONT)
        if outage == "restart":
            b = listener("--host", "127.0.0.1", "--port", str(port), "--numeric", output=out)
        end = time.monotonic() + 40
        while set(_seqs(out)) != set(range(201)) and time.monotonic() < end:
            time.sleep(0.1)
        seqs = _seqs(out)
        assert set(seqs) == set(range(201)), (sorted(set(range(201)) - set(seqs)), a.stderr(), b.stderr())
        if outage == "sigstop":  # every copy was in its socket: its dedup stores each once
            assert len(seqs) == 201, len(seqs)
    finally:
        sender.close()
    assert a.terminate() == 0
    err = a.stderr()
    assert a.final_stats()["delivered"] == 201, err
    assert "no Response within 0.5 s; retransmitting" in err and "answering again after" in err, err
    assert "dropped" not in err and "acknowledged=201" in err, err
    assert b.terminate() == 0


def test_the_final_stats_line_counts_what_the_stops_wait_delivered(forwarder, peer):
    """SIGTERM while an inform awaits its Response; the next manager answers 1 s later, within
    the stop's bounded wait: the final line says delivered=1 acknowledged=1, not waiting=1."""
    a = forwarder(peer.target, options="timeout = 5.0\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(_trap(7), ("127.0.0.1", a.port))
    end = time.monotonic() + DEADLINE
    while not peer.copies and time.monotonic() < end:
        peer.read()
        time.sleep(0.01)
    (request_id, _), = peer.copies.items()
    a.proc.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert a.proc.poll() is None  # still waiting for the Response
    peer.answer(request_id)
    assert a.proc.wait(DEADLINE) == 0
    err = a.stderr()
    assert a.final_stats()["delivered"] == 1, err
    assert "acknowledged=1" in err and "waiting" not in err and "dropped" not in err, err
