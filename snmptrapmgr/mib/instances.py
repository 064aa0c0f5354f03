"""Instance suffixes (table INDEX values) printed the way net-snmp's ``snmptranslate -OS`` does.

A column's instance is its row's INDEX values, encoded one after the other
(RFC 2578 section 7.7).  net-snmp prints each the way its syntax reads:

- integers as numbers, an enumerated one by its label (``ipv4``);
- IpAddress as four dotted numbers;
- strings in quotes, printable ASCII as is and any other octet as ".";
  double quotes when the length was encoded, single quotes when it was not
  (IMPLIED, or a fixed SIZE): ``"public"``, ``'abcdef'``;
- an InetAddress after an InetAddressType of ipv4/ipv6/ipv4z/ipv6z with the
  matching length as an address (``"127.0.0.1"``, ``"fe:80:...:01"``,
  ``"127.0.0.1%5"``);
- OBJECT IDENTIFIER values, and anything that does not decode (too few
  sub-identifiers, an octet above 255), as the numbers that are left.

Sub-identifiers beyond the INDEX are appended as numbers.
"""

from __future__ import annotations

from typing import Callable, Optional

__all__ = ["format_instance", "numeric"]

_INET_TYPE = "INET-ADDRESS-MIB::InetAddressType"
_INET_ADDRESS = "INET-ADDRESS-MIB::InetAddress"


def numeric(parts: list) -> str:
    return ".".join(map(str, parts))


def _string(octets: list, quote: str) -> str:
    return quote + "".join(chr(b) if 32 <= b < 127 else "." for b in octets) + quote


def _inet(kind: Optional[int], octets: list, quote: str) -> Optional[str]:
    size = len(octets)
    if kind == 1 and size == 4:
        return quote + ".".join(map(str, octets)) + quote
    if kind == 3 and size == 8:
        zone = int.from_bytes(bytes(octets[4:]), "big")
        return quote + ".".join(map(str, octets[:4])) + f"%{zone}" + quote
    if kind == 2 and size == 16:
        return quote + ":".join(f"{b:02x}" for b in octets) + quote
    if kind == 4 and size == 20:
        zone = int.from_bytes(bytes(octets[16:]), "big")
        return quote + ":".join(f"{b:02x}" for b in octets[:16]) + f"%{zone}" + quote
    return None


def format_instance(index: list, parts: list, syntax_of: Callable[[str], Optional[list]],
                    enum_of: Callable[[int], dict]) -> str:
    """The instance ``parts`` (ints) of a column whose row has INDEX ``index``.

    ``index``: flat [oid, implied, oid, implied, ...]; ``syntax_of(oid)``
    gives the index object's syntax row [base, hint, enum, tc, sizes] (or
    None); ``enum_of(enum id)`` its value -> label map.
    """
    out: list = []
    pos, total = 0, len(parts)
    inet_kind: Optional[int] = None
    components = len(index) // 2
    for k in range(components):
        if pos >= total:
            break
        syntax = syntax_of(index[2 * k])
        implied = bool(index[2 * k + 1]) and k == components - 1
        base = syntax[0] if syntax else "int"
        if base == "int":
            value = parts[pos]
            pos += 1
            enum = enum_of(syntax[2]) if syntax and syntax[2] >= 0 else None
            label = enum.get(value) if enum else None
            out.append(label if label is not None else str(value))
            if syntax and syntax[3] == _INET_TYPE:
                inet_kind = value
            continue
        if base == "ip":
            if pos + 4 > total or any(p > 255 for p in parts[pos:pos + 4]):
                break
            out.append(numeric(parts[pos:pos + 4]))
            pos += 4
            continue
        if base == "oid":  # printed as the numbers it takes, length included
            length = total - pos if implied else parts[pos] + 1
            if pos + length > total:
                break
            out.append(numeric(parts[pos:pos + length]))
            pos += length
            continue
        if base != "str":  # BITS and the unknown: the numbers that are left
            break
        sizes = syntax[4]
        fixed = sizes[0] if sizes and len(sizes) == 2 and sizes[0] == sizes[1] else -1
        start = pos
        if implied:
            length, quote = total - pos, "'"
        elif fixed >= 0:
            length, quote = fixed, "'"
        else:
            length, quote = parts[pos], '"'
            pos += 1
        octets = parts[pos:pos + length]
        if len(octets) < length or any(b > 255 for b in octets):
            pos = start
            break
        pos += length
        text = None
        if syntax[3] == _INET_ADDRESS:
            text = _inet(inet_kind, octets, quote)
            inet_kind = None
        out.append(text if text is not None else _string(octets, quote))
    if pos < total:
        out.append(numeric(parts[pos:]))
    return ".".join(out)
