"""What the bench's named-row modules (:mod:`bench.mib`, :mod:`bench.hostile`) print alike:
the table, a verdict, and their ``python -m bench.<name>`` entry point."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Callable, Optional

__all__ = ["table", "verdict", "run_main"]


def table(found: list, fmt: Callable[[float, str], str], width: int, column: int) -> str:
    """One line a row: title, best, median, note (``width`` for the title, ``column`` per figure)."""
    lines = [f"{'row':<{width}} {'best':>{column}} {'median':>{column}}  note", "-" * (width + 2 * column + 30)]
    for row in found:
        lines.append(f"{row.title:<{width}} {fmt(row.best, row.unit):>{column}} "
                     f"{fmt(row.median, row.unit):>{column}}  {row.note}")
    return "\n".join(lines)


def verdict(passed: Optional[bool], quick: bool) -> str:
    """PASS/FAIL in a full run; lower case and "not graded" in a quick one."""
    if quick:
        return ("pass" if passed else "miss") + " (not graded)"
    return "PASS" if passed else "FAIL"


def run_main(prog: str, description: str, rows: Callable[[bool], list], show: Callable[[list, bool], str],
             argv: Optional[list]) -> int:
    """``python -m bench.<name> [--quick] [--json FILE]``: measure, print, maybe write JSON."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help="smaller runs, fewer repeats (a CI-sized run)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    found = rows(args.quick)
    print(show(found, args.quick))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"rows": [asdict(r) for r in found]}, handle, indent=1)
    return 0
