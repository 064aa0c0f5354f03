"""Vendor MIB directories: compiled once, cached by content, bad input reported by file, and the CLI.

NET-SNMP-EXAMPLES-MIB comes from Debian's /usr/share/snmp/mibs (package libsnmp-base); the
bad inputs are written into temporary directories.  No network: pysmi is given local texts only.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from snmptrapmgr import mib
from snmptrapmgr.cli import main
from snmptrapmgr.mib import loader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETSNMP_MIBS = "/usr/share/snmp/mibs"
EXAMPLES = os.path.join(NETSNMP_MIBS, "NET-SNMP-EXAMPLES-MIB.txt")
NEEDS_LIBSNMP_BASE = pytest.mark.skipif(not os.path.exists(EXAMPLES),
                                        reason="Debian libsnmp-base (/usr/share/snmp/mibs) not installed")

SMIV1 = """ACME-TRAP-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises, Counter FROM RFC1155-SMI
        OBJECT-TYPE FROM RFC-1212
        TRAP-TYPE FROM RFC-1215;
acme OBJECT IDENTIFIER ::= { enterprises 424242 }
acmeFan OBJECT-TYPE
    SYNTAX INTEGER { ok(1), failed(2) }
    ACCESS read-only
    STATUS mandatory
    DESCRIPTION "fan state"
    ::= { acme 1 }
acmeFanFailure TRAP-TYPE
    ENTERPRISE acme
    VARIABLES { acmeFan }
    DESCRIPTION "a fan failed"
    ::= 7
