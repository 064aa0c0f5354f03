"""The C code's PDU tags (src/codec/_pdu.pxi) are the Python constants, name for name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from snmptrapmgr.codec import encode
from snmptrapmgr.codec import pdu as constants

PXI = Path(__file__).resolve().parent.parent / "src" / "codec" / "_pdu.pxi"
SOURCES = sorted(p for p in PXI.parent.glob("*.p*x*") if p.suffix in (".pyx", ".pxi") and p != PXI)


def _pxi_values() -> dict:
    return {name: int(value, 16) for name, value in re.findall(r"^\s+(PDU_\w+) = (0x[0-9A-Fa-f]+)\s*$",
                                                               PXI.read_text(), re.M)}


@pytest.mark.skipif(not PXI.exists(), reason="no source tree (installed package)")
def test_pxi_matches_python_constants():
    python = {name: getattr(constants, name) for name in dir(constants) if name.startswith("PDU_")}
    assert len(python) == 9
    assert _pxi_values() == python


def test_encode_still_exports_the_constants():
    for name in constants.__all__:
        assert getattr(encode, name) is getattr(constants, name)


@pytest.mark.skipif(not PXI.exists(), reason="no source tree (installed package)")
def test_no_pdu_tag_literals_in_the_c_sources():
    assert {"_ber_core.pxi", "_community_c.pyx"} <= {p.name for p in SOURCES}
    for source in SOURCES:
        assert not re.findall(r"0x[aA][0-9]\b", source.read_text()), f"{source.name} spells a PDU tag as a number"
