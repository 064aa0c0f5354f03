"""The named shapes the decoders return, so readers say ``msg.scoped`` instead of ``msg[12]``.

Both twins of :mod:`snmptrapmgr.codec.ber` build these (a NamedTuple is a
tuple, so equality with plain tuples and unpacking still hold).  Varbinds
stay plain ``(oid, obj_type, value)`` tuples, the hot path's shape;
:class:`Varbind` names their fields for readers (``Varbind(*vb).oid``).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Union

__all__ = ["CommunityMessage", "V3Message", "ScopedPdu", "Pdu", "V1TrapPdu", "Varbind"]


class Varbind(NamedTuple):
    oid: str       # dotted text
    obj_type: int  # the BER tag, equal to the reference's otXxx number
    value: Any     # int, bytes, str (OID, IpAddress) or None (NULL, exceptions)


class Pdu(NamedTuple):
    tag: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list


class V1TrapPdu(NamedTuple):
    tag: int  # 0xA4
    enterprise: str
    agent_address: str
    generic: int
    specific: int
    time_stamp: int
    varbinds: list


class CommunityMessage(NamedTuple):
    version: int  # 0 (v1) or 1 (v2c), as on the wire
    community: bytes
    pdu: Union[Pdu, V1TrapPdu]


class ScopedPdu(NamedTuple):
    context_engine_id: bytes
    context_name: bytes
    pdu: Union[Pdu, V1TrapPdu]


class V3Message(NamedTuple):
    version: int  # 3
    msg_id: int
    max_size: int
    flags: int
    security_model: int
    engine_id: bytes
    boots: int
    time: int
    user: bytes
    auth_params: bytes
    auth_offset: int  # index in the datagram of msgAuthenticationParameters' content
    priv_params: bytes
    scoped: Union[ScopedPdu, bytes]  # bytes: still encrypted
