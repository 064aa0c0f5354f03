"""MIB names in the library: ``SNMPObject.name/.label/.display``, ``trap_name``, ``config("MibDirs=...")``.

net-snmp is the oracle: the traps come from its ``snmptrap`` to a live SNMPTrapMgr (both
twins), and every name an event gives is what ``snmptranslate -M <the same texts> -m ALL -OS``
prints for that OID; enum labels are the ones ``snmptranslate -Td`` lists for the object.
An OID no MIB defines has no name (None), and the notification is delivered all the same.
Vendor names (NET-SNMP-EXAMPLES-MIB from Debian's /usr/share/snmp/mibs) come only after
``config("MibDirs=...")``; a directory that cannot be used is a note in ``MibProblems``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

import peers
from snmptrapmgr import mib
from snmptrapmgr.events import SNMPObject
from snmptrapmgr.mib import compiler

pytestmark = [pytest.mark.peer]

assert shutil.which("snmptrap") and shutil.which("snmptranslate"), "net-snmp's snmptrap/snmptranslate are required"

VENDOR = "/usr/share/snmp/mibs"
LINK_DOWN = ["-v", "2c", "-c", "public", "", ".1.3.6.1.6.3.1.1.5.3",
             ".1.3.6.1.2.1.2.2.1.1.3", "i", "3", ".1.3.6.1.2.1.2.2.1.7.3", "i", "2",
             ".1.3.6.1.2.1.2.2.1.8.3", "i", "1", ".1.3.6.1.2.1.2.2.1.6.3", "x", "00 0a 0b 0c 0d 0e"]
COLD_START = ["-v", "1", "-c", "public", ".1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", "0", "0", ""]
HEARTBEAT = ["-v", "1", "-c", "public", ".1.3.6.1.4.1.8072.2.3", "127.0.0.1", "6", "1", "",
             ".1.3.6.1.4.1.8072.2.3.2.1.0", "i", "30"]
UNKNOWN = ["-v", "1", "-c", "public", ".1.3.6.1.4.1.99999.1", "127.0.0.1", "6", "5", "",
           ".1.3.6.1.4.1.99999.1.1.0", "s", "hello"]


@pytest.fixture(autouse=True)
def standard_names(tmp_path, monkeypatch):
    """Each test starts and ends with the standard resolver, vendor MIBs cached in its own dir."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mib.set_active(None)
    yield
    mib.set_active(None)


def snmptranslate(oids: list, vendor: bool = False) -> list:
    path = compiler.bundled_dir() + (os.pathsep + VENDOR if vendor else "")
    run = subprocess.run(["snmptranslate", "-M", path, "-m", "ALL", "-OS", *("." + o for o in oids)],
                         capture_output=True, text=True, timeout=60)
    lines = [line for line in run.stdout.splitlines() if line]  # one OID per line, blank lines between
    assert len(lines) == len(oids), run.stderr
    return lines


def enumeration(oid: str) -> dict:
    """value -> label of an enumerated object, as ``snmptranslate -Td`` lists its SYNTAX."""
    run = subprocess.run(["snmptranslate", "-M", compiler.bundled_dir(), "-m", "ALL", "-Td", "." + oid],
                         capture_output=True, text=True, timeout=60)
    syntax = re.search(r"SYNTAX\s+\w+\s*\{([^}]*)\}", run.stdout)
    assert syntax, run.stdout + run.stderr
    return {int(v): k for k, v in re.findall(r"([\w-]+)\((\d+)\)", syntax.group(1))}


def receive(argv: list, **config: str) -> object:
    """One trap from net-snmp's snmptrap to a live SNMPTrapMgr: its event."""
    mgr = peers.new_mgr(**config)
    try:
        rec = peers.Recorder(mgr)
        head, rest = argv[:4], argv[4:]
        res = peers.run_sender(mgr, ["snmptrap", *head, f"127.0.0.1:{mgr.local_port}", *rest],
                               lambda: rec.traps)
        assert res.returncode == 0, res.stderr
        assert len(rec.traps) == 1 and rec.bad == []
        return rec.traps[0]
    finally:
        mgr.deactivate()


