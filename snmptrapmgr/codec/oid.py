"""OID text <-> BER: the compiled ``_oid_c`` when built, else ``_oid_py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._oid_py import oid_from_ber, oid_to_ber

    USING_CYTHON: bool
else:
    from .._select import load as _load

    _impl, USING_CYTHON = _load(__name__)
    oid_to_ber = _impl.oid_to_ber
    oid_from_ber = _impl.oid_from_ber

__all__ = ["oid_to_ber", "oid_from_ber", "USING_CYTHON"]
