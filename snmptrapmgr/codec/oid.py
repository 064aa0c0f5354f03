"""OID text <-> BER: the compiled ``_oid_c`` when built, else ``_oid_py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["oid_to_ber", "oid_from_ber", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._oid_py import oid_from_ber, oid_to_ber

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
