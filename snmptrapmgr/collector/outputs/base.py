"""The output interface: batches of notifications in, "durably taken" reported back.

Sequence numbers.  Every notification the collector accepts gets the next
sequence number (0, 1, 2... per collector process).  The collector hands
every output the same :class:`Batch` objects, in order and without gaps:
``batch.first`` is the number of ``batch.lines[0]``, ``batch.end`` the
number after the last one.  A batch holds the JSON lines
(:func:`~snmptrapmgr.collector.schema.format_notification`, one schema for
files and buses) and, for an output that sets ``wants_events`` (a bus's
key, subject or message id), the events they came from.  Only then: an
event kept alive until its batch is submitted is work for the garbage
collector, measured at a quarter of ``listen``'s throughput.

Acknowledgement.  An output reports what it has *taken durably* as a
watermark: :meth:`Output.acked` is the sequence number below which every
notification was taken -- a file once write(2) returned (after fsync
when asked), a message bus once the broker acknowledged it.  It may
advance inside :meth:`Output.submit` (the file) or later, from another
thread or an event loop (a bus client's acknowledgement callback); then
the output calls the ``wake`` function it was opened with, so a
collector waiting in select() looks again.  An output acknowledged out
of order (Kafka partitions) folds the acknowledged numbers into the
watermark itself; it never reports a number as taken before every
smaller one was.

Several outputs.  A notification is *delivered* once every output took
it: the collector's watermark is the smallest of its outputs'
(:class:`~snmptrapmgr.collector.delivery.Delivery`).  The ``delivered``
counter is that watermark, and an inform's Response may be sent only once
the inform's number is below it, so the device's own retry covers every
failure in between.  With outputs that take a batch synchronously the
collector submits the pending batch inside the inform's handler and the
facade answers right after; an output that acknowledges later makes the
collector hold the inform and answer when the watermark passes it
(through the endpoint's ``reply_for``/``send``; not needed by the file
output, so not built yet).

Rules for an output:

* :meth:`submit` is called by the receive loop: it must not block for
  long.  The batch is the output's to keep: what it could not take yet
  (a full disk, a broker away) stays with it (or in its spool) and is
  retried, never dropped silently and never acknowledged;
* :meth:`poll` is called by the receive loop at least once a second and
  after every batch: an output retries what it kept, collects
  acknowledgements, times out what is late -- without blocking;
* :meth:`flush` waits (bounded) until everything submitted is
  acknowledged, for a clean stop; :meth:`close` releases what it opened;
* :meth:`reopen` is for SIGHUP (a file output reopens its path after a
  log rotation); :meth:`counters` gives per-output counters for the
  stats line (published, acknowledged, retried...).

A new output is one module in this package: a subclass with a
``type_name`` and a ``from_spec`` that reads its settings (a dict: a TOML
``[[output]]`` table or a parsed ``--output`` URL), registered by type
name in :mod:`snmptrapmgr.collector.outputs`.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping, NamedTuple

__all__ = ["Batch", "Output"]


class Batch(NamedTuple):
    """Notifications ``first`` .. ``end - 1``, in order."""

    first: int
    lines: list   # JSON text lines, each ending with "\n"
    events: list  # the trap / inform events, same order (empty unless an output wants_events)

    @property
    def end(self) -> int:
        return self.first + len(self.lines)


def _nothing() -> None:
    return None


class Output:
    """One destination of the collector's notifications (see the module docstring)."""

    type_name: ClassVar[str] = ""
    #: True if submit() reads batch.events (otherwise the batch carries none)
    wants_events: ClassVar[bool] = False

    #: notifications this output may hold unacknowledged by design (a bus's max_in_flight): the
    #: collector keeps reading while its backlog is within that (plus its own MAX_BACKLOG)
    in_flight_window: int = 0

    def __init__(self) -> None:
        self.wake: Callable[[], None] = _nothing

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> "Output":
        """Build from its settings; raise ConfigError (or OSError when it cannot be opened)."""
        raise NotImplementedError

    def open(self, wake: Callable[[], None]) -> None:
        """Start taking batches; call ``wake()`` whenever acked() advances outside submit()."""
        self.wake = wake

    def submit(self, batch: Batch) -> None:
        """Take the next batch (its ``first`` is the end of the previous one)."""
        raise NotImplementedError

    def acked(self) -> int:
        """Every notification numbered below this was taken durably."""
        raise NotImplementedError

    def poll(self) -> None:
        """Retry what was kept, collect acknowledgements; never blocks.  Nothing by default."""

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until all submitted is acknowledged; True if it is."""
        return True

    def reopen(self) -> None:
        """Reopen files / reload settings (SIGHUP); nothing by default."""

    def counters(self) -> dict:
        """Per-output counters for the stats line; none by default."""
        return {}

    def close(self) -> None:
        """Release what :meth:`open` or the constructor took."""
