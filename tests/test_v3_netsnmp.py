"""SNMPv3 interop with net-snmp over loopback: snmptrap / snmpinform -v 3.

A ``Receiver`` sits behind a plain UDP socket (``v3_support.UdpLoop``) and
answers discovery and informs the way the facade does.  Both twins.
"""

from __future__ import annotations

import shutil

import pytest

from snmptrapmgr.errors import ERR_DECRYPTION_FAILED, ERR_SECURITY_LEVEL, ERR_VERIFICATION_FAILED
from snmptrapmgr.events import SNMPTrapMgrDiscoveryRequestEventParams, SNMPTrapMgrTrapEventParams
from snmptrapmgr.receiver import Hooks, Receiver

from v3_support import UdpLoop

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp (snmptrap) not installed"),
]

AUTH = {"MD5": 1, "SHA": 2, "SHA-224": 5, "SHA-256": 3, "SHA-384": 6, "SHA-512": 4}
PRIV = {"DES": 1, "AES": 2, "AES192": 4, "AES256": 5, "AES192C": 4, "AES256C": 5}
BLUMENTHAL = ("AES192", "AES256")  # net-snmp's AES192/AES256; the ...C variants are Reeder
ENGINE = "0x8000000001020304"
TRAP_OID = "1.3.6.1.4.1.8072.2.3.0.1"
OBJECTS = ["1.3.6.1.4.1.8072.2.3.2.1", "i", "42",
           "1.3.6.1.2.1.1.5.0", "s", "router-1",
           "1.3.6.1.2.1.2.2.1.1.3", "u", "3000000000",
           "1.3.6.1.4.1.8072.2.3.2.2", "o", "1.3.6.1.2.1.2",
           "1.3.6.1.4.1.8072.2.3.2.3", "a", "10.1.2.3",
           "1.3.6.1.4.1.8072.2.3.2.4", "x", "DEADBEEF"]
EXPECTED = [
    ("1.3.6.1.6.3.1.1.4.1.0", 0x06, TRAP_OID),
    ("1.3.6.1.4.1.8072.2.3.2.1", 0x02, 42),
    ("1.3.6.1.2.1.1.5.0", 0x04, b"router-1"),
    ("1.3.6.1.2.1.2.2.1.1.3", 0x42, 3000000000),
    ("1.3.6.1.4.1.8072.2.3.2.2", 0x06, "1.3.6.1.2.1.2"),
    ("1.3.6.1.4.1.8072.2.3.2.3", 0x40, "10.1.2.3"),
    ("1.3.6.1.4.1.8072.2.3.2.4", 0x04, b"\xde\xad\xbe\xef"),
]


def security_args(user: str, auth: str | None, priv: str | None,
                  auth_pw: str = "authpass1", priv_pw: str = "privpass1") -> list:
    if auth is None:
        return ["-u", user, "-l", "noAuthNoPriv"]
    if priv is None:
        return ["-u", user, "-l", "authNoPriv", "-a", auth, "-A", auth_pw]
    return ["-u", user, "-l", "authPriv", "-a", auth, "-A", auth_pw, "-x", priv, "-X", priv_pw]


def snmptrap(sec: list, engine: str = ENGINE) -> list:
    return ["snmptrap", "-v", "3", *sec, "-e", engine, "{target}", "", TRAP_OID, *OBJECTS]


def snmpinform(sec: list) -> list:
    return ["snmpinform", "-v", "3", "-t", "1", "-r", "1", *sec, "{target}", "", TRAP_OID,
            *OBJECTS]


def new_receiver(mode: int = 0) -> Receiver:
    r = Receiver(Hooks())
    r.compatibility_mode = mode
    return r


def check_notification(event, user: str, level: int) -> None:
    assert event.snmp_version == 3
    assert (event.user, event.security_level) == (user, level)
    assert event.trap_oid == TRAP_OID
    assert event.varbinds[0][:2] == ("1.3.6.1.2.1.1.3.0", 0x43)
    assert event.varbinds[1:] == EXPECTED


@pytest.mark.parametrize("priv", list(PRIV))
@pytest.mark.parametrize("auth", list(AUTH))
def test_snmptrap_auth_priv_matrix(impl, auth, priv):
    r = new_receiver(1 if priv in BLUMENTHAL else 0)
    r.cache.add_user("alice", b"", AUTH[auth], "authpass1", PRIV[priv], "privpass1")
    with UdpLoop(r) as loop:
        rc = loop.run(snmptrap(security_args("alice", auth, priv)), lambda: loop.events)
        assert rc == 0, loop.stderr
        assert not loop.bad, [(e.error_code, e.error_description) for e in loop.bad]
        assert len(loop.notifications) == 1
        event = loop.notifications[0]
        assert isinstance(event, SNMPTrapMgrTrapEventParams)
        check_notification(event, "alice", 2)
        assert event.engine_id == bytes.fromhex(ENGINE[2:])


@pytest.mark.parametrize("priv", ["AES192", "AES256", "AES192C", "AES256C"])
def test_snmptrap_long_aes_autodetect(impl, priv):
    """CompatibilityMode 2 accepts both of net-snmp's key extensions; the wrong fixed one fails."""
    for mode, ok in ((2, True), (0 if priv in BLUMENTHAL else 1, False)):
        r = new_receiver(mode)
        r.cache.add_user("alice", b"", 1, "authpass1", PRIV[priv], "privpass1")
        with UdpLoop(r) as loop:
            loop.run(snmptrap(security_args("alice", "MD5", priv)), lambda: loop.events)
            if ok:
                assert len(loop.notifications) == 1, [e.error_description for e in loop.bad]
                check_notification(loop.notifications[0], "alice", 2)
            else:
                assert [e.error_code for e in loop.bad] == [ERR_DECRYPTION_FAILED]


