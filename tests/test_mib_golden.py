"""``snmptrapmgr listen`` with MIB names: the captured corpus, byte for byte (names are additive).

tests/test_golden_listen.py pins the numeric lines (``--numeric``); this pins the same corpus with
the standard MIB names on (the default): each line is the numeric one plus ``trap_name`` after
``trap_oid_rfc3584`` and ``name`` / ``label`` / ``display`` at the end of a varbind, and nothing
else changes (checked field by field against the numeric golden file too).
"""

from __future__ import annotations

import json
import os

import pytest

from snmptrapmgr import mib
from test_collector_cli import DATA
from test_golden_listen import GOLDEN, listen_corpus

GOLDEN_NAMES = os.path.join(DATA, "golden_listen_names.jsonl")
NAME_KEYS = {"name", "label", "display"}


@pytest.mark.parametrize("implementation", ["python", "cython"])
def test_listen_with_names_is_byte_identical_to_its_golden_corpus(tmp_path, implementation):
    got = listen_corpus(tmp_path, implementation)
    with open(GOLDEN_NAMES, encoding="utf-8") as handle:
        assert got == handle.read()


def test_names_only_add_fields():
    """Every named line, without its name fields, is the numeric golden line, key order included."""
    with open(GOLDEN, encoding="utf-8") as handle:
        numeric = handle.read().splitlines()
    with open(GOLDEN_NAMES, encoding="utf-8") as handle:
        named = handle.read().splitlines()
    assert len(named) == len(numeric)
    resolver = mib.load()
    for plain_line, named_line in zip(numeric, named):
        plain, names = json.loads(plain_line), json.loads(named_line)
        assert names.get("trap_name") == resolver.name(plain["trap_oid_rfc3584"])
        if "trap_name" in names:
            assert list(names).index("trap_name") == list(names).index("trap_oid_rfc3584") + 1
        stripped = {k: v for k, v in names.items() if k != "trap_name"}
        stripped["varbinds"] = [{k: v for k, v in vb.items() if k not in NAME_KEYS} for vb in names["varbinds"]]
        assert json.dumps(stripped) == json.dumps(plain)
        for vb in names["varbinds"]:
            keys = list(vb)
            assert keys[:3] == ["oid", "type", "value"]
            assert set(keys[3:]) <= NAME_KEYS | {"encoding"}
            assert vb.get("name") == resolver.name(vb["oid"])