END
"""

SYNTAX_ERROR = """BROKEN-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises FROM SNMPv2-SMI;
broken OBJECT IDENTIFIER ::= { enterprises 424243
END
"""

MISSING_IMPORT = """ORPHAN-MIB DEFINITIONS ::= BEGIN
IMPORTS fooBar FROM NO-SUCH-MIB;
orphan OBJECT IDENTIFIER ::= { fooBar 1 }
END
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """Every test gets its own MIB cache ($XDG_CACHE_HOME), so none sees another's compile."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "snmptrapmgr" / "mib"


def _write(directory, name, text):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_smiv1_trap_type_resolves_the_rfc3584_oid(tmp_path, cache):
    _write(tmp_path / "acme", "ACME-TRAP-MIB.txt", SMIV1)
    resolver = mib.load([str(tmp_path / "acme")])
    assert resolver.problems == []
    assert resolver.name("1.3.6.1.4.1.424242.0.7") == "ACME-TRAP-MIB::acmeFanFailure"  # enterprise.0.specific
    assert resolver.name("1.3.6.1.4.1.424242.1.0") == "ACME-TRAP-MIB::acmeFan.0"
    assert resolver.label("1.3.6.1.4.1.424242.1.0", 2) == "failed"
    assert resolver.oid("ACME-TRAP-MIB::acmeFanFailure") == "1.3.6.1.4.1.424242.0.7"
    assert resolver.name("1.3.6.1.2.1.2.2.1.7.3") == "IF-MIB::ifAdminStatus.3"  # the standard ones stay
    assert ("ACME-TRAP-MIB", str(tmp_path / "acme" / "ACME-TRAP-MIB.txt")) in resolver.modules()


@NEEDS_LIBSNMP_BASE
def test_net_snmp_examples_from_debian(cache):
    resolver = mib.load([NETSNMP_MIBS])
    assert resolver.name("1.3.6.1.4.1.8072.2.3.0.1") == "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatNotification"
    assert resolver.name("1.3.6.1.4.1.8072.2.3.2.1.0") == "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatRate.0"
    # imported from the standard modules: SnmpAdminString (SNMP-FRAMEWORK-MIB) has hint "255t"
    assert resolver.translate("1.3.6.1.4.1.8072.2.2.1.1.2.3.97.98.99") == \
        'NET-SNMP-EXAMPLES-MIB::nsIETFWGChair1."abc"'


def test_compiled_once_then_loaded_from_the_cache_and_recompiled_on_change(tmp_path, cache):
    directory = tmp_path / "acme"
    path = _write(directory, "ACME-TRAP-MIB.txt", SMIV1)
    first = loader.VendorSet([str(directory)])
    assert first.part(["SNMPv2-SMI"]) is not None and not first.cached
    assert len(os.listdir(cache)) == 1
    second = loader.VendorSet([str(directory)])
    assert second.part(["SNMPv2-SMI"]) is not None and second.cached
    # a warm start does not even import the compiler
    code = ("import sys; from snmptrapmgr import mib; r = mib.load([sys.argv[1]]); "
            "assert r.name('1.3.6.1.4.1.424242.0.7'), r.problems; print('pysmi' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code, str(directory)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": ROOT})
    assert run.stdout.strip() == "False", run.stdout + run.stderr
    # a changed file: a new key, one recompile, the new name
    with open(path, "w") as handle:
        handle.write(SMIV1.replace("acmeFanFailure", "acmeFanBroken"))
    third = loader.VendorSet([str(directory)])
    third.part(["SNMPv2-SMI"])
    assert not third.cached
    assert mib.load([str(directory)]).name("1.3.6.1.4.1.424242.0.7") == "ACME-TRAP-MIB::acmeFanBroken"


def test_bad_mib_input_names_the_file_and_the_rest_loads(tmp_path, cache):
    good = tmp_path / "vendor"
    _write(good, "ACME-TRAP-MIB.txt", SMIV1)
    broken = _write(good, "broken.mib", SYNTAX_ERROR)
    orphan = _write(good, "orphan.my", MISSING_IMPORT)
    duplicate = _write(tmp_path / "more", "ACME-COPY.txt", SMIV1)
    garbage = _write(tmp_path / "more", "garbage.bin", os.urandom(5 << 20))
    text_garbage = _write(tmp_path / "more", "notes.txt", "Lorem Ipsum DEFINITIONS ::= dolor\n" * 160000)
    (tmp_path / "empty").mkdir()
    missing = str(tmp_path / "no-such-dir")
    dirs = [str(good), str(tmp_path / "more"), str(tmp_path / "empty"), missing]
    for attempt in ("compiled", "cached"):
        resolver = mib.load(dirs)
        problems = dict(resolver.problems)
        assert "Bad grammar" in problems[broken] and problems[broken].startswith("BROKEN-MIB:")
        assert problems[orphan] == "ORPHAN-MIB: imports NO-SUCH-MIB, which no MIB directory provides"
        assert problems[duplicate] == (f"module ACME-TRAP-MIB is already defined by {good / 'ACME-TRAP-MIB.txt'};"
                                       " this copy is not used")
        assert problems[garbage] == "binary data, not a MIB text"
        assert problems[text_garbage] == "not a MIB module (no 'NAME DEFINITIONS ::= BEGIN')"
        assert problems[str(tmp_path / "empty")] == "no MIB files in this directory"
        assert problems[missing] == "no such directory"
        assert len(problems) == 7, (attempt, problems)
        assert resolver.name("1.3.6.1.4.1.424242.0.7") == "ACME-TRAP-MIB::acmeFanFailure"
        assert resolver.name("1.3.6.1.6.3.1.1.5.3") == "IF-MIB::linkDown"


def test_a_file_given_as_a_directory_and_an_oversized_file(tmp_path, cache, monkeypatch):
    path = _write(tmp_path / "d", "ACME-TRAP-MIB.txt", SMIV1)
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    resolver = mib.load([path, str(tmp_path / "d")])
    assert (path, "not a directory") in resolver.problems
    size = os.path.getsize(path)
    assert (path, f"{size} bytes: larger than 100, not read as a MIB text") in resolver.problems


def test_an_unwritable_cache_compiles_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    _write(tmp_path / "acme", "ACME-TRAP-MIB.txt", SMIV1)
    resolver = mib.load([str(tmp_path / "acme")])
    assert resolver.name("1.3.6.1.4.1.424242.0.7") == "ACME-TRAP-MIB::acmeFanFailure"
    assert any("cannot write the MIB cache" in message for _, message in resolver.problems)


def _cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        status = main(list(argv))
    finally:
        sys.stdout, sys.stderr = old
    return status, out.getvalue(), err.getvalue()


def test_cli_translate(cache):
    status, out, err = _cli("mib", "translate", "1.3.6.1.2.1.2.2.1.7.3", ".1.3.6.1.6.3.1.1.5.3",
                            "IF-MIB::linkDown", "ifAdminStatus.3")
    assert (status, err) == (0, "")
    assert out.splitlines() == ["IF-MIB::ifAdminStatus.3", "IF-MIB::linkDown", "1.3.6.1.6.3.1.1.5.3",
                                "1.3.6.1.2.1.2.2.1.7.3"]
    status, out, err = _cli("mib", "translate", "3.1", "NO-MIB::thing", "1.3.6.1.2.1.1.1.0")
    assert status == 1
    assert out.splitlines() == ["SNMPv2-MIB::sysDescr.0"]
    assert "cannot resolve 3.1" in err and "cannot resolve NO-MIB::thing" in err and "Traceback" not in err


def test_cli_compile_reports_every_file_and_fills_the_cache(tmp_path, cache):
    good = _write(tmp_path / "v", "ACME-TRAP-MIB.txt", SMIV1)
    broken = _write(tmp_path / "v", "broken.mib", SYNTAX_ERROR)
    status, out, err = _cli("mib", "compile", str(tmp_path / "v"), str(tmp_path / "nope"))
    assert status == 1
    lines = out.splitlines()
    assert f"{good}: compiled ACME-TRAP-MIB" in lines
    assert any(line.startswith(f"{broken}: BROKEN-MIB: does not compile: Bad grammar") for line in lines)
    assert f"{tmp_path / 'nope'}: no such directory" in lines
    assert "cached in" in err and "Traceback" not in err
    status, out, err = _cli("mib", "compile", str(tmp_path / "v"))
    assert status == 1  # the broken file is still there
    os.remove(broken)
    status, out, err = _cli("mib", "compile", str(tmp_path / "v"))
    assert status == 0 and out == f"{good}: compiled ACME-TRAP-MIB\n"
    vendor = loader.VendorSet([str(tmp_path / "v")])
    vendor.part([])
    assert vendor.cached  # what listen --mib-dir loads at startup


def test_cli_list(tmp_path, cache):
    _write(tmp_path / "v", "ACME-TRAP-MIB.txt", SMIV1)
    status, out, err = _cli("mib", "list", "--mib-dir", str(tmp_path / "v"))
    assert status == 0
    rows = dict(line.split("\t") for line in out.splitlines())
    assert rows["IF-MIB"].startswith("standard (pysnmp-pysmi ")
    assert rows["ACME-TRAP-MIB"] == str(tmp_path / "v" / "ACME-TRAP-MIB.txt")
    assert len(rows) == 487


def test_cli_translate_as_a_process(cache):
    """``python -m snmptrapmgr mib translate``: stdout one line, stderr empty (speed: bench/mib.py)."""
    run = subprocess.run([sys.executable, "-m", "snmptrapmgr", "mib", "translate", "1.3.6.1.2.1.2.2.1.7.3",
                          "bad"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert (run.returncode, run.stdout) == (1, "IF-MIB::ifAdminStatus.3\n")
    assert run.stderr.startswith("snmptrapmgr: cannot resolve bad:") and "Traceback" not in run.stderr
