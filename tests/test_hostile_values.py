"""Issue 12, decoder half: no value is silently changed; communities are lossless; caches are bounded.

Every reproducer of issue 12 items 3-5 (the hex datagrams as filed) runs on
both twins, through ``decode_message`` and through the datagram -> event
path.  What the two reference implementations do with the same encodings,
measured on 2026-12-03 (net-snmp 5.9.3: ``snmptrapd -f -Lo -C -On -d`` with
``disableAuthorization yes`` on udp:127.0.0.1, each value also sent as the
third varbind after sysUpTime.0/snmpTrapOID.0 so that snmptrapd prints it;
pysnmp 7.1.30 / pyasn1 0.6.5: ``api.decodeMessageVersion`` then
``pyasn1.codec.ber.decoder.decode(data, asn1Spec=PROTOCOL_MODULES[v].Message())``):

=========================  ===============================  ==============================  ==========
encoding                   net-snmp snmptrapd               pysnmp                          here
=========================  ===============================  ==============================  ==========
Counter32 2^32 (5 oct.)    logged as Counter32: 0           ValueConstraintError            317
Counter64 2^64 (9 oct.)    dropped (not logged)             ValueConstraintError            317
Counter64 of 20 octets     dropped                          ValueConstraintError            317
Counter32 ``41 01 ff``     logged as Counter32: 255         ValueConstraintError            317
TimeTicks -200             logged as Timeticks: (65336)     ValueConstraintError            317
Gauge32 ``ff ff ff ff``    logged as Gauge32: 4294967295    ValueConstraintError            317
Gauge32 / INTEGER empty    dropped                          accepted as 0                   317
Counter32 ``00 00 05``     logged as 5                      accepted as 5                   5
Counter64, 12 octets       dropped                          accepted                        317
OID arc ``80 80 09``       logged as the unpadded OID       "Invalid octet 0x80 in OID"     317
version 2^64               dropped                          unsupported version             305
version zero-length        dropped                          read as 0 (SNMPv1)              317
v1 time-stamp 2^32         logged as uptime 0               ValueConstraintError            317
v1 generic -2^63           dropped                          accepted                        317
v1 generic 7               logged "Unknown Type Trap"       accepted                        317
v1 specific -5             logged as 18446744073709551611   accepted as -5                  317
v1 enterprise empty        logged as enterprise ".0"        "Empty substrate"               317
community ff fe / fe ff    both shown as ".."               raw bytes kept                  both kept
=========================  ===============================  ==============================  ==========
"""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from snmptrapmgr.codec import _ber_py, _community_py, ber, community
from snmptrapmgr.codec.encode import encode_community_message, encode_pdu, encode_tlv
from snmptrapmgr.codec.pdu import PDU_TRAP
from snmptrapmgr.errors import DecodeError, SNMPTrapMgrError

ADDR = ("192.0.2.12", 16212)
PROPS = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: issue 12 items 3 and 5, as filed: (hex datagram, expected code)
REPRODUCERS = {
    "counter32_2p32": ("302a02010104067075626c6963a71d0201070201000201003012301006072b0601040109014105"
                       "0100000000", 317),
    "counter64_2p64": ("302e02010104067075626c6963a7210201070201000201003016301406072b0601040109014609"
                       "010000000000000000", 317),
    "counter32_negative": ("302602010104067075626c6963a719020107020100020100300e300c06072b0601040109014101"
                           "ff", 317),
    "timeticks_minus_200": ("302702010104067075626c6963a71a020107020100020100300f300d06072b06010401090143"
                            "02ff38", 317),
    "integer_zero_length": ("302502010104067075626c6963a718020107020100020100300d300b06072b0601040109010200",
                            317),
    "oid_arc_padded_0x80": ("302802010104067075626c6963a71b0201070201000201003010300e06092b06010401808009"
                            "01020101", 317),
    "version_2p64": ("3020020901000000000000000004067075626c6963a70b0201010201000201003000", 305),
    "v1_generic_minus_2p63": ("302e02010004067075626c6963a42106062b06010401094004010203040209ff800000000000"
                              "00000201014301053000", 317),
}


def _v1(enterprise: bytes, generic: bytes, specific: bytes, stamp: bytes) -> bytes:
    pdu = encode_tlv(0xA4, encode_tlv(0x06, enterprise) + bytes.fromhex("400401020304") + encode_tlv(0x02, generic)
                     + encode_tlv(0x02, specific) + encode_tlv(0x43, stamp) + encode_tlv(0x30, b""))
    return encode_community_message(0, b"public", pdu)


#: the variants the issue describes in words, built here
CONSTRUCTED = {
    "counter64_20_octets": (hostile._v2c(hostile._varbind(hostile.NAME, 0x46, bytes(range(1, 21)))), 317),
    "v1_time_stamp_2p32": (_v1(hostile.ENTERPRISE, b"\x06", b"\x01", b"\x01\x00\x00\x00\x00"), 317),
    "version_zero_length": (bytes.fromhex("3017020004067075626c6963a70b0201010201000201003000"), 317),
    "v1_empty_enterprise_specific_minus_5": (_v1(b"", b"\x06", b"\xfb", b"\x05"), 317),
    "v1_specific_minus_5": (_v1(hostile.ENTERPRISE, b"\x06", b"\xfb", b"\x05"), 317),
    "v1_generic_7": (_v1(hostile.ENTERPRISE, b"\x07", b"\x01", b"\x05"), 317),
}
CASES = {name: (bytes.fromhex(hx), code) for name, (hx, code) in REPRODUCERS.items()}
CASES.update(CONSTRUCTED)


