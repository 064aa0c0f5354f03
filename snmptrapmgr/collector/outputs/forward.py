"""The ``forward`` output: each notification re-sent as an SNMPv2c trap to another manager.

Collectors are chained (a site collector forwarding to a central one).  The
origin is kept the way RFC 3584 (section 3.1) keeps it (``snmpTrapAddress.0``,
``snmpTrapCommunity.0``, a v1 trap in its v2 form): :mod:`.forward_message`.

Delivery, ``mode = "trap"`` (the default): UDP traps, so "taken" means sent
(the kernel accepted the datagram), as with any trap on the wire; keep a file
or bus output beside it for what must be stored.  A send the kernel cannot take
now (a full socket buffer) keeps the rest of the batch and retries at the next
poll; other send errors are counted and said once per episode.

``mode = "inform"``: each notification goes as an SNMPv2c InformRequest and
counts as taken only once the next manager's Response came back
(:mod:`.forward_inform`, with its ``timeout``, ``retries``, ``window``,
``max_pending`` and ``max_pending_bytes``).
"""

from __future__ import annotations

import socket
import sys
from typing import Any, Mapping

from ...codec.encode import PDU_TRAP
from ..options import ConfigError, Option, check_table
from .base import Batch, Output
from .forward_inform import InformForwardOutput
from .forward_message import (
    SNMP_TRAP_ADDRESS,
    SNMP_TRAP_COMMUNITY,
    SNMP_TRAP_ENTERPRISE,
    encode_notification,
    resolve_target,
    v2_varbinds,
)

__all__ = ["ForwardOutput", "InformForwardOutput", "SNMP_TRAP_ADDRESS", "SNMP_TRAP_COMMUNITY",
           "SNMP_TRAP_ENTERPRISE", "v2_varbinds"]

OPTIONS = [
    Option("type", str),
    Option("target", str, meaning="HOST:PORT of the next manager"),
    Option("community", str, default="public", meaning="community of the forwarded traps"),
    Option("mode", str, default="trap", choices=("trap", "inform"),
           meaning="trap: sent is taken; inform: taken once the next manager answered"),
    # mode = "inform" only (forward_inform.py says what each does)
    Option("timeout", float, minimum=0.01, maximum=60, meaning="seconds before the first retransmission"),
    Option("retries", int, minimum=0, maximum=1_000_000, meaning="retransmissions, then dropped (default: forever)"),
    Option("window", int, minimum=1, maximum=65_536, meaning="informs awaiting a Response at once"),
    Option("max_pending", int, minimum=1, maximum=10_000_000, meaning="notifications kept before dropping"),
    Option("max_pending_bytes", int, minimum=65_536, maximum=1 << 40, meaning="octets kept before dropping"),
]
INFORM_ONLY = ("timeout", "retries", "window", "max_pending", "max_pending_bytes")


class ForwardOutput(Output):
    """Re-sends every notification to ``target`` as a v2c trap (see the module docstring)."""

    type_name = "forward"
    wants_events = True

    def __init__(self, target: str, community: str = "public") -> None:
        super().__init__()
        family, self.address = resolve_target(target)
        self.target = target
        self.name = f"forward {target}"
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.community = community.encode("utf-8")
        self.pending: list = []   # datagrams not sent yet, oldest first
        self.pending_end = 0      # the sequence number after the last of them
        self.taken = 0
        self.sent = 0
        self.errors = 0
        self.failing = False
        self.request_id = 0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> Output:
        """Trap mode here; ``mode = "inform"`` builds a :class:`~.forward_inform.InformForwardOutput`."""
        table = check_table(spec, OPTIONS, "output forward")
        if "target" not in table:
            raise ConfigError("output forward: target = \"HOST:PORT\" is missing")
        extra = {key: table[key] for key in INFORM_ONLY if key in table}
        if table["mode"] == "inform":
            return InformForwardOutput(table["target"], table["community"], **extra)
        if extra:
            raise ConfigError(f"output forward: {', '.join(extra)} only with mode = \"inform\" "
                              "(traps are not acknowledged)")
        return cls(table["target"], table["community"])

    def encode(self, event: Any) -> bytes:
        self.request_id = (self.request_id + 1) & 0x7FFFFFFF
        return encode_notification(PDU_TRAP, self.request_id, self.community, event)

    def submit(self, batch: Batch) -> None:
        self.pending.extend(self.encode(event) for event in batch.events)
        self.pending_end = batch.end
        self.poll()

    def poll(self) -> None:
        sent = 0
        for data in self.pending:
            try:
                self.sock.sendto(data, self.address)
            except BlockingIOError:
                break  # the kernel's buffer is full: the rest waits for the next poll
            except OSError as exc:
                self.errors += 1
                if not self.failing:
                    self.failing = True
                    sys.stderr.write(f"snmptrapmgr: {self.name}: cannot send: {exc.strerror or exc}; "
                                     "counted as errors until a send works again\n")
            else:
                self.sent += 1
                self.failing = False
            sent += 1
        del self.pending[:sent]
        if not self.pending:
            self.taken = self.pending_end

    def acked(self) -> int:
        return self.taken

    def counters(self) -> dict:
        return {"sent": self.sent, "errors": self.errors} if self.sent or self.errors else {}

    def close(self) -> None:
        self.poll()
        self.sock.close()
