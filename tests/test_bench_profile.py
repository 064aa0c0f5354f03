"""``python -m bench.profile --quick``: every stage row, for every implementation, for both datagrams.

No timing thresholds: each measured stage (a-e, g) must be a positive, finite CPU-µs per
trap and the derived rest (f = e - (b + c + d), a difference of medians) finite.  No stage
is compared with another: a quick run under CI's load once timed the whole path of the
pure-Python v3 trap below its decode alone (noise, not a fault).  The printed table names
every stage and says what the kernel + syscall cost means as a rate.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import profile
from snmptrapmgr import _select

ROOT = Path(__file__).resolve().parent.parent
DATAGRAMS = ("v2c", "v3")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    json_path = tmp_path_factory.mktemp("profile") / "profile.json"
    env = dict(os.environ)
    env.pop("SNMPTRAPMGR_NO_EXTENSIONS", None)
    proc = subprocess.run([sys.executable, "-m", "bench.profile", "--quick", "--json", str(json_path)],
                          cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads(json_path.read_text())


def _kinds() -> list:
    return [k for k in ("cython", "python") if k in _select.available()]


def _cells(data: dict) -> dict:
    return {(r["name"], r["implementation"]): r for r in data["rows"]}


def test_every_stage_of_every_implementation_is_a_finite_cost(run):
    _, data = run
    assert data["implementations"] == _kinds()
    cells = _cells(data)
    assert len(cells) == len(data["rows"]) == len(DATAGRAMS) * len(profile.STAGES) * len(_kinds())
    for datagram in DATAGRAMS:
        for stage in profile.STAGES:
            for kind in _kinds():
                row = cells[(f"profile_{datagram}_{stage}", kind)]
                assert row["section"] == "profile"
                for key in ("best_us", "median_us"):
                    assert math.isfinite(row[key]), row
                    if stage != "f":
                        assert row[key] > 0, row
                if stage != "f":
                    assert row["chunks"] >= 1 and row["traps"] >= row["chunks"], row
                    assert row["user_us"] >= 0 and row["system_us"] >= 0, row


def test_the_table_names_every_stage_and_the_rate(run):
    stdout, _ = run
    for title in profile.STAGES.values():
        assert stdout.count(title) == len(DATAGRAMS), title
    assert stdout.count("traps/s on one core here") == len(DATAGRAMS)
    assert "quick run: indicative only, not graded" in stdout
    for word in (r"issue[ -]?\d", r"\btwins?\b", r"\bfloor\b"):  # the words python -m bench avoids
        assert not re.search(word, stdout, re.IGNORECASE), word
