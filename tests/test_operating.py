"""Operating ``snmptrapmgr listen`` for a year: rotation, reload, a full disk, crashes, workers.

Real processes only: ``listen`` as a subprocess, logrotate, net-snmp's snmpinform /
snmptrap, a tmpfs mounted by the test (CI runs as root), SIGKILL.  Every wait is
bounded; every sender is on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest

from snmptrapmgr.codec.encode import encode_community_message, encode_pdu
from test_collector_cli import DEADLINE, ROOT, Listener, _env, _loadgen, _net_snmp, listener  # noqa: F401

assert shutil.which("snmpinform") and shutil.which("logrotate"), \
    "net-snmp's snmpinform and logrotate are required (scripts/test.sh installs them)"

INFORM_OID = "1.3.6.1.4.1.99999.0.1"


def _wait(check, deadline: float = DEADLINE) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False


def _ids(path: str, torn: str = "") -> list:
    """request_id of every whole JSON line of ``path``: a torn last line is left out, and so is
    ``torn``, the line a SIGKILL cut short, which a restarted collector ends with a newline."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return [json.loads(line)["request_id"] for line in text[:text.rfind("\n") + 1].splitlines()
            if not torn or line != torn]


def _logrotate(tmp_path, path: str, body: str) -> None:
    conf = tmp_path / "logrotate.conf"
    conf.write_text(f"{path} {{\n{body}\n}}\n")
    res = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "logrotate.state"), str(conf)],
                         capture_output=True, text=True, timeout=DEADLINE)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("style", ["create", "copytruncate"])
def test_logrotate_loses_no_line_and_the_collector_survives(listener, tmp_path, style):
    proc = listener("--host", "127.0.0.1", "--port", "0")
    out = proc.output
    _loadgen(proc.port, 300, "--sequence")
    assert len(proc.wait_lines(300)) == 300
    if style == "create":
        _logrotate(tmp_path, out, f"  rotate 1\n  create 0640\n  postrotate\n    kill -HUP {proc.proc.pid}\n  endscript")
        assert _wait(lambda: "reload: configuration reloaded" in proc.stderr()), proc.stderr()  # reopened first
    else:
        _logrotate(tmp_path, out, "  rotate 1\n  copytruncate")
    _loadgen(proc.port, 300, "--sequence", "--first", "300")
    assert _wait(lambda: len(_ids(out)) + len(_ids(out + ".1")) >= 600)
    assert proc.terminate() == 0
    rotated, current = _ids(out + ".1"), _ids(out)
    assert sorted(rotated + current) == sorted(set(rotated + current)) and len(rotated + current) == 600
    if style == "create":
        assert len(current) == 300  # after the SIGHUP every line went to the new file
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o640


def _config(path, users: str) -> None:
    path.write_text('listen = ["127.0.0.1:0"]\n' + users)


CAROL = ('[[user]]\nname = "carol"\nauth = "SHA"\nauth_password = "carol-auth-pass"\n'
         'priv = "AES"\npriv_password = "carol-priv-pass"\n')


def _v3_trap(port: int, marker: str) -> None:
    _net_snmp(["snmptrap", "-v", "3", "-u", "carol", "-l", "authPriv", "-a", "SHA", "-A", "carol-auth-pass",
               "-x", "AES", "-X", "carol-priv-pass", "-e", "0x8000000001020399", f"127.0.0.1:{port}", "",
               INFORM_OID, "1.3.6.1.4.1.99999.1.1", "s", marker])


