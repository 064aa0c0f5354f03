"""A short in-process run of tests/fuzz_decoder.py against both twins."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("fuzz_decoder", Path(__file__).with_name("fuzz_decoder.py"))
fuzz_decoder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz_decoder)


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_smoke(impl, seed):
    count = 20000
    stats = fuzz_decoder.run(count=count, seconds=60, seed=seed, impl=impl, compare_every=3)
    assert stats["datagrams"] == count
    assert stats["unexpected"] == 0, stats["failures"]
    assert stats["mismatches"] == 0, stats["failures"]
    # the mutations reach both outcomes and several error codes
    assert stats["results"] > 0
    assert stats["events"] > 0  # the datagram -> event path saw notifications, not only errors
    assert {317, 320} <= set(stats["errors"])


def test_typical_trap_is_valid(impl):
    from snmptrapmgr.codec import ber

    data = fuzz_decoder.typical_v2c_trap()
    version, community, pdu = ber.decode_message(data)
    assert (version, community, pdu[0], len(pdu[4])) == (1, b"public", 0xA7, 7)
