"""``snmptrapmgr listen`` writes the same bytes for the captured corpus, release after release.

The output schema is a contract with alerting and storage systems: every
capture in tests/data is sent to a real ``listen`` process, and its lines,
with only the receive time and the sender's port normalized, must equal
tests/data/golden_listen.jsonl byte for byte.  ``--regenerate`` is not
offered on purpose: a change here is a schema change and is made by hand.
It runs with ``--numeric``: the MIB names are additive fields, pinned by
tests/test_mib_golden.py against tests/data/golden_listen_names.jsonl.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time

import pytest

from test_collector_cli import DATA, Listener

GOLDEN = os.path.join(DATA, "golden_listen.jsonl")
# the v3 capture is noAuthNoPriv from an engine nobody configured: rejected (324) by design
CAPTURES = sorted(name for name in os.listdir(DATA) if name.endswith(".bin") and not name.startswith("v3_"))
TIME = re.compile(r'^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"')
PORT = re.compile(r'"source":\{"address":"127\.0\.0\.1","port":(\d+)\}')


def _normalize(line: str, port: int) -> str:
    line, count = TIME.subn('{"time":"T"', line)
    assert count == 1, line
    found = PORT.search(line)
    assert found and int(found.group(1)) == port, line
    return PORT.sub('"source":{"address":"127.0.0.1","port":0}', line)


def listen_corpus(tmp_path, implementation: str, *args: str) -> str:
    """Every capture sent to a ``listen`` process (``args`` added), its lines normalized."""
    if implementation == "python":
        os.environ["SNMPTRAPMGR_NO_EXTENSIONS"] = "1"
    try:
        proc = Listener(tmp_path, "--host", "127.0.0.1", "--port", "0", *args)
    finally:
        os.environ.pop("SNMPTRAPMGR_NO_EXTENSIONS", None)
    try:
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind(("127.0.0.1", 0))
        port = sender.getsockname()[1]
        for name in CAPTURES:  # one at a time, in a fixed order: the golden file's order
            with open(os.path.join(DATA, name), "rb") as handle:
                sender.sendto(handle.read(), ("127.0.0.1", proc.port))
            end = time.monotonic() + 10
            want = CAPTURES.index(name) + 1
            while len(proc.lines(complete=False)) < want and time.monotonic() < end:
                time.sleep(0.01)
        sender.close()
        assert proc.terminate() == 0, proc.stderr()
        with open(proc.output, encoding="utf-8") as handle:
            text = handle.read()
    finally:
        proc.kill()
        proc.err.close()
    got = "".join(_normalize(line, port) + "\n" for line in text.splitlines())
    assert len(got.splitlines()) == len(CAPTURES), proc.stderr()
    return got


@pytest.mark.parametrize("implementation", ["python", "cython"])
def test_listen_output_is_byte_identical_to_the_golden_corpus(tmp_path, implementation):
    got = listen_corpus(tmp_path, implementation, "--numeric")  # the names: tests/test_mib_golden.py
    with open(GOLDEN, encoding="utf-8") as handle:
        golden = handle.read()
    assert got == golden
    for line in got.splitlines():
        json.loads(line)