def test_sighup_reloads_a_new_v3_user_and_a_broken_config_keeps_the_old(listener, tmp_path):
    conf = tmp_path / "collector.toml"
    _config(conf, "")
    proc = listener("--config", str(conf))
    _v3_trap(proc.port, "before")
    _config(conf, CAROL)
    proc.proc.send_signal(signal.SIGHUP)
    assert _wait(lambda: "reload: configuration reloaded" in proc.stderr()), proc.stderr()
    _v3_trap(proc.port, "after")
    assert _wait(lambda: len(proc.lines(complete=False)) >= 1)
    conf.write_text("listen = [\n")  # not TOML
    proc.proc.send_signal(signal.SIGHUP)
    assert _wait(lambda: "does not load, the running one stays" in proc.stderr()), proc.stderr()
    _v3_trap(proc.port, "still")
    assert _wait(lambda: len(proc.lines(complete=False)) >= 2)
    assert proc.terminate() == 0
    values = [line["varbinds"][-1]["value"] for line in proc.lines()]
    assert values == ["after", "still"]  # "before": carol was unknown, so it was refused
    assert proc.proc.returncode == 0


def _mount_tmpfs(path: str, size: str) -> None:
    os.makedirs(path, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                         capture_output=True, text=True, timeout=DEADLINE)
    if res.returncode != 0:
        pytest.fail(f"this test mounts a small tmpfs and needs root (CI runs as root): {res.stderr.strip()}")


def _fill(directory: str) -> str:
    filler = os.path.join(directory, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def _snmpinform(port: int, marker: str, retries: int, timeout: int = 1) -> subprocess.Popen:
    import tempfile
    tmp = tempfile.mkdtemp(prefix="netsnmp-")  # net-snmp's config and persistent dir, not the user's
    with open(os.path.join(tmp, "snmp.conf"), "w") as conf:
        conf.write("mibs :\n")
    env = dict(os.environ, SNMPCONFPATH=tmp, SNMP_PERSISTENT_DIR=tmp)
    return subprocess.Popen(["snmpinform", "-v", "2c", "-c", "public", "-r", str(retries), "-t", str(timeout),
                             f"127.0.0.1:{port}", "", INFORM_OID, "1.3.6.1.4.1.99999.1.1", "s", marker],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_full_disk_holds_the_inform_until_space_returns(listener, tmp_path):
    disk = str(tmp_path / "disk")
    _mount_tmpfs(disk, "256k")
    try:
        out = os.path.join(disk, "traps.jsonl")
        proc = listener("--host", "127.0.0.1", "--port", "0", output=out)
        filler = _fill(disk)
        first = _snmpinform(proc.port, "while-full", retries=1)
        assert first.wait(DEADLINE) != 0  # no acknowledgement: nothing could be stored
        assert proc.proc.poll() is None
        said = [x for x in proc.stderr().splitlines() if "cannot write" in x]
        assert len(said) == 1 and "No space left on device (ENOSPC)" in said[0], proc.stderr()
        retried = _snmpinform(proc.port, "after-free", retries=8)
        time.sleep(1.5)
        os.unlink(filler)  # space returns; the collector resumes by itself
        assert retried.wait(DEADLINE) == 0, retried.stderr
        assert _wait(lambda: "after-free" in open(out).read())
        assert "writing" in proc.stderr() and "again after" in proc.stderr()
        assert proc.terminate() == 0
        values = [line["varbinds"][-1]["value"] for line in proc.lines()]
        assert "after-free" in values  # stored (retransmissions may add copies: at least once)
    finally:
        subprocess.run(["umount", "-l", disk], timeout=DEADLINE)


def test_stats_lines_come_on_time_during_a_flood(listener):
    proc = listener("--host", "127.0.0.1", "--port", "0", "--stats-interval", "1")
    start = time.monotonic()
    flood = subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--port", str(proc.port), "--count",
                              "3000000", "--seconds", "3.5"], env=_env(), cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flood.wait(60)
    flooded = time.monotonic() - start
    lines = [x for x in proc.stderr().splitlines() if x.startswith("snmptrapmgr stats:")]
    assert proc.terminate() == 0
    assert len(lines) >= int(flooded) - 1, (flooded, lines)


def test_a_torn_last_line_is_never_glued_to_the_next_record(listener, tmp_path):
    out = tmp_path / "torn.jsonl"
    out.write_text('{"request_id": 1}\n{"request_id": 2, "tor')
    proc = listener("--host", "127.0.0.1", "--port", "0", output=str(out))
    _loadgen(proc.port, 5, "--sequence")
    assert _wait(lambda: out.read_text().count("\n") >= 7)
    assert proc.terminate() == 0
    lines = out.read_text().splitlines()
    assert lines[1] == '{"request_id": 2, "tor'  # the torn line stays torn, alone on its line
    assert [json.loads(x)["request_id"] for x in [lines[0]] + lines[2:]][0] == 1
    assert len(lines) == 7 and all(json.loads(x) for x in lines[2:])


def _inform(request_id: int) -> bytes:
    varbinds = [("1.3.6.1.2.1.1.3.0", 0x43, 1), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, INFORM_OID)]
    return encode_community_message(1, b"public", encode_pdu(0xA6, request_id, 0, 0, varbinds))


