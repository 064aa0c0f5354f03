"""The object view a handler reads: the compiled ``_readers_c`` when built, else ``_readers_py``.

Each facade object builds its :class:`ObjectView` with the twin active at that
moment (see :mod:`snmptrapmgr.objects`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["ObjectView", "bad_index", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._readers_py import ObjectView, bad_index

    USING_CYTHON: bool
else:
    from ._select import bind

    bind(globals())