def _code(fn, *args) -> int:
    with pytest.raises(SNMPTrapMgrError) as info:
        fn(*args)
    return info.value.code


@pytest.mark.parametrize("name", sorted(CASES))
def test_reproducer_refused(impl, name):
    data, code = CASES[name]
    assert _code(ber.decode_message, data) == code
    assert _code(community.CommunityDecoder().decode, data, ADDR) == code
    with pytest.raises(DecodeError):   # a ValueError too, as every malformed-input error
        ber.decode_message(data)


@pytest.mark.parametrize("content, value", [
    (b"\x00\xff\xff\xff\xff", 2 ** 32 - 1), (b"\x00\x00\x05", 5), (b"\x7f", 127)])
def test_in_range_neighbours_still_decode(impl, content, value):
    for tag in (0x41, 0x42, 0x43, 0x47):
        data = hostile._v2c(hostile._varbind(hostile.NAME, tag, content))
        assert ber.decode_message(data).pdu.varbinds == [("1.3.6.1.4.1.99999.1", tag, value)]
    data = hostile._v2c(hostile._varbind(hostile.NAME, 0x46, b"\x00" + b"\xff" * 8))
    assert ber.decode_message(data).pdu.varbinds[0][2] == 2 ** 64 - 1
    event = community.CommunityDecoder().decode(_v1(hostile.ENTERPRISE, b"\x06", b"\x00", b"\x00\xff\xff\xff\xff"),
                                                ADDR)
    assert (event.generic_trap, event.specific_trap, event.time_stamp) == (6, 0, 2 ** 32 - 1)


# --------------------------------------------------------------------------- generated

@st.composite
def hostile_messages(draw, valid=False):
    kind = draw(st.sampled_from(hostile.KINDS))
    a, b, c = (draw(st.one_of(st.integers(0, 300), st.integers(0, (1 << 32) - 1))) for _ in range(3))
    return (kind, *hostile.hostile_message(kind, a, b, c, valid))


@PROPS
@given(hostile_messages())
def test_generated_hostile_fields_refused_by_both_twins(impl, sample):
    kind, data, code = sample
    assert _code(ber.decode_message, data) == _code(_ber_py.decode_message, data) == code
    assert _code(ber.decode_message, bytearray(data)) == code
    assert _code(community.CommunityDecoder().decode, data, ADDR) == \
        _code(_community_py.CommunityDecoder().decode, data, ADDR) == code


@PROPS
@given(hostile_messages(valid=True))
def test_generated_controls_accepted_by_both_twins(impl, sample):
    """The same builders with an in-range field: what the test above refuses is that field alone."""
    kind, data, code = sample
    assert code == 0
    assert ber.decode_message(data) == _ber_py.decode_message(data)
    event = community.CommunityDecoder().decode(data, ADDR)
    assert event.community_bytes == b"public"


# --------------------------------------------------------------------------- lossless communities

FFFE = bytes.fromhex("30140201010402fffea70b0201070201000201003000")
FEFF = bytes.fromhex("30140201010402feffa70b0201070201000201003000")


def test_communities_that_display_alike_stay_apart(impl):
    decoder = community.CommunityDecoder()
    first, second = decoder.decode(FFFE, ADDR), decoder.decode(FEFF, ADDR)
    assert first.community == second.community == "\ufffd\ufffd"        # the documented text
    assert (first.community_bytes, second.community_bytes) == (b"\xff\xfe", b"\xfe\xff")


def test_community_filter_compares_bytes(impl):
    decoder = community.CommunityDecoder(communities={b"\xff\xfe"})
    assert decoder.decode(FFFE, ADDR).community_bytes == b"\xff\xfe"
    assert _code(decoder.decode, FEFF, ADDR) == 321                      # same text, other octets


def test_inform_keeps_raw_community(impl):
    data = encode_community_message(1, b"\xfe\xff", encode_pdu(0xA6, 5, 0, 0, []))
    event = community.CommunityDecoder().decode(data, ADDR)
    assert event.community_bytes == b"\xfe\xff"


# --------------------------------------------------------------------------- bounded caches

def _growth(run) -> int:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


def test_community_text_cache_bounded_in_bytes(impl):
    """Distinct 60 KiB communities are decoded for their event and not kept (was ~120 KiB each)."""
    decoder = community.CommunityDecoder()

    def flood():
        for i in range(300):
            name = i.to_bytes(2, "big") * 30720
            data = encode_community_message(1, name, encode_pdu(PDU_TRAP, i, 0, 0, []))
            assert decoder.decode(data, ADDR).community_bytes == name

    assert _growth(flood) < 2 << 20
    assert decoder.cached_texts == 0
    for i in range(2000):                                               # short ones are cached, bounded
        decoder.decode(encode_community_message(1, b"c%d" % i, encode_pdu(PDU_TRAP, 1, 0, 0, [])), ADDR)
    assert 0 < decoder.cached_texts <= _community_py.TEXTS_MAX


def test_oid_text_cache_bounded_in_bytes(impl):
    """Long, distinct OIDs (issue 12 item 1's shape, 6,000 arcs) and many short ones leave memory flat."""
    def flood():
        for i in range(200):
            name = hostile.oid_to_ber(f"1.3.6.1.4.1.{16384 + i}") + b"\x01" * 6000
            data = hostile._v2c(hostile._varbind(name, 0x02, b"\x01"))
            assert len(ber.decode_message(data).pdu.varbinds[0][0]) > 12000
        for i in range(6000):
            ber.decode_message(hostile._v2c(hostile._varbind(hostile.oid_to_ber(f"1.3.6.1.4.1.{i}.{i}.7"),
                                                             0x05, b"")))

    assert _growth(flood) < 2 << 20
