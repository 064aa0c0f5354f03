"""SNMPv3 USM through the sans-IO Receiver: messages built here, no network.

Every test takes the ``impl`` fixture, so it runs against both twins; the
receiver is constructed after the fixture switched them.
"""

from __future__ import annotations

import pytest

from snmptrapmgr.codec import ber
from snmptrapmgr.errors import (
    ERR_BAD_ENGINE_ID,
    ERR_BAD_PACKET,
    ERR_BAD_TIME_FRAME,
    ERR_BAD_USER_NAME,
    ERR_DECRYPTION_FAILED,
    ERR_MISSING_AUTH_PASSWORD,
    ERR_SECURITY_LEVEL,
    ERR_VERIFICATION_FAILED,
)
from snmptrapmgr.events import (
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrTrapEventParams,
)
from snmptrapmgr.codec.encode import PDU_GET, PDU_INFORM, PDU_REPORT, PDU_RESPONSE, encode_pdu, encode_scoped_pdu, encode_v3_message
from snmptrapmgr.receiver import Hooks, Receiver
from snmptrapmgr.security.usm import USM_STATS_OIDS, generate_engine_id

from v3_support import DEFAULT_VARBINDS, build_v3, keys_for, parse_reply

ADDR = ("192.0.2.7", 50162)
NOW = 1_700_000_000.0
REMOTE = b"\x80\x00\x1f\x88\x04remote"
LOCAL = b"\x80\x00\x1f\x88\x04local-engine"

AUTHS = [1, 2, 3, 4, 5, 6]
PRIVS = [1, 2, 3, 4, 5]


def receiver(**hooks) -> Receiver:
    r = Receiver(Hooks(**hooks))
    r.local_engine_id = LOCAL
    return r


def one(r: Receiver, data: bytes, now: float = NOW):
    events = r.receive_datagram(data, ADDR, now)
    assert len(events) == 1
    return events[0]


def rejected(event, code: int) -> None:
    assert isinstance(event, SNMPTrapMgrBadPacketEventParams), vars_of(event)
    assert event.error_code == code, (event.error_code, event.error_description)


def vars_of(event) -> dict:
    return {k: getattr(event, k, None) for k in getattr(type(event), "__slots__", ())}


# ------------------------------------------------------------------ happy paths


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("priv", PRIVS)
def test_trap_every_auth_priv(impl, auth, priv):
    r = receiver()
    r.cache.add_user("alice", b"", auth, "authpass1", priv, "privpass1")
    akey, pkey = keys_for(auth, "authpass1", priv, "privpass1", REMOTE)
    event = one(r, build_v3(akey=akey, pkey=pkey, context_name=b"ctx"))
    assert isinstance(event, SNMPTrapMgrTrapEventParams), vars_of(event)
    assert (event.snmp_version, event.user, event.security_level) == (3, "alice", 2)
    assert event.engine_id == REMOTE
    assert event.context_engine_id == REMOTE and event.context_name == b"ctx"
    assert event.varbinds == DEFAULT_VARBINDS
    assert event.trap_oid == "1.3.6.1.4.1.8072.2.3.0.1" and event.time_stamp == 12345


@pytest.mark.parametrize("auth", AUTHS)
def test_trap_auth_no_priv(impl, auth):
    r = receiver()
    r.cache.add_user("alice", REMOTE, auth, "authpass1", 0, "")
    akey, _ = keys_for(auth, "authpass1", 0, "", REMOTE)
    event = one(r, build_v3(akey=akey))
    assert isinstance(event, SNMPTrapMgrTrapEventParams), vars_of(event)
    assert (event.user, event.security_level) == ("alice", 1)


def test_no_auth_no_priv_needs_known_engine_or_accept(impl):
    r = receiver()
    r.cache.add_user("public", b"", 0, "", 0, "")
    msg = build_v3(user=b"public")
    # a new engine, not authenticated: accept defaults to False
    rejected(one(r, msg), ERR_BAD_ENGINE_ID)
    r.cache.add_engine(REMOTE, 0, 0)
    event = one(r, msg)
    assert isinstance(event, SNMPTrapMgrTrapEventParams)
    assert (event.user, event.security_level) == ("public", 0)


