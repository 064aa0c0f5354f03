"""Decode real datagrams from real senders and check every field.

The captures in ``tests/data`` were made by ``tests/data/make_captures.py``;
each ``NAME.json`` says what the sender was asked to send.  The same
manifests drive live runs: net-snmp (and pysnmp, when installed) send again
on every test run, so the decoder always meets the current peer, not only a
stored file.  Both twins run via the ``impl`` fixture.
"""

from __future__ import annotations

import os

import pytest

import capture
from snmptrapmgr.codec import ber

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
MANIFESTS = {name: capture.from_json(m) for name, m in capture.load_manifests(DATA).items()}
NET_SNMP = sorted(n for n, m in MANIFESTS.items() if m["sender"] == "net-snmp")
PYSNMP = sorted(n for n, m in MANIFESTS.items() if m["sender"] == "pysnmp")

needs_net_snmp = pytest.mark.skipif(not capture.have_net_snmp(), reason="net-snmp tools not installed")
needs_pysnmp = pytest.mark.skipif(not capture.have_pysnmp(), reason="pysnmp not installed")


def fields(data: bytes, decoded: tuple) -> dict:
    """Name every part of ``decode_message``'s result (shapes per _ber_py's docstring)."""
    out = {"version": decoded[0]}
    if decoded[0] == 3:
        assert len(decoded) == 13
        (_v, out["msg_id"], out["max_size"], out["flags"], out["security_model"],
         out["engine_id"], out["boots"], out["time"], out["user"], out["auth_params"],
         auth_offset, out["priv_params"], scoped) = decoded
        # auth_offset points at msgAuthenticationParameters' content
        n = len(out["auth_params"])
        assert 2 <= auth_offset <= len(data) - n
        assert data[auth_offset - 2] == 0x04 and data[auth_offset - 1] == n
        assert data[auth_offset:auth_offset + n] == out["auth_params"]
        assert isinstance(scoped, tuple), "plaintext ScopedPDU expected"
        out["context_engine_id"], out["context_name"], pdu = scoped
    else:
        assert len(decoded) == 3
        out["community"] = decoded[1]
        pdu = decoded[2]
    out["pdu_tag"] = pdu[0]
    if pdu[0] == 0xA4:
        assert len(pdu) == 7
        (_t, out["enterprise"], out["agent_address"], out["generic"], out["specific"],
         out["time_stamp"], out["varbinds"]) = pdu
    else:
        assert len(pdu) == 5
        _t, out["request_id"], out["error_status"], out["error_index"], out["varbinds"] = pdu
    return out


def check(data: bytes, expect: dict) -> None:
    got = fields(data, ber.decode_message(data))
    assert set(got) == set(expect), "decoder fields differ from the manifest's"
    for key, want in expect.items():
        if key == "varbinds":
            continue
        assert capture.matches(want, got[key]), f"{key}: expected {want!r}, got {got[key]!r}"
    varbinds = got["varbinds"]
    assert isinstance(varbinds, list)
    assert len(varbinds) == len(expect["varbinds"]), [vb[0] for vb in varbinds]
    for i, (vb, (oid, obj_type, value)) in enumerate(zip(varbinds, expect["varbinds"])):
        assert isinstance(vb, tuple) and len(vb) == 3
        assert vb[0] == oid, f"varbind {i}: oid {vb[0]!r} != {oid!r}"
        assert vb[1] == obj_type, f"varbind {i} ({oid}): type {vb[1]:#x} != {obj_type:#x}"
        assert capture.matches(value, vb[2]), f"varbind {i} ({oid}): value {vb[2]!r} != {value!r}"


def read(name: str) -> bytes:
    with open(os.path.join(DATA, name + ".bin"), "rb") as fh:
        return fh.read()


# --------------------------------------------------------------------------
# the stored captures
# --------------------------------------------------------------------------

