"""The ``forward`` output with ``mode = "inform"``: taken only once the next manager answered.

Why: a trap forwarded over UDP is lost with its datagram; chained collectors
that must not lose a notification forward it as an SNMPv2c InformRequest
(RFC 3416) and keep it until the next manager's Response -- the same
request-id, from the target address -- came back.  Only then does the
output's watermark (:meth:`InformForwardOutput.acked`) pass it, so a device's
own inform into this collector is answered only after the next manager has
it, and the device's retry covers everything in between.

Sending.  At most ``window`` informs await a Response at once; the rest wait
in order.  An inform without a Response after ``timeout`` seconds is sent
again with the same request-id and octets (so the next manager, if it
stored the first copy, recognises the retransmission), the wait doubling
each time up to :data:`BACKOFF_MAX` seconds; once the manager answers again
the others wait at most ``timeout`` more, so one that comes back is caught up
without waiting out the back-off.  With ``retries`` unset it
retries forever; with ``retries = N`` an inform still unanswered after N
retransmissions is dropped.

Bounds and back-pressure.  What is not acknowledged is not taken, so the
collector holds the informs it received and, past its own backlog bound
(131,072 notifications), stops reading -- the back-pressure every output
exerts.  The output's queue is bounded too (``max_pending`` notifications,
``max_pending_bytes`` octets, defaults above the collector's bound): past
them a new notification is dropped.  A drop (full queue, retries spent, a
Response with an error-status, an unencodable notification, a stop with
informs unanswered) moves the watermark past it -- nothing could ever take
it -- is counted in ``dropped`` and said once per episode, never silently.

I/O.  One non-blocking UDP socket, read and written only in :meth:`poll`
(the collector calls it after every batch and at least once a second).  A
small daemon thread only watches it: when a Response is waiting (or a
retransmission is due) it calls the collector's ``wake``, so an
acknowledgement is seen at once instead of at the next second.  Responses
are decoded by the package's own decoder (:func:`~snmptrapmgr.codec.ber.decode_message`).
"""

from __future__ import annotations

import os
import select
import socket
import sys
import threading
import time
from collections import deque
from typing import Any, Callable, Optional

from ...codec.ber import decode_message
from ...codec.encode import PDU_INFORM, PDU_RESPONSE
from ...codec.shapes import CommunityMessage
from ...errors import SNMPTrapMgrError
from .base import Batch, Output
from .forward_message import encode_notification, resolve_target

__all__ = ["InformForwardOutput", "BACKOFF_MAX", "DEFAULT_MAX_PENDING", "DEFAULT_MAX_PENDING_BYTES"]

#: the longest wait between two sends of one inform (the back-off's ceiling), unless timeout is longer
BACKOFF_MAX = 4.0
#: above the collector's backlog bound (131,072), so it stops reading before this output drops
DEFAULT_MAX_PENDING = 200_000
DEFAULT_MAX_PENDING_BYTES = 256 << 20
#: Responses read per poll (the rest wait for the next one; the watcher wakes the loop again)
RECEIVE_BATCH = 4096


class _Entry:
    """Notifications ``first`` .. ``end - 1``: one inform, or a run dropped at submit (``data`` None)."""

    __slots__ = ("first", "end", "data", "request_id", "deadline", "tries", "done")

    def __init__(self, first: int, end: int, data: Optional[bytes], request_id: int = 0) -> None:
        self.first = first
        self.end = end
        self.data = data
        self.request_id = request_id
        self.deadline = 0.0   # when to send again (in flight) -- monotonic seconds
        self.tries = 0        # sends so far
        self.done = data is None


