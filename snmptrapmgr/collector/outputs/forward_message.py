"""What the ``forward`` output sends, in both modes: the v2c message that keeps the origin.

Why a module of its own: the trap mode (:mod:`.forward`) and the inform mode
(:mod:`.forward_inform`) send the same message with a different PDU tag,
and the trap mode builds the inform one, so what they share lives below both.

The origin is kept the way RFC 3584 (section 3.1) keeps it: ``snmpTrapAddress.0``
(the sending agent's IPv4 address: a v1 trap's agent-addr, else the datagram's
source) and, for v1/v2c, ``snmpTrapCommunity.0`` are appended unless the
notification carries them already; a v1 trap becomes its v2 form
(``sysUpTime.0``, ``snmpTrapOID.0`` = its RFC 3584 OID, its varbinds,
``snmpTrapEnterprise.0``).  An IPv6 source has no IpAddress form: such a
notification is forwarded without ``snmpTrapAddress.0``.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Optional

from ...codec.encode import SNMP_TRAP_OID, SYS_UPTIME, encode_community_message, encode_pdu
from ..options import ConfigError

__all__ = ["SNMP_TRAP_ADDRESS", "SNMP_TRAP_COMMUNITY", "SNMP_TRAP_ENTERPRISE", "encode_notification",
           "resolve_target", "v2_varbinds"]

SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"


def _ipv4(text: str) -> Optional[str]:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address) if address.version == 4 else None


def resolve_target(target: str) -> tuple:
    """(address family, socket address) of ``"HOST:PORT"``; ConfigError naming what is wrong."""
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"output forward: target {target!r} is not HOST:PORT")
    try:
        info = socket.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)[0]
    except socket.gaierror as exc:
        raise ConfigError(f"output forward: target {target!r}: {exc.strerror}") from None
    return info[0], info[4]


def encode_notification(tag: int, request_id: int, community: bytes, event: Any) -> bytes:
    """The v2c message (a Trap or an InformRequest, by ``tag``) that forwards ``event``."""
    return encode_community_message(1, community, encode_pdu(tag, request_id, 0, 0, v2_varbinds(event)))


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
