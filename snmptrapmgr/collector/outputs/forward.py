"""The ``forward`` output: each notification re-sent as an SNMPv2c trap to another manager.

Collectors are chained (a site collector forwarding to a central one).  The
origin is kept the way RFC 3584 (section 3.1) keeps it: ``snmpTrapAddress.0``
(the sending agent's IPv4 address: a v1 trap's agent-addr, else the datagram's
source) and, for v1/v2c, ``snmpTrapCommunity.0`` are appended unless the
notification carries them already; a v1 trap becomes its v2 form
(``sysUpTime.0``, ``snmpTrapOID.0`` = its RFC 3584 OID, its varbinds,
``snmpTrapEnterprise.0``).  An IPv6 source has no IpAddress form: such a
notification is forwarded without ``snmpTrapAddress.0``.

Delivery: UDP traps, so "taken" means sent (the kernel accepted the datagram),
as with any trap on the wire; keep a file or bus output beside it for what must
be stored.  A send the kernel cannot take now (a full socket buffer) keeps the
rest of the batch and retries at the next poll; other send errors are counted
and said once per episode.  Forwarding as informs (acknowledged by the next
manager) is not built: ``mode = "inform"`` is refused with a message.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any, Mapping, Optional

from ...codec.encode import PDU_TRAP, SNMP_TRAP_OID, SYS_UPTIME, encode_community_message, encode_pdu
from ..options import ConfigError, Option, check_table
from .base import Batch, Output

__all__ = ["ForwardOutput", "SNMP_TRAP_ADDRESS", "SNMP_TRAP_COMMUNITY", "SNMP_TRAP_ENTERPRISE"]

SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"

OPTIONS = [
    Option("type", str),
    Option("target", str, meaning="HOST:PORT of the next manager"),
    Option("community", str, default="public", meaning="community of the forwarded traps"),
    Option("mode", str, default="trap", choices=("trap", "inform")),
]


def _ipv4(text: str) -> Optional[str]:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address) if address.version == 4 else None


def v2_varbinds(event: Any) -> list:
    """The varbinds of the forwarded trap: the v2 form, plus the origin where it is missing."""
    if event.snmp_version == 1:
        varbinds = [(SYS_UPTIME, 0x43, event.time_stamp), (SNMP_TRAP_OID, 0x06, event.rfc3584_trap_oid),
                    *event.varbinds]
        origin = event.agent_address or event.source_address
    else:
        varbinds = list(event.varbinds)
        origin = event.source_address
    present = {oid for oid, _, _ in varbinds}
    address = _ipv4(origin)
    if SNMP_TRAP_ADDRESS not in present and address is not None:
        varbinds.append((SNMP_TRAP_ADDRESS, 0x40, address))
    if SNMP_TRAP_COMMUNITY not in present and event.snmp_version in (1, 2):
        community = event.community_bytes or event.community.encode("utf-8", "surrogateescape")
        varbinds.append((SNMP_TRAP_COMMUNITY, 0x04, community))
    if event.snmp_version == 1 and SNMP_TRAP_ENTERPRISE not in present:
        varbinds.append((SNMP_TRAP_ENTERPRISE, 0x06, event.enterprise))
    return varbinds


class ForwardOutput(Output):
    """Re-sends every notification to ``target`` as a v2c trap (see the module docstring)."""

    type_name = "forward"
    wants_events = True

    def __init__(self, target: str, community: str = "public") -> None:
        super().__init__()
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"output forward: target {target!r} is not HOST:PORT")
        try:
            info = socket.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)[0]
        except socket.gaierror as exc:
            raise ConfigError(f"output forward: target {target!r}: {exc.strerror}") from None
        self.target = target
        self.name = f"forward {target}"
        self.address = info[4]
        self.sock = socket.socket(info[0], socket.SOCK_DGRAM)
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
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> "ForwardOutput":
        table = check_table(spec, OPTIONS, "output forward")
        if "target" not in table:
            raise ConfigError("output forward: target = \"HOST:PORT\" is missing")
        if table["mode"] == "inform":
            raise ConfigError("output forward: mode = \"inform\" (acknowledged forwarding) is not built yet; "
                              "use mode = \"trap\" with a file or bus output beside it")
        return cls(table["target"], table["community"])

    def encode(self, event: Any) -> bytes:
        self.request_id = (self.request_id + 1) & 0x7FFFFFFF
        pdu = encode_pdu(PDU_TRAP, self.request_id, 0, 0, v2_varbinds(event))
        return encode_community_message(1, self.community, pdu)

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
