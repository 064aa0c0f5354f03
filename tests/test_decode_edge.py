"""Byte-level edge cases for ``ber.decode_message``, against both twins.

Every message here is built by hand from raw octets (the helpers below have
their own length encoder), so an encoder bug in ``snmptrapmgr.codec.encode`` cannot
hide a decoder bug; only the hypothesis round-trip uses ``message``.  Each case
asserts the exact decoded value or the exact DecodeError code.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snmptrapmgr.codec import ber, encode
from snmptrapmgr.errors import DecodeError, SNMPTrapMgrError

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OID_PREFIX = b"\x2b\x06\x01\x04\x01\x86\x8d\x1f"  # 1.3.6.1.4.1.99999
OID_TEXT = "1.3.6.1.4.1.99999"


# --------------------------------------------------------------------------
# hand-built octets
# --------------------------------------------------------------------------

def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + length(len(content)) + content


def integer(content: bytes) -> bytes:
    return tlv(0x02, content)


def v2c(varbinds_content: bytes, pdu_tag: int = 0xA7, version: bytes = b"\x01",
        community: bytes = b"public", request_id: bytes = b"\x01") -> bytes:
    pdu = tlv(pdu_tag, integer(request_id) + integer(b"\x00") + integer(b"\x00")
              + tlv(0x30, varbinds_content))
    return tlv(0x30, integer(version) + tlv(0x04, community) + pdu)


def varbind(value_tlv: bytes, oid_content: bytes = OID_PREFIX) -> bytes:
    return tlv(0x30, tlv(0x06, oid_content) + value_tlv)


def one(value_tlv: bytes, oid_content: bytes = OID_PREFIX) -> tuple:
    """Decode a v2c trap holding one varbind; return that (oid, type, value)."""
    decoded = ber.decode_message(v2c(varbind(value_tlv, oid_content)))
    assert decoded[:2] == (1, b"public")
    tag, request_id, status, index, varbinds = decoded[2]
    assert (tag, request_id, status, index) == (0xA7, 1, 0, 0)
    assert len(varbinds) == 1
    return varbinds[0]


def value_of(value_tlv: bytes):
    oid, _tag, value = one(value_tlv)
    assert oid == OID_TEXT
    return value


def error_code(data: bytes) -> int:
    with pytest.raises(DecodeError) as info:
        ber.decode_message(data)
    err = info.value
    assert isinstance(err, SNMPTrapMgrError) and isinstance(err, ValueError)
    return err.code


def v3(security_model: bytes = b"\x03", version: bytes = b"\x03") -> bytes:
    head = integer(version) + tlv(0x30, integer(b"\x01") + integer(b"\x00\xff\xe3")
                                  + tlv(0x04, b"\x00") + integer(security_model))
    usm = tlv(0x30, tlv(0x04, bytes.fromhex("8000000001020304")) + integer(b"\x00")
              + integer(b"\x00") + tlv(0x04, b"user") + tlv(0x04, b"") + tlv(0x04, b""))
    pdu = tlv(0xA7, integer(b"\x05") + integer(b"\x00") + integer(b"\x00")
              + tlv(0x30, varbind(tlv(0x02, b"\x07"))))
    scoped = tlv(0x30, tlv(0x04, b"\x80\x00\x00\x00\x01") + tlv(0x04, b"") + pdu)
    return tlv(0x30, head + tlv(0x04, usm) + scoped)


def read(name: str) -> bytes:
    with open(os.path.join(DATA, name + ".bin"), "rb") as fh:
        return fh.read()


# --------------------------------------------------------------------------
# values of every type
# --------------------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    (b"\x80\x00\x00\x00", -(2 ** 31)),
    (b"\x7f\xff\xff\xff", 2 ** 31 - 1),
    (b"\x00", 0),
    (b"\xff", -1),
    (b"\x00\x80", 128),
    (b"\x80", -128),
])
def test_integer(impl, content, expected):
    assert one(tlv(0x02, content)) == (OID_TEXT, 0x02, expected)


def test_octet_string_empty(impl):
    assert one(b"\x04\x00") == (OID_TEXT, 0x04, b"")


def test_octet_string_all_byte_values(impl):
    raw = bytes(range(256))
    got = one(b"\x04\x82\x01\x00" + raw)
    assert got == (OID_TEXT, 0x04, raw)
    assert type(got[2]) is bytes


def test_octet_string_60k(impl):
    raw = bytes(i * 7 % 251 for i in range(60 * 1024))
    data = v2c(varbind(tlv(0x04, raw)))
    assert len(data) > 60 * 1024 and data[1] == 0x82  # two-byte outer length
    assert ber.decode_message(data)[2][4] == [(OID_TEXT, 0x04, raw)]


def test_octet_string_over_64k(impl):
    raw = b"\xa5" * 70000
    data = v2c(varbind(tlv(0x04, raw)))
    assert data[1] == 0x83  # three-byte outer length
    assert ber.decode_message(data)[2][4] == [(OID_TEXT, 0x04, raw)]


def test_null(impl):
    assert one(b"\x05\x00") == (OID_TEXT, 0x05, None)


def test_null_with_content(impl):
    assert error_code(v2c(varbind(b"\x05\x01\x00"))) == 317


def test_oid_value(impl):
    assert one(b"\x06\x0a\x2b\x06\x01\x06\x03\x01\x01\x05\x03\x00") == (OID_TEXT, 0x06, "1.3.6.1.6.3.1.1.5.3.0")


@pytest.mark.parametrize("content, expected", [
    (b"\x00", "0.0"), (b"\x27", "0.39"), (b"\x28", "1.0"), (b"\x4f", "1.39"),
    (b"\x50", "2.0"), (b"\x81\x34", "2.100"),
])
def test_oid_first_two_arcs(impl, content, expected):
    assert value_of(tlv(0x06, content)) == expected


def test_ip_address(impl):
    assert one(b"\x40\x04\xc0\xa8\x01\xfe") == (OID_TEXT, 0x40, "192.168.1.254")
    assert value_of(b"\x40\x04\x00\x00\x00\x00") == "0.0.0.0"
    assert value_of(b"\x40\x04\xff\xff\xff\xff") == "255.255.255.255"


@pytest.mark.parametrize("content", [b"", b"\x01\x02\x03", b"\x01\x02\x03\x04\x05"])
def test_ip_address_wrong_size(impl, content):
    assert error_code(v2c(varbind(tlv(0x40, content)))) == 317


@pytest.mark.parametrize("tag", [0x41, 0x42, 0x43, 0x47])
@pytest.mark.parametrize("content, expected", [
    (b"\x00", 0),
    (b"\x00\xff\xff\xff\xff", 2 ** 32 - 1),
    (b"\x00\x80", 128),
    (b"\x00\x00\x00\x05", 5),            # non-minimal, within four octets
])
def test_unsigned32_types(impl, tag, content, expected):
    assert one(tlv(tag, content)) == (OID_TEXT, tag, expected)


# Issue 12 (supersedes issue 2's "modulo 2^N, never an error"): an unsigned
# value that is negative or out of range is a bad packet, never a different
# number.  See tests/test_hostile_values.py for what net-snmp and pysnmp do.
@pytest.mark.parametrize("tag", [0x41, 0x42, 0x43, 0x47])
@pytest.mark.parametrize("content", [
    b"",                                   # zero-length
    b"\xff\xff\xff\xff",                   # -1 (no sign octet): was read as 2^32-1
    b"\x80",                               # -128: was read as 128
    b"\x01\x00\x00\x00\x00",               # 2^32: was read as 0
    b"\x00\x00\xff\xff\xff\xff",           # two leading octets beyond the width
])
def test_unsigned32_refused(impl, tag, content):
    assert error_code(v2c(varbind(tlv(tag, content)))) == 317


@pytest.mark.parametrize("tag", [0x44, 0x45])
@pytest.mark.parametrize("content", [b"", b"\x9f\x78\x04\x3f\xc0\x00\x00", bytes(range(256))])
def test_opaque_and_nsap_are_raw(impl, tag, content):
    got = one(tlv(tag, content))
    assert got == (OID_TEXT, tag, content) and type(got[2]) is bytes


@pytest.mark.parametrize("content, expected", [
    (b"\x00", 0),
    (b"\x00\xff\xff\xff\xff\xff\xff\xff\xff", 2 ** 64 - 1),  # 9 bytes: leading 0x00
    (b"\x01\x00\x00\x00\x00", 2 ** 32),
    (b"\x00\x80\x00\x00\x00\x00\x00\x00\x00", 2 ** 63),
])
def test_counter64(impl, content, expected):
    assert one(tlv(0x46, content)) == (OID_TEXT, 0x46, expected)


# Issue 12: over-wide or negative unsigned values are refused (317), no longer
# decoded modulo 2^N.
@pytest.mark.parametrize("value_tlv", [
    b"\x41\x05\x01\x00\x00\x00\x00",                   # Counter32 2^32 (was 0)
    b"\x43\x05\x01\x00\x00\x00\x05",                   # TimeTicks 2^32+5 (was 5)
    b"\x46\x09\x01" + b"\x00" * 8,                        # Counter64 2^64 (was 0)
    b"\x46\x08\xff\xff\xff\xff\xff\xff\xff\xff",       # Counter64 -1 (was 2^64-1)
    b"\x46\x08\x80\x00\x00\x00\x00\x00\x00\x00",       # Counter64 -2^63 (was 2^63)
    b"\x46\x14" + bytes(range(1, 21)),                    # 20 octets (kept the last 8)
    b"\x46\x00",                                         # zero-length (was 0)
])
def test_unsigned_out_of_range_refused(impl, value_tlv):
    assert error_code(v2c(varbind(value_tlv))) == 317


def test_integer_beyond_64_bits(impl):
    assert error_code(v2c(varbind(b"\x02\x09\x01" + b"\x00" * 8))) == 317


def test_unsigned32_tag_0x47(impl):
    assert one(b"\x47\x04\x12\x34\x56\x78") == (OID_TEXT, 0x47, 0x12345678)


@pytest.mark.parametrize("tag", [0x80, 0x81, 0x82])
def test_exceptions(impl, tag):
    assert one(bytes((tag, 0))) == (OID_TEXT, tag, None)


@pytest.mark.parametrize("tag", [0x80, 0x81, 0x82])
def test_exceptions_with_content(impl, tag):
    assert error_code(v2c(varbind(bytes((tag, 1, 0))))) == 317


@pytest.mark.parametrize("tag", [0x01, 0x03, 0x48, 0x83, 0x30, 0xA0])
def test_unknown_value_type(impl, tag):
    assert error_code(v2c(varbind(bytes((tag, 1, 0))))) == 317


def test_multi_byte_tag(impl):
    assert error_code(v2c(varbind(b"\x1f\x01\x00"))) == 317


# --------------------------------------------------------------------------
# lengths and integers in non-minimal / long form
# --------------------------------------------------------------------------

@pytest.mark.parametrize("length_octets", [b"\x05", b"\x81\x05", b"\x82\x00\x05", b"\x83\x00\x00\x05",
                                           b"\x84\x00\x00\x00\x05"])
def test_value_length_forms(impl, length_octets):
    assert value_of(b"\x04" + length_octets + b"hello") == b"hello"


def test_long_form_lengths_everywhere(impl):
    """Every TLV of the message with a non-minimal 0x82 length."""
    def ltlv(tag, content):
        return bytes((tag, 0x82)) + len(content).to_bytes(2, "big") + content
    vb = ltlv(0x30, ltlv(0x06, OID_PREFIX) + ltlv(0x04, b"hi"))
    pdu = ltlv(0xA7, ltlv(0x02, b"\x09") + ltlv(0x02, b"\x00") + ltlv(0x02, b"\x00") + ltlv(0x30, vb))
    data = ltlv(0x30, ltlv(0x02, b"\x01") + ltlv(0x04, b"public") + pdu)
    assert ber.decode_message(data) == (1, b"public", (0xA7, 9, 0, 0, [(OID_TEXT, 0x04, b"hi")]))


def test_length_field_too_long(impl):
    assert error_code(v2c(varbind(b"\x04\x85\x00\x00\x00\x00\x05hello"))) == 317


@pytest.mark.parametrize("content, expected", [
    (b"\x00\x00\x05", 5),
    (b"\xff\xff\xfb", -5),
])
def test_integer_forms(impl, content, expected):
    assert value_of(tlv(0x02, content)) == expected


def test_zero_length_integer_refused(impl):
    """X.690 8.3.1: an INTEGER has one or more content octets (was read as 0)."""
    assert error_code(v2c(varbind(b"\x02\x00"))) == 317
    assert error_code(v2c(varbind(b"\x05\x00"), request_id=b"")) == 317


def test_non_minimal_request_id(impl):
    decoded = ber.decode_message(v2c(varbind(b"\x05\x00"), request_id=b"\x00\x00\x00\x2a"))
    assert decoded[2][1] == 42


def test_zero_length_oid_value(impl):
    assert one(b"\x06\x00") == (OID_TEXT, 0x06, "")


def test_zero_length_oid_name(impl):
    assert one(b"\x05\x00", oid_content=b"") == ("", 0x05, None)


# --------------------------------------------------------------------------
# OBJECT IDENTIFIER sub-identifiers
# --------------------------------------------------------------------------

def test_subid_max(impl):
    assert value_of(b"\x06\x06\x2b\x8f\xff\xff\xff\x7f") == "1.3.4294967295"
    assert one(b"\x05\x00", oid_content=b"\x2b\x8f\xff\xff\xff\x7f\x00")[0] == "1.3.4294967295.0"


def test_subid_2_pow_32(impl):
    assert error_code(v2c(varbind(b"\x06\x07\x2b\x90\x80\x80\x80\x00\x01"))) == 317
    assert error_code(v2c(varbind(b"\x05\x00", oid_content=b"\x2b\x90\x80\x80\x80\x00"))) == 317


def test_first_subid_above_max(impl):
    # first sub-identifier 2^32 (i.e. 2.(2^32-80)) is over the limit too
    assert error_code(v2c(varbind(b"\x06\x05\x90\x80\x80\x80\x00"))) == 317


def test_unterminated_subid(impl):
    assert error_code(v2c(varbind(b"\x06\x03\x2b\x06\x81"))) == 317


def test_oid_over_128_arcs(impl):
    arcs = [(i * 1_000_003) % (2 ** 32) for i in range(1, 199)]
    content = bytearray(b"\x2b")
    for arc in arcs:
        chunks = []
        while True:
            chunks.append(arc & 0x7F)
            arc >>= 7
            if not arc:
                break
        content += bytes(c | 0x80 for c in reversed(chunks[1:])) + bytes((chunks[0],))
    text = "1.3." + ".".join(str((i * 1_000_003) % (2 ** 32)) for i in range(1, 199))
    assert len(text.split(".")) == 200
    assert value_of(tlv(0x06, bytes(content))) == text
    assert one(b"\x05\x00", oid_content=bytes(content))[0] == text


# --------------------------------------------------------------------------
# framing errors
# --------------------------------------------------------------------------

def test_indefinite_length(impl):
    good = v2c(varbind(b"\x05\x00"))
    assert error_code(b"\x30\x80" + good[2:] + b"\x00\x00") == 317
    assert error_code(v2c(varbind(b"\x04\x80hi\x00\x00"))) == 317


@pytest.mark.parametrize("name", ["v2c_trap_all_types", "v1_trap_all_types", "v3_noauth_trap",
                                  "v2c_inform", "pysnmp_v2c_trap_c64_opaque"])
def test_truncation_at_every_position(impl, name):
    data = read(name)
    ber.decode_message(data)  # the whole thing is fine
    for cut in range(len(data)):
        try:
            ber.decode_message(data[:cut])
        except DecodeError as err:
            if cut > 1:
                assert err.code == 317, (cut, err)
            else:
                assert err.code in (317, 320), (cut, err)
        except BaseException as err:  # pragma: no cover - the failure we look for
            pytest.fail(f"cut at {cut}: {type(err).__name__}: {err}")
        else:
            pytest.fail(f"cut at {cut} decoded without error")


def test_truncation_of_hand_built(impl):
    data = v2c(varbind(b"\x46\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff") + varbind(b"\x04\x00"))
    for cut in range(2, len(data)):
        assert error_code(data[:cut]) == 317, cut


@pytest.mark.parametrize("name", ["v2c_trap_all_types", "v1_trap_generic_6", "v3_noauth_trap"])
@pytest.mark.parametrize("garbage", [b"\x00", b"\x00\x00", b"\x30\x00", b"\xff" * 10])
def test_trailing_garbage(impl, name, garbage):
    assert error_code(read(name) + garbage) == 317


def test_bytes_after_varbind_value(impl):
    vb = tlv(0x30, tlv(0x06, OID_PREFIX) + b"\x05\x00" + b"\x05\x00")
    assert error_code(v2c(vb)) == 317


@pytest.mark.parametrize("version, code", [(b"\x02", 305), (b"\x04", 305), (b"\xff", 305),
                                           (b"\x00\x02", 305)])
def test_unsupported_version(impl, version, code):
    assert error_code(v2c(varbind(b"\x05\x00"), version=version)) == code


def test_version_0_and_1_accepted(impl):
    assert ber.decode_message(v2c(varbind(b"\x05\x00"), version=b"\x00"))[0] == 0
    assert ber.decode_message(v2c(varbind(b"\x05\x00"), version=b"\x01"))[0] == 1


@pytest.mark.parametrize("tag", [0xA9, 0xAA, 0xBF, 0x30, 0x04])
def test_unknown_pdu_tag(impl, tag):
    assert error_code(v2c(varbind(b"\x05\x00"), pdu_tag=tag)) == 306


@pytest.mark.parametrize("tag", range(0xA0, 0xA9))
def test_known_pdu_tags(impl, tag):
    if tag == 0xA4:
        return  # the v1 Trap-PDU has its own layout (captures cover it)
    decoded = ber.decode_message(v2c(varbind(b"\x05\x00"), pdu_tag=tag))
    assert decoded[2] == (tag, 1, 0, 0, [(OID_TEXT, 0x05, None)])


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x31\x03\x02\x01\x01", b"\x00" * 10,
                                  b"\xa7\x00", b"GET / HTTP/1.0\r\n\r\n"])
def test_not_a_sequence(impl, data):
    assert error_code(data) == 320


def test_first_byte_not_0x30_on_real_trap(impl):
    data = bytearray(read("v2c_trap_all_types"))
    for first in (0x00, 0x31, 0x10, 0xB0, 0xFF):
        data[0] = first
        assert error_code(bytes(data)) == 320


def test_v3_hand_built(impl):
    decoded = ber.decode_message(v3())
    (version, msg_id, max_size, flags, model, engine_id, boots, time, user, auth, auth_offset,
     priv, scoped) = decoded
    assert (version, msg_id, max_size, flags, model) == (3, 1, 65507, 0, 3)
    assert (engine_id, boots, time, user, auth, priv) == (
        bytes.fromhex("8000000001020304"), 0, 0, b"user", b"", b"")
    assert v3()[auth_offset - 2:auth_offset] == b"\x04\x00"
    assert scoped == (b"\x80\x00\x00\x00\x01", b"", (0xA7, 5, 0, 0, [(OID_TEXT, 0x02, 7)]))


@pytest.mark.parametrize("model", [b"\x02", b"\x01", b"\x00", b"\x04"])
def test_v3_security_model_not_usm(impl, model):
    assert error_code(v3(security_model=model)) == 316


# --------------------------------------------------------------------------
# round trip with the package's encoder
# --------------------------------------------------------------------------

def _oids():
    first = st.integers(0, 2)
    rest = st.lists(st.integers(0, 2 ** 32 - 1), min_size=0, max_size=20)

    @st.composite
    def build(draw):
        a = draw(first)
        b = draw(st.integers(0, 39)) if a < 2 else draw(st.integers(0, 2 ** 32 - 1 - 80))
        return ".".join(map(str, [a, b] + draw(rest)))
    return build()


_u32 = st.integers(0, 2 ** 32 - 1)
_values = st.one_of(
    st.tuples(st.just(0x02), st.integers(-(2 ** 63), 2 ** 63 - 1)),
    st.tuples(st.just(0x04), st.binary(max_size=300)),
    st.tuples(st.just(0x05), st.none()),
    st.tuples(st.just(0x06), _oids()),
    st.tuples(st.just(0x40), st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: "%d.%d.%d.%d" % t)),
    st.tuples(st.sampled_from([0x41, 0x42, 0x43, 0x47]), _u32),
    st.tuples(st.sampled_from([0x44, 0x45]), st.binary(max_size=40)),
    st.tuples(st.just(0x46), st.integers(0, 2 ** 64 - 1)),
    st.tuples(st.sampled_from([0x80, 0x81, 0x82]), st.none()),
)
_varbinds = st.lists(st.tuples(_oids(), _values).map(lambda t: (t[0], t[1][0], t[1][1])),
                     max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(varbinds=_varbinds, request_id=st.integers(-(2 ** 31), 2 ** 31 - 1),
       community=st.binary(max_size=64))
def test_roundtrip_v2c_trap(impl, varbinds, request_id, community):
    pdu = encode.encode_pdu(encode.PDU_TRAP, request_id, 0, 0, varbinds)
    data = encode.encode_community_message(1, community, pdu)
    assert ber.decode_message(data) == (1, community, (0xA7, request_id, 0, 0, varbinds))
