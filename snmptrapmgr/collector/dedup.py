"""Retransmitted informs: acknowledged again, stored once.

A sender that did not get our Response in time sends the same inform
again (same request-id, same varbinds).  Storing each copy would give the
outputs duplicates the device never meant to send, so the collector asks
:class:`InformDedup` whether an inform is a copy of one it already took
within a window (default 30 s, longer than any sane retry schedule).

What makes two informs "the same": the sender's address and port, its
community (v1/v2c, as the octets received) or its engine and user (v3:
the contextEngineID, since the message's authoritative engine is ours),
the request-id and the varbinds themselves (a device reusing a
request-id for a different notification is not deduplicated).

Memory is bounded: at most ``max_entries`` informs are remembered, the
oldest forgotten first (counted in ``evicted``), and entries older than
the window are dropped as new ones arrive.  The clock is passed in, so
tests and the collector decide what "now" is.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Hashable

__all__ = ["InformDedup", "inform_key", "DEFAULT_WINDOW", "DEFAULT_MAX_ENTRIES"]

DEFAULT_WINDOW = 30.0
DEFAULT_MAX_ENTRIES = 100_000


def inform_key(event: Any) -> Hashable:
    """What identifies one inform among its retransmissions (see the module docstring).

    The varbinds enter as their hash (SipHash of plain tuples, keyed per
    process), so a remembered inform costs a few dozen bytes, not its values.
    """
    if event.snmp_version == 3:
        origin: Any = (event.context_engine_id, event.user)
    else:
        origin = event.community_bytes or event.community
    return (event.source_address, event.source_port, origin, event.request_id,
            len(event.varbinds), hash(tuple(event.varbinds)))


class InformDedup:
    """Remembers the informs taken in the last ``window`` seconds (bounded)."""

    def __init__(self, window: float = DEFAULT_WINDOW, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if window < 0:
            raise ValueError(f"window must not be negative, not {window!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries!r}")
        self.window = float(window)
        self.clock = clock
        self.max_entries = max_entries
        self.duplicates = 0   # informs recognised as retransmissions
        self.evicted = 0      # remembered informs forgotten early because the table was full
        self._seen: dict = {}  # key -> (time taken, tag), oldest first (insertion order)
        #: the tag given with the inform a duplicate repeats (set when check returns True)
        self.last_tag: Any = None

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, event: Any, tag: Any = None) -> bool:
        """True if ``event`` repeats an inform taken within the window (counted; ``last_tag``
        is then the tag it was taken with); otherwise remember it, with ``tag``, and return False."""
        return self.check_key(inform_key(event), tag)

    def check_key(self, key: Hashable, tag: Any = None) -> bool:
        """:meth:`check` for a key made by :func:`inform_key` (or any hashable)."""
        now = self.clock()
        seen = self._seen
        self._expire(now)
        entry = seen.get(key)
        taken = entry[0] if entry is not None else None
        if taken is not None and now - taken <= self.window:
            self.duplicates += 1
            self.last_tag = entry[1]
            return True
        if taken is not None:
            del seen[key]  # re-inserted below, at the young end
        elif len(seen) >= self.max_entries:
            del seen[next(iter(seen))]
            self.evicted += 1
        seen[key] = (now, tag)
        return False

    def forget(self, event: Any) -> None:
        """Forget ``event`` (it was not stored after all, so a retransmission must be)."""
        self._seen.pop(inform_key(event), None)

    def _expire(self, now: float) -> None:
        seen = self._seen
        limit = now - self.window
        while seen:
            oldest = next(iter(seen))
            if seen[oldest][0] >= limit:
                break
            del seen[oldest]
