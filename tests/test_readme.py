"""The README's configuration example and reference table say what the code does."""

from __future__ import annotations

import os
import re

import pytest

from snmptrapmgr.collector.config import TOP_LEVEL, CollectorConfig, config_from_toml

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def _section(title: str) -> str:
    text = open(README, encoding="utf-8").read()
    start = text.index(title)
    end = text.find("\n### ", start + len(title))
    return text[start:end if end > 0 else None]


def test_the_toml_example_loads_as_written():
    tomllib = pytest.importorskip("tomllib")
    block = re.search(r"```toml\n(.*?)```", _section("### Configuration file (TOML)"), re.S).group(1)
    config = config_from_toml(tomllib.loads(block), "README example")
    assert isinstance(config, CollectorConfig)
    # the keys before the first table are the collector's, not the community's
    assert config.workers == 2 and config.stats_interval == 60 and config.compatibility_mode == 2
    assert [s["path"] for s in config.output_specs()] == ["/var/log/snmp/traps.jsonl"]
    assert [c.community for c in config.communities] == ["public", "lab"]
    assert [u.name for u in config.users] == ["alice", "bob"]


def test_the_reference_table_lists_every_top_level_key():
    rows = re.findall(r"^\| `\[*\[?([a-z_]+)\]*` \|", _section("### Configuration file (TOML)"), re.M)
    assert sorted(set(rows)) == sorted(option.name for option in TOP_LEVEL if option.name != "users")
