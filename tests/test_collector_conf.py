"""Collector configuration: snmptrapd.conf import, TOML, CompatibilityMode; the JSON-lines formatter."""

from __future__ import annotations

import datetime
import glob
import json
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.codec import ber
from snmptrapmgr.collector.config import CollectorConfig, ConfigError, apply_snmptrapd_conf, config_from_toml
from snmptrapmgr.collector.schema import Clock, format_notification
from snmptrapmgr.events import TYPE_NAMES, SNMPTrapMgrInformRequestEventParams, SNMPTrapMgrTrapEventParams
from snmptrapmgr.output import notification_to_dict
from snmptrapmgr.receiver import Receiver
from snmptrapmgr.collector.snmptrapd_conf import compatibility_mode_for, parse_snmptrapd_conf

DATA = os.path.join(os.path.dirname(__file__), "data")
CONF = os.path.join(DATA, "snmptrapd_collector.conf")


# ----------------------------------------------------------------------------- snmptrapd.conf

def test_snmptrapd_conf_users_communities_and_problems():
    with open(CONF) as handle:
        conf = parse_snmptrapd_conf(handle.read(), "t.conf")
    users = {u.name: u for u in conf.users}
    assert users["bob"].engine_id == bytes.fromhex("8000000001020304")
    assert (users["bob"].auth_protocol, users["bob"].auth_password) == (2, "bob auth pass")
    assert (users["bob"].priv_protocol, users["bob"].priv_password) == (2, "bob priv pass")
    assert users["carol"].engine_id == b""  # any engine
    assert (users["carol"].auth_protocol, users["carol"].priv_protocol) == (3, 5)
    assert users["carol"].extension == "reeder"
    assert (users["dave"].auth_protocol, users["dave"].priv_protocol, users["dave"].extension) == (1, 5, "blumenthal")
    names = [c.community for c in conf.communities]
    assert names == ["public", "private", "secret"]
    private = conf.communities[1]
    assert private.allows("127.0.0.1", "1.3.6") and not private.allows("192.0.2.1", "1.3.6")
    assert conf.user_levels == {"bob": 2, "carol": 1, "dave": 1}
    # every unsupported line is reported with its line number, none silently ignored
    problems = "\n".join(conf.problems)
    assert "t.conf:8:" in problems and "view" in problems
    assert "t.conf:12:" in problems and "traphandle" in problems
    assert "t.conf:13:" in problems and "format2" in problems
    assert len(conf.problems) == 3


@pytest.mark.parametrize("line, auth, priv, ext", [
    ("createUser u MD5 aaaaaaaa", 1, 0, None),
    ("createUser u SHA aaaaaaaa DES", 2, 1, None),
    ("createUser u SHA-224 aaaaaaaa AES128 pppppppp", 5, 2, None),
    ("createUser u SHA-384 aaaaaaaa AES192 pppppppp", 6, 4, "blumenthal"),
    ("createUser u SHA-512 aaaaaaaa AES192C pppppppp", 4, 4, "reeder"),
    ("createUser u SHA aaaaaaaa 3DES pppppppp", 2, 3, None),
    ("createUser u", 0, 0, None),
])
def test_create_user_names(line, auth, priv, ext):
    conf = parse_snmptrapd_conf(line)
    assert not conf.problems
    user = conf.users[0]
    assert (user.auth_protocol, user.priv_protocol, user.extension) == (auth, priv, ext)
    if priv and len(line.split()) == 5:
        assert user.priv_password == user.auth_password  # net-snmp: priv pass defaults to auth pass


@pytest.mark.parametrize("line", [
    "createUser u FOO aaaaaaaa",
    "createUser u SHA aaaaaaaa BLOWFISH",
    "createUser -e zz u SHA aaaaaaaa",
    "createUser -l u SHA 0x1234",
    "authCommunity log",
    "authUser log u priv .1.3.6",
])
def test_bad_lines_reported_with_line_number(line):
    conf = parse_snmptrapd_conf("# comment\n\n" + line, "x.conf")
    assert len(conf.problems) == 1 and conf.problems[0].startswith("x.conf:3:")


