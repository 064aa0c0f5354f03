"""The BER / OID twins agree: on valid messages, on mutated ones, on OID text.

Properties compare ``_ber_py`` / ``_oid_py`` with ``_ber_c`` / ``_oid_c``
directly (both in one call); the hand-written tolerance cases run through the
``impl`` fixture, i.e. through the ``snmptrapmgr.codec.ber`` / ``snmptrapmgr.codec.oid``
selectors, once per implementation.
"""

from __future__ import annotations

import importlib
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import hostile
from fuzz_decoder import length_fields

from snmptrapmgr.codec import _ber_py, _oid_py, ber, oid
from snmptrapmgr.codec.shapes import CommunityMessage, Pdu, ScopedPdu, V1TrapPdu, V3Message
from snmptrapmgr.errors import DecodeError
from snmptrapmgr._select import twin_name
from snmptrapmgr.codec.encode import (
    encode_community_message,
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v1_trap_pdu,
    encode_v3_message,
)

REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0")
U32 = (1 << 32) - 1
U64 = (1 << 64) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


def _compiled(name):
    try:
        return importlib.import_module(twin_name(name, "cython"))
    except ImportError:
        return None


_ber_c = _compiled("codec.ber")
_oid_c = _compiled("codec.oid")


@pytest.fixture(scope="module")
def twins():
    """(python, cython) decoder modules; skipped (or failed in CI) without the build."""
    if _ber_c is None or _oid_c is None:
        if REQUIRE:
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built")
    return _ber_py, _ber_c


def outcome(fn, *args):
    """("ok", result) or ("err", code); anything but DecodeError propagates."""
    try:
        return "ok", fn(*args)
    except DecodeError as exc:
        return "err", exc.code


# --------------------------------------------------------------------------- strategies

def _boundaries(lo, hi):
    edges = [lo, lo + 1, hi - 1, hi, 0, 1, -1, 127, 128, 255, 256, -128, -129, 0x7FFFFFFF, -(1 << 31),
             0x80000000, U32, 1 << 32, I64_MAX, I64_MIN]
    return st.sampled_from([v for v in edges if lo <= v <= hi])


def ints(lo, hi):
    return st.one_of(_boundaries(lo, hi), st.integers(lo, hi))


subids = st.one_of(st.sampled_from([0, 1, 127, 128, 16383, 16384, 2097151, 2097152, U32 - 1, U32]),
                   st.integers(0, U32))


@st.composite
def oid_texts(draw, allow_empty=True):
    if allow_empty and draw(st.integers(0, 30)) == 0:
        return ""
    first = draw(st.integers(0, 2))
    second = draw(st.integers(0, 39)) if first < 2 else draw(st.one_of(
        st.sampled_from([0, 39, 40, 47, U32 - 80]), st.integers(0, U32 - 80)))
    many = draw(st.integers(0, 12)) == 0
    rest = draw(st.lists(subids, min_size=129 if many else 0, max_size=140 if many else 14))
    return ".".join(map(str, [first, second, *rest]))


