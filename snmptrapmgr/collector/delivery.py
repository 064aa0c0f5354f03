"""Delivery: sequence numbers, the pending batch, fan-out to every output, the delivered watermark.

The collector adds each accepted notification (its JSON line and its
event) and gets its sequence number back.  Lines wait in one pending
batch, which goes to every output (:mod:`snmptrapmgr.collector.outputs`)
when it is full, when the socket is drained, or at once for an inform
(:meth:`Delivery.take_now`).  :meth:`Delivery.delivered` is the watermark
of the slowest output: every notification numbered below it was taken
durably by all of them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .outputs.base import Batch, Output

__all__ = ["Delivery"]


class Delivery:
    """One collector's outputs behind one watermark."""

    def __init__(self, outputs: Iterable[Output], batch_size: int = 2048) -> None:
        self.outputs = list(outputs)
        if not self.outputs:
            raise ValueError("a collector needs at least one output")
        self.batch_size = batch_size
        self.submitted = 0  # the sequence number of the first pending line
        self.lines: list = []
        self.events: list = []

    def open(self, wake: Callable[[], None]) -> None:
        for output in self.outputs:
            output.open(wake)

    def add(self, line: str, event: Any) -> int:
        """Queue one notification; return its sequence number (submits a full batch)."""
        lines = self.lines
        lines.append(line)
        self.events.append(event)
        seq = self.submitted + len(lines) - 1
        if len(lines) >= self.batch_size:
            self.submit()
        return seq

    def submit(self) -> None:
        """Hand the pending batch to every output (an output's error is raised after all had it)."""
        if not self.lines:
            return
        batch = Batch(self.submitted, self.lines, self.events)
        self.lines = []
        self.events = []
        self.submitted = batch.end
        failure = None
        for output in self.outputs:
            try:
                output.submit(batch)
            except Exception as exc:  # noqa: BLE001 - the other outputs still get the batch
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