def _inform_flood(port: int, count: int, acknowledged: set, stop: threading.Event) -> None:
    """Send ``count`` informs (request-ids 1..count); note every request-id a Response came back for."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        for request_id in range(1, count + 1):
            if stop.is_set():
                break
            try:
                sock.sendto(_inform(request_id), ("127.0.0.1", port))
            except OSError:
                pass
            while True:
                try:
                    reply = sock.recv(2048)
                except OSError:
                    break
                acknowledged.add(_response_id(reply))
            if request_id % 50 == 0:
                time.sleep(0.002)
    finally:
        sock.close()


def _tlv(data: bytes, at: int) -> tuple:
    """(tag, start of the value, end of the value) of the BER TLV at ``at``."""
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        size = length & 0x7F
        length, at = int.from_bytes(data[at:at + size], "big"), at + size
    return tag, at, at + length


def _response_id(reply: bytes) -> int:
    """The request-id of a v2c Response: SEQUENCE { version, community, PDU { request-id, ... } }."""
    _, at, _ = _tlv(reply, 0)
    for _ in range(2):
        _, _, at = _tlv(reply, at)
    tag, at, _ = _tlv(reply, at)
    assert tag == 0xA2, hex(tag)
    _, start, end = _tlv(reply, at)
    return int.from_bytes(reply[start:end], "big", signed=True)


@pytest.mark.parametrize("run", range(50))
def test_sigkill_during_an_inform_flood_loses_no_acknowledged_inform(listener, tmp_path, run):
    out = str(tmp_path / "informs.jsonl")
    proc = listener("--host", "127.0.0.1", "--port", "0", output=out)
    acknowledged: set = set()
    stop = threading.Event()
    sender = threading.Thread(target=_inform_flood, args=(proc.port, 20000, acknowledged, stop))
    sender.start()
    assert _wait(lambda: len(acknowledged) >= 200 + 10 * run, 30)
    proc.proc.kill()
    proc.proc.wait(DEADLINE)
    stop.set()
    sender.join(DEADLINE)
    stored = set(_ids(out))
    assert acknowledged and acknowledged <= stored, sorted(acknowledged - stored)[:10]
    with open(out, encoding="utf-8") as handle:
        text = handle.read()
    whole, _, torn = text.rpartition("\n")
    assert all(json.loads(line) for line in whole.splitlines())
    again = listener("--host", "127.0.0.1", "--port", "0", output=out)
    _loadgen(again.port, 3, "--sequence")
    assert _wait(lambda: len(_ids(out, torn)) >= len(stored) + 3)
    assert again.terminate() == 0
    lines = open(out, encoding="utf-8").read().splitlines()
    parsed = [line for line in lines if line != torn]
    assert all(json.loads(line) for line in parsed)  # a torn line stands alone, never glued


def _children(pid: int) -> list:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(x) for x in handle.read().split()]


def test_workers_are_supervised_and_end_with_the_parent(listener):
    proc = listener("--host", "127.0.0.1", "--port", "0", "--workers", "2")
    assert _wait(lambda: len(_children(proc.proc.pid)) == 2)
    victim = _children(proc.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    assert _wait(lambda: "ended (signal 9); starting it again" in proc.stderr(), 5), proc.stderr()
    assert _wait(lambda: len(_children(proc.proc.pid)) == 2 and victim not in _children(proc.proc.pid), 5)
    senders = [subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--port", str(proc.port), "--count",
                                 "500", "--sequence", "--seconds", "20"], env=_env(), cwd=ROOT,
                                stderr=subprocess.DEVNULL) for _ in range(4)]
    for sender in senders:
        assert sender.wait(60) == 0
    assert len(proc.wait_lines(2000)) == 2000
    workers = _children(proc.proc.pid)
    proc.proc.kill()  # the parent dies: its workers follow (PR_SET_PDEATHSIG)
    proc.proc.wait(DEADLINE)
    assert _wait(lambda: not any(os.path.exists(f"/proc/{pid}/stat") and
                                 open(f"/proc/{pid}/stat").read().split()[2] != "Z" for pid in workers), 5)


def test_a_configured_local_engine_id_is_the_one_v3_informs_reach(listener, tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text('local_engine_id = "0x80001f8880c0ffee0001"\nlisten = ["127.0.0.1:0"]\n' + CAROL)
    proc = listener("--config", str(conf))
    assert "local engine ID 80001f8880c0ffee0001 " in proc.stderr()
    _net_snmp(["snmpinform", "-v", "3", "-u", "carol", "-l", "authPriv", "-a", "SHA", "-A", "carol-auth-pass",
               "-x", "AES", "-X", "carol-priv-pass", "-e", "0x80001f8880c0ffee0001", f"127.0.0.1:{proc.port}",
               "", INFORM_OID, "1.3.6.1.4.1.99999.1.1", "s", "v3-inform"])
    assert proc.terminate() == 0
    assert [line["varbinds"][-1]["value"] for line in proc.lines()] == ["v3-inform"]


def _lock_holder(pids: list) -> int:
    """The worker holding the output's flock (from /proc/locks), or 0."""
    with open("/proc/locks") as locks:
        for line in locks:
            fields = line.split()
            if len(fields) > 4 and fields[1] == "FLOCK" and int(fields[4]) in pids:
                return int(fields[4])
    return 0


