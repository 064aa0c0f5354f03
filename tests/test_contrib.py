"""The deployment files in contrib/ are valid for the tools that read them.

``systemd-analyze verify`` checks the unit (with ExecStart pointed at the
installed ``snmptrapmgr`` so the binary exists); ``logrotate -d`` (debug:
reads and plans, rotates nothing) checks the rotation snippet.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CONTRIB = Path(__file__).resolve().parent.parent / "contrib"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read(CONTRIB / "snmptrapmgr.service")
    return parser


def test_unit_keys():
    unit = _unit()
    service = unit["Service"]
    assert "listen" in service["ExecStart"] and "--config" in service["ExecStart"]
    assert service["ExecReload"].endswith("kill -HUP $MAINPID")
    assert "CAP_NET_BIND_SERVICE" in service["AmbientCapabilities"].split()
    assert service["User"] not in ("", "root") and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and "/var/log/snmptrapmgr" in service["ReadWritePaths"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian's systemd package)")
    program = shutil.which("snmptrapmgr")
    assert program, "snmptrapmgr is not installed on PATH"
    text = (CONTRIB / "snmptrapmgr.service").read_text().replace("/usr/local/bin/snmptrapmgr", program)
    unit = tmp_path / "snmptrapmgr.service"
    unit.write_text(text)
    res = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(text.replace("ExecStart=" + program, "ExecStart=/nonexistent/snmptrapmgr"))
    assert subprocess.run([analyze, "verify", str(broken)], capture_output=True, timeout=60).returncode != 0


def test_logrotate_snippet_parses(tmp_path):
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not Path(logrotate).exists():
        pytest.fail("logrotate is missing (scripts/test.sh installs it)")
    log = tmp_path / "traps.jsonl"
    log.write_text('{"x":1}\n')
    conf = tmp_path / "rotate.conf"
    conf.write_text((CONTRIB / "logrotate").read_text().replace("/var/log/snmptrapmgr/traps.jsonl", str(log))
                    .replace("create 0640 snmptrapmgr snmptrapmgr", "create 0640"))
    res = subprocess.run([logrotate, "-d", "-s", str(tmp_path / "state"), str(conf)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert str(log) in res.stderr + res.stdout and "error" not in (res.stderr + res.stdout).lower()


def _free_privileged_port() -> int:
    import socket

    for port in range(1023, 600, -1):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free UDP port below 1024 on 127.0.0.1")


def _with_capabilities(caps: str) -> list:
    """setpriv: keep only ``caps`` (as systemd's AmbientCapabilities= does for the unit's user);
    SECBIT_NOROOT so uid 0 gets no others on exec (the files stay readable to run the test)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("setpriv is missing (util-linux)")
    if caps:
        return [setpriv, f"--bounding-set=-all,+{caps}", f"--inh-caps=-all,+{caps}", f"--ambient-caps=+{caps}",
                "--securebits=+noroot,+noroot_locked"]
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--securebits=+noroot,+noroot_locked"]


def test_port_below_1024_needs_only_the_units_capability(tmp_path):
    """The unit's answer to "run as a user, not root": CAP_NET_BIND_SERVICE alone binds port 162
    (tested on a free port below 1024); without it, one line saying what to do, exit 1."""
    import os
    import sys
    import time

    if os.geteuid() != 0:
        pytest.fail("this test changes capabilities: run the suite as root (CI does)")
    port = _free_privileged_port()
    out = tmp_path / "traps.jsonl"
    listen = [sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", str(port),
              "--numeric", "--output", str(out)]
    refused = subprocess.run(_with_capabilities("") + listen + ["--duration", "1"], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 1 and "EACCES" in refused.stderr and "CAP_NET_BIND_SERVICE" in refused.stderr, \
        refused.stderr
    assert "Traceback" not in refused.stderr
    err = tmp_path / "listen.err"
    with open(err, "w") as handle:
        proc = subprocess.Popen(_with_capabilities("net_bind_service") + listen + ["--duration", "20"],
                                stderr=handle, stdout=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 30
        while f"listening on udp:127.0.0.1:{port}" not in err.read_text():
            assert proc.poll() is None and time.monotonic() < end, err.read_text()
            time.sleep(0.05)
        status = open(f"/proc/{proc.pid}/status").read()
        assert re.search(r"^CapEff:\s*0*400$", status, re.M), status  # CAP_NET_BIND_SERVICE (bit 10) alone
        subprocess.run(["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{port}", "", "1.3.6.1.6.3.1.1.5.1"],
                       check=True, timeout=30)
        while not out.exists() or not out.read_text():
            assert time.monotonic() < end, err.read_text()
            time.sleep(0.05)
        assert '"trap_oid":"1.3.6.1.6.3.1.1.5.1"' in out.read_text()
    finally:
        proc.terminate()
        proc.wait(20)
