"""Informs held until their notification is stored, then answered.

An output that acknowledges later (a message bus, a file on a disk that is
full right now) cannot have its informs answered inside the handler.  The
collector holds each such inform here with its sequence number and the
manager that received it; once the delivered watermark passes the number,
:meth:`HeldInforms.answer_due` builds the Response through that manager's
endpoint (``reply_for`` / ``send``) and sends it.  Until then the device
retries on its own, which covers every failure in between.

Bounded: at most ``limit`` informs wait, none longer than ``max_age``
seconds (by then the sender has given up: answering would only confuse
it).  An inform over the bound or too old is never answered; it is counted
(``unanswered``) and said once per episode, never silently: its
notification is still stored when the output takes it.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable


__all__ = ["HeldInforms", "HELD_LIMIT", "HELD_SECONDS"]

HELD_LIMIT = 10_000
HELD_SECONDS = 60.0


class HeldInforms:
    """Informs waiting for the delivered watermark, oldest first."""

    def __init__(self, log: Callable[[str], None], limit: int = HELD_LIMIT,
                 max_age: float = HELD_SECONDS) -> None:
        self.log = log
        self.limit = limit
        self.max_age = max_age
        self.waiting: deque = deque()   # (sequence number, manager, event, held at)
        self.answered = 0
        self.unanswered = 0
        self.over_limit = False         # an episode of "too many waiting" was said

    def __len__(self) -> int:
        return len(self.waiting)

    def hold(self, seq: int, mgr: Any, event: Any) -> None:
        """Answer ``event`` (received by ``mgr``) once notification ``seq`` is delivered."""
        if len(self.waiting) >= self.limit:
            self.unanswered += 1
            if not self.over_limit:
                self.over_limit = True
                self.log(f"{self.limit:,} informs are waiting for the outputs: further informs "
                         "are stored when the outputs take them but not answered (their senders retry)")
            return
        self.over_limit = False
        self.waiting.append((seq, mgr, event, time.monotonic()))

    def answer_due(self, delivered: int) -> int:
        """Answer every held inform numbered below ``delivered``; drop the too old; how many answered."""
        waiting = self.waiting
        answered = 0
        while waiting and waiting[0][0] < delivered:
            _, mgr, event, _ = waiting.popleft()
            answered += self.answer(mgr, event)
        if waiting:
            oldest = time.monotonic() - self.max_age
            expired = 0
            while waiting and waiting[0][3] < oldest:
                waiting.popleft()
                expired += 1
            if expired:
                self.unanswered += expired
                self.log(f"{expired:,} informs waited over {self.max_age:g} s for the outputs and "
                         "were not answered (their senders have given up; each is stored when taken)")
        return answered

    def answer(self, mgr: Any, event: Any) -> int:
        """Send the Response of ``event`` now, through its manager (traced; a refused send is its
        on_error and the endpoint's send_errors); 1 if it was sent."""
        event.respond = True
        sent = mgr.send_reply(event, (event.source_address, event.source_port))
        event.respond = False  # answered here: the facade does not send it again after the handler
        self.answered += sent
        return int(sent)