def _big_bytes():
    # up to 60 KB without asking hypothesis to draw 60 000 separate bytes
    return st.builds(lambda n, b: bytes((b, b ^ 0x5A)) * (n // 2), st.integers(0, 61440), st.integers(0, 255))


octets = st.one_of(st.binary(max_size=64), st.binary(min_size=120, max_size=300), _big_bytes())
ip_texts = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: "%d.%d.%d.%d" % t)

values = st.one_of(
    st.tuples(st.just(0x02), ints(I64_MIN, I64_MAX)),
    st.tuples(st.just(0x02), ints(-(1 << 31), (1 << 31) - 1)),
    st.tuples(st.sampled_from([0x04, 0x44, 0x45]), octets),
    st.tuples(st.just(0x06), oid_texts()),
    st.tuples(st.just(0x40), ip_texts),
    st.tuples(st.sampled_from([0x41, 0x42, 0x43, 0x47]), ints(0, U32)),
    st.tuples(st.just(0x46), ints(0, U64)),
    st.tuples(st.sampled_from([0x05, 0x80, 0x81, 0x82]), st.none()),
)


@st.composite
def varbind_lists(draw, max_size=10):
    return [(draw(oid_texts()), *draw(values)) for _ in range(draw(st.integers(0, max_size)))]


def _total_size(varbinds):
    return sum(len(v) for _, t, v in varbinds if isinstance(v, bytes))


@st.composite
def messages(draw, max_varbinds=10):
    """(datagram, expected decode_message result)."""
    varbinds = draw(varbind_lists(max_varbinds))
    assume(_total_size(varbinds) < 200_000)
    kind = draw(st.sampled_from(["v1", "v2c", "inform", "v3", "v3-encrypted"]))
    if kind == "v1":
        enterprise, agent = draw(oid_texts(allow_empty=False)), draw(ip_texts)
        generic, specific, stamp = draw(st.integers(0, 6)), draw(ints(0, I64_MAX)), draw(ints(0, U32))
        community = draw(st.binary(max_size=32))
        pdu = encode_v1_trap_pdu(enterprise, agent, generic, specific, stamp, varbinds)
        return (encode_community_message(0, community, pdu),
                (0, community, (0xA4, enterprise, agent, generic, specific, stamp, varbinds)))
    tag = 0xA7 if kind in ("v2c", "v3") else 0xA6
    if kind == "v3-encrypted":
        tag = draw(st.sampled_from([0xA6, 0xA7, 0xA2, 0xA8]))
    request_id = draw(ints(-(1 << 31), (1 << 31) - 1))
    status, index = draw(st.integers(0, 18)), draw(st.integers(0, 255))
    pdu = encode_pdu(tag, request_id, status, index, varbinds)
    expected_pdu = (tag, request_id, status, index, varbinds)
    if kind in ("v2c", "inform"):
        community = draw(st.binary(max_size=32))
        return encode_community_message(1, community, pdu), (1, community, expected_pdu)
    engine, context = draw(st.binary(min_size=5, max_size=32)), draw(st.binary(max_size=16))
    msg_id, max_size = draw(ints(0, (1 << 31) - 1)), draw(st.sampled_from([484, 1472, 65507]))
    flags = draw(st.sampled_from([0, 1, 3, 4, 5, 7]))
    boots, time_ = draw(ints(0, (1 << 31) - 1)), draw(ints(0, (1 << 31) - 1))
    user = draw(st.binary(max_size=32))
    auth = draw(st.sampled_from([b"", b"\x00" * 12, b"\x00" * 16, b"\x00" * 24, b"\x00" * 32, b"\x00" * 48]))
    priv = draw(st.sampled_from([b"", b"\x01\x02\x03\x04\x05\x06\x07\x08"]))
    if kind == "v3":
        msg_data = encode_scoped_pdu(engine, context, pdu)
        scoped = (engine, context, expected_pdu)
    else:
        scoped = draw(st.binary(max_size=400))
        msg_data = encode_tlv(0x04, scoped)
    message, offset = encode_v3_message(msg_id, max_size, flags, engine, boots, time_, user, auth, priv,
                                        msg_data)
    return message, (3, msg_id, max_size, flags, 3, engine, boots, time_, user, auth, offset, priv, scoped)


# --------------------------------------------------------------------------- (a) valid messages

def _same_types(a, b):
    """Recursive equality that also insists on identical types (bytes vs str vs int...)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same_types(x, y)
    else:
        assert a == b


@PROPS
@given(messages())
def test_valid_messages_decode_identically(twins, sample):
    py, c = twins
    data, expected = sample
    got_py = py.decode_message(data)
    got_c = c.decode_message(data)
    assert got_py == expected
    assert type(got_py) is (V3Message if expected[0] == 3 else CommunityMessage)
    pdu = got_py.scoped.pdu if expected[0] == 3 and not isinstance(got_py.scoped, bytes) else (
        None if expected[0] == 3 else got_py.pdu)
    assert pdu is None or type(pdu) is (V1TrapPdu if pdu.tag == 0xA4 else Pdu)
    _same_types(got_c, got_py)
    _same_types(c.decode_message(bytearray(data)), got_py)
    _same_types(c.decode_message(memoryview(data)), got_py)
    if expected[0] == 3:
        offset, auth = got_c[10], got_c[9]
        assert data[offset:offset + len(auth)] == auth


@PROPS
@given(st.binary(min_size=5, max_size=32), st.binary(max_size=16), varbind_lists(6),
       st.binary(max_size=16))
def test_scoped_pdu_identical_and_padding_ignored(twins, engine, context, varbinds, padding):
    py, c = twins
    pdu = encode_pdu(0xA7, 42, 0, 0, varbinds)
    data = encode_scoped_pdu(engine, context, pdu) + padding
    expected = (engine, context, (0xA7, 42, 0, 0, varbinds))
    assert py.decode_scoped_pdu(data) == expected
    assert type(py.decode_scoped_pdu(data)) is ScopedPdu
    _same_types(c.decode_scoped_pdu(data), py.decode_scoped_pdu(data))
    assert c.decode_scoped_pdu(bytearray(data)) == expected
    _same_types(c.decode_scoped_pdu(bytearray(data)), py.decode_scoped_pdu(data))


# --------------------------------------------------------------------------- (b) mutations

@st.composite
def hostile_fields(draw, valid=None):
    """A well-framed message with one issue-12 hostile field (tests/hostile.py): (data, code)."""
    kind = draw(st.sampled_from(hostile.KINDS))
    a, b, c = (draw(st.one_of(st.integers(0, 300), st.integers(0, U32))) for _ in range(3))
    return hostile.hostile_message(kind, a, b, c, draw(st.booleans()) if valid is None else valid)


@st.composite
def mutated(draw):
    data, _ = draw(st.one_of(messages(max_varbinds=5), hostile_fields()))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "length"]))
        n = len(buf)
        if op == "flip" and n:
            buf[draw(st.integers(0, n - 1))] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and n:
            buf[draw(st.integers(0, n - 1))] = draw(st.one_of(
                st.sampled_from([0x00, 0x1F, 0x30, 0x7F, 0x80, 0x81, 0x84, 0x85, 0xA9, 0xFF]), st.integers(0, 255)))
        elif op == "truncate":
            del buf[draw(st.integers(0, n)):]
        elif op == "insert":
            at = draw(st.integers(0, n))
            buf[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and n:
            at = draw(st.integers(0, n - 1))
            del buf[at:at + draw(st.integers(1, 8))]
        elif op == "length":
            fields = length_fields(bytes(buf))
            if not fields:
                continue
            at, size, old = draw(st.sampled_from(fields))
            new_length = draw(st.one_of(st.integers(max(0, old - 3), old + 3),
                                        st.sampled_from([0, 0x7F, 0x80, 0xFFFF, U32])))
            form = draw(st.sampled_from(["short", "long1", "long2", "long4", "indefinite", "toolong"]))
            if form == "indefinite":
                new = b"\x80"
            elif form == "toolong":
                new = b"\x85" + new_length.to_bytes(5, "big")
            elif form == "short" and new_length < 0x80:
                new = bytes((new_length,))
            else:
                width = max({"long1": 1, "long2": 2}.get(form, 4), (new_length.bit_length() + 7) // 8)
                new = bytes((0x80 | width,)) + new_length.to_bytes(width, "big")
            buf[at:at + size] = new
    return bytes(buf)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(mutated())
def test_mutated_messages_agree(twins, data):
    py, c = twins
    want = outcome(py.decode_message, data)
    assert outcome(c.decode_message, data) == want
    assert outcome(c.decode_message, bytearray(data)) == want
    assert outcome(c.decode_message, memoryview(data)) == want
    # the same bytes read as a ScopedPDU, and every suffix starting at a SEQUENCE
    assert outcome(c.decode_scoped_pdu, data) == outcome(py.decode_scoped_pdu, data)
    at = data.find(b"\x30", 1)
    if at > 0:
        assert outcome(c.decode_scoped_pdu, data[at:]) == outcome(py.decode_scoped_pdu, data[at:])


@PROPS
@given(hostile_fields(valid=False))
def test_hostile_fields_refused_alike(twins, sample):
    """Issue 12: both twins refuse each hostile field with the same code (317, 305 for a version)."""
    py, c = twins
    data, code = sample
    assert outcome(py.decode_message, data) == outcome(c.decode_message, data) == ("err", code)
    assert outcome(c.decode_message, memoryview(data)) == ("err", code)


@PROPS
@given(st.binary(max_size=64))
def test_random_bytes_agree(twins, data):
    py, c = twins
    wrapped = b"\x30" + bytes((len(data),)) + data
    assert outcome(c.decode_message, wrapped) == outcome(py.decode_message, wrapped)
    assert outcome(c.decode_message, data) == outcome(py.decode_message, data)
    assert outcome(c.decode_scoped_pdu, data) == outcome(py.decode_scoped_pdu, data)
    assert outcome(c.decode_oid, data) == outcome(py.decode_oid, data)


@PROPS
@given(st.binary(max_size=24), st.integers(-30, 30), st.integers(-30, 30))
def test_decode_oid_slices_agree(twins, data, start, stop):
    py, c = twins

    def result(mod, arg):
        try:
            return outcome(mod.decode_oid, arg, start, stop)
        except IndexError:
            return "IndexError"

    want = result(py, data)
    assert result(c, data) == want
    assert result(c, bytearray(data)) == want
    assert result(c, memoryview(data)) == want


# --------------------------------------------------------------------------- (c) OID text

@pytest.fixture(scope="module")
def oid_twins():
    if _oid_c is None:
        if REQUIRE:
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built")
    return _oid_py, _oid_c


@PROPS
@given(oid_texts())
def test_oid_round_trip(oid_twins, text):
    py, c = oid_twins
    encoded = py.oid_to_ber(text)
    assert c.oid_to_ber(text) == encoded
    assert type(c.oid_to_ber(text)) is bytes
    assert py.oid_from_ber(encoded) == text
    assert c.oid_from_ber(encoded) == text
    assert c.oid_from_ber(bytearray(encoded)) == text
    assert c.oid_to_ber("." + text) == encoded


_oid_alphabet = st.sampled_from(list("0123456789....") + ["٣", "²", "x", " ", "-", "+", "_", "é", "\x00"])


@PROPS
@given(st.one_of(st.text(_oid_alphabet, max_size=30),
                 oid_texts().map(lambda t: t + "."),
                 st.lists(st.integers(0, 1 << 40), min_size=0, max_size=6).map(lambda a: ".".join(map(str, a))),
                 st.lists(st.text("0123456789", min_size=0, max_size=12), max_size=5).map(".".join)))
def test_oid_text_agrees(oid_twins, text):
    py, c = oid_twins
    assert outcome(c.oid_to_ber, text) == outcome(py.oid_to_ber, text)


@PROPS
@given(st.binary(max_size=40))
def test_oid_octets_agree(oid_twins, data):
    py, c = oid_twins
    want = outcome(py.oid_from_ber, data)
    assert outcome(c.oid_from_ber, data) == want
    assert outcome(c.oid_from_ber, memoryview(data)) == want
    if want[0] == "ok":
        # decode -> encode -> decode is stable (encoding may be shorter: no 0x80 padding)
        assert c.oid_from_ber(c.oid_to_ber(want[1])) == want[1]


@pytest.mark.parametrize("text", [
    "", ".", "1.3", ".1.3.6.1", "0.0", "0.39", "1.39", "2.0", "2.4294967215", "1.3.4294967295",
    "01.003.0006",
])
def test_oid_text_valid(impl, text):
    body = text[1:] if text.startswith(".") else text
    canonical = ".".join(str(int(p)) for p in body.split(".")) if body else ""
    assert oid.oid_from_ber(oid.oid_to_ber(text)) == canonical


@pytest.mark.parametrize("text", [
    "..1.3", "1", ".1", "1.", "1..3", "3.1", "0.40", "1.40", "2.4294967216", "1.3.4294967296",
    "1.3.-1", "1.3. 6", "1.3.6x", "1.٣", "1.3.²", "1.3.1_0", "+1.3", "1.3.99999999999999999999",
    "a.b", "1.3.\u0661",
])
def test_oid_text_invalid(impl, text):
    with pytest.raises(DecodeError) as info:
        oid.oid_to_ber(text)
    assert info.value.code == 320


def test_oid_examples(impl):
    assert oid.oid_to_ber("1.3.6.1.4.1.9") == bytes.fromhex("2b06010401 09".replace(" ", ""))
    assert oid.oid_to_ber("1.3.6.1.4294967295") == bytes.fromhex("2b06018fffffff7f")
    assert oid.oid_to_ber("2.999") == bytes.fromhex("8837")
    assert oid.oid_from_ber(bytes.fromhex("8837")) == "2.999"
    assert oid.oid_from_ber(b"") == ""
    for bad in ("2b90808080 00", "2b86", "ff", "2b8fffffff80 01",
                "2b8001", "808001", "2b06 8080 01"):         # X.690 8.19.2: no leading 0x80 octet
        with pytest.raises(DecodeError) as info:
            oid.oid_from_ber(bytes.fromhex(bad.replace(" ", "")))
        assert info.value.code == 317


# --------------------------------------------------------------------------- tolerance cases

def tlv(tag, content, length=None):
    return bytes((tag,)) + (length if length is not None else _len(len(content))) + content


def _len(n):
    return bytes((n,)) if n < 0x80 else bytes((0x82,)) + n.to_bytes(2, "big")


NAME = tlv(0x06, bytes.fromhex("2b060102010103 00".replace(" ", "")))


def v2c(*varbinds_raw, community=b"public"):
    """A v2c trap around raw varbind TLVs (each already a full 0x30 SEQUENCE)."""
    pdu = tlv(0xA7, tlv(0x02, b"\x01") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + tlv(0x30, b"".join(varbinds_raw)))
    return tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, community) + pdu)


def value_msg(value_tlv, name=NAME):
    return v2c(tlv(0x30, name + value_tlv))


def decoded_value(data):
    return ber.decode_message(data)[2][4][0][1:]


def code_of(data, fn=None):
    with pytest.raises(DecodeError) as info:
        (fn or ber.decode_message)(data)
    return info.value.code


@pytest.mark.parametrize("content, expected", [
    (b"\x05", 5),
    (b"\x00\x00\x05", 5),
    (b"\xff\xff", -1),
    (b"\xff\xff\xff\x80", -128),
    (b"\x00" * 20 + b"\x01", 1),
    (b"\xff" * 20 + b"\x80", -128),
    (b"\x7f" + b"\xff" * 7, I64_MAX),
    (b"\x80" + b"\x00" * 7, I64_MIN),
    (b"\x00\x7f" + b"\xff" * 7, I64_MAX),
    (b"\xff\x80" + b"\x00" * 7, I64_MIN),
    (b"\x00\x80", 128),
    (b"\x80", -128),
])
def test_integer_tolerance(impl, content, expected):
    assert decoded_value(value_msg(tlv(0x02, content))) == (0x02, expected)


@pytest.mark.parametrize("content", [
    b"",                                    # zero-length (X.690 8.3.1: one or more octets)
    b"\x00\x80" + b"\x00" * 7,              # 2^63
    b"\xff\x7f" + b"\xff" * 7,              # -2^63 - 1
    b"\x01" + b"\x00" * 8,
    b"\x00" * 3 + b"\x01" + b"\x00" * 8,
])
def test_integer_out_of_range(impl, content):
    assert code_of(value_msg(tlv(0x02, content))) == 317


@pytest.mark.parametrize("tag, content, expected", [
    (0x41, b"\x00\xff\xff\xff\xff", U32),   # the sign octet
    (0x41, b"\x00\x80", 128),
    (0x41, b"\x7f", 127),
    (0x42, b"\x00\xff\xff\xff\xff", U32),
    (0x43, b"\x00\x00\x00\x05", 5),       # redundant zeros within four octets
    (0x47, b"\x00", 0),
    (0x46, b"\x00" + b"\xff" * 8, U64),     # 9-byte Counter64
    (0x46, b"\x7f" + b"\xff" * 7, (1 << 63) - 1),
    (0x46, b"\x00", 0),
])
def test_unsigned_in_range(impl, tag, content, expected):
    assert decoded_value(value_msg(tlv(tag, content))) == (tag, expected)


@pytest.mark.parametrize("tag, content", [
    (0x41, b"\xff\xff\xff\xff"),            # negative: no sign octet (was read as 2^32-1)
    (0x41, b"\x80"),                        # -128 (was read as 128)
    (0x43, b"\x01\x00\x00\x00\x05"),        # 2^32 + 5 (was read mod 2^32 as 5)
    (0x42, b"\x01\x00\x00\x00\x00"),        # 2^32 (was read as 0)
    (0x47, b""),                            # zero-length (was read as 0)
    (0x43, b"\x00" * 30 + b"\x07"),         # more than one sign octet
    (0x46, b"\xff" * 8),                    # negative Counter64
    (0x46, b"\x01" + b"\x00" * 8),          # 2^64 (was read as 0)
    (0x46, b"\x00\x00" + b"\xff" * 8),      # ten octets
    (0x46, b"\x80"),
    (0x46, b""),
])
def test_unsigned_out_of_range(impl, tag, content):
    assert code_of(value_msg(tlv(tag, content))) == 317


def test_zero_length_oids(impl):
    assert decoded_value(value_msg(tlv(0x06, b""))) == (0x06, "")
    assert ber.decode_message(value_msg(tlv(0x05, b""), name=tlv(0x06, b"")))[2][4] == [("", 0x05, None)]


def test_other_values(impl):
    assert decoded_value(value_msg(tlv(0x40, b"\x0a\x00\xff\x01"))) == (0x40, "10.0.255.1")
    assert decoded_value(value_msg(tlv(0x44, b"\x9f\x78\x04"))) == (0x44, b"\x9f\x78\x04")
    assert decoded_value(value_msg(tlv(0x45, b"\x01\x02"))) == (0x45, b"\x01\x02")
    for tag in (0x05, 0x80, 0x81, 0x82):
        assert decoded_value(value_msg(tlv(tag, b""))) == (tag, None)
    big = bytes(range(256)) * 240
    assert decoded_value(value_msg(tlv(0x04, big))) == (0x04, big)


@pytest.mark.parametrize("value_tlv", [
    tlv(0x40, b"\x01\x02\x03"),                  # IpAddress not 4 bytes
    tlv(0x40, b"\x01\x02\x03\x04\x05"),
    tlv(0x05, b"\x00"),                          # NULL with content
    tlv(0x80, b"\x00"),
    tlv(0x1F, b"\x00"),                          # multi-byte tag
    tlv(0x3F, b""),
    tlv(0x30, b""),                              # not a value type
    tlv(0x03, b"\x00"),
    tlv(0x06, b"\x2b\x86"),                      # unterminated sub-identifier
    tlv(0x06, b"\x2b\x90\x80\x80\x80\x00"),      # sub-identifier 2^32
    b"\x02\x80\x01\x00\x00",                     # indefinite length
    b"\x04\x85\x00\x00\x00\x00\x01\x00",         # five length octets
])
def test_value_defects(impl, value_tlv):
    assert code_of(value_msg(value_tlv)) == 317


def test_long_and_non_minimal_lengths(impl):
    inner = NAME + tlv(0x02, b"\x07")
    vb = tlv(0x30, inner, length=b"\x84\x00\x00\x00" + bytes((len(inner),)))
    pdu_body = tlv(0x02, b"\x01") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + tlv(0x30, vb, length=b"\x81" + bytes((len(vb),)))
    pdu = tlv(0xA7, pdu_body, length=b"\x82\x00" + bytes((len(pdu_body),)))
    body = tlv(0x02, b"\x01", length=b"\x81\x01") + tlv(0x04, b"public", length=b"\x83\x00\x00\x06") + pdu
    data = tlv(0x30, body, length=b"\x82\x00" + bytes((len(body),)))
    assert ber.decode_message(data) == (1, b"public", (0xA7, 1, 0, 0, [("1.3.6.1.2.1.1.3.0", 2, 7)]))
    assert ber.decode_message(bytearray(data)) == ber.decode_message(data)
    assert ber.decode_message(memoryview(b"xx" + data)[2:]) == ber.decode_message(data)


def test_message_level_errors(impl):
    good = value_msg(tlv(0x02, b"\x07"))
    assert ber.decode_message(good)[0] == 1
    assert code_of(good + b"\x00") == 317                      # trailing garbage
    assert code_of(b"") == 320
    assert code_of(b"\x30") == 320
    assert code_of(b"\x31\x00") == 320
    assert code_of(b"\x30\x00") == 320                         # no version field
    assert code_of(b"\x30\x03\x04\x01\x00") == 320
    assert code_of(b"\x30\x80\x02\x01\x01\x00\x00") == 317     # indefinite length
    assert code_of(b"\x30\x85\x00\x00\x00\x00\x03\x02\x01\x01") == 317
    assert code_of(b"\x30\x01\x02") == 317                     # version header truncated
    for cut in range(len(good)):
        assert code_of(good[:cut]) == (320 if cut < 2 else 317)
    # version 2 -> 305; unknown PDU -> 306
    assert code_of(tlv(0x30, tlv(0x02, b"\x02") + tlv(0x04, b"x") + tlv(0xA7, b""))) == 305
    assert code_of(tlv(0x30, tlv(0x02, b"\x00\x00\x00\x01") + tlv(0x04, b"x") + tlv(0xA9, b""))) == 306
    assert code_of(tlv(0x30, tlv(0x02, b"\x00\x00\x00\x01") + tlv(0x04, b"x"))) == 317  # missing PDU
    assert code_of(tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, b"x") + tlv(0xA7, b"") + b"")) == 317


def _v3(model=3, msg_data=None, usm_extra=b""):
    glob = tlv(0x30, tlv(0x02, b"\x01") + tlv(0x02, b"\x05\xdc") + tlv(0x04, b"\x04") + tlv(0x02, bytes((model,))))
    usm = tlv(0x30, tlv(0x04, b"\x80\x00\x00\x01\x02") + tlv(0x02, b"\x01") + tlv(0x02, b"\x02") + tlv(0x04, b"u")
              + tlv(0x04, b"") + tlv(0x04, b"") + usm_extra)
    if msg_data is None:
        msg_data = tlv(0x30, tlv(0x04, b"") + tlv(0x04, b"") + tlv(0xA8, tlv(0x02, b"\x01") + tlv(0x02, b"\x00")
                                                                     + tlv(0x02, b"\x00") + tlv(0x30, b"")))
    return tlv(0x30, tlv(0x02, b"\x03") + glob + tlv(0x04, usm) + msg_data)


def test_v3_cases(impl):
    got = ber.decode_message(_v3())
    assert got[:10] == (3, 1, 1500, 4, 3, b"\x80\x00\x00\x01\x02", 1, 2, b"u", b"")
    assert got[11:] == (b"", (b"", b"", (0xA8, 1, 0, 0, [])))
    assert code_of(_v3(model=4)) == 316
    assert code_of(_v3(usm_extra=b"\x00")) == 317
    assert ber.decode_message(_v3(msg_data=tlv(0x04, b"\x01\x02")))[-1] == b"\x01\x02"
    assert code_of(_v3(msg_data=b"")) == 317                    # missing msgData
    assert code_of(_v3(msg_data=tlv(0x30, b""))) == 317
    message, offset = encode_v3_message(7, 484, 1, b"\x80\x00\x00\x01\x02", 1, 2, b"user", b"\x00" * 12, b"",
                                        encode_scoped_pdu(b"", b"", encode_pdu(0xA7, 1, 0, 0, [])))
    assert ber.decode_message(message)[10] == offset
    assert message[offset:offset + 12] == b"\x00" * 12


def test_scoped_pdu_padding_and_errors(impl):
    scoped = encode_scoped_pdu(b"e", b"c", encode_pdu(0xA6, 9, 0, 0, [("1.3.6", 2, 5)]))
    assert ber.decode_scoped_pdu(scoped + b"\x00" * 7) == (b"e", b"c", (0xA6, 9, 0, 0, [("1.3.6", 2, 5)]))
    assert code_of(scoped[:-1], ber.decode_scoped_pdu) == 317
    assert code_of(b"", ber.decode_scoped_pdu) == 317
    assert code_of(scoped.replace(b"\xa6", b"\xaa"), ber.decode_scoped_pdu) == 306


def test_v1_trap(impl):
    pdu = encode_v1_trap_pdu("1.3.6.1.4.1.9", "192.0.2.1", 6, 17, U32, [("1.3.6.1.2.1.1.5.0", 4, b"r1")])
    data = encode_community_message(0, b"public", pdu)
    assert ber.decode_message(data) == (0, b"public", (0xA4, "1.3.6.1.4.1.9", "192.0.2.1", 6, 17, U32,
                                                      [("1.3.6.1.2.1.1.5.0", 4, b"r1")]))
    bad_agent = data.replace(b"\x40\x04\xc0\x00\x02\x01", b"\x40\x03\xc0\x00\x02")
    assert code_of(bad_agent) == 317


def test_exotic_inputs_match_the_twin(twins):
    py, c = twins
    data = value_msg(tlv(0x02, b"\x07"))
    assert c.decode_message(list(data)) == py.decode_message(list(data))
    strided = memoryview(bytes(b for x in data for b in (x, 0xEE)))[::2]    # not contiguous
    assert c.decode_message(strided) == py.decode_message(strided) == py.decode_message(data)
    assert outcome(c.decode_message, "0abc") == outcome(py.decode_message, "0abc")
    assert c.decode_oid(b"\x00\x2b\x06", 1) == py.decode_oid(b"\x00\x2b\x06", 1) == "1.3.6"
    assert c.decode_oid(b"\x2b\x06\x01", -2) == py.decode_oid(b"\x2b\x06\x01", -2)
    assert c.decode_oid(b"\x2b\x06", 0, 1) == "1.3"
    with pytest.raises(IndexError):
        c.decode_oid(b"\x2b\x06", 0, 5)