def test_killing_a_worker_stuck_writing_to_a_stalled_pipe_never_stops_the_others(tmp_path):
    err = open(tmp_path / "err.txt", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                             "--workers", "2", "--output", "-"], stdout=subprocess.PIPE, stderr=err, env=_env(),
                            cwd=str(tmp_path))
    try:
        assert _wait(lambda: "listening on" in (tmp_path / "err.txt").read_text())
        port = int(re.search(r"127\.0\.0\.1:(\d+)", (tmp_path / "err.txt").read_text()).group(1))
        assert _wait(lambda: len(_children(proc.pid)) == 2)
        workers = _children(proc.pid)
        # nobody reads stdout: the pipe fills, one worker blocks in write(2) holding the lock
        senders = [subprocess.Popen([sys.executable, "-m", "bench.loadgen", "--port", str(port), "--count", "3000",
                                     "--sequence", "--seconds", "20"], env=_env(), cwd=ROOT,
                                    stderr=subprocess.DEVNULL) for _ in range(4)]
        for sender in senders:
            sender.wait(60)
        assert _wait(lambda: _lock_holder(workers) != 0), open("/proc/locks").read()
        stuck = _lock_holder(workers)
        os.kill(stuck, signal.SIGKILL)
        assert _wait(lambda: "ended (signal 9); starting it again" in (tmp_path / "err.txt").read_text(), 5)
        got = bytearray()

        def read_all() -> None:
            while True:
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    return
                got.extend(chunk)

        reader = threading.Thread(target=read_all, daemon=True)
        reader.start()  # the pipe drains: the other worker (and the new one) write again
        after = subprocess.run([sys.executable, "-m", "bench.loadgen", "--port", str(port), "--count", "200",
                                "--sequence", "--first", "500000", "--seconds", "20"], env=_env(), cwd=ROOT,
                               stderr=subprocess.DEVNULL, timeout=60)
        assert after.returncode == 0
        from bench.loadgen import FIRST_REQUEST_ID
        last = FIRST_REQUEST_ID + 500000 + 199

        def whole_lines() -> list:
            text = bytes(got).decode("utf-8", "replace")
            return [json.loads(x) for x in text[:text.rfind("\n") + 1].splitlines()]  # every one parses

        assert _wait(lambda: any(line["request_id"] == last for line in whole_lines()), 20), \
            (tmp_path / "err.txt").read_text()[-1500:]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
        err.close()


