"""The v1/v2c datagram -> event twins (``_community_py`` / ``_community_c``).

Properties: on generated messages both twins give the event that the
generator's own description implies (an oracle independent of either twin),
and on mutated datagrams both give the same event or the same error code.
Hand-written cases (through the ``impl`` fixture, so once per twin): the
order of the checks (decode, community, PDU type), SNMPv3 handed on, the
trap-OID rule, codec and the bounded community-text table.
"""

from __future__ import annotations

import importlib
import os

import pytest
from hypothesis import HealthCheck, given, settings

from test_twins import messages, mutated

from snmptrapmgr.codec import _community_py, community
from snmptrapmgr.errors import (
    ERR_BAD_PACKET,
    ERR_DEFECTIVE_PACKET,
    ERR_NOT_AUTHENTICATED,
    ERR_UNKNOWN_PDU,
    ERR_UNSUPPORTED_VERSION,
    SNMPTrapMgrError,
)
from snmptrapmgr.events import SNMPTrapMgrInformRequestEventParams, SNMPTrapMgrTrapEventParams
from snmptrapmgr.codec.pdu import PDU_GET, PDU_INFORM, PDU_TRAP
from snmptrapmgr.codec.encode import (
    encode_community_message,
    encode_pdu,
    encode_scoped_pdu,
    encode_v1_trap_pdu,
    encode_v3_message,
)

REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0")
ADDR = ("192.0.2.7", 16201)
UPTIME = "1.3.6.1.2.1.1.3.0"
TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
ENT = "1.3.6.1.4.1.99999"
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])
FIELDS = ("snmp_version", "request_id", "community", "community_bytes", "user", "security_level", "trap_oid", "time_stamp",
          "source_address", "source_port", "varbinds", "agent_address", "enterprise", "generic_trap",
          "specific_trap", "rfc3584_trap_oid", "engine_id", "context_engine_id", "context_name")


def _compiled():
    try:
        return importlib.import_module("snmptrapmgr.codec._community_c")
    except ImportError:
        return None


@pytest.fixture(scope="module")
def twins():
    c = _compiled()
    if c is None:
        if REQUIRE:
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built")
    return _community_py, c


def snapshot(event):
    if event is None:
        return None
    out = {name: getattr(event, name, None) for name in FIELDS}
    out["class"] = type(event).__name__
    out["reply_context"] = getattr(event, "reply_context", None)
    return out


def outcome(decoder, data, address=ADDR):
    try:
        return "ok", snapshot(decoder.decode(data, address))
    except SNMPTrapMgrError as exc:
        return "err", exc.code


def v2c(varbinds, tag=PDU_TRAP, community=b"public", request_id=77):
    return encode_community_message(1, community, encode_pdu(tag, request_id, 0, 0, varbinds))


def expected_trap_fields(varbinds):
    """The rule, written out from its description: first snmpTrapOID.0, last sysUpTime.0 before it."""
    at = next((i for i, (o, t, _) in enumerate(varbinds) if o == TRAP_OID and t == 0x06), len(varbinds))
    uptimes = [v for o, t, v in varbinds[:at] if o == UPTIME and t == 0x43]
    return (varbinds[at][2] if at < len(varbinds) else ""), (uptimes[-1] if uptimes else 0)


# --------------------------------------------------------------------------- properties

