"""Live: net-snmp's snmptrap sends the same traps to ``snmptrapmgr listen`` and to snmptrapd; both name them alike.

The traps: linkDown (v2c, with ifIndex, ifAdminStatus and ifOperStatus), coldStart (v1), the
vendor NET-SNMP-EXAMPLES-MIB netSnmpExampleHeartbeatNotification as a v1 trap with
netSnmpExampleHeartbeatRate.0 (Debian's /usr/share/snmp/mibs, via ``--mib-dir``), and a v1 trap
of an enterprise no MIB knows.  snmptrapd reads the same texts (``-M <pysmi's bundled texts>:
/usr/share/snmp/mibs -m ALL``) and hands each trap, converted to SNMPv2 (RFC 3584), to a
traphandle that writes it to a file: its snmpTrapOID.0 value is the trap's name, its lines the
varbinds' names and enum labels.  Senders and receivers are on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import subprocess
import time

import pytest

from snmptrapmgr.mib import compiler
from test_collector_cli import Listener

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("snmptrap") is None or shutil.which("snmptrapd") is None,
                       reason="net-snmp tools not installed"),
    pytest.mark.skipif(not os.path.exists("/usr/share/snmp/mibs/NET-SNMP-EXAMPLES-MIB.txt"),
                       reason="Debian libsnmp-base (/usr/share/snmp/mibs) not installed"),
]

VENDOR = "/usr/share/snmp/mibs"
DEADLINE = 20.0
LINK_DOWN = ["-v", "2c", "-c", "public", "", ".1.3.6.1.6.3.1.1.5.3",
             ".1.3.6.1.2.1.2.2.1.1.3", "i", "3", ".1.3.6.1.2.1.2.2.1.7.3", "i", "2",
             ".1.3.6.1.2.1.2.2.1.8.3", "i", "2"]
COLD_START = ["-v", "1", "-c", "public", ".1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", "0", "0", ""]
HEARTBEAT = ["-v", "1", "-c", "public", ".1.3.6.1.4.1.8072.2.3", "127.0.0.1", "6", "1", "",
             ".1.3.6.1.4.1.8072.2.3.2.1.0", "i", "30"]
UNKNOWN = ["-v", "1", "-c", "public", ".1.3.6.1.4.1.99999.1", "127.0.0.1", "6", "5", "",
           ".1.3.6.1.4.1.99999.1.1.0", "s", "hello"]
TRAPS = [LINK_DOWN, COLD_START, HEARTBEAT, UNKNOWN]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _send(port: int, args: list) -> None:
    head, rest = args[:4], args[4:]
    run = subprocess.run(["snmptrap", *head, f"127.0.0.1:{port}", *rest], capture_output=True, text=True,
                         timeout=DEADLINE)
    assert run.returncode == 0, run.stderr


class TrapDaemon:
    """snmptrapd in the foreground; each trap, as SNMPv2 varbinds, appended to a file by traphandle."""

    def __init__(self, tmp) -> None:
        self.port = _free_port()
        self.blocks_path = os.path.join(str(tmp), "traphandle.txt")
        conf = os.path.join(str(tmp), "snmptrapd.conf")
        with open(conf, "w") as handle:
            handle.write("disableAuthorization yes\n"
                         f'traphandle default /bin/sh -c "cat >> {self.blocks_path}; '
                         f'echo ==== >> {self.blocks_path}"\n')
        self.log = open(os.path.join(str(tmp), "snmptrapd.log"), "w+")
        self.proc = subprocess.Popen(
            ["snmptrapd", "-f", "-Lo", "-C", "-c", conf, "-M", f"{compiler.bundled_dir()}:{VENDOR}",
             "-m", "ALL", f"udp:127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(tmp)})
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end and "NET-SNMP version" not in self._log():
            assert self.proc.poll() is None, self._log()[-2000:]
            time.sleep(0.05)
        assert "NET-SNMP version" in self._log(), "snmptrapd did not start"

    def _log(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def blocks(self, count: int) -> list:
        """The first ``count`` traps: each a list of (name, value) lines after host and address."""
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if os.path.exists(self.blocks_path):
                with open(self.blocks_path) as handle:
                    text = handle.read()
                blocks = [b.strip().splitlines()[2:] for b in text.split("====") if b.strip()]
                if len(blocks) >= count:
                    return [[tuple(line.split(" ", 1)) for line in block] for block in blocks[:count]]
            time.sleep(0.05)
        raise AssertionError("snmptrapd's traphandle did not write every trap")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture
def daemon(tmp_path):
    trapd = TrapDaemon(tmp_path)
    yield trapd
    trapd.close()


def test_listen_names_what_snmptrapd_names(tmp_path, daemon, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    listen = Listener(tmp_path, "--host", "127.0.0.1", "--port", "0", "--mib-dir", VENDOR)
    try:
        for args in TRAPS:  # one at a time, so both keep the order
            _send(listen.port, args)
            _send(daemon.port, args)
        lines = listen.wait_lines(len(TRAPS))
        assert listen.terminate() == 0, listen.stderr()
    finally:
        listen.kill()
        listen.err.close()
    assert len(lines) == len(TRAPS), listen.stderr()
    blocks = daemon.blocks(len(TRAPS))
    link_down, cold_start, heartbeat, unknown = lines

    assert link_down["trap_name"] == "IF-MIB::linkDown"
    named = {vb["oid"]: vb for vb in link_down["varbinds"]}
    assert named["1.3.6.1.2.1.2.2.1.7.3"]["name"] == "IF-MIB::ifAdminStatus.3"
    assert named["1.3.6.1.2.1.2.2.1.7.3"]["label"] == "down"
    assert named["1.3.6.1.2.1.2.2.1.7.3"]["value"] == 2  # oid/type/value as always
    assert named["1.3.6.1.2.1.2.2.1.8.3"]["label"] == "down"
    assert "label" not in named["1.3.6.1.2.1.2.2.1.1.3"]
    assert cold_start["trap_name"] == "SNMPv2-MIB::coldStart"
    assert heartbeat["trap_name"] == "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatNotification"
    assert heartbeat["varbinds"][-1]["name"] == "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatRate.0"
    # the unknown enterprise: delivered, numeric, no name anywhere it is not known
    assert "trap_name" not in unknown
    assert unknown["trap_oid_rfc3584"] == "1.3.6.1.4.1.99999.1.0.5"
    assert "name" not in unknown["varbinds"][-1] and unknown["varbinds"][-1]["value"] == "hello"

    for line, block in zip(lines, blocks):
        theirs = dict(block)
        trap = theirs["SNMPv2-MIB::snmpTrapOID.0"]
        if "trap_name" in line:
            assert line["trap_name"] == trap
        else:  # snmptrapd names it only by a generic prefix
            assert trap.startswith("SNMPv2-SMI::enterprises.")
        for vb in line["varbinds"]:
            if "name" not in vb or vb["oid"] in ("1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0"):
                continue
            assert vb["name"] in theirs, (vb, block)
            if "label" in vb:
                assert theirs[vb["name"]] == vb["label"]
    # sysUpTime.0 and snmpTrapOID.0 are named alike (snmptrapd adds them for v1 too)
    assert link_down["varbinds"][0]["name"] == blocks[0][0][0] == "DISMAN-EXPRESSION-MIB::sysUpTimeInstance"
    assert link_down["varbinds"][1]["name"] == blocks[0][1][0] == "SNMPv2-MIB::snmpTrapOID.0"
    assert link_down["varbinds"][1]["display"] == blocks[0][1][1] == "IF-MIB::linkDown"


def _listen_once(tmp_path, trap: list, *args: str) -> tuple:
    """(the JSON lines, stderr) of a listen process (``args``) that got ``trap``."""
    listen = Listener(tmp_path, "--host", "127.0.0.1", "--port", "0", *args)
    try:
        before = len(listen.lines(complete=False))
        _send(listen.port, trap)
        lines = listen.wait_lines(before + 1)
        assert listen.terminate() == 0
        return lines, listen.stderr()
    finally:
        listen.kill()
        listen.err.close()


def test_numeric_switches_names_off(tmp_path):
    lines, _ = _listen_once(tmp_path, LINK_DOWN, "--numeric")
    assert len(lines) == 1
    assert "trap_name" not in lines[0]
    assert all(set(vb) == {"oid", "type", "value"} for vb in lines[0]["varbinds"])


def test_toml_numeric_and_mib_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = tmp_path / "c.toml"
    config.write_text(f'mib_dirs = ["{VENDOR}", "{tmp_path / "missing"}"]\n')
    lines, stderr = _listen_once(tmp_path, HEARTBEAT, "--config", str(config))
    assert lines[0]["trap_name"] == "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatNotification"
    assert f"snmptrapmgr: MIB {tmp_path / 'missing'}: no such directory" in stderr
    config.write_text("numeric = true\n")
    lines, _ = _listen_once(tmp_path, HEARTBEAT, "--config", str(config))
    assert len(lines) == 2 and "trap_name" not in lines[-1]
    config.write_text("numeric = 1\n")
    run = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--config", str(config), "--port", "0"],
                         capture_output=True, text=True, timeout=DEADLINE, cwd=str(tmp_path),
                         env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))})
    assert run.returncode == 2 and "numeric: expected true or false, not 1" in run.stderr and "Traceback" not in run.stderr
