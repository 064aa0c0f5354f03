"""Event constructors: by keyword or in the documented positional order, same object."""

from __future__ import annotations

import pytest

from snmptrapmgr import events as ev

NOTIFICATION = dict(snmp_version=2, request_id=7, community="pub", user="", security_level=0,
                    trap_oid="1.3.6.1.6.3.1.1.5.3", time_stamp=42, source_address="192.0.2.1",
                    source_port=162, varbinds=[("1.3.6.1.2.1.1.3.0", 0x43, 42)])


def _state(event) -> dict:
    names = set(type(event).OPTIONAL) | set(NOTIFICATION) | {"community_bytes"}
    return {name: getattr(event, name) for name in sorted(names)}


@pytest.mark.parametrize("cls", [ev.SNMPTrapMgrTrapEventParams, ev.SNMPTrapMgrInformRequestEventParams])
def test_notification_by_keyword_equals_by_position(cls):
    by_position = cls(*NOTIFICATION.values(), b"pub")
    by_keyword = cls(**NOTIFICATION, community_bytes=b"pub")
    assert _state(by_keyword) == _state(by_position)
    assert by_keyword.community_bytes == b"pub"
    assert cls(*NOTIFICATION.values()).community_bytes == b""  # SNMPv3: no community


def test_trap_optional_fields_by_keyword():
    trap = ev.SNMPTrapMgrTrapEventParams(**NOTIFICATION, agent_address="192.0.2.9", enterprise="1.3.6.1.4.1.9",
                                         generic_trap=6, specific_trap=17, rfc3584_trap_oid="1.3.6.1.4.1.9.0.17",
                                         engine_id=b"\x80\x00", context_name=b"ctx")
    assert (trap.agent_address, trap.enterprise, trap.generic_trap, trap.specific_trap) == \
        ("192.0.2.9", "1.3.6.1.4.1.9", 6, 17)
    assert trap.rfc3584_trap_oid == "1.3.6.1.4.1.9.0.17"     # through the property, not shadowed
    assert (trap.engine_id, trap.context_engine_id, trap.context_name) == (b"\x80\x00", b"", b"ctx")
    plain = ev.SNMPTrapMgrTrapEventParams(**NOTIFICATION)
    assert plain.generic_trap == -1 and plain.rfc3584_trap_oid == NOTIFICATION["trap_oid"]


def test_inform_optional_fields_by_keyword():
    inform = ev.SNMPTrapMgrInformRequestEventParams(**NOTIFICATION, reply_context=b"pub", message_id=9,
                                                    respond=True, error_status=5, error_index=1,
                                                    error_description="genErr")
    assert (inform.reply_context, inform.message_id, inform.respond) == (b"pub", 9, True)
    assert (inform.error_status, inform.error_index, inform.error_description) == (5, 1, "genErr")


@pytest.mark.parametrize("cls, name", [(ev.SNMPTrapMgrTrapEventParams, "reply_context"),
                                       (ev.SNMPTrapMgrInformRequestEventParams, "enterprise"),
                                       (ev.SNMPTrapMgrTrapEventParams, "comunity")])
def test_unknown_keyword_is_a_type_error(cls, name):
    with pytest.raises(TypeError, match=name):
        cls(**NOTIFICATION, **{name: 1})


def test_other_events_by_keyword():
    bad = ev.SNMPTrapMgrBadPacketEventParams(packet=b"x", source_address="h", source_port=1, error_code=317,
                                             error_description="why")
    assert bad.report is False and bad.reply_context is None
    assert ev.SNMPTrapMgrBadPacketEventParams(b"x", "h", 1, 317, "why", object()).report is True
    assert ev.SNMPTrapMgrBadPacketEventParams(b"x", "h", 1, 317, "why", object(), report=False).report is False
    disc = ev.SNMPTrapMgrDiscoveryRequestEventParams(engine_id=b"e", engine_boots=1, engine_time=2, user="u",
                                                     security_level=0, source_address="h", source_port=3)
    assert disc.respond is True
    assert ev.SNMPTrapMgrDiscoveryRequestEventParams(b"e", 1, 2, "u", 0, "h", 3, None, False).respond is False
    pw = ev.SNMPTrapMgrGetUserPasswordEventParams(password_type=1, user="u", engine_id=b"e", key=b"k" * 20)
    assert (pw.password, pw.algorithm, pw.key) == ("", 0, b"k" * 20)
    check = ev.SNMPTrapMgrCheckEngineEventParams(engine_id=b"e", engine_boots=1, engine_time=2, user="u",
                                                 security_level=3, remote_address="h", remote_port=4,
                                                 is_new=True, accept=True)
    assert check.accept and check.is_new
    entry = ev.SNMPTrapMgrCacheEntryEventParams(engine_id=b"e", engine_boots=1, engine_time=2, user="u",
                                                authentication_protocol="SHA", authentication_password="a",
                                                encryption_algorithm="AES", encryption_password="p")
    assert entry.encryption_algorithm == "AES"
    assert ev.SNMPTrapMgrErrorEventParams(error_code=1, description="d").description == "d"
    assert ev.SNMPTrapMgrGetUserSecurityLevelEventParams(user="u", engine_id=b"e", security_level=1).user == "u"
    assert ev.SNMPTrapMgrHashPasswordEventParams(password="p", auth_algorithm=2).hash == ""
    assert ev.SNMPTrapMgrPacketTraceEventParams(packet=b"p", direction=1, packet_address="h",
                                                packet_port=2).direction == 1
