"""Batch datagram receive, pure Python; the twin of ``src/_recv_c.pyx``.

``BatchReceiver(sock, batch=64, max_packet=65535)`` reads up to ``limit``
waiting datagrams from a non-blocking UDP socket per :meth:`receive` call
and returns them as a list of ``(data, address, oversized)``:

* ``data``: the datagram as ``bytes`` (at most ``max_packet`` bytes);
* ``address``: exactly what ``socket.recvfrom`` returns for the family
  (``(host, port)`` for IPv4, ``(host, port, flowinfo, scope_id)`` for IPv6);
* ``oversized``: True when the datagram was longer than ``max_packet``
  (``data`` then holds its first ``max_packet`` bytes).

The datagrams land in one preallocated buffer (``max_packet + 1`` bytes, so
a longer datagram shows as truncated) and are copied out once, as ``bytes``,
which is what the decoder reads.  ``ICMP port unreachable`` left over from an
earlier reply (``ConnectionRefusedError``) is skipped; any other socket error
ends the batch.

``drops`` is the kernel's drop counter for this socket as last reported by
``SO_RXQ_OVFL`` ancillary data (the transport enables the option), or -1 when
no datagram has carried it yet.  It is cumulative since the socket was
created.  The compiled twin uses ``recvmmsg(2)`` on Linux; this one calls
``recvmsg_into`` once per datagram (``recvfrom_into`` where ancillary data
is not available).
"""

from __future__ import annotations

import socket
import struct
import sys
from typing import Any

__all__ = ["BatchReceiver", "SO_RXQ_OVFL"]

#: Linux's SO_RXQ_OVFL (not exported by the socket module); None elsewhere.
SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40 if sys.platform.startswith("linux") else None)

_SOL_SOCKET = socket.SOL_SOCKET
_U32 = struct.Struct("=I")


class BatchReceiver:
    """Reads datagrams in batches from one non-blocking UDP socket."""

    def __init__(self, sock: Any, batch: int = 64, max_packet: int = 65535) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        if not 1 <= max_packet <= 65535:
            raise ValueError("max_packet must be 1..65535")
        self.sock = sock
        self.batch = batch
        self.max_packet = max_packet
        self.drops = -1
        self._buffer = bytearray(max_packet + 1)
        self._view = memoryview(self._buffer)
        self._ancsize = socket.CMSG_SPACE(4) if (SO_RXQ_OVFL is not None
                                                 and hasattr(sock, "recvmsg_into")) else 0

    def receive(self, limit: int) -> list:
        """Up to ``limit`` waiting datagrams as ``(data, address, oversized)``."""
        out: list = []
        if limit <= 0 or self.sock is None:
            return out
        view = self._view
        buffer = self._buffer
        size = len(buffer)
        maximum = self.max_packet
        append = out.append
        sock = self.sock
        if self._ancsize:
            recvmsg = sock.recvmsg_into
            buffers = [buffer]
            ancsize = self._ancsize
            for _ in range(limit):
                try:
                    count, ancdata, _flags, address = recvmsg(buffers, ancsize)
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionRefusedError:
                    continue
                except OSError:
                    break
                for level, kind, payload in ancdata:
                    if level == _SOL_SOCKET and kind == SO_RXQ_OVFL and len(payload) >= 4:
                        self.drops = _U32.unpack_from(payload)[0]
                if count > maximum:
                    append((bytes(view[:maximum]), address, True))
                else:
                    append((bytes(view[:count]), address, False))
            return out
        recv = sock.recvfrom_into
        for _ in range(limit):
            try:
                count, address = recv(buffer, size)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionRefusedError:
                continue
            except OSError:
                break
            if count > maximum:
                append((bytes(view[:maximum]), address, True))
            else:
                append((bytes(view[:count]), address, False))
        return out

    def close(self) -> None:
        self.sock = None
