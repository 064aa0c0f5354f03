"""The protocol's constants: PDU tags, the notification varbind OIDs, and v1 trap OIDs.

Shared by the decoders, the encoders and the security layer, so they live
apart from both.  The C code takes the same PDU tags from
``src/codec/_pdu.pxi`` (a test checks the two agree).
"""

from __future__ import annotations

__all__ = [
    "PDU_GET", "PDU_GETNEXT", "PDU_RESPONSE", "PDU_SET", "PDU_TRAP_V1",
    "PDU_GETBULK", "PDU_INFORM", "PDU_TRAP", "PDU_REPORT",
    "SYS_UPTIME", "SNMP_TRAP_OID", "SNMP_TRAPS", "v1_trap_oids",
]

PDU_GET = 0xA0
PDU_GETNEXT = 0xA1
PDU_RESPONSE = 0xA2
PDU_SET = 0xA3
PDU_TRAP_V1 = 0xA4
PDU_GETBULK = 0xA5
PDU_INFORM = 0xA6
PDU_TRAP = 0xA7
PDU_REPORT = 0xA8

#: the two varbinds that open every v2 notification (RFC 3416 4.2.6), and the standard traps
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"


def v1_trap_oids(enterprise: str, generic: int, specific: int) -> tuple[str, str]:
    """(the reference's TrapOID, the RFC 3584 snmpTrapOID) of a v1 trap."""
    if enterprise == SNMP_TRAPS:
        reference = f"{enterprise}.{generic + 1}"
    else:
        reference = f"{enterprise}.{generic}.{specific}"
    if 0 <= generic <= 5:
        rfc3584 = f"{SNMP_TRAPS}.{generic + 1}"
    else:
        rfc3584 = f"{enterprise}.0.{specific}"
    return reference, rfc3584