def test_snmptrapd_addr_and_disable_authorization():
    conf = parse_snmptrapd_conf("snmpTrapdAddr udp:127.0.0.1:1162,udp6:[::1]:1163\ndisableAuthorization yes\n")
    assert conf.listen == [("127.0.0.1", 1162), ("::1", 1163)]
    assert conf.disable_authorization is True
    config = CollectorConfig()
    config.communities = [object()]
    path_conf = conf  # disableAuthorization lifts every community restriction
    assert path_conf.problems == []


def test_compatibility_mode_mapping():
    conf = parse_snmptrapd_conf(
        "createUser a SHA aaaaaaaa AES192 pppppppp\ncreateUser b SHA aaaaaaaa AES256C pppppppp\n")
    mode, note = compatibility_mode_for(conf.users)
    assert mode == 2 and "both" in note
    assert compatibility_mode_for(conf.users[:1])[0] == 1
    assert compatibility_mode_for(conf.users[1:])[0] == 0
    assert compatibility_mode_for([])[0] == 0
    mode, note = compatibility_mode_for(conf.users, explicit=0)
    assert mode == 0 and "blumenthal" in note


def test_apply_snmptrapd_conf_notes_and_acl():
    config = CollectorConfig()
    problems = apply_snmptrapd_conf(config, CONF)
    assert len(problems) == 3
    assert any("unsupported" in n and ":12:" in n for n in config.notes)
    assert [c.community for c in config.communities] == ["public", "private", "secret"]


def test_toml_config(tmp_path):
    data = {
        "listen": ["127.0.0.1:1162", "[::1]:1163"],
        "communities": ["public"],
        "community": [{"name": "lab", "source": "10.0.0.0/8", "oid": ".1.3.6.1.4.1.9"}],
        "compatibility_mode": 2,
        "output": {"file": str(tmp_path / "t.jsonl")},
        "inform_response": False,
        "workers": 2,
        "stats_interval": 5,
        "user": [
            {"name": "alice", "auth": "SHA", "auth_password": "alicepass1", "priv": "AES",
             "priv_password": "aliceprivpass"},
            {"name": "eve", "engine_id": "0x8000000001020304", "auth": "MD5", "auth_password": "evepass12"},
        ],
    }
    config = config_from_toml(data, "t.toml")
    assert config.listen == [("127.0.0.1", 1162), ("::1", 1163)]
    assert [c.community for c in config.communities] == ["public", "lab"]
    lab = config.communities[1]
    assert lab.allows("10.1.2.3", "1.3.6.1.4.1.9.9.1") and not lab.allows("10.1.2.3", "1.3.6.1.4.1.8")
    assert config.compatibility_mode == 2 and not config.respond_informs
    assert config.output.endswith("t.jsonl") and config.workers == 2 and config.stats_interval == 5
    assert config.users[0].engine_id == b"" and config.users[1].engine_id == bytes.fromhex("8000000001020304")
    with pytest.raises(ConfigError):
        config_from_toml({"lisen": []})
    with pytest.raises(ConfigError):
        config_from_toml({"user": [{"name": "x", "auth": "SHA"}]})
    with pytest.raises(ConfigError):
        config_from_toml({"user": [{"name": "x", "auth": "SHA", "auth_password": "p" * 8, "priv": "XX"}]})


# ----------------------------------------------------------------------------- JSON lines

def _schema(event, received):
    """The output schema as the README states it, built field by field: the oracle of the fast text."""
    stamp = datetime.datetime.fromtimestamp(received, datetime.timezone.utc)
    out = {
        "time": stamp.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "source": {"address": event.source_address, "port": event.source_port},
        "version": {1: "v1", 2: "v2c", 3: "v3"}.get(event.snmp_version, str(event.snmp_version)),
        "pdu": "inform" if isinstance(event, SNMPTrapMgrInformRequestEventParams) else "trap",
    }
    if event.snmp_version == 3:
        out["user"] = event.user
        out["security_level"] = event.security_level
        out["engine_id"] = event.engine_id.hex()
        out["context_engine_id"] = event.context_engine_id.hex()
        out["context_name"] = event.context_name.decode("utf-8", "replace")
    else:
        out["community"] = event.community
    out["request_id"] = event.request_id
    out["trap_oid"] = event.trap_oid
    out["trap_oid_rfc3584"] = getattr(event, "rfc3584_trap_oid", event.trap_oid)
    out["uptime"] = event.time_stamp
    if event.snmp_version == 1:
        out["enterprise"] = event.enterprise
        out["agent_address"] = event.agent_address
        out["generic_trap"] = event.generic_trap
        out["specific_trap"] = event.specific_trap
    out["varbinds"] = [_schema_varbind(o, t, v) for o, t, v in event.varbinds]
    return out