def test_captures_present():
    expected = {"v2c_trap_all_types", "v2c_inform", "v3_noauth_trap", "v1_trap_all_types"}
    expected |= {f"v1_trap_generic_{n}" for n in range(7)}
    assert expected <= set(MANIFESTS)


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_stored_capture(impl, name):
    check(read(name), MANIFESTS[name]["expect"])


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_stored_capture_as_memoryview_and_bytearray(impl, name):
    data = read(name)
    ref = ber.decode_message(data)
    assert ber.decode_message(bytearray(data)) == ref
    assert ber.decode_message(memoryview(data)) == ref


def test_all_types_manifest_covers_every_letter():
    letters = {letter for _oid, letter, _text in MANIFESTS["v2c_trap_all_types"]["asked"]}
    # every type letter snmptrap 5.9.3 accepts for a numeric OID ('=' needs a MIB)
    assert letters == set("iu3cCtaosxdbnUIFD")
    tags = {vb[1] for vb in MANIFESTS["v2c_trap_all_types"]["expect"]["varbinds"]}
    assert tags == {0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x47}


def test_generic_traps_cover_0_to_6():
    generics = sorted(MANIFESTS[f"v1_trap_generic_{n}"]["expect"]["generic"] for n in range(7))
    assert generics == list(range(7))


def test_v2c_request_ids_nonzero(impl):
    for name in ("v2c_trap_all_types", "v2c_inform"):
        pdu = ber.decode_message(read(name))[2]
        assert pdu[1] != 0


# --------------------------------------------------------------------------
# live: the real peer sends again on every run
# --------------------------------------------------------------------------

@pytest.mark.peer
@needs_net_snmp
@pytest.mark.parametrize("name", NET_SNMP)
def test_live_net_snmp(impl, name):
    manifest = MANIFESTS[name]
    got = capture.capture(manifest["command"])
    data = got.first
    check(data, manifest["expect"])
    # the stored file is still what this net-snmp sends, apart from the fields it picks itself
    stored = ber.decode_message(read(name))
    live = ber.decode_message(data)
    if live[0] in (0, 1):
        assert live[:2] == stored[:2]
        assert live[2][0] == stored[2][0] and live[2][-1] == stored[2][-1]
        if live[2][0] == 0xA4:
            assert live[2] == stored[2]


@pytest.mark.peer
@needs_net_snmp
def test_live_inform_retries_are_informs(impl):
    """snmpinform retries an unanswered inform; every copy decodes to the same PDU."""
    manifest = MANIFESTS["v2c_inform"]
    got = capture.capture(manifest["command"], count=2, timeout=5.0)
    assert len(got.datagrams) == 2
    for data in got.datagrams:
        check(data, manifest["expect"])
    first, second = (ber.decode_message(d) for d in got.datagrams)
    assert first[2][1] == second[2][1]  # a retry keeps the request-id


@pytest.mark.peer
@needs_net_snmp
@pytest.mark.parametrize("letter_index", range(17))
def test_live_v2c_each_type_letter_alone(impl, letter_index):
    """One varbind per trap, so a failure names the type letter."""
    from importlib import util

    spec = util.spec_from_file_location("make_captures", os.path.join(DATA, "make_captures.py"))
    make = util.module_from_spec(spec)
    spec.loader.exec_module(make)
    letter = make.TYPE_LETTERS[letter_index]
    for oid, lt, text in make.ALL_TYPES:
        if lt != letter:
            continue
        name, manifest = make.v2c_case(f"one_{letter}", [(oid, lt, text)])
        manifest = capture.from_json(capture.to_json(manifest))
        check(capture.capture(manifest["command"]).first, manifest["expect"])
        name, manifest = make.v1_case(f"one_v1_{letter}", 6, 1, [(oid, lt, text)])
        manifest = capture.from_json(capture.to_json(manifest))
        check(capture.capture(manifest["command"]).first, manifest["expect"])


@pytest.mark.peer
@needs_pysnmp
@pytest.mark.parametrize("name", PYSNMP)
def test_live_pysnmp(impl, name):
    manifest = MANIFESTS[name]
    got = capture.capture_call(capture.pysnmp_sender(manifest["pysnmp"]))
    check(got.first, manifest["expect"])