@PROPS
@given(messages())
def test_events_follow_from_the_message(twins, sample):
    data, (version, *rest) = sample
    for twin in twins:
        event = twin.CommunityDecoder().decode(data, ADDR)
        if version == 3:
            assert event is None
            continue
        community, pdu = rest
        text = community.decode("utf-8", "replace")
        assert (event.community, event.user, event.security_level) == (text, "", 0)
        assert event.community_bytes == community                      # lossless beside the text
        assert (event.source_address, event.source_port) == ADDR
        if version == 0:
            _, enterprise, agent, generic, specific, stamp, varbinds = pdu
            assert type(event) is SNMPTrapMgrTrapEventParams
            assert (event.snmp_version, event.request_id, event.time_stamp) == (1, 0, stamp)
            assert (event.enterprise, event.agent_address) == (enterprise, agent)
            assert (event.generic_trap, event.specific_trap) == (generic, specific)
            standard = enterprise == "1.3.6.1.6.3.1.1.5"
            assert event.trap_oid == (f"{enterprise}.{generic + 1}" if standard
                                      else f"{enterprise}.{generic}.{specific}")
            assert event.rfc3584_trap_oid == (f"1.3.6.1.6.3.1.1.5.{generic + 1}" if generic <= 5
                                              else f"{enterprise}.0.{specific}")
        else:
            tag, request_id, _, _, varbinds = pdu
            kind = SNMPTrapMgrTrapEventParams if tag == PDU_TRAP else SNMPTrapMgrInformRequestEventParams
            assert type(event) is kind
            assert (event.snmp_version, event.request_id) == (2, request_id)
            assert (event.trap_oid, event.time_stamp) == expected_trap_fields(varbinds)
            if tag == PDU_INFORM:
                assert event.community_bytes == community and event.reply_context is None
        assert event.varbinds == varbinds


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(mutated())
def test_mutated_datagrams_agree(twins, data):
    py, c = twins
    want = outcome(py.CommunityDecoder(), data)
    assert outcome(c.CommunityDecoder(), data) == want
    assert outcome(c.CommunityDecoder(), bytearray(data)) == want
    assert outcome(py.CommunityDecoder(), memoryview(data)) == want
    accepted = {b"public", b"x"}
    assert outcome(c.CommunityDecoder(accepted), data) == outcome(py.CommunityDecoder(accepted), data)


@PROPS
@given(messages())
def test_trap_fields_agree(twins, sample):
    _, (version, *rest) = sample
    if version == 3 and isinstance(rest[-1], tuple):
        varbinds = rest[-1][2][4]
    elif version == 1:
        varbinds = rest[1][4]
    else:
        return
    py, c = twins
    assert py.trap_fields(varbinds) == c.trap_fields(varbinds) == expected_trap_fields(varbinds)


# --------------------------------------------------------------------------- cases, once per twin

def test_typical_trap(impl):
    vbs = [(UPTIME, 0x43, 123), (TRAP_OID, 0x06, "1.3.6.1.6.3.1.1.5.3"), (ENT + ".1", 0x04, b"Gi0/3")]
    event = community.CommunityDecoder().decode(v2c(vbs), ADDR)
    assert type(event) is SNMPTrapMgrTrapEventParams
    assert (event.trap_oid, event.time_stamp, event.community, event.request_id) == \
        ("1.3.6.1.6.3.1.1.5.3", 123, "public", 77)
    assert event.varbinds == vbs
    assert event.rfc3584_trap_oid == "1.3.6.1.6.3.1.1.5.3"  # a v2c trap: its own OID


def test_v3_is_handed_on(impl):
    pdu = encode_pdu(PDU_TRAP, 5, 0, 0, [(UPTIME, 0x43, 1)])
    message, _ = encode_v3_message(1, 1472, 0, b"\x80\x00\x01\x02\x03", 0, 0, b"u", b"", b"",
                                   encode_scoped_pdu(b"\x80\x00\x01\x02\x03", b"", pdu))
    assert community.CommunityDecoder().decode(message, ADDR) is None
    assert community.CommunityDecoder({b"other"}).decode(message, ADDR) is None  # communities are v1/v2c only


