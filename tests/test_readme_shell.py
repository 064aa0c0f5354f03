"""Every shell example of the README runs as written (on a free loopback port), or is listed
in EXCLUDED with the reason; a new example that is neither fails this test.

The commands come from the README's fenced ``sh`` blocks (``a && b`` is two commands, a
trailing ``&`` starts one in the background).  Ports are the only thing changed: the
README's 162 and 1162 become a free port.  What the README says a command gives is
asserted (the JSON lines, the translation, exit statuses).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# command prefix -> why the test does not run it
EXCLUDED = {
    "pip install .": "installs; CI runs it via .ci/run",
    "bash scripts/test.sh": "installs; CI runs it via .ci/run (it is CI's own command: apt-get, pip, this suite)",
}
# the programs this test runs (anything else must be in EXCLUDED)
RUNS = ("snmptrapmgr ", "snmptrap ", "snmpinform ", "python tests/fuzz_decoder.py")
# command prefix -> the same command made small enough for a test (the README's is the full run)
SCALED = {
    "python tests/fuzz_decoder.py --count 2000000 --seconds 600": "python tests/fuzz_decoder.py --count 3000 "
                                                                  "--seconds 60",
}


def shell_commands() -> list:
    """(command, background) of every fenced sh block, in order."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"^```(?:sh|bash|console)\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            background = line.endswith("&") and not line.endswith("&&")
            line = line.rstrip("&").strip() if background else line
            for part in line.split("&&"):
                out.append((part.strip(), background))
    return out


def _excluded(command: str) -> bool:
    return any(command.startswith(prefix) for prefix in EXCLUDED)


def test_every_example_is_run_or_excluded_with_a_reason():
    commands = shell_commands()
    assert commands, "no shell example found: did the README's blocks change language?"
    for command, _ in commands:
        assert _excluded(command) or command.startswith(RUNS), (
            f"README shell example {command!r} is neither run by tests/test_readme_shell.py nor listed in its "
            "EXCLUDED table")
    assert all(reason for reason in EXCLUDED.values())
    stale = [p for p in list(EXCLUDED) + list(SCALED) if not any(c.startswith(p) for c, _ in commands)]
    assert not stale, f"EXCLUDED/SCALED entries no README example starts with any more: {stale}"


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _argv(command: str, port: int) -> list:
    """The command's argv, its ports moved to ``port``, python as this interpreter."""
    for prefix, small in SCALED.items():
        if command.startswith(prefix):
            command = small + command[len(prefix):]
    argv = shlex.split(command)
    argv = [re.sub(r"^(127\.0\.0\.1:)1?162$", rf"\g<1>{port}", a) for a in argv]
    argv = [str(port) if a in ("162", "1162") else a for a in argv]
    if argv[0] == "snmptrapmgr":
        argv = [sys.executable, "-m", "snmptrapmgr"] + argv[1:]
    elif argv[0] == "python":
        argv = [sys.executable] + argv[1:]
    return argv


def _wait_listening(proc: subprocess.Popen, err: Path, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while "listening on" not in err.read_text(errors="replace"):
        assert proc.poll() is None, err.read_text(errors="replace")
        assert time.monotonic() < end, "listen did not start"
        time.sleep(0.05)


def test_the_readme_shell_examples_run_and_give_what_it_says(tmp_path):
    port = _free_udp_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNMPTRAPMGR_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))  # this checkout
    background: list = []
    results: dict = {}
    try:
        for command, in_background in shell_commands():
            if _excluded(command):
                continue
            argv = _argv(command, port)
            if in_background:
                err = tmp_path / f"bg{len(background)}.err"
                handle = open(err, "w")
                proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=handle)
                background.append((proc, handle, err))
                _wait_listening(proc, err)
                continue
            if argv[1:3] == ["-m", "snmptrapmgr"] and argv[3:4] == ["listen"]:
                argv += ["--duration", "1"]  # the README's foreground listen runs until stopped
            done = subprocess.run(argv, cwd=ROOT if "tests/" in command else tmp_path, env=env,
                                  capture_output=True, text=True, timeout=180)
            assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
            results[command.split()[0] + " " + command.split()[1]] = done
    finally:
        for proc, handle, _ in background:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
            handle.close()
    for proc, _, err in background:
        assert proc.returncode == 0, err.read_text(errors="replace")

    # what the README says the quick start gives
    lines = [json.loads(x) for x in (tmp_path / "traps.jsonl").read_text().splitlines()]
    assert [(x["pdu"], x["trap_oid"], x.get("trap_name")) for x in lines] == [
        ("trap", "1.3.6.1.6.3.1.1.5.3", "IF-MIB::linkDown"), ("inform", "1.3.6.1.6.3.1.1.5.1", "SNMPv2-MIB::coldStart")]
    assert all(x["version"] == "v2c" and x["community"] == "public" for x in lines)
    admin = next(v for v in lines[0]["varbinds"] if v["oid"] == "1.3.6.1.2.1.2.2.1.7.3")
    assert admin["name"] == "IF-MIB::ifAdminStatus.3" and admin["label"] == "down"
    assert results["snmptrapmgr mib"].stdout == "IF-MIB::ifAdminStatus.3\n1.3.6.1.6.3.1.1.5.3\n"
    assert "mismatches=0" in results["python tests/fuzz_decoder.py"].stdout
