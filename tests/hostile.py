"""Hostile but well-framed encodings (issue 12), shared by the tests and tests/fuzz_decoder.py.

Each builder takes plain integers (so hypothesis can draw and shrink them and
the fuzz runner can take them from its ``random.Random``) and returns
``(datagram, code)``: a message whose framing is valid everywhere and whose
one hostile field must make both decoder twins raise DecodeError ``code``
(317, or 305 for a version that is simply not 0, 1 or 3).  With
``valid=True`` the same builder puts an in-range value in that field
instead, so a test can show that the hostile field, and nothing else, is
what the decoders refuse.
"""

from __future__ import annotations

from snmptrapmgr.codec.encode import encode_community_message, encode_tlv
from snmptrapmgr.codec.oid import oid_to_ber

UNSIGNED_WIDTH = {0x41: 4, 0x42: 4, 0x43: 4, 0x47: 4, 0x46: 8}
NAME = oid_to_ber("1.3.6.1.4.1.99999.1")
ENTERPRISE = oid_to_ber("1.3.6.1.4.1.99999")
KINDS = ("unsigned", "integer", "oid_value", "oid_name", "version", "v1_generic", "v1_specific",
         "v1_enterprise", "v1_stamp")


def bad_unsigned(width: int, form: int, filler: int) -> bytes:
    """Content octets that no unsigned type ``width`` octets wide may take."""
    form %= 4
    if form == 0:
        return b""                                                       # zero-length
    if form == 1:
        return bytes((0x80 | (filler & 0x7F),)) + bytes(filler % width)  # negative, 1..width octets
    if form == 2:
        return bytes((1 + filler % 255,)) + bytes(width)                 # >= 2^(8*width)
    return bytes(2 + filler % 20) + bytes((1,)) * width                  # more than one sign octet


def good_unsigned(width: int, filler: int) -> bytes:
    value = filler % (1 << (8 * width))
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def padded_oid(content: bytes, where: int, count: int) -> bytes:
    """``content`` with ``count`` 0x80 octets before the first octet of one of its arcs."""
    starts = [i for i in range(len(content)) if i == 0 or content[i - 1] < 0x80]
    at = starts[where % len(starts)]
    return content[:at] + b"\x80" * (1 + count % 3) + content[at:]


def bad_version(form: int, filler: int) -> tuple[bytes, int]:
    form %= 4
    if form == 0:
        return b"", 317                                                  # zero-length
    if form == 1:
        value = (2, 4, 5, 127, 128, -1, -3, 255)[filler % 8]              # not 0, 1 or 3
        return value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True), 305
    if form == 2:
        return bytes((1 + filler % 127,)) + bytes(8 + filler % 9), 305   # 2^64 and above
    return b"\x00" * (1 + filler % 4) + b"\x02", 305                     # 2, non-minimal


def _varbind(name: bytes, tag: int, content: bytes) -> bytes:
    return encode_tlv(0x30, encode_tlv(0x06, name) + encode_tlv(tag, content))


def _v2c(varbind: bytes, version: bytes = b"\x01", community: bytes = b"public") -> bytes:
    ints = encode_tlv(0x02, b"\x2a") + encode_tlv(0x02, b"\x00") + encode_tlv(0x02, b"\x00")
    pdu = encode_tlv(0xA7, ints + encode_tlv(0x30, varbind))
    return encode_tlv(0x30, encode_tlv(0x02, version) + encode_tlv(0x04, community) + pdu)


def _v1(enterprise: bytes = ENTERPRISE, generic: bytes = b"\x06", specific: bytes = b"\x01",
        stamp: bytes = b"\x05") -> bytes:
    pdu = encode_tlv(0xA4, encode_tlv(0x06, enterprise) + encode_tlv(0x40, b"\xc0\x00\x02\x01")
                     + encode_tlv(0x02, generic) + encode_tlv(0x02, specific) + encode_tlv(0x43, stamp)
                     + encode_tlv(0x30, b""))
    return encode_community_message(0, b"public", pdu)


def _signed(value: int) -> bytes:
    return value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)


def hostile_message(kind: str, a: int, b: int, c: int, valid: bool = False) -> tuple[bytes, int]:
    """(datagram, expected DecodeError code) of one hostile ``kind`` (see KINDS); code 0 if ``valid``."""
    if kind == "unsigned":
        tag = tuple(UNSIGNED_WIDTH)[a % 5]
        width = UNSIGNED_WIDTH[tag]
        content = good_unsigned(width, c) if valid else bad_unsigned(width, b, c)
        return _v2c(_varbind(NAME, tag, content)), 0 if valid else 317
    if kind == "integer":                                                # zero-length INTEGER
        return _v2c(_varbind(NAME, 0x02, _signed(c - (1 << 31)) if valid else b"")), 0 if valid else 317
    if kind in ("oid_value", "oid_name"):
        arcs = [1, 3, 6, 1, 4, 1, a % 70000, b % 300, c]
        content = oid_to_ber(".".join(map(str, arcs)))
        if not valid:
            content = padded_oid(content, a + c, b)
        varbind = _varbind(content, 0x05, b"") if kind == "oid_name" else _varbind(NAME, 0x06, content)
        return _v2c(varbind), 0 if valid else 317
    if kind == "version":
        content, code = (b"\x01", 0) if valid else bad_version(b, c)
        return _v2c(_varbind(NAME, 0x05, b""), version=content), code
    if kind == "v1_generic":
        generic = c % 7 if valid else (7 + c if b % 2 else -1 - c)
        return _v1(generic=_signed(generic)), 0 if valid else 317
    if kind == "v1_specific":
        return _v1(specific=_signed(c if valid else -1 - c)), 0 if valid else 317
    if kind == "v1_enterprise":
        return _v1(enterprise=ENTERPRISE if valid else b""), 0 if valid else 317
    if kind == "v1_stamp":
        return _v1(stamp=good_unsigned(4, c) if valid else bad_unsigned(4, b, c)), 0 if valid else 317
    raise ValueError(f"unknown hostile kind {kind!r}")
