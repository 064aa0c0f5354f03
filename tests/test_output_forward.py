"""The ``forward`` output against net-snmp's snmptrapd: the origin travels with the trap.

A real ``listen`` forwards to a real snmptrapd on a loopback port; snmptrapd's
log (numeric OIDs) must show snmpTrapAddress.0 = the original sender and
snmpTrapCommunity.0 = its community, for a v2c trap and for a v1 trap in its
RFC 3584 v2 form.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from snmptrapmgr.collector.config import ConfigError, parse_output_url
from snmptrapmgr.collector.outputs import create
from test_collector_cli import DEADLINE, _net_snmp, listener  # noqa: F401

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
    ({"type": "forward", "target": "127.0.0.1:162", "mode": "inform"}, "not built yet"),
    ({"type": "forward", "target": "127.0.0.1:162", "comunity": "x"}, "did you mean 'community'"),
])
def test_bad_forward_settings_are_one_clear_error(spec, words):
    with pytest.raises(ConfigError, match=words):
        create(spec)


def test_forward_url():
    assert parse_output_url("forward://127.0.0.1:10162") == {"type": "forward", "target": "127.0.0.1:10162"}
    with pytest.raises(ConfigError, match="forward://HOST:PORT"):
        parse_output_url("forward://127.0.0.1:10162/x")
