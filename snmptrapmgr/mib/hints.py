"""DISPLAY-HINT rendering (RFC 2579 section 3.1), and the address forms MIBs leave implicit.

Octet strings: a hint is a list of octet-format specifications, each
``[*]<length><format>[<separator>[<terminator>]]`` with format x, d, o
(big-endian numbers of ``length`` octets), a (ASCII) or t (UTF-8); the last
specification repeats until the octets run out, and a separator or
terminator that would end the display is left out.  Hex is written two
digits per octet (``00:1a:2b``), as MAC addresses are read.  Integers:
x, o, b, d and d-N (N digits after an implied decimal point).

InetAddress has no hint: its reading depends on InetAddressType, which a
single varbind does not carry, so :func:`inet_address` reads it by length
(4 IPv4, 16 IPv6, 8 and 20 the same with a %zone).  A hint that cannot be
parsed, or does not fit the value, renders nothing (None): a display is
an extra, never a reason to fail.
"""

from __future__ import annotations

import ipaddress
from typing import Optional

__all__ = ["octet_hint", "integer_hint", "inet_address", "parse_octet_hint", "bits"]

_FORMATS = "xdoat"
_NOT_SEPARATOR = "0123456789*"
_parsed: dict = {}
_PARSED_MAX = 4096


def parse_octet_hint(hint: str) -> Optional[tuple]:
    """(star, length, format, separator, terminator) per specification, or None if malformed."""
    found = _parsed.get(hint)
    if found is not None or hint in _parsed:
        return found
    specs = []
    i, end = 0, len(hint)
    while i < end:
        star = hint[i] == "*"
        if star:
            i += 1
        j = i
        while j < end and hint[j].isdigit():
            j += 1
        if j == i or j >= end or hint[j] not in _FORMATS:
            specs = None
            break
        length, fmt = int(hint[i:j]), hint[j]
        i = j + 1
        separator = terminator = None
        if i < end and hint[i] not in _NOT_SEPARATOR:
            separator, i = hint[i], i + 1
            if star and i < end and hint[i] not in _NOT_SEPARATOR:
                terminator, i = hint[i], i + 1
        specs.append((star, length, fmt, separator, terminator))
    result = tuple(specs) if specs else None
    if len(_parsed) >= _PARSED_MAX:
        _parsed.clear()
    _parsed[hint] = result
    return result


def _render(fmt: str, chunk: bytes) -> str:
    if fmt == "a":
        try:
            return chunk.decode("utf-8")
        except UnicodeDecodeError:
            return chunk.decode("latin-1")
    if fmt == "t":
        return chunk.decode("utf-8", "ignore")
    number = int.from_bytes(chunk, "big")
    if fmt == "x":
        return format(number, f"0{2 * len(chunk)}x")
    if fmt == "o":
        return format(number, "o")
    return str(number)


def octet_hint(hint: str, data: bytes) -> Optional[str]:
    """``data`` rendered by an octet-string DISPLAY-HINT, or None."""
    specs = parse_octet_hint(hint)
    if not specs:
        return None
    out: list = []
    trailing = False  # the last thing written is a separator or terminator
    pos, total, last = 0, len(data), len(specs) - 1
    step = 0
    while pos < total:
        star, length, fmt, separator, terminator = specs[min(step, last)]
        if step >= last and length == 0 and not star:
            return None  # a zero-length last specification would never consume the rest
        step += 1
        count = 1
        if star:
            count = data[pos]
            pos += 1
        for repeat in range(count):
            if pos >= total:
                break
            chunk = data[pos:pos + length]
            pos += len(chunk)
            if chunk or length == 0:
                out.append(_render(fmt, chunk))
                trailing = False
            if separator is not None and not (terminator is not None and repeat == count - 1):
                out.append(separator)
                trailing = True
        if terminator is not None:
            out.append(terminator)
            trailing = True
        if step > total + len(specs) + 1:
            return None
    if trailing and out:
        out.pop()
    return "".join(out)


def integer_hint(hint: str, value: int) -> Optional[str]:
    """``value`` rendered by an integer DISPLAY-HINT (x, o, b, d, d-N), or None."""
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    if hint == "x":
        return sign + format(magnitude, "x")
    if hint == "o":
        return sign + format(magnitude, "o")
    if hint == "b":
        return sign + format(magnitude, "b")
    if hint == "d":
        return str(value)
    if hint.startswith("d-") and hint[2:].isdigit():
        places = int(hint[2:])
        if places == 0:
            return str(value)
        if places > 64:
            return None
        digits = str(magnitude).rjust(places + 1, "0")
        return f"{sign}{digits[:-places]}.{digits[-places:]}"
    return None


def inet_address(data: bytes) -> Optional[str]:
    """An InetAddress by its length: IPv4, IPv6, and both with a %zone; None otherwise."""
    size = len(data)
    if size == 4:
        return str(ipaddress.IPv4Address(data))
    if size == 16:
        return str(ipaddress.IPv6Address(data))
    if size == 8:
        return f"{ipaddress.IPv4Address(data[:4])}%{int.from_bytes(data[4:], 'big')}"
    if size == 20:
        return f"{ipaddress.IPv6Address(data[:16])}%{int.from_bytes(data[16:], 'big')}"
    return None


def bits(data: bytes, names: dict) -> str:
    """BITS as net-snmp names them: ``name(bit)`` for every set bit, in order."""
    found = []
    for octet_index, octet in enumerate(data):
        if octet:
            for bit in range(8):
                if octet & (0x80 >> bit):
                    number = octet_index * 8 + bit
                    found.append(f"{names.get(number, '')}({number})")
    return " ".join(found)