def _udp_from_port_zero(dst_port: int, payload: bytes) -> bytes:
    """An IPv4 + UDP packet from 127.0.0.1 port 0 (no UDP checksum), for a raw socket."""
    import struct

    udp = struct.pack("!HHHH", 0, dst_port, 8 + len(payload), 0) + payload
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                       socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1")) + udp


def test_a_response_the_socket_refuses_is_stored_logged_and_counted_not_answered(listener, tmp_path):
    """An inform from UDP port 0 (crafted on a raw socket: the tests run as root) cannot be
    answered (sendto(2) refuses port 0 with EINVAL): its line is stored, the refusal is said
    on stderr, and the counters say reply_send_errors=1 and responses_sent=0, not an answer."""
    from snmptrapmgr.codec.encode import PDU_INFORM, encode_community_message, encode_pdu

    out = str(tmp_path / "informs.jsonl")
    proc = listener("--host", "127.0.0.1", "--port", "0", output=out)
    inform = encode_community_message(1, b"public", encode_pdu(PDU_INFORM, 4242, 0, 0, [
        ("1.3.6.1.2.1.1.3.0", 0x43, 5), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, INFORM_OID)]))
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        raw.sendto(_udp_from_port_zero(proc.port, inform), ("127.0.0.1", 0))
    finally:
        raw.close()
    assert _wait(lambda: _ids(out) == [4242])
    assert _wait(lambda: "reply not sent: cannot send to 127.0.0.1:0" in proc.stderr(), 5), proc.stderr()
    assert proc.terminate() == 0
    final = [line for line in proc.stderr().splitlines() if "snmptrapmgr final:" in line][-1]
    fields = dict(part.split("=") for part in final.split(": ", 1)[1].split())
    assert (fields["informs_v2c"], fields["responses_sent"], fields["reply_send_errors"]) == ("1", "0", "1"), final


def test_a_report_counts_as_sent_only_once_the_socket_took_it(listener):
    """Two SNMPv3 discovery probes: one from UDP port 0 (its Report refused by sendto(2)),
    one from a real socket (answered): reports_sent=1, reply_send_errors=1."""
    from snmptrapmgr.codec.encode import PDU_GET, encode_pdu, encode_scoped_pdu, encode_v3_message

    proc = listener("--host", "127.0.0.1", "--port", "0")
    probe = encode_v3_message(7, 65507, 4, b"", 0, 0, b"", b"", b"",
                              encode_scoped_pdu(b"", b"", encode_pdu(PDU_GET, 7, 0, 0, [])))[0]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        raw.sendto(_udp_from_port_zero(proc.port, probe), ("127.0.0.1", 0))
    finally:
        raw.close()
    assert _wait(lambda: "reply not sent: cannot send to 127.0.0.1:0" in proc.stderr(), 5), proc.stderr()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(probe, ("127.0.0.1", proc.port))
        assert sock.recv(2048)  # the Report
    assert proc.terminate() == 0
    final = [line for line in proc.stderr().splitlines() if "snmptrapmgr final:" in line][-1]
    fields = dict(part.split("=") for part in final.split(": ", 1)[1].split())
    assert (fields["reports_sent"], fields["reply_send_errors"]) == ("1", "1"), final
