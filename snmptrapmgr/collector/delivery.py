"""Delivery: sequence numbers, the pending batch, fan-out to every output, the delivered watermark.

The collector adds each accepted notification (its JSON line and its
event); the n-th one added has sequence number n - 1.  Lines wait in one
pending batch, which goes to every output
(:mod:`snmptrapmgr.collector.outputs`) when it is full, when the socket
is drained, or at once for an inform (:meth:`Delivery.take_now`).
:meth:`Delivery.delivered` is the watermark of the slowest output: every
notification numbered below it was taken durably by all of them.

A batch is full at :data:`BATCH_LINES` lines or :data:`BATCH_CHARS`
characters, so a flood of huge notifications cannot pile up in memory
before it is written.  The characters are counted every
:data:`CHECK_EVERY` lines (a batch may pass BATCH_CHARS by fewer than
that many lines), which keeps the per-notification cost at a list append
or two: a hot path may append to :attr:`Delivery.lines` (and, when
:attr:`Delivery.keep_events`, to :attr:`Delivery.events`, in step) itself
-- the lists are never replaced -- and call :meth:`Delivery.check` once
``len(lines)`` reaches :attr:`Delivery.check_at`, exactly what
:meth:`Delivery.add` does without the call.  Events are kept only when an
output wants them (``Output.wants_events``).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from .latency import Latency
from .outputs.base import Batch, Output

__all__ = ["Delivery", "BATCH_LINES", "BATCH_CHARS", "CHECK_EVERY"]

BATCH_LINES = 2048
BATCH_CHARS = 4 << 20
CHECK_EVERY = 32


class Delivery:
    """One collector's outputs behind one watermark."""

    def __init__(self, outputs: Iterable[Output], batch_lines: int = BATCH_LINES,
                 batch_chars: int = BATCH_CHARS) -> None:
        self.outputs = list(outputs)
        if not self.outputs:
            raise ValueError("a collector needs at least one output")
        self.batch_lines = batch_lines
        self.batch_chars = batch_chars
        self.submitted = 0        # the sequence number of lines[0]
        self.lines: list = []     # the pending batch (never replaced: see the module docstring)
        self.events: list = []
        self.keep_events = any(output.wants_events for output in self.outputs)
        self.counted = 0          # lines[:counted] are in chars
        self.chars = 0
        self.check_at = min(CHECK_EVERY, batch_lines)
        #: per output, how long it takes to store a batch (for the metrics); the clock is monotonic
        self.latency = [Latency() for _ in self.outputs]
        self.clock: Callable[[], float] = time.monotonic

    def open(self, wake: Callable[[], None]) -> None:
        for output in self.outputs:
            output.open(wake)

    def add(self, line: str, event: Any) -> None:
        """Queue one notification (numbered ``end`` before the call); submit a full batch."""
        self.lines.append(line)
        if self.keep_events:
            self.events.append(event)
        if len(self.lines) >= self.check_at:
            self.check()

    def check(self) -> None:
        """Count the characters added since the last check; submit the batch if it is full."""
        lines = self.lines
        size = len(lines)
        self.chars += sum(map(len, lines[self.counted:]))
        self.counted = size
        if size >= self.batch_lines or self.chars >= self.batch_chars:
            self.submit()
        else:
            self.check_at = min(size + CHECK_EVERY, self.batch_lines)

    @property
    def end(self) -> int:
        """The sequence number the next notification will get."""
        return self.submitted + len(self.lines)

    def submit(self) -> None:
        """Hand the pending batch to every output (an output's error is raised after all had it)."""
        if not self.lines:
            return
        batch = Batch(self.submitted, self.lines.copy(), self.events.copy())
        self.lines.clear()
        self.events.clear()
        self.counted = self.chars = 0
        self.check_at = min(CHECK_EVERY, self.batch_lines)
        self.submitted = batch.end
        now = self.clock()
        for latency in self.latency:
            latency.handed(batch.end, len(batch.lines), now)
        self._each(lambda output: output.submit(batch))
        self.measure(self.clock())

    def poll(self) -> None:
        """Let every output retry what it kept and collect acknowledgements (never blocks)."""
        self._each(lambda output: output.poll())
        self.measure(self.clock())

    def measure(self, now: float) -> None:
        """Count the batches each output acknowledged since the last look."""
        for output, latency in zip(self.outputs, self.latency):
            if latency.waiting:
                latency.acknowledged(output.acked(), now)

    def _each(self, call: Callable[[Output], None]) -> None:
        """``call`` for every output; the first error is raised after all had their turn."""
        failure = None
        for output in self.outputs:
            try:
                call(output)
            except Exception as exc:  # noqa: BLE001 - the other outputs still get their turn
                failure = failure or exc
        if failure is not None:
            raise failure

    def take_now(self, seq: int) -> bool:
        """Submit what is pending; True if notification ``seq`` is already delivered."""
        self.submit()
        return self.delivered() > seq

    def backlog_limit(self, base: int) -> int:
        """``base`` plus the most any output holds unacknowledged by design (a bus's in-flight
        window): within that, a slow acknowledgement is the output's own business, not a reason
        for the collector to stop reading."""
        return base + max(output.in_flight_window for output in self.outputs)

    def delivered(self) -> int:
        """Every notification numbered below this was taken durably by every output."""
        outputs = self.outputs
        if len(outputs) == 1:
            return outputs[0].acked()
        return min(output.acked() for output in outputs)

    def flush(self, timeout: float) -> bool:
        """Submit what is pending and wait (bounded) for every output's acknowledgement."""
        self.submit()
        return all([output.flush(timeout) for output in self.outputs])

    def close(self) -> None:
        for output in self.outputs:
            output.close()