def test_link_down_names_labels_and_display_as_net_snmp(impl):
    event = receive(LINK_DOWN)
    oids = [o.oid for o in event.objects]
    assert [o.name for o in event.objects] == snmptranslate(oids)
    assert event.trap_name == snmptranslate([event.trap_oid])[0] == "IF-MIB::linkDown"
    admin, oper = event.objects[3], event.objects[4]
    assert (admin.label, oper.label) == (enumeration(admin.oid)[2], enumeration(oper.oid)[1]) == ("down", "up")
    assert event.objects[2].label is None                        # ifIndex: no enumeration
    # PhysAddress is DISPLAY-HINT "1x:": each octet as two hex digits (zero-padded), ":" between
    assert event.objects[5].display == "00:0a:0b:0c:0d:0e"
    assert event.objects[1].display == "IF-MIB::linkDown"        # snmpTrapOID.0's value, named
    assert event.objects[0].label is None and event.objects[0].display is None


def test_v1_cold_start_named_by_its_rfc3584_oid(impl):
    event = receive(COLD_START)
    assert event.rfc3584_trap_oid == "1.3.6.1.6.3.1.1.5.1"
    assert event.trap_name == snmptranslate([event.rfc3584_trap_oid])[0] == "SNMPv2-MIB::coldStart"


def test_unknown_enterprise_stays_numeric_and_is_delivered(impl):
    event = receive(UNKNOWN)
    assert event.trap_name is None
    assert [(o.name, o.label, o.display) for o in event.objects] == [(None, None, None)]
    assert event.objects[0].value == b"hello"
    # net-snmp names only a prefix of these: no module defines them
    assert all(t.startswith("SNMPv2-SMI::enterprises.99999.")
               for t in snmptranslate([event.rfc3584_trap_oid, event.objects[0].oid]))


def test_vendor_trap_named_only_with_mib_dirs(impl, tmp_path):
    before = receive(HEARTBEAT)
    assert before.trap_name is None and before.objects[0].name is None
    event = receive(HEARTBEAT, MibDirs=f"{VENDOR}{os.pathsep}{tmp_path / 'missing'}")
    expected = snmptranslate([event.rfc3584_trap_oid, event.objects[0].oid], vendor=True)
    assert [event.trap_name, event.objects[0].name] == expected == [
        "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatNotification",
        "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatRate.0"]
    # the names are the process's: an event received before the change names it now too
    assert before.trap_name == event.trap_name


def test_mib_dirs_problems_are_notes_and_the_rest_loads(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "BROKEN-MIB.txt").write_text("BROKEN-MIB DEFINITIONS ::= BEGIN\n  this is not SMI\nEND\n")
    mgr = peers.new_mgr(activate=False)
    mgr.config(f"MibDirs={VENDOR}{os.pathsep}{bad}{os.pathsep}{tmp_path / 'missing'}")
    problems = mgr.config("MibProblems").splitlines()
    assert any(p.startswith(f"{bad / 'BROKEN-MIB.txt'}: ") for p in problems), problems
    assert f"{tmp_path / 'missing'}: no such directory" in problems
    assert len(problems) == 2
    assert SNMPObject("1.3.6.1.4.1.8072.2.3.2.1.0", 2, 30).name == \
        "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatRate.0"
    assert mgr.config("MibDirs") == f"{VENDOR}{os.pathsep}{bad}{os.pathsep}{tmp_path / 'missing'}"
    mgr.config("MibDirs=")                                     # back to the standard modules
    assert mgr.config("MibProblems") == ""
    assert SNMPObject("1.3.6.1.4.1.8072.2.3.2.1.0", 2, 30).name is None
    assert SNMPObject("1.3.6.1.2.1.2.2.1.7.3", 2, 2).name == "IF-MIB::ifAdminStatus.3"


def test_mib_problems_is_read_only():
    mgr = peers.new_mgr(activate=False)
    with pytest.raises(Exception, match="read-only"):
        mgr.config("MibProblems=x")


def test_receiving_does_not_load_the_mib_package():
    code = ("import sys; from snmptrapmgr import SNMPTrapMgr; from snmptrapmgr.receiver import Receiver\n"
            "ev = Receiver().receive_datagram(bytes.fromhex('302902010104067075626c6963a71c0201070201000201'"
            "'003011300f06082b0601020101030043030186a0'), ('127.0.0.1', 1), 0.0)\n"
            "assert ev[0].objects\n"
            "print('snmptrapmgr.mib' in sys.modules, ev[0].objects[0].name, 'snmptrapmgr.mib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", snmptranslate(["1.3.6.1.2.1.1.3.0"])[0], "True"], out.stderr
