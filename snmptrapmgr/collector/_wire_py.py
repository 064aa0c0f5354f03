"""Wire -> JSON line of a v2c trap; the twin of ``src/collector/_wire_c.pyx``.

The compiled twin walks the datagram once, in C, to the finished line.  This
twin is that line's definition in Python: the receiver's decoder, then the
schema (:func:`~snmptrapmgr.collector.schema.format_notification`).  It takes
every v2c trap the decoder accepts (the compiled walk may leave an unusual
one to the usual path: a line either writes is the same bytes).  The
collector installs the compiled twin only: this one does the usual path's
work, so it would gain nothing there; the property tests hold the two
together.
"""

from __future__ import annotations

from typing import Any, Optional

from ..codec import community
from ..events import SNMPTrapMgrTrapEventParams
from .schema import Clock, format_notification

__all__ = ["WireLines", "SLOTS", "ENTRIES", "MAX_OID"]

SLOTS = 16384
ENTRIES = 8192
MAX_OID = 128


class WireLines:
    """The collector's one-pass writer of v2c trap lines; see the compiled twin."""

    def __init__(self, names: Any = None, communities: Optional[set] = None, delivery: Any = None,
                 counts: Optional[list] = None) -> None:
        self.names = names
        self.communities = communities
        self.delivery = delivery
        self.counts = counts
        self.entries = 0
        self.taken = 0
        self._decode = community.CommunityDecoder(communities).decode
        self._clock = Clock()

    @property
    def cache_size(self) -> tuple:
        """(entries, bytes): this twin keeps no cache of its own (the schema's are its caches)."""
        return 0, 0

    def clear(self) -> None:
        """Nothing to empty here (see cache_size)."""

    def line(self, data: Any, address: Any, now: float) -> Optional[str]:
        """The JSON line of a v2c trap received at ``now`` (epoch); None for anything else."""
        if type(data) is not bytes:
            return None
        try:
            event = self._decode(data, address)
        except Exception:  # noqa: BLE001 - in error: the usual path says what it is
            return None
        if type(event) is not SNMPTrapMgrTrapEventParams or event.snmp_version != 2 or not event.trap_oid:
            return None
        return format_notification(event, float(now), self.names)

    def __call__(self, data: Any, address: Any, now: float) -> bool:
        """Take the datagram into the delivery (True), or leave it to the usual path (False)."""
        text = self.line(data, address, now)
        if text is None:
            return False
        delivery = self.delivery
        delivery.lines.append(text)
        if self.counts is not None:
            self.counts[2] += 1
        self.taken += 1
        if len(delivery.lines) >= delivery.check_at:
            delivery.check()
        return True
