"""The UDP listening point: the only module that imports ``socket``.

It binds, sets the socket options the settings ask for, receives datagrams in
batches into one preallocated buffer, and sends replies.  Errors become
:class:`SNMPTrapMgrError` with the reference's 10xxx socket codes.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import sys
from typing import Any, Optional

from . import batch

from ..errors import (
    ERR_ACCESS_DENIED,
    ERR_WOULD_BLOCK,
    ERR_ADDRESS_IN_USE,
    ERR_CANNOT_ASSIGN_ADDRESS,
    ERR_INVALID_ARGUMENT,
    SNMPTrapMgrError,
)

__all__ = ["UDPTransport", "resolve_host"]

_ERRNO_CODES = {
    errno.EADDRINUSE: ERR_ADDRESS_IN_USE,
    errno.EADDRNOTAVAIL: ERR_CANNOT_ASSIGN_ADDRESS,
    errno.EACCES: ERR_ACCESS_DENIED,
    errno.EINVAL: ERR_INVALID_ARGUMENT,
}


#: what to do about the bind errors people meet first
_HINTS = {
    errno.EACCES: ": ports under 1024 need root or CAP_NET_BIND_SERVICE (see contrib/snmptrapmgr.service), "
                  "or use a port >= 1024",
    errno.EADDRINUSE: ": another process (snmptrapd?) has this port; stop it or pick another port",
    errno.EADDRNOTAVAIL: ": this host has no such address",
}


def _socket_error(exc: OSError, what: str) -> SNMPTrapMgrError:
    if isinstance(exc, socket.gaierror):
        # resolver errors have their own (negative) numbers: map them to the reference's
        # 10047 (address family not supported) and 11001 (host not found)
        families = {getattr(socket, "EAI_FAMILY", None), getattr(socket, "EAI_ADDRFAMILY", None)}
        code = 10047 if exc.errno in families else 11001
        return SNMPTrapMgrError(code, f"{what}: {exc.strerror or exc}")
    code = _ERRNO_CODES.get(exc.errno or 0, 10000 + (exc.errno or 0))
    name = errno.errorcode.get(exc.errno or 0)
    hint = _HINTS.get(exc.errno or 0, "")
    return SNMPTrapMgrError(code, f"{what}: {exc.strerror or exc}" + (f" ({name})" if name else "") + hint)


def _set_rcvbuf(sock: socket.socket, size: int) -> bool:
    """SO_RCVBUF ``size``; as root, SO_RCVBUFFORCE past net.core.rmem_max. True if forced."""
    force = getattr(socket, "SO_RCVBUFFORCE", 33 if sys.platform.startswith("linux") else None)
    if force is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
            return True
        except OSError:
            pass  # not CAP_NET_ADMIN: the kernel caps SO_RCVBUF at rmem_max
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return False


def _proc_drops(sock: socket.socket) -> int:
    """The ``drops`` column of this socket in /proc/net/udp{,6}, or -1."""
    try:
        inode = str(os.fstat(sock.fileno()).st_ino)
        name = "/proc/net/udp6" if sock.family == socket.AF_INET6 else "/proc/net/udp"
        with open(name, "rb") as table:
            for line in table:
                fields = line.split()
                if len(fields) > 12 and fields[9] == inode.encode():
                    return int(fields[-1])
    except (OSError, ValueError):
        pass
    return -1


def resolve_host(name: str) -> list[str]:
    """Every address ``name`` resolves to (for configuration files that name hosts)."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_UDP)
    except OSError as exc:
        raise _socket_error(exc, f"cannot resolve {name!r}") from None
    return [info[4][0] for info in infos]


class UDPTransport:
    """One bound, non-blocking UDP socket."""

    def __init__(self) -> None:
        self.sock: Optional[socket.socket] = None
        self.max_packet = 65535
        self.rcvbuf_forced = False
        self._batch: Any = None
        self._drops = 0

    def open(self, host: str, port: int, *, ipv6: bool = False, share: bool = False,
             force_port: bool = True, rcvbuf: int = 0, sndbuf: int = 0,
             dont_fragment: bool = False, max_packet: int = 65535) -> tuple[str, int]:
        """Bind and return the (address, port) actually bound."""
        family = socket.AF_INET6 if ipv6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if share:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if hasattr(socket, "SO_REUSEPORT"):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if rcvbuf > 0:
                self.rcvbuf_forced = _set_rcvbuf(sock, rcvbuf)
            if batch.SO_RXQ_OVFL is not None:
                try:  # the kernel's drop counter rides on received datagrams
                    sock.setsockopt(socket.SOL_SOCKET, batch.SO_RXQ_OVFL, 1)
                except OSError:
                    pass
            if sndbuf > 0:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
            if dont_fragment and not ipv6 and hasattr(socket, "IP_MTU_DISCOVER"):
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MTU_DISCOVER, socket.IP_PMTUDISC_DO)
            bind_host = host or ("::" if ipv6 else "0.0.0.0")
            try:
                sock.bind((bind_host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE and not force_port and port != 0:
                    sock.bind((bind_host, 0))
                else:
                    raise _socket_error(exc, f"cannot bind {bind_host}:{port}") from None
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.max_packet = max_packet
        self._batch = batch.BatchReceiver(sock, 64, max_packet)
        self._drops = 0
        address = sock.getsockname()
        return address[0], address[1]

    def close(self) -> None:
        if self.sock is not None:
            self.kernel_drops()  # keep the last count readable after close
            self.sock.close()
            self.sock = None
            self._batch = None

    def kernel_drops(self) -> int:
        """Datagrams the kernel dropped for this socket (full buffer...), never silent.

        The larger of the SO_RXQ_OVFL counter seen on received datagrams and,
        on Linux, the socket's ``drops`` column in /proc/net/udp{,6} (which
        also counts drops after the last datagram read).
        """
        seen = self._batch.drops if self._batch is not None else -1
        proc = _proc_drops(self.sock) if self.sock is not None else -1
        self._drops = max(self._drops, seen, proc, 0)
        return self._drops

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def buffer_sizes(self) -> tuple[int, int]:
        """SO_RCVBUF and SO_SNDBUF as the kernel reports them."""
        if self.sock is None:
            return 0, 0
        return (self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
                self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a datagram; True if one is waiting."""
        if self.sock is None:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], timeout)
        except (OSError, ValueError):
            return False
        return bool(readable)

    def receive(self, limit: int) -> list[tuple[bytes, Any, bool]]:
        """Up to ``limit`` waiting datagrams as (data, address, oversized); [] when closed."""
        if self._batch is None:
            return []
        return self._batch.receive(limit)

    def send(self, data: bytes, address: Any) -> None:
        """Send one datagram now or fail: never waits, so an event loop is never blocked."""
        if self.sock is None:
            return
        try:
            self.sock.sendto(data, address)
        except BlockingIOError:
            raise SNMPTrapMgrError(ERR_WOULD_BLOCK, f"send buffer full: reply to {address[0]}:"
                                   f"{address[1]} dropped") from None
        except OSError as exc:
            raise _socket_error(exc, f"cannot send to {address[0]}:{address[1]}") from None