@pytest.mark.parametrize("auth", list(AUTH))
def test_snmptrap_auth_no_priv(impl, auth):
    r = new_receiver()
    r.cache.add_user("alice", bytes.fromhex(ENGINE[2:]), AUTH[auth], "authpass1", 0, "")
    with UdpLoop(r) as loop:
        assert loop.run(snmptrap(security_args("alice", auth, None)), lambda: loop.events) == 0
        assert len(loop.notifications) == 1, [e.error_description for e in loop.bad]
        check_notification(loop.notifications[0], "alice", 1)


def test_snmptrap_no_auth_no_priv(impl):
    r = new_receiver()
    r.cache.add_user("public", b"", 0, "", 0, "")
    r.cache.add_engine(bytes.fromhex(ENGINE[2:]), 0, 0)  # unauthenticated: the engine must be known
    with UdpLoop(r) as loop:
        assert loop.run(snmptrap(security_args("public", None, None)), lambda: loop.events) == 0
        assert len(loop.notifications) == 1, [e.error_description for e in loop.bad]
        check_notification(loop.notifications[0], "public", 0)


def test_any_engine_user_from_two_engines(impl):
    r = new_receiver()
    r.cache.add_user("alice", b"", 3, "authpass1", 2, "privpass1")
    engines = ["0x80001f8804656e67696e652d6f6e65", "0x80001f8804656e67696e652d74776f"]
    with UdpLoop(r) as loop:
        for engine in engines:
            sec = security_args("alice", "SHA-256", "AES")
            assert loop.run(snmptrap(sec, engine), lambda n=len(loop.events): len(loop.events) > n) == 0
        assert not loop.bad, [e.error_description for e in loop.bad]
        assert [e.engine_id for e in loop.notifications] == [bytes.fromhex(e[2:]) for e in engines]
        for event in loop.notifications:
            check_notification(event, "alice", 2)
    cached = {e.engine_id for e in r.cache.entries()}
    assert {bytes.fromhex(e[2:]) for e in engines} <= cached


@pytest.mark.parametrize("auth,priv", [("SHA-512", "AES256"), ("MD5", "DES"), ("SHA", "AES"),
                                       ("SHA-224", "AES192C"), ("SHA-384", "AES256C"),
                                       ("SHA-256", None), (None, None)])
def test_snmpinform(impl, auth, priv):
    r = new_receiver()
    if auth is None:
        r.cache.add_user("alice", b"", 0, "", 0, "")
    else:
        r.cache.add_user("alice", b"", AUTH[auth], "authpass1", PRIV[priv] if priv else 0,
                         "privpass1")
    with UdpLoop(r) as loop:
        rc = loop.run(snmpinform(security_args("alice", auth, priv)), lambda: False, timeout=8)
        assert rc == 0, loop.stderr
        assert not loop.bad, [(e.error_code, e.error_description) for e in loop.bad]
        assert isinstance(loop.events[0], SNMPTrapMgrDiscoveryRequestEventParams)
        assert r.local_engine_id  # generated for the discovery
        informs = loop.notifications
        assert len(informs) == 1
        level = 0 if auth is None else (2 if priv else 1)
        check_notification(informs[0], "alice", level)
        assert informs[0].engine_id == r.local_engine_id
        assert len(loop.sent) == 2  # the discovery Report, the Response


def test_snmpinform_unanswered_when_not_responding(impl):
    r = new_receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    with UdpLoop(r, respond_informs=False) as loop:
        rc = loop.run(snmpinform(security_args("alice", "SHA", "AES")), lambda: False, timeout=8)
        assert rc != 0
        assert len(loop.notifications) == 2  # the first try and the one retry


# ---------------------------------------------------------------- rejections with a real peer


def test_snmptrap_wrong_password(impl):
    r = new_receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    with UdpLoop(r) as loop:
        loop.run(snmptrap(security_args("alice", "SHA", "AES", auth_pw="wrongpass")),
                 lambda: loop.events)
        assert [e.error_code for e in loop.bad] == [ERR_VERIFICATION_FAILED]
        assert not loop.notifications and not loop.sent
        assert r.usm.stats["usmStatsWrongDigests"] == 1


def test_snmptrap_downgrade(impl):
    r = new_receiver()
    r.cache.add_user("alice", b"", 2, "authpass1", 2, "privpass1")
    r.cache.add_engine(bytes.fromhex(ENGINE[2:]), 0, 0)
    with UdpLoop(r, report_bad=True) as loop:
        for sec in (security_args("alice", "SHA", None), security_args("alice", None, None)):
            loop.run(snmptrap(sec), lambda n=len(loop.events): len(loop.events) > n)
        assert [e.error_code for e in loop.bad] == [ERR_SECURITY_LEVEL] * 2
        assert not loop.notifications
        assert not loop.sent  # never a Report for a trap, even when asked


def test_snmpinform_wrong_password_gets_no_response(impl):
    r = new_receiver()
    r.cache.add_user("alice", b"", 4, "authpass1", 5, "privpass1")
    with UdpLoop(r) as loop:
        rc = loop.run(snmpinform(security_args("alice", "SHA-512", "AES256", auth_pw="wrongpass")),
                      lambda: False, timeout=8)
        assert rc != 0
        assert not loop.notifications
        assert {e.error_code for e in loop.bad} == {ERR_VERIFICATION_FAILED}
