"""The deployment files in contrib/ are valid for the tools that read them.

``systemd-analyze verify`` checks the unit (with ExecStart pointed at the
installed ``snmptrapmgr`` so the binary exists); ``logrotate -d`` (debug:
reads and plans, rotates nothing) checks the rotation snippet.
"""

from __future__ import annotations

import configparser
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
