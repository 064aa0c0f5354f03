"""Which published record each PubAck of the publishing link stands for.

Every record goes out with its own reply subject ``<inbox>.<token>.<index>``
(one token per chunk), so any acknowledgement can be placed.  The server
answers one connection's messages to a stream in order, so most of the
time a :class:`~.nats_wire.Run` of plain PubAcks is simply "the next N
records": :meth:`AckBook.take` checks that the run's last subject is the
N-th record waiting and confirms them per chunk, without a Python step per
acknowledgement.  Anything else (an error, a status, a run that does not
fit, an acknowledgement out of order) goes one by one by its subject.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from typing import Any

from .nats_wire import Run

__all__ = ["AckBook", "refusal"]


def refusal(payload: bytes, status: bytes) -> str:
    """Why the server did not store a message, from its PubAck (or its HMSG status)."""
    if status == b"503":
        return "no stream answered for the subject (503 no responders)"
    if status:
        return f"the server answered with status {status.decode('ascii', 'replace')}"
    try:
        error = json.loads(payload).get("error") or {}
    except ValueError:
        return f"unreadable PubAck {payload[:80]!r}"
    return f"stream refused a message: {error.get('description', error)}"


class _Chunk:
    __slots__ = ("prefix", "owners", "size", "acked", "in_order")

    def __init__(self, prefix: bytes, owners: list) -> None:
        self.prefix = prefix      # b"<inbox>.<token>"
        self.owners = owners      # the Pending of each record
        self.size = len(owners)
        self.acked = 0            # acknowledgements taken (= the next index while in order)
        self.in_order = True


class AckBook:
    """The chunks sent and not yet all acknowledged, in sending order (loop thread only)."""

    def __init__(self) -> None:
        self.order: deque = deque()
        self.chunks: dict = {}

    def add(self, prefix: bytes, owners: list) -> None:
        chunk = _Chunk(prefix, owners)
        self.order.append(chunk)
        self.chunks[prefix] = chunk

    def clear(self) -> None:
        """Forget every chunk (spilled to the spool or to be sent again: late acks are ignored)."""
        self.order.clear()
        self.chunks.clear()

    def take(self, messages: list) -> tuple:
        """([(pending, count)] confirmed, [(pending, reason)] refused) by these messages."""
        confirmed: list = []
        refused: list = []
        for message in messages:
            if isinstance(message, Run):
                if self._run(message, confirmed):
                    continue
                for one in message.messages():
                    self._one(one, confirmed, refused)
            else:
                self._one(message, confirmed, refused)
        return confirmed, refused

    def _run(self, run: Run, confirmed: list) -> bool:
        need = run.count
        for chunk in self.order:
            if not chunk.in_order:
                return False
            left = chunk.size - chunk.acked
            if need <= left:
                if run.last_subject != b"%s.%d" % (chunk.prefix, chunk.acked + need - 1):
                    return False
                break
            need -= left
        else:
            return False
        need = run.count
        order = self.order
        while need:
            chunk = order[0]
            count = min(need, chunk.size - chunk.acked)
            confirmed += [(pending, len(list(group)))
                          for pending, group in itertools.groupby(chunk.owners[chunk.acked:chunk.acked + count])]
            chunk.acked += count
            need -= count
            if chunk.acked == chunk.size:
                order.popleft()
                del self.chunks[chunk.prefix]
        return True

    def _one(self, message: tuple, confirmed: list, refused: list) -> None:
        subject, payload, status = message
        prefix, _, index = subject.rpartition(b".")
        chunk = self.chunks.get(prefix)
        if chunk is None:
            return  # forgotten (spilled) or not ours
        try:
            position = int(index)
            pending: Any = chunk.owners[position]
        except (ValueError, IndexError):
            return
        if position != chunk.acked:
            chunk.in_order = False
        chunk.acked += 1
        if chunk.acked >= chunk.size:
            del self.chunks[prefix]
            self.order.remove(chunk)
        if status or b'"error"' in payload:
            refused.append((pending, refusal(payload, status)))
        else:
            confirmed.append((pending, 1))
