"""Delivery: sequence numbers, the pending batch, fan-out to every output, the delivered watermark.

The collector adds each accepted notification (its JSON line and its
event); the n-th one added has sequence number n - 1.  Lines wait in one
pending batch, which goes to every output
(:mod:`snmptrapmgr.collector.outputs`) when it is full, when the socket
is drained, or at once for an inform (:meth:`Delivery.take_now`).  A
batch is full at :data:`BATCH_LINES` lines or :data:`BATCH_CHARS`
characters, whichever comes first (each line counts its length plus
BATCH_CHARS / BATCH_LINES), so a flood of huge notifications cannot
pile up in memory before it is written.  :meth:`Delivery.delivered` is the watermark
of the slowest output: every notification numbered below it was taken
durably by all of them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .outputs.base import Batch, Output

__all__ = ["Delivery", "BATCH_LINES", "BATCH_CHARS"]

BATCH_LINES = 2048
BATCH_CHARS = 4 << 20


class Delivery:
    """One collector's outputs behind one watermark."""

    def __init__(self, outputs: Iterable[Output], batch_lines: int = BATCH_LINES,
                 batch_chars: int = BATCH_CHARS) -> None:
        self.outputs = list(outputs)
        if not self.outputs:
            raise ValueError("a collector needs at least one output")
        self.batch_chars = batch_chars
        self.line_cost = max(1, batch_chars // max(1, batch_lines))
        self.room = batch_chars   # what the pending batch can still take
        self.submitted = 0        # the sequence number of the first pending line
        self.lines: list = []
        self.events: list = []

    def open(self, wake: Callable[[], None]) -> None:
        for output in self.outputs:
            output.open(wake)

    def add(self, line: str, event: Any) -> None:
        """Queue one notification (numbered ``end`` before the call); submit a full batch."""
        self.lines.append(line)
        self.events.append(event)
        room = self.room - len(line) - self.line_cost
        self.room = room
        if room <= 0:
            self.submit()

    @property
    def end(self) -> int:
        """The sequence number the next notification will get."""
        return self.submitted + len(self.lines)

    def submit(self) -> None:
        """Hand the pending batch to every output (an output's error is raised after all had it)."""
        if not self.lines:
            return
        batch = Batch(self.submitted, self.lines, self.events)
        self.lines = []
        self.events = []
        self.room = self.batch_chars
        self.submitted = batch.end
        self._each(lambda output: output.submit(batch))

    def poll(self) -> None:
        """Let every output retry what it kept and collect acknowledgements (never blocks)."""
        self._each(lambda output: output.poll())

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
