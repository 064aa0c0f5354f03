"""Pure-Python OID text <-> BER content octets; the twin of ``src/_oid_c.pyx``.

Text is dotted decimal ("1.3.6.1.2.1.1.3.0"); a leading dot, as net-snmp prints
it, is accepted.  The empty string stands for the zero-length OID.  Bad text
raises DecodeError 320, bad octets DecodeError 317, in both twins.
"""

from __future__ import annotations

from ._ber_py import decode_oid
from ..errors import ERR_BAD_PACKET, DecodeError

__all__ = ["oid_to_ber", "oid_from_ber"]

_SUBID_MAX = 0xFFFFFFFF


def _bad(text: str, why: str) -> DecodeError:
    return DecodeError(ERR_BAD_PACKET, f"invalid OID {text!r}: {why}")


def _base128(value: int, out: bytearray) -> None:
    if value < 0x80:
        out.append(value)
        return
    chunks = []
    while value:
        chunks.append(value & 0x7F)
        value >>= 7
    for i in range(len(chunks) - 1, 0, -1):
        out.append(chunks[i] | 0x80)
    out.append(chunks[0])


def oid_to_ber(text: str) -> bytes:
    """Encode dotted text as OBJECT IDENTIFIER content octets (no tag/length)."""
    body = text[1:] if text.startswith(".") else text
    if not body:
        return b""
    parts = body.split(".")
    if len(parts) < 2:
        raise _bad(text, "needs at least two arcs")
    arcs = []
    for part in parts:
        if not part.isdigit() or not part.isascii():
            raise _bad(text, f"arc {part!r} is not a decimal number")
        arcs.append(int(part))
    first, second = arcs[0], arcs[1]
    if first > 2 or (first < 2 and second >= 40):
        raise _bad(text, "first two arcs out of range")
    out = bytearray()
    head = first * 40 + second
    if head > _SUBID_MAX:
        raise _bad(text, "arc above 2^32-1")
    _base128(head, out)
    for arc in arcs[2:]:
        if arc > _SUBID_MAX:
            raise _bad(text, "arc above 2^32-1")
        _base128(arc, out)
    return bytes(out)


def oid_from_ber(data: bytes) -> str:
    """Decode OBJECT IDENTIFIER content octets to dotted text."""
    return decode_oid(data, 0, len(data))