def test_no_auth_accepted_by_check_engine(impl):
    seen = []

    def check(ev):
        seen.append((ev.engine_id, ev.is_new, ev.accept, ev.security_level, ev.user))
        ev.accept = True

    r = receiver(check_engine=check)
    r.cache.add_user("public", b"", 0, "", 0, "")
    assert isinstance(one(r, build_v3(user=b"public")), SNMPTrapMgrTrapEventParams)
    assert seen == [(REMOTE, True, False, 0, "public")]
    # the accepted engine entered the cache
    assert REMOTE in [e.engine_id for e in r.cache.entries()]


# ------------------------------------------------------------------ rejections


def test_wrong_auth_password(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    akey, pkey = keys_for(2, "wrong-pass", 2, "privpass1", REMOTE)
    rejected(one(r, build_v3(akey=akey, pkey=pkey)), ERR_VERIFICATION_FAILED)
    assert r.usm.stats["usmStatsWrongDigests"] == 1


def test_wrong_priv_password(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    akey, pkey = keys_for(2, "authpass1", 2, "wrong-priv", REMOTE)
    rejected(one(r, build_v3(akey=akey, pkey=pkey)), ERR_DECRYPTION_FAILED)
    assert r.usm.stats["usmStatsDecryptionErrors"] == 1


@pytest.mark.parametrize("priv", [0, 2])
def test_every_single_byte_flipped_is_rejected(impl, priv):
    r = receiver()
    r.cache.add_user("alice", b"", 3, "authpass1", priv, "privpass1")
    akey, pkey = keys_for(3, "authpass1", priv, "privpass1", REMOTE)
    good = build_v3(akey=akey, pkey=pkey)
    assert isinstance(one(r, good), SNMPTrapMgrTrapEventParams)
    for i in range(len(good)):
        for mask in (0x01, 0xFF):
            bad = bytearray(good)
            bad[i] ^= mask
            event = one(r, bytes(bad))
            assert isinstance(event, SNMPTrapMgrBadPacketEventParams), (i, mask)
    # and the original still passes (the engine state was not disturbed)
    assert isinstance(one(r, good), SNMPTrapMgrTrapEventParams)


def test_replay_outside_time_window(impl):
    r = receiver()
    r.time_window = 150
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", REMOTE)
    msg = build_v3(akey=akey, pkey=pkey, boots=3, etime=1000)
    assert isinstance(one(r, msg, NOW), SNMPTrapMgrTrapEventParams)
    # within the window: still accepted
    assert isinstance(one(r, msg, NOW + 100), SNMPTrapMgrTrapEventParams)
    # replayed later than the window
    rejected(one(r, msg, NOW + 1000), ERR_BAD_TIME_FRAME)
    assert r.usm.stats["usmStatsNotInTimeWindows"] == 1
    # an older boots value is never timely
    older = build_v3(akey=akey, pkey=pkey, boots=2, etime=999999)
    rejected(one(r, older, NOW + 1), ERR_BAD_TIME_FRAME)
    # a fresh message after the replay is fine and moves the engine clock
    fresh = build_v3(akey=akey, pkey=pkey, boots=3, etime=2000)
    assert isinstance(one(r, fresh, NOW + 1000), SNMPTrapMgrTrapEventParams)


def test_check_engine_defaults_and_override(impl):
    calls = []
    override = {}

    def check(ev):
        calls.append((ev.is_new, ev.accept))
        if "accept" in override:
            ev.accept = override["accept"]

    r = receiver(check_engine=check)
    r.cache.add_user("alice", b"", 2, "authpass1", 0, "")
    akey, _ = keys_for(2, "authpass1", 0, "", REMOTE)
    one(r, build_v3(akey=akey, boots=1, etime=500), NOW)          # new + authenticated
    one(r, build_v3(akey=akey, boots=1, etime=510), NOW + 10)     # known + timely
    event = one(r, build_v3(akey=akey, boots=1, etime=10), NOW + 1000)  # known, late
    rejected(event, ERR_BAD_TIME_FRAME)
    override["accept"] = True                                      # the app may accept anyway
    assert isinstance(one(r, build_v3(akey=akey, boots=1, etime=10), NOW + 1000),
                      SNMPTrapMgrTrapEventParams)
    override["accept"] = False                                     # ... or refuse a good one
    rejected(one(r, build_v3(akey=akey, boots=1, etime=20), NOW + 1010), ERR_BAD_ENGINE_ID)
    assert calls[:3] == [(True, True), (False, True), (False, False)]


@pytest.mark.parametrize("configured,sent", [(2, 1), (2, 0), (1, 0), (1, 2), (0, 1)])
def test_security_level_mismatch(impl, configured, sent):
    r = receiver()
    auth, priv = (2 if configured else 0), (2 if configured == 2 else 0)
    r.cache.add_user("alice", b"", auth, "authpass1", priv, "privpass1")
    r.cache.add_engine(REMOTE, 1, 100)
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", REMOTE)
    msg = build_v3(akey=akey if sent else None, pkey=pkey if sent == 2 else None)
    rejected(one(r, msg), ERR_SECURITY_LEVEL)
    assert r.usm.stats["usmStatsUnsupportedSecLevels"] == 1


def test_unknown_user(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 0, "")
    akey, _ = keys_for(2, "authpass1", 0, "", REMOTE)
    rejected(one(r, build_v3(user=b"mallory", akey=akey)), ERR_BAD_USER_NAME)
    assert r.usm.stats["usmStatsUnknownUserNames"] == 1


def test_priv_flag_without_auth_flag(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 0, "", 0, "")
    r.cache.add_engine(REMOTE, 1, 100)
    rejected(one(r, build_v3(flags=0x02)), ERR_BAD_PACKET)
    rejected(one(r, build_v3(flags=0x06, pdu_tag=PDU_INFORM, context_engine_id=LOCAL,
                             engine_id=LOCAL)), ERR_BAD_PACKET)
    assert r.usm.stats["snmpInvalidMsgs"] == 2


@pytest.mark.parametrize("salt", [b"", b"1234567", b"123456789"])
def test_bad_salt_length_is_decryption_error(impl, salt):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 1, "privpass1")
    akey, pkey = keys_for(2, "authpass1", 1, "privpass1", REMOTE)
    ciphertext, _ = pkey.encrypt(encode_scoped_pdu(REMOTE, b"", encode_pdu(0xA7, 1, 0, 0, [])),
                                 1, 100, 9)
    for body in (ciphertext, ciphertext[:-3], b"\x00"):
        msg, off = encode_v3_message(1, 65507, 3, REMOTE, 1, 100, b"alice", bytes(12), salt,
                                     b"\x04" + bytes((len(body),)) + body)
        msg = msg[:off] + akey.sign(msg) + msg[off + 12:]
        if len(salt) == 8 and body is ciphertext:
            continue
        rejected(one(r, msg), ERR_DECRYPTION_FAILED)


def test_no_report_for_a_trap_even_if_reportable(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 0, "")
    akey, _ = keys_for(2, "wrong", 0, "", REMOTE)
    event = one(r, build_v3(akey=akey, reportable=True))
    rejected(event, ERR_VERIFICATION_FAILED)
    assert event.report is False  # never a Report for a trap, not even by default
    event.report = True
    assert r.reply(event, ADDR) is None


def test_handler_can_veto_a_report(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 0, "", 0, "")
    event = one(r, build_v3(engine_id=LOCAL, user=b"mallory", boots=0, etime=int(NOW),
                            pdu_tag=PDU_INFORM))
    rejected(event, ERR_BAD_USER_NAME)
    event.report = False
    assert r.reply(event, ADDR) is None


# ------------------------------------------------------------------ compatibility mode


@pytest.mark.parametrize("auth,priv", [(1, 4), (2, 5), (5, 5), (1, 5)])
@pytest.mark.parametrize("sender_mode", ["reeder", "blumenthal"])
@pytest.mark.parametrize("mode", [0, 1, 2])
def test_compatibility_mode(impl, auth, priv, sender_mode, mode):
    r = receiver()
    r.compatibility_mode = mode
    r.cache.add_user("alice", b"", auth, "authpass1", priv, "privpass1")
    akey, pkey = keys_for(auth, "authpass1", priv, "privpass1", REMOTE, sender_mode)
    event = one(r, build_v3(akey=akey, pkey=pkey))
    works = mode == 2 or (mode == 0) == (sender_mode == "reeder")
    if works:
        assert isinstance(event, SNMPTrapMgrTrapEventParams), vars_of(event)
        assert event.varbinds == DEFAULT_VARBINDS
    else:
        rejected(event, ERR_DECRYPTION_FAILED)


def test_long_localized_key_needs_no_extension(impl):
    """SHA-256 localized keys are 32 octets: both extensions give the same AES-256 key."""
    for mode in (0, 1, 2):
        r = receiver()
        r.compatibility_mode = mode
        r.cache.add_user("alice", b"", 3, "authpass1", 5, "privpass1")
        akey, pkey = keys_for(3, "authpass1", 5, "privpass1", REMOTE, "blumenthal")
        assert isinstance(one(r, build_v3(akey=akey, pkey=pkey)), SNMPTrapMgrTrapEventParams)


# ------------------------------------------------------------------ events and hooks


def test_security_level_and_password_hooks(impl):
    log = []

    def level(ev):
        log.append(("level", ev.user, ev.engine_id, ev.security_level))
        ev.security_level = 2

    def password(ev):
        log.append(("password", ev.password_type, ev.user, ev.engine_id, ev.algorithm))
        if ev.password_type == 1:
            ev.password, ev.algorithm = "authpass1", 4
        else:
            ev.password, ev.algorithm = "privpass1", 5

    r = receiver(get_user_security_level=level, get_user_password=password)
    akey, pkey = keys_for(4, "authpass1", 5, "privpass1", REMOTE)
    event = one(r, build_v3(user=b"bob", akey=akey, pkey=pkey))
    assert isinstance(event, SNMPTrapMgrTrapEventParams), vars_of(event)
    assert (event.user, event.security_level) == ("bob", 2)
    assert log == [("level", "bob", REMOTE, -1), ("password", 1, "bob", REMOTE, 0),
                   ("password", 2, "bob", REMOTE, 1)]
    # the new engine and its authenticated user entered the cache
    entries = [(e.engine_id, e.user, e.authentication_protocol, e.encryption_algorithm)
               for e in r.cache.entries()]
    assert (REMOTE, "bob", "4", "5") in entries
    # the cache now knows bob's level
    log.clear()
    one(r, build_v3(user=b"bob", akey=akey, pkey=pkey, etime=101))
    assert log[0] == ("level", "bob", REMOTE, 2)


def test_password_hook_with_any_algorithm_and_empty_password(impl):
    def password(ev):
        if ev.user == "carol":
            # algorithm 0: any that fits the MAC length (on entry it holds the cached one)
            ev.password, ev.algorithm = "authpass1", 0

    r = receiver(get_user_password=password)
    for auth in (1, 2, 6):
        akey, _ = keys_for(auth, "authpass1", 0, "", REMOTE)
        event = one(r, build_v3(user=b"carol", akey=akey))
        assert isinstance(event, SNMPTrapMgrTrapEventParams), (auth, vars_of(event))
    akey, _ = keys_for(2, "authpass1", 0, "", REMOTE)
    rejected(one(r, build_v3(user=b"dave", akey=akey)), ERR_MISSING_AUTH_PASSWORD)


def test_password_hook_with_localized_keys(impl):
    """AuthenticationKey / EncryptionKey: the facade puts the hex-decoded key in event.key."""
    from snmptrapmgr.security import keys

    ku = keys.password_to_key(b"authpass1", "sha1")
    kul = keys.localize_key(ku, REMOTE, "sha1")
    pku = keys.password_to_key(b"privpass1", "sha1")
    pkul = keys.localize_key(pku, REMOTE, "sha1")

    def password(ev):
        if ev.password_type == 1:
            ev.key, ev.algorithm = kul, 2
        else:
            ev.key, ev.algorithm = pkul, 2

    r = receiver(get_user_password=password)
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", REMOTE)
    event = one(r, build_v3(akey=akey, pkey=pkey))
    assert isinstance(event, SNMPTrapMgrTrapEventParams), vars_of(event)
    assert event.security_level == 2


def test_security_level_hook_minus_one_ignores(impl):
    r = receiver(get_user_security_level=lambda ev: setattr(ev, "security_level", -1))
    r.cache.add_user("alice", b"", 2, "authpass1", 0, "")
    akey, _ = keys_for(2, "authpass1", 0, "", REMOTE)
    rejected(one(r, build_v3(akey=akey)), ERR_BAD_USER_NAME)


def test_any_engine_user_from_two_engines(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    for engine in (b"\x80\x00\x00\x01\x04one", b"\x80\x00\x00\x01\x04two"):
        akey, pkey = keys_for(2, "authpass1", 2, "privpass1", engine)
        event = one(r, build_v3(engine_id=engine, akey=akey, pkey=pkey))
        assert isinstance(event, SNMPTrapMgrTrapEventParams), vars_of(event)
        assert event.engine_id == engine
    # a user bound to one engine is not accepted from another
    r2 = receiver()
    r2.cache.add_user("alice", b"\x80\x00\x00\x01\x04one", 2, "authpass1", 0, "")
    akey, _ = keys_for(2, "authpass1", 0, "", b"\x80\x00\x00\x01\x04two")
    rejected(one(r2, build_v3(engine_id=b"\x80\x00\x00\x01\x04two", akey=akey)), ERR_BAD_USER_NAME)


def test_decrypt_log_packets(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 1, "privpass1")
    akey, pkey = keys_for(2, "authpass1", 1, "privpass1", REMOTE)
    msg = build_v3(akey=akey, pkey=pkey)
    one(r, msg)
    assert r.usm.last_decrypted is None
    r.decrypt_log_packets = True
    one(r, build_v3(akey=akey, pkey=pkey, etime=101))
    plain = ber.decode_message(r.usm.last_decrypted)
    assert plain[12][2][4] == DEFAULT_VARBINDS


# ------------------------------------------------------------------ informs, discovery, reports


def probe(msg_id: int = 77) -> bytes:
    scoped = encode_scoped_pdu(b"", b"", encode_pdu(PDU_GET, 4242, 0, 0, []))
    return encode_v3_message(msg_id, 65507, 0x04, b"", 0, 0, b"", b"", b"", scoped)[0]


def test_discovery_report(impl):
    r = Receiver(Hooks())
    assert r.local_engine_id == b""
    event = one(r, probe())
    assert isinstance(event, SNMPTrapMgrDiscoveryRequestEventParams)
    assert (event.engine_id, event.user, event.security_level, event.respond) == (b"", "", 0, True)
    reply = r.reply(event, ADDR)
    assert r.local_engine_id == generate_engine_id()  # generated, stable
    assert r.local_engine_id[0] & 0x80 and len(r.local_engine_id) <= 32
    rep = parse_reply(reply)
    assert rep["msg_id"] == 77 and rep["flags"] & 3 == 0
    assert (rep["engine_id"], rep["boots"], rep["time"]) == (r.local_engine_id, 0, int(NOW))
    _ceid, _cname, pdu = rep["scoped"]
    assert pdu[0] == PDU_REPORT and pdu[1] == 4242
    assert pdu[4] == [(USM_STATS_OIDS["usmStatsUnknownEngineIDs"], 0x41, 1)]
    event.respond = False
    assert r.reply(event, ADDR) is None


@pytest.mark.parametrize("auth,priv", [(4, 5), (1, 1), (2, 0), (6, 3)])
def test_inform_response(impl, auth, priv):
    r = receiver()
    r.cache.add_user("alice", b"", auth, "authpass1", priv, "privpass1")
    akey, pkey = keys_for(auth, "authpass1", priv, "privpass1", LOCAL)
    msg = build_v3(engine_id=LOCAL, boots=0, etime=int(NOW) - 3, akey=akey, pkey=pkey,
                   pdu_tag=PDU_INFORM, request_id=555, msg_id=999, context_name=b"c1")
    event = one(r, msg)
    assert isinstance(event, SNMPTrapMgrInformRequestEventParams), vars_of(event)
    level = 2 if priv else 1
    assert (event.user, event.security_level, event.snmp_version) == ("alice", level, 3)
    assert event.varbinds == DEFAULT_VARBINDS and event.request_id == 555
    assert r.reply(event, ADDR) is None  # respond defaults to False
    event.respond = True
    rep = parse_reply(r.reply(event, ADDR), akey, pkey)
    assert rep["msg_id"] == 999 and rep["user"] == b"alice"
    assert rep["flags"] == (3 if priv else 1)
    assert rep["engine_id"] == LOCAL and rep["boots"] == 0
    ceid, cname, pdu = rep["scoped"]
    assert (ceid, cname) == (LOCAL, b"c1")
    assert pdu[0] == PDU_RESPONSE and pdu[1] == 555 and pdu[4] == DEFAULT_VARBINDS


def test_inform_not_in_time_window_gets_authenticated_report(impl):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", LOCAL)
    msg = build_v3(engine_id=LOCAL, boots=0, etime=5, akey=akey, pkey=pkey, pdu_tag=PDU_INFORM,
                   msg_id=31)
    event = one(r, msg)
    rejected(event, ERR_BAD_TIME_FRAME)
    assert event.report is True
    rep = parse_reply(r.reply(event, ADDR), akey)
    assert rep["flags"] & 3 == 1 and rep["msg_id"] == 31
    assert (rep["engine_id"], rep["boots"], rep["time"]) == (LOCAL, 0, int(NOW))
    assert rep["scoped"][2][4] == [(USM_STATS_OIDS["usmStatsNotInTimeWindows"], 0x41, 1)]


@pytest.mark.parametrize("case", ["unknown_user", "wrong_digest", "downgrade", "wrong_engine"])
def test_inform_rejections_are_reportable(impl, case):
    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    engine = LOCAL
    user = b"alice"
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", LOCAL)
    counter, code = {
        "unknown_user": ("usmStatsUnknownUserNames", ERR_BAD_USER_NAME),
        "wrong_digest": ("usmStatsWrongDigests", ERR_VERIFICATION_FAILED),
        "downgrade": ("usmStatsUnsupportedSecLevels", ERR_SECURITY_LEVEL),
        "wrong_engine": ("usmStatsUnknownEngineIDs", ERR_BAD_ENGINE_ID),
    }[case]
    if case == "unknown_user":
        user = b"mallory"
    elif case == "wrong_digest":
        akey, pkey = keys_for(2, "nope-nope", 2, "privpass1", LOCAL)
    elif case == "downgrade":
        pkey = None
    else:
        engine = b"\x80\x00\x00\x00\x04elsewhere"
        akey, pkey = None, None
        r.cache.add_user("alice", b"", 0, "", 0, "")
    msg = build_v3(engine_id=engine, user=user, boots=0, etime=int(NOW), akey=akey, pkey=pkey,
                   pdu_tag=PDU_INFORM)
    event = one(r, msg)
    rejected(event, code)
    assert event.report is True  # RFC 3414 calls for a Report: prepared by default
    rep = parse_reply(r.reply(event, ADDR))
    assert rep["flags"] & 3 == 0 and rep["engine_id"] == LOCAL
    assert rep["scoped"][2][4] == [(USM_STATS_OIDS[counter], 0x41, 1)]


# ------------------------------------------------------------------ datagram size limit


def _v2c_trap() -> bytes:
    from snmptrapmgr.codec.encode import PDU_TRAP, encode_community_message

    return encode_community_message(1, b"public", encode_pdu(PDU_TRAP, 5, 0, 0, DEFAULT_VARBINDS))


def test_oversized_datagram_is_a_bad_packet_never_decoded(impl):
    """A caller without the facade's transport cannot feed the receiver a giant message."""
    from snmptrapmgr.errors import ERR_MESSAGE_TOO_LONG

    r = receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", REMOTE)
    good = build_v3(akey=akey, pkey=pkey)
    for data in (good, _v2c_trap()):
        r.max_datagram = len(data) - 1
        event = one(r, data)
        rejected(event, ERR_MESSAGE_TOO_LONG)
        assert event.packet == data and event.reply_context is None and not event.report
        r.max_datagram = len(data)  # exactly the limit: decoded as usual
        assert isinstance(one(r, data), SNMPTrapMgrTrapEventParams)
    # never decoded: no stats, no engine learned, not counted as received
    r2 = receiver()
    r2.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    r2.max_datagram = len(good) - 1
    rejected(one(r2, good), ERR_MESSAGE_TOO_LONG)
    assert r2.counters == {"received": 0, "notifications": 0, "bad_packets": 1, "internal_errors": 0}
    assert all(v == 0 for v in r2.usm.stats.values()) and r2.cache.sizes()["learned_engines"] == 0


def test_default_limit_is_max_packet_size(impl):
    from snmptrapmgr.errors import ERR_MESSAGE_TOO_LONG

    r = Receiver()
    assert r.max_datagram == 65535
    huge = _v2c_trap() + bytes(480 * 1024)  # 480 KB, as a caller skipping the facade could pass
    rejected(one(r, huge), ERR_MESSAGE_TOO_LONG)
    assert Receiver(max_datagram=1500).max_datagram == 1500


@pytest.mark.parametrize("bad", [0, -1, 65536, 1.5, "1500", None, True])
def test_bad_max_datagram_is_a_clear_error(bad):
    from snmptrapmgr.errors import ERR_INVALID_ARGUMENT, SNMPTrapMgrError

    with pytest.raises(SNMPTrapMgrError) as info:
        Receiver(max_datagram=bad)
    assert info.value.code == ERR_INVALID_ARGUMENT and "max_datagram" in info.value.message
