"""Encoders for what a receiver sends (Response, Report) and for test traffic.

The protocol constants (PDU tags, sysUpTime.0/snmpTrapOID.0, v1 trap OIDs)
live in :mod:`snmptrapmgr.codec.pdu`; they are re-exported here for the
modules that still import them from this one.

Decoding lives in the accelerated ``ber`` twins; encoding happens a few times
per inform at most, so it stays in plain Python.  Values take the same native
form the decoder returns (see ``_ber_py``), so encode -> decode is identity.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..errors import ERR_BAD_PACKET, ERR_NOT_IP_ADDRESS, SNMPTrapMgrError
from ..events import TYPE_NAMES
from .oid import oid_to_ber
# re-exported: importers outside the codec still take them from here
from .pdu import (
    PDU_GET,
    PDU_GETBULK,
    PDU_GETNEXT,
    PDU_INFORM,
    PDU_REPORT,
    PDU_RESPONSE,
    PDU_SET,
    PDU_TRAP,
    PDU_TRAP_V1,
    SNMP_TRAP_OID,
    SNMP_TRAPS,
    SYS_UPTIME,
    v1_trap_oids,
)

__all__ = [
    "TYPE_NAMES",
    "PDU_GET", "PDU_GETNEXT", "PDU_RESPONSE", "PDU_SET", "PDU_TRAP_V1",
    "PDU_GETBULK", "PDU_INFORM", "PDU_TRAP", "PDU_REPORT",
    "encode_length", "encode_tlv", "encode_integer", "encode_value",
    "encode_varbinds", "encode_pdu", "encode_v1_trap_pdu", "encode_community_message",
    "encode_scoped_pdu", "encode_v3_message",
    "SYS_UPTIME", "SNMP_TRAP_OID", "SNMP_TRAPS", "v1_trap_oids",
]

_UNSIGNED = {0x41: 4, 0x42: 4, 0x43: 4, 0x47: 4, 0x46: 8}


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def encode_tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(content)) + content


def _signed_content(value: int) -> bytes:
    return value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)


def encode_integer(value: int, tag: int = 0x02) -> bytes:
    return encode_tlv(tag, _signed_content(value))


def _unsigned_content(value: int, size: int) -> bytes:
    if not 0 <= value < (1 << (8 * size)):
        raise SNMPTrapMgrError(ERR_BAD_PACKET, f"unsigned value {value} out of range")
    # minimal two's-complement form: a leading 0x00 when the top bit is set
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def encode_value(obj_type: int, value: object) -> bytes:
    """Encode one value (native form, as the decoder returns it) with its tag."""
    if obj_type == 0x02:
        return encode_integer(int(value))
    if obj_type in (0x04, 0x44, 0x45):
        if isinstance(value, str):
            value = value.encode()
        return encode_tlv(obj_type, bytes(value))
    if obj_type in _UNSIGNED:
        return encode_tlv(obj_type, _unsigned_content(int(value), _UNSIGNED[obj_type]))
    if obj_type == 0x06:
        return encode_tlv(0x06, oid_to_ber(str(value)))
    if obj_type == 0x40:
        try:
            parts = bytes(int(p) for p in str(value).split("."))
        except ValueError:
            parts = b""
        if len(parts) != 4:
            raise SNMPTrapMgrError(ERR_NOT_IP_ADDRESS, f"not a dotted IPv4 address: {value!r}")
        return encode_tlv(0x40, parts)
    if obj_type in (0x05, 0x80, 0x81, 0x82):
        return bytes((obj_type, 0))
    raise SNMPTrapMgrError(ERR_BAD_PACKET, f"unknown object type {obj_type}")


def encode_varbinds(varbinds: Iterable[Sequence]) -> bytes:
    body = b"".join(
        encode_tlv(0x30, encode_tlv(0x06, oid_to_ber(oid)) + encode_value(obj_type, value))
        for oid, obj_type, value in varbinds
    )
    return encode_tlv(0x30, body)


def encode_pdu(tag: int, request_id: int, error_status: int, error_index: int,
               varbinds: Iterable[Sequence]) -> bytes:
    return encode_tlv(tag, encode_integer(request_id) + encode_integer(error_status)
                      + encode_integer(error_index) + encode_varbinds(varbinds))


def encode_v1_trap_pdu(enterprise: str, agent_address: str, generic: int, specific: int,
                       time_stamp: int, varbinds: Iterable[Sequence]) -> bytes:
    return encode_tlv(PDU_TRAP_V1, encode_value(0x06, enterprise) + encode_value(0x40, agent_address)
                      + encode_integer(generic) + encode_integer(specific)
                      + encode_value(0x43, time_stamp) + encode_varbinds(varbinds))


def encode_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    """A v1 (version 0) or v2c (version 1) message around an encoded PDU."""
    return encode_tlv(0x30, encode_integer(version) + encode_tlv(0x04, community) + pdu)


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return encode_tlv(0x30, encode_tlv(0x04, context_engine_id) + encode_tlv(0x04, context_name) + pdu)


def encode_v3_message(msg_id: int, max_size: int, flags: int, engine_id: bytes, boots: int,
                      time: int, user: bytes, auth_params: bytes, priv_params: bytes,
                      msg_data: bytes) -> tuple[bytes, int]:
    """Return the message and the offset of msgAuthenticationParameters' content.

    ``msg_data`` is an encoded ScopedPDU or an OCTET STRING TLV of ciphertext.
    The offset lets the caller write the MAC in place without searching.
    """
    head = encode_integer(3) + encode_tlv(0x30, encode_integer(msg_id) + encode_integer(max_size)
                                          + encode_tlv(0x04, bytes((flags,))) + encode_integer(3))
    prefix = (encode_tlv(0x04, engine_id) + encode_integer(boots) + encode_integer(time)
              + encode_tlv(0x04, user))
    auth_tlv = encode_tlv(0x04, auth_params)
    usm = encode_tlv(0x30, prefix + auth_tlv + encode_tlv(0x04, priv_params))
    sec = encode_tlv(0x04, usm)
    body = head + sec + msg_data
    message = encode_tlv(0x30, body)
    offset = (len(message) - len(body) + len(head) + len(sec) - len(usm)
              + _header_size(usm) + len(prefix) + len(auth_tlv) - len(auth_params))
    return message, offset


def _header_size(tlv: bytes) -> int:
    first = tlv[1]
    return 2 if first < 0x80 else 2 + (first & 0x7F)
