"""Side-by-side timing: every candidate of a row is measured in the same run, interleaved.

A row has several candidates (cython, python, pysnmp, floor).  Each is warmed up
and calibrated so one timed chunk lasts about ``chunk_s``; then for ``repeats``
rounds every candidate runs one chunk, in an order rotated each round, so slow
drift of the machine (other processes, CPU frequency) hits them all alike.  Per
candidate we keep the best and the median of the per-op times of its chunks.
Times come from ``time.perf_counter_ns``.  The garbage collector stays enabled,
as it is in a real receiver.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Callable, Optional

_ns = time.perf_counter_ns


@dataclass
class Candidate:
    """One implementation of a row: ``func(*args)`` is one operation.

    ``activate`` (optional) is called before each of its chunks, outside the
    timed region (e.g. ``_select.use("python")`` for code that looks up the
    active twin at call time).
    """

    implementation: str
    func: Callable[..., Any]
    args: tuple = ()
    activate: Optional[Callable[[], None]] = None
    per_op: int = 1            # operations per call (e.g. a text->BER->text round trip = 1)
    samples_ns: list = field(default_factory=list)
    number: int = 0

    def loop(self, n: int) -> int:
        """Run ``n`` calls; return the elapsed nanoseconds."""
        f = self.func
        args = self.args
        if len(args) == 0:
            t0 = _ns()
            for _ in repeat(None, n):
                f()
            return _ns() - t0
        if len(args) == 1:
            (a,) = args
            t0 = _ns()
            for _ in repeat(None, n):
                f(a)
            return _ns() - t0
        if len(args) == 2:
            a, b = args
            t0 = _ns()
            for _ in repeat(None, n):
                f(a, b)
            return _ns() - t0
        if len(args) == 3:
            a, b, c = args
            t0 = _ns()
            for _ in repeat(None, n):
                f(a, b, c)
            return _ns() - t0
        t0 = _ns()
        for _ in repeat(None, n):
            f(*args)
        return _ns() - t0

    @property
    def best_us(self) -> float:
        return min(self.samples_ns) / 1000.0

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples_ns) / 1000.0


def calibrate(cand: Candidate, chunk_s: float, max_number: int = 1_000_000) -> int:
    """Number of calls that makes one chunk last about ``chunk_s`` (at least 1)."""
    if cand.activate is not None:
        cand.activate()
    cand.loop(1)  # warm-up (first-call costs, caches)
    n = 1
    while True:
        elapsed = cand.loop(n)
        if elapsed >= chunk_s * 1e9 / 4 or n >= max_number:
            break
        n *= 4 if elapsed < chunk_s * 1e9 / 40 else 2
    per_call = max(elapsed / n, 1.0)
    return max(1, min(max_number, int(chunk_s * 1e9 / per_call)))


def measure(candidates: list[Candidate], repeats: int, chunk_s: float,
            deadline_s: Optional[float] = None) -> None:
    """Fill ``samples_ns`` (per-op ns of each chunk) of every candidate, interleaved.

    ``deadline_s`` bounds the whole row in time (at least one round always runs).
    """
    for cand in candidates:
        cand.number = calibrate(cand, chunk_s)
        cand.samples_ns = []
    start = time.monotonic()
    k = len(candidates)
    for r in range(repeats):
        order = candidates[r % k:] + candidates[:r % k]
        for cand in order:
            if cand.activate is not None:
                cand.activate()
            elapsed = cand.loop(cand.number)
            cand.samples_ns.append(elapsed / (cand.number * cand.per_op))
        if deadline_s is not None and time.monotonic() - start > deadline_s:
            break
