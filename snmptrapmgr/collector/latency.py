"""How long each output takes to store what it is handed: a fixed-bucket histogram per output.

Kept per batch, not per notification: when a batch is handed to the outputs
its end and the time go on each output's list, and when an output's
acknowledged watermark passes that end, the batch's notifications are counted
in the bucket of the time it took.  So the cost is a few operations per batch,
none on the receive path; the clock is passed in (the collector's monotonic
clock).  The time runs from the hand-over (a batch leaves within 100 ms of its
first notification's arrival) to the output's acknowledgement (write(2),
fsync, a broker's PubAck or delivery report, the next manager's Response).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque

__all__ = ["BUCKETS", "Latency"]

#: upper bounds in seconds (Prometheus ``le``); a last, implicit +Inf
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Latency:
    """The histogram of one output (its counts per bucket, the sum of the seconds)."""

    __slots__ = ("waiting", "counts", "total")

    def __init__(self) -> None:
        self.waiting: deque = deque()            # (end, count, handed over at), in order
        self.counts = [0] * (len(BUCKETS) + 1)   # the last is +Inf
        self.total = 0.0

    def handed(self, end: int, count: int, now: float) -> None:
        """A batch of ``count`` notifications, numbered up to ``end`` - 1, was handed over at ``now``."""
        self.waiting.append((end, count, now))

    def acknowledged(self, acked: int, now: float) -> None:
        """The output's watermark is ``acked``: count the batches it passed."""
        waiting = self.waiting
        while waiting and waiting[0][0] <= acked:
            _, count, since = waiting.popleft()
            seconds = max(0.0, now - since)
            self.counts[bisect_left(BUCKETS, seconds)] += count
            self.total += seconds * count

    def cumulative(self) -> list:
        """[(le, count of observations <= le)], +Inf last, as Prometheus histograms are written."""
        out, running = [], 0
        for bound, count in zip(BUCKETS + (float("inf"),), self.counts):
            running += count
            out.append((bound, running))
        return out
