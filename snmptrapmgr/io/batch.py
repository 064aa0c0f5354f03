"""Batch datagram receive: the compiled ``_recv_c`` (recvmmsg) when built, else ``_recv_py``.

``BatchReceiver(sock, batch=64, max_packet=65535)``: ``receive(limit)``
returns up to ``limit`` waiting datagrams as ``(data, address, oversized)``;
``drops`` is the kernel's SO_RXQ_OVFL counter last seen (-1: not yet).
``snmptrapmgr._select.use()`` may rebind the names at run time; objects
built afterwards (transports) pick up the active twin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["BatchReceiver", "SO_RXQ_OVFL", "USING_CYTHON"]

if TYPE_CHECKING:
    from ._batch_py import SO_RXQ_OVFL, BatchReceiver

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