def _schema_varbind(oid, obj_type, value):
    item = {"oid": oid, "type": TYPE_NAMES.get(obj_type, str(obj_type)), "value": value}
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
            item["value"] = text
        else:
            item["value"], item["encoding"] = value.hex(), "hex"
    return item


def _check_line(event, stamp):
    line = format_notification(event, stamp)
    assert line.endswith("\n") and "\n" not in line[:-1]
    want = _schema(event, stamp)
    assert json.loads(line) == want
    assert notification_to_dict(event, stamp) == want

def _events_from_captures():
    receiver = Receiver()
    events = []
    for path in sorted(glob.glob(os.path.join(DATA, "*.bin"))):
        with open(path, "rb") as handle:
            data = handle.read()
        events += [e for e in receiver.receive_datagram(data, ("192.0.2.7", 1620), 0.0)
                   if isinstance(e, (SNMPTrapMgrTrapEventParams, SNMPTrapMgrInformRequestEventParams))]
    return events


def test_format_matches_output_schema_on_captures(impl):
    events = _events_from_captures()
    assert len(events) >= 10
    for i, event in enumerate(events):
        stamp = 1700000000.0 + i * 0.1234567
        _check_line(event, stamp)


_VALUES = st.one_of(
    st.tuples(st.just(0x02), st.integers(-(1 << 63), (1 << 63) - 1)),
    st.tuples(st.sampled_from([0x41, 0x42, 0x43, 0x47]), st.integers(0, (1 << 32) - 1)),
    st.tuples(st.just(0x46), st.integers(0, (1 << 64) - 1)),
    st.tuples(st.sampled_from([0x04, 0x44, 0x45]), st.binary(max_size=40)),
    st.tuples(st.sampled_from([0x04]), st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass"))),
    st.tuples(st.just(0x06), st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=8).map(
        lambda a: ".".join(map(str, a)))),
    st.tuples(st.just(0x40), st.tuples(*[st.integers(0, 255)] * 4).map(lambda a: "%d.%d.%d.%d" % a)),
    st.tuples(st.sampled_from([0x05, 0x80, 0x81, 0x82]), st.none()),
)


@settings(max_examples=300, deadline=None)
@given(varbinds=st.lists(st.tuples(st.just("1.3.6.1.2.1.1.5.0"), _VALUES).map(lambda t: (t[0],) + t[1]),
                         max_size=6),
       community=st.text(max_size=12), version=st.sampled_from([1, 2, 3]),
       inform=st.booleans(), stamp=st.floats(0, 4e9, allow_nan=False))
def test_format_matches_output_schema_random(varbinds, community, version, inform, stamp):
    cls = SNMPTrapMgrInformRequestEventParams if inform and version != 1 else SNMPTrapMgrTrapEventParams
    event = cls(version, 12345, community, "us\"er", 2, "1.3.6.1.6.3.1.1.5.3", 99,
                "::ffff:10.0.0.1", 162, varbinds)
    if version == 3:
        event.engine_id = b"\x80\x00\x01\x02\x03"
        event.context_engine_id = b"\x80\x00"
        event.context_name = "ctx\u00e9\n".encode()
    if version == 1:
        event.enterprise, event.agent_address = "1.3.6.1.4.1.9", "10.0.0.1"
        event.generic_trap, event.specific_trap, event.rfc3584_trap_oid = 6, 3, "1.3.6.1.4.1.9.0.3"
    _check_line(event, stamp)


def test_clock_matches_datetime():
    clock = Clock()
    rng = random.Random(5)
    stamps = [rng.uniform(0, 4e9) for _ in range(20000)] + [1.0000005, 1.9999995, 1700000000.9999996, 0.0]
    for stamp in stamps:
        want = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(
            timespec="microseconds").replace("+00:00", "Z")
        assert clock.iso(stamp) == want, stamp