class InformForwardOutput(Output):
    """Forwards every notification as an InformRequest and waits for its Response."""

    type_name = "forward"
    wants_events = True

    def __init__(self, target: str, community: str = "public", timeout: float = 1.0,
                 retries: Optional[int] = None, window: int = 128, max_pending: int = DEFAULT_MAX_PENDING,
                 max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES) -> None:
        super().__init__()
        family, self.address = resolve_target(target)
        self.target = target
        self.name = f"forward {target} (inform)"
        self.community = community.encode("utf-8")
        self.timeout = float(timeout)
        self.retries = retries
        self.window = window
        self.max_pending = max_pending
        self.max_pending_bytes = max_pending_bytes
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))  # Responses come here
        self.order: deque = deque()     # every _Entry not yet folded into the watermark, in order
        self.unsent: deque = deque()    # entries never sent, in order
        self.in_flight: dict = {}       # request-id -> _Entry awaiting its Response
        self.live = 0                   # informs queued or in flight (the max_pending count)
        self.live_bytes = 0
        self.end = 0                    # the sequence number after the last one submitted
        self.taken = 0
        self.next_id = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
        self.next_due = float("inf")    # the earliest retransmission (read by the watcher)
        self.silent_since: Optional[float] = None  # an episode of informs without Response
        self.last_answer = float("-inf")
        self.full = False               # an episode of drops at submit
        self.giving_up = False          # an episode of informs dropped after their retries
        self.send_failing = False
        self.stats = dict.fromkeys(("sent", "acknowledged", "retransmitted", "dropped", "rejected",
                                    "send_errors", "bad_responses"), 0)
        self.polled = threading.Event()
        self.closing = threading.Event()
        self.watcher: Optional[threading.Thread] = None

    # ------------------------------------------------------------- Output
    def open(self, wake: Callable[[], None]) -> None:
        """Start the watcher that wakes the collector when a Response waits (it reads nothing)."""
        super().open(wake)
        if self.watcher is None:
            self.watcher = threading.Thread(target=self._watch, name="snmptrapmgr-forward", daemon=True)
            self.watcher.start()

    def submit(self, batch: Batch) -> None:
        """Queue the batch's informs (past the bounds: counted drops), then send what the window allows."""
        seq = batch.first
        dropped = 0
        for event in batch.events:
            if self.live >= self.max_pending or self.live_bytes >= self.max_pending_bytes:
                dropped += 1
            else:
                self._queue(seq, event)
            seq += 1
        if dropped:
            # once full it stays full for the rest of the batch: the drops are its tail
            self.order.append(_Entry(batch.end - dropped, batch.end, None))
            self._drop(dropped, f"queue full (max_pending {self.max_pending:,} notifications or "
                                f"max_pending_bytes {self.max_pending_bytes:,} octets)", "full")
        self.end = batch.end
        self.poll()

    def _queue(self, seq: int, event: Any) -> None:
        self.next_id = self.next_id % 0x7FFFFFFF + 1
        try:
            data = encode_notification(PDU_INFORM, self.next_id, self.community, event)
        except (SNMPTrapMgrError, ValueError, TypeError) as exc:
            self.order.append(_Entry(seq, seq + 1, None))
            self._drop(1, f"cannot encode a notification: {exc}", "")
            return
        entry = _Entry(seq, seq + 1, data, self.next_id)
        self.order.append(entry)
        self.unsent.append(entry)
        self.live += 1
        self.live_bytes += len(data)

    def acked(self) -> int:
        return self.taken

    def poll(self) -> None:
        """Read Responses, resend what is overdue, send what the window allows; never blocks."""
        self._receive()
        now = time.monotonic()
        due = float("inf")
        for entry in list(self.in_flight.values()):
            if entry.deadline <= now:
                if self.retries is not None and entry.tries > self.retries:
                    self._finish(entry)
                    self._drop(1, f"no Response after {entry.tries} sends (retries = {self.retries})", "giving_up")
                    continue
                if self.silent_since is None and now - self.last_answer > self.timeout:
                    self.silent_since = now  # not one lost datagram: the target says nothing at all
                    self.log(f"{self.name}: no Response within {self.timeout:g} s; retransmitting "
                             "(notifications are taken only once it answers)")
                if not self._send(entry, now):
                    due = now
                    break
                self.stats["retransmitted"] += 1
            due = min(due, entry.deadline)
        while self.unsent and len(self.in_flight) < self.window:
            entry = self.unsent[0]
            if not self._send(entry, now):
                due = now
                break
            self.unsent.popleft()
            self.in_flight[entry.request_id] = entry
            self.stats["sent"] += 1
            due = min(due, entry.deadline)
        self.next_due = due
        self._fold()
        self.polled.set()  # the watcher may look at the socket again

    def _send(self, entry: _Entry, now: float) -> bool:
        """Send ``entry`` once; False when the kernel's buffer is full (try again at the next poll)."""
        try:
            self.sock.sendto(entry.data, self.address)
        except BlockingIOError:
            return False
        except OSError as exc:  # counted; the retransmission timer tries again
            self.stats["send_errors"] += 1
            if not self.send_failing:
                self.send_failing = True
                self.log(f"{self.name}: cannot send: {exc.strerror or exc}; retrying")
        else:
            self.send_failing = False
        entry.tries += 1
        entry.deadline = now + min(self.timeout * (1 << min(entry.tries - 1, 20)), max(BACKOFF_MAX, self.timeout))
        return True

    def _receive(self) -> None:
        """Match the waiting Responses to the informs in flight (same request-id, from the target)."""
        for _ in range(RECEIVE_BATCH):
            try:
                data, source = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # an ICMP error reported on the socket: the timers cover it
                continue
            if source[:2] != self.address[:2] and not _same_host(source, self.address):
                self.stats["bad_responses"] += 1
                continue
            try:
                message = decode_message(data)
            except SNMPTrapMgrError:
                self.stats["bad_responses"] += 1
                continue
            pdu = message.pdu if isinstance(message, CommunityMessage) else None
            if pdu is None or message.version != 1 or pdu.tag != PDU_RESPONSE:
                self.stats["bad_responses"] += 1
                continue
            entry = self.in_flight.get(pdu.request_id)
            if entry is None:
                continue  # the answer to a retransmission already answered
            self._finish(entry)
            if pdu.error_status:
                self.stats["rejected"] += 1
                self._drop(1, f"the Response says error-status {pdu.error_status}", "giving_up")
            else:
                self.stats["acknowledged"] += 1
                self.giving_up = False
            self._answered()

    def _answered(self) -> None:
        """The target answers: end a silent episode; the backed-off informs wait ``timeout`` again."""
        self.last_answer = now = time.monotonic()
        if self.silent_since is None:
            return
        self.log(f"{self.name}: answering again after {now - self.silent_since:.1f} s "
                 f"({self.stats['retransmitted']:,} retransmissions so far)")
        self.silent_since = None
        for entry in self.in_flight.values():  # their answers may be on the way: one timeout more
            entry.deadline = min(entry.deadline, now + self.timeout)

    def _finish(self, entry: _Entry) -> None:
        del self.in_flight[entry.request_id]
        entry.done = True
        self.live -= 1
        self.live_bytes -= len(entry.data)
        entry.data = b""

    def _fold(self) -> None:
        """Advance the watermark over the finished prefix."""
        order = self.order
        while order and order[0].done:
            self.taken = order.popleft().end
        if not order:
            self.taken = self.end
        if self.full and self.live <= self.max_pending // 2 and self.live_bytes <= self.max_pending_bytes // 2:
            self.full = False
            self.log(f"{self.name}: queue has room again ({self.stats['dropped']:,} dropped so far)")

    def _drop(self, count: int, reason: str, episode: str) -> None:
        """Count ``count`` notifications as dropped; say so once per episode (``episode``: its flag)."""
        self.stats["dropped"] += count
        if episode and getattr(self, episode):
            return
        if episode:
            setattr(self, episode, True)
        self.log(f"{self.name}: dropping notifications: {reason} (counted in dropped)")

    @staticmethod
    def log(text: str) -> None:
        sys.stderr.write(f"snmptrapmgr: {text}\n")
        sys.stderr.flush()

    def _watch(self) -> None:
        """The watcher thread: wake the collector when a Response waits or a resend is due."""
        while not self.closing.is_set():
            wait = min(0.25, max(0.01, self.next_due - time.monotonic()))
            try:
                readable, _, _ = select.select([self.sock], [], [], wait)
            except (OSError, ValueError):
                return  # the socket was closed
            if readable or time.monotonic() >= self.next_due:
                self.polled.clear()
                self.wake()
                self.polled.wait(1.0)  # until poll() has read them (it runs at least once a second)

    def flush(self, timeout: float) -> bool:
        """Poll until every inform was answered (or dropped), at most ``timeout`` s."""
        end = time.monotonic() + timeout
        while self.order and time.monotonic() < end:
            self.poll()
            if self.order:
                wait = max(0.0, min(0.05, end - time.monotonic()))
                try:
                    select.select([self.sock], [], [], wait)
                except (OSError, ValueError):
                    break
        self.poll()
        return not self.order

    def counters(self) -> dict:
        values = {key: value for key, value in self.stats.items() if value}
        if self.live:
            values["waiting"] = self.live
        return values

    def close(self) -> None:
        """Stop the watcher; informs still unanswered are lost with the process: counted and said."""
        self.closing.set()
        self.polled.set()
        if self.watcher is not None:
            self.watcher.join(2.0)
        if self.live:
            self.stats["dropped"] += self.live
            self.log(f"{self.name}: stopping with {self.live:,} notifications not acknowledged by "
                     f"{self.target}: not forwarded (counted in dropped)")
        self.sock.close()


def _same_host(source: Any, address: Any) -> bool:
    """True if ``source`` is ``address`` (an IPv4-mapped IPv6 source included)."""
    host = source[0][7:] if source[0].startswith("::ffff:") else source[0]
    return host == address[0] and source[1] == address[1]
