"""Collector configuration: snmptrapd.conf import, TOML, CompatibilityMode."""

from __future__ import annotations

import os

import pytest

from snmptrapmgr.collector.config import (CollectorConfig, ConfigError, apply_snmptrapd_conf, config_from_toml,
                                         parse_output_url)
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
    assert config.output_specs() == [{"type": "file", "path": str(tmp_path / "t.jsonl"), "fsync": False,
                                      "mode": 0o640}]
    assert config.workers == 2 and config.stats_interval == 5
    assert config.users[0].engine_id == b"" and config.users[1].engine_id == bytes.fromhex("8000000001020304")
    with pytest.raises(ConfigError):
        config_from_toml({"lisen": []})
    with pytest.raises(ConfigError):
        config_from_toml({"user": [{"name": "x", "auth": "SHA"}]})
    with pytest.raises(ConfigError):
        config_from_toml({"user": [{"name": "x", "auth": "SHA", "auth_password": "p" * 8, "priv": "XX"}]})


@pytest.mark.parametrize("text, spec", [
    ("-", {"type": "file", "path": "-"}),
    ("/var/log/t.jsonl", {"type": "file", "path": "/var/log/t.jsonl"}),
    ("file:///var/log/t%20x.jsonl", {"type": "file", "path": "/var/log/t x.jsonl"}),
    ("nats://127.0.0.1:4222/snmp.traps", {"type": "nats", "servers": ["nats://127.0.0.1:4222"],
                                          "subject": "snmp.traps"}),
    ("nats://a:4222,b:4223/snmp.{version}", {"type": "nats", "servers": ["nats://a:4222", "nats://b:4223"],
                                             "subject": "snmp.{version}"}),
    ("kafka://k1:9092,k2:9092/traps", {"type": "kafka", "bootstrap_servers": "k1:9092,k2:9092", "topic": "traps"}),
])
def test_output_urls(text, spec):
    assert parse_output_url(text) == spec


def test_output_tables_and_toml_settings(tmp_path):
    data = {"output": [{"type": "file", "path": "a.jsonl"}, "nats://127.0.0.1:4222/s",
                       {"type": "kafka", "bootstrap_servers": "127.0.0.1:9092", "topic": "t"}],
            "fsync": True, "file_mode": "0600", "inform_ack": "on_receive"}
    config = config_from_toml(data, "t.toml")
    assert [s["type"] for s in config.output_specs()] == ["file", "nats", "kafka"]
    assert config.output_specs()[0] == {"type": "file", "path": "a.jsonl", "fsync": True, "mode": 0o600}
    assert config.inform_ack == "on_receive"
    with pytest.raises(ConfigError, match=r"t.toml: output\[1\]: an output is a path, a URL or a table"):
        config_from_toml({"output": ["a", 5]}, "t.toml")
    with pytest.raises(ConfigError, match=r"type = \"file\", \"nats\" or \"kafka\" is missing"):
        config_from_toml({"output": [{"path": "a"}]}, "t.toml")


def test_problems_never_echo_pass_phrases_or_communities():
    conf = parse_snmptrapd_conf('createUser bob SHA "Secret-auth-1 AES Secret-priv-2\n'
                                "authCommunity log,execute Community-XYZ 10.0.0.0/8 -v someview\n"
                                "createUser carol SHA Secret-auth-3 AES Secret-priv-4 extra words\n")
    text = "\n".join(conf.problems)
    assert len(conf.problems) == 3 and conf.users == [] and conf.communities == [], text
    for secret in ("Secret-auth-1", "Secret-priv-2", "Community-XYZ", "Secret-auth-3", "Secret-priv-4"):
        assert secret not in text, text
    assert "snmptrapd.conf:1: cannot parse this createUser line" in text
    assert "snmptrapd.conf:2: authCommunity: views (-v VIEW) are not supported" in text


@pytest.mark.parametrize("line, what, phrase", [
    ("createUser dave SHA shorty AES long-enough-priv", "authentication pass phrase has 6 characters", "shorty"),
    ("createUser dave SHA long-enough-auth AES 1234567", "privacy pass phrase has 7 characters", "1234567"),
])
def test_pass_phrases_under_8_characters_are_refused(line, what, phrase):
    conf = parse_snmptrapd_conf(line + "\n")
    assert conf.users == [] and len(conf.problems) == 1
    assert what in conf.problems[0] and "at least 8" in conf.problems[0]
    assert phrase not in conf.problems[0]
    with pytest.raises(ConfigError, match="auth_password: the authentication pass phrase has 5 characters"):
        config_from_toml({"user": [{"name": "d", "auth": "SHA", "auth_password": "short"}]}, "t.toml")
