"""``python -m bench.ab OTHER_CHECKOUT``: this checkout against another, at the same moment.

A refactor must not make anything slower, and this machine's speed drifts by
tens of percent within minutes, so two separate bench runs cannot tell.  This
runs ``python -m bench --only PART --json`` in the two checkouts alternately
(A, B, A, B, ...), each in its own process importing its own package (the
checkout is the working directory and PYTHONPATH), and compares the
medians of the rows that matter, Cython build:

* micro: decode of the typical v2c trap, v2c and v3 through ``receive_datagram``;
* collector: v2c and v3 through SNMPTrapMgr + on_trap, ``listen`` -> file
  (receiver-alone bursts: the receiving process's own rate).

The other checkout must have its extensions built (``python setup.py
build_ext --inplace``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

#: (part, row name, field, higher is better)
ROWS = [
    ("micro", "decode_v2c", "us_per_op", False),
    ("micro", "receive_v2c", "us_per_op", False),
    ("micro", "receive_v3", "us_per_op", False),
    ("collector", "e2e_burst", "processed_per_s", True),
    ("collector", "v3_burst", "processed_per_s", True),
    ("collector", "listen_burst", "processed_per_s", True),
]
TOLERANCE = 0.03


def _run(checkout: Path, part: str, extra: list[str], timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        env = dict(os.environ, PYTHONPATH=str(checkout))
        proc = subprocess.run([sys.executable, "-m", "bench", "--only", part, "--json", str(out), *extra],
                              cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            raise SystemExit(f"bench in {checkout} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        data = json.loads(out.read_text())
    values = {}
    for row in data["rows"]:
        if row.get("implementation") == "cython" and row.get("available", True):
            for r_part, name, field, _ in ROWS:
                if r_part == part and row["name"] == name and row.get(field) is not None:
                    values[name] = float(row[field])
    return values


def compare(other: Path, rounds: int, extra: list[str], timeout: float) -> list[dict]:
    """Alternate the two checkouts ``rounds`` times per part; one result row per measured row."""
    samples: dict = {("this", n): [] for _, n, _, _ in ROWS}
    samples.update({("other", n): [] for _, n, _, _ in ROWS})
    for part in sorted({p for p, _, _, _ in ROWS}):
        for i in range(rounds):
            order = [("this", HERE), ("other", other)]
            if i % 2:
                order.reverse()  # neither side always runs first
            for side, checkout in order:
                for name, value in _run(checkout, part, extra, timeout).items():
                    samples[(side, name)].append(value)
    table = []
    for part, name, field, higher in ROWS:
        this, that = samples[("this", name)], samples[("other", name)]
        if not this or not that:
            continue
        new, old = statistics.median(this), statistics.median(that)
        gain = (new / old - 1.0) if higher else (old / new - 1.0)  # > 0: this checkout is faster
        table.append({"part": part, "row": name, "field": field, "this": new, "other": old,
                      "this_faster_by": gain, "within_tolerance": gain >= -TOLERANCE,
                      "samples_this": this, "samples_other": that})
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (extensions built in place)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations per part (default 3)")
    parser.add_argument("--quick", action="store_true", help="pass --quick to each bench run")
    parser.add_argument("--json", type=Path, help="write the table as JSON")
    args = parser.parse_args(argv)
    if not (args.other / "bench").is_dir():
        parser.error(f"{args.other} has no bench/ folder: give the root of another checkout")
    extra = ["--quick"] if args.quick else []
    table = compare(args.other.resolve(), max(1, args.rounds), extra, timeout=1800)
    print(f"this checkout {HERE} against {args.other}: medians of {args.rounds} alternated runs, Cython")
    print(f"{'row':<16} {'field':<16} {'this':>12} {'other':>12} {'this faster by':>15}")
    for row in table:
        verdict = "" if row["within_tolerance"] else f"  SLOWER than {TOLERANCE:.0%}"
        print(f"{row['row']:<16} {row['field']:<16} {row['this']:>12,.3f} {row['other']:>12,.3f} "
              f"{row['this_faster_by']:>+14.1%}{verdict}")
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    return 0 if all(r["within_tolerance"] for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