def test_check_order_decode_then_community_then_pdu(impl):
    decoder = community.CommunityDecoder({b"public"})
    good = v2c([(UPTIME, 0x43, 1)], community=b"intruder")
    assert outcome(decoder, good) == ("err", ERR_NOT_AUTHENTICATED)
    assert outcome(decoder, good[:-1]) == ("err", ERR_DEFECTIVE_PACKET)   # defective beats community
    get = v2c([(UPTIME, 0x05, None)], tag=PDU_GET, community=b"intruder")
    assert outcome(decoder, get) == ("err", ERR_NOT_AUTHENTICATED)        # community beats PDU type
    assert outcome(community.CommunityDecoder(), get) == ("err", ERR_UNKNOWN_PDU)
    v1_in_v2c = encode_community_message(1, b"public", encode_v1_trap_pdu(ENT, "10.0.0.1", 6, 1, 2, []))
    assert outcome(decoder, v1_in_v2c) == ("err", ERR_UNKNOWN_PDU)
    v2_in_v1 = encode_community_message(0, b"public", encode_pdu(PDU_TRAP, 1, 0, 0, []))
    assert outcome(decoder, v2_in_v1) == ("err", ERR_UNKNOWN_PDU)
    assert outcome(decoder, b"\x30\x03\x02\x01\x02") == ("err", ERR_UNSUPPORTED_VERSION)
    assert outcome(decoder, b"") == ("err", ERR_BAD_PACKET)
    decoder.communities = None
    assert outcome(decoder, good)[0] == "ok"


def test_inputs_other_than_bytes(impl):
    data = v2c([(UPTIME, 0x43, 9), (TRAP_OID, 0x06, ENT + ".0.1")])
    want = outcome(community.CommunityDecoder(), data)
    assert want[0] == "ok"
    strided = memoryview(bytes(x for b in data for x in (b, 0)))[::2]
    for other in (bytearray(data), memoryview(data), strided, list(data)):
        assert outcome(community.CommunityDecoder(), other) == want
    assert outcome(community.CommunityDecoder(), "0\x03") == ("err", ERR_BAD_PACKET)
    assert outcome(community.CommunityDecoder(), None) == ("err", ERR_BAD_PACKET)


@pytest.mark.parametrize("varbinds, expected", [
    ([], ("", 0)),
    ([(TRAP_OID, 0x06, ENT + ".1"), (UPTIME, 0x43, 5)], (ENT + ".1", 0)),   # uptime after the trap OID
    ([(ENT, 0x02, 1), (UPTIME, 0x43, 5), (UPTIME, 0x43, 6), (TRAP_OID, 0x06, ENT + ".2"),
      (TRAP_OID, 0x06, ENT + ".3")], (ENT + ".2", 6)),
    ([(UPTIME, 0x02, 5), (TRAP_OID, 0x04, b"1.3.6"), (TRAP_OID, 0x06, ENT)], (ENT, 0)),  # wrong types
    ([(UPTIME, 0x43, 5)], ("", 5)),
])
def test_trap_fields_rule(impl, varbinds, expected):
    assert community.trap_fields(varbinds) == expected
    assert community.trap_fields([list(v) for v in varbinds]) == expected  # any 3-sequences
    event = community.CommunityDecoder().decode(v2c(varbinds), ADDR)
    assert (event.trap_oid, event.time_stamp) == expected


def test_inform_keeps_its_community_for_the_response(impl):
    event = community.CommunityDecoder().decode(v2c([(UPTIME, 0x43, 1)], tag=PDU_INFORM, community=b"c\xff"),
                                             ADDR)
    assert type(event) is SNMPTrapMgrInformRequestEventParams
    assert event.community_bytes == b"c\xff" and event.reply_context is None
    assert event.community == "c\ufffd"
    assert event.respond is False


def test_codec_and_bounded_texts(impl):
    decoder = community.CommunityDecoder()
    data = v2c([], community="caf\u00e9".encode("latin-1"))
    assert decoder.decode(data, ADDR).community == "caf\ufffd"
    decoder.codec = "latin-1"   # a new CodePage applies to communities already seen
    assert decoder.codec == "latin-1"
    assert decoder.decode(data, ADDR).community == "caf\u00e9"
    assert decoder.cached_texts == 1
    for i in range(_community_py.TEXTS_MAX + 10):
        assert decoder.decode(v2c([], community=b"c%d" % i), ADDR).community == f"c{i}"
        assert decoder.cached_texts <= _community_py.TEXTS_MAX
    assert decoder.decode(data, ADDR).community == "caf\u00e9"
    assert 0 < decoder.cached_texts <= _community_py.TEXTS_MAX
