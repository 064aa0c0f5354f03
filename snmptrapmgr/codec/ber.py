"""SNMP message decoding: the compiled ``_ber_c`` when built, else ``_ber_py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["decode_message", "decode_scoped_pdu", "decode_oid", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._ber_py import decode_message, decode_oid, decode_scoped_pdu

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
