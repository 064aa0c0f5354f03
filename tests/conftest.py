"""Shared fixtures: every test of twinned code runs against both twins."""

from __future__ import annotations

import os

import pytest

import snmptrapmgr
from snmptrapmgr import _select

REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0")


@pytest.fixture(params=["python", pytest.param("cython", marks=pytest.mark.cython)])
def impl(request):
    """Activate one implementation ("python" or "cython") for the test."""
    kind = request.param
    if kind not in _select.available():
        if REQUIRE:
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built")
    previous = snmptrapmgr.implementation
    _select.use(kind)
    yield kind
    _select.use(previous)
