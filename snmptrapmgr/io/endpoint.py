"""One listening point: the sans-IO receiver and the socket it is fed from.

:class:`Endpoint` is what both fronts compose -- the ``SNMPTrapMgr`` facade
and, through it, the collector -- so neither needs to know how a datagram
gets from the kernel to the decoder or how a reply gets back.  It owns:

* the :class:`~snmptrapmgr.receiver.Receiver` (protocol state, public as
  ``receiver``: its settings are the endpoint's settings);
* the UDP socket, batch receive (recvmmsg) and reply sending;
* kernel-drop accounting and the counters, read as one snapshot
  (:meth:`counters`).

The owner decides what an event means: :meth:`process_waiting` hands each
batch of datagrams to the owner's callback, which calls :meth:`events_for` and, once
its handlers have run, :meth:`reply_for` and :meth:`send`.  Nothing here waits except
:meth:`wait`, and nothing here raises for a bad datagram or a failed send:
those become bad-packet events and counted send errors.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

from ..errors import ERR_MESSAGE_TOO_LONG, SNMPTrapMgrError
from ..receiver import Hooks, Receiver
from .transport import UDPTransport

__all__ = ["Endpoint", "EndpointCounters"]

Address = Any  # (host, port) or (host, port, flowinfo, scope_id)


class EndpointCounters(NamedTuple):
    """A read-only snapshot; ``kernel_drops`` stays readable after close."""

    received: int        # datagrams taken from the socket
    notifications: int   # traps and informs decoded (before any application filter)
    bad_packets: int     # datagrams that became bad-packet events
    kernel_drops: int    # datagrams the kernel dropped (full receive buffer...)
    send_errors: int     # replies that could not be sent (counted, never raised)
    reports_suppressed: int = 0  # Reports not sent: over the Report rate limits (ReportRate...)
    reports_sent: int = 0  # Reports the socket took (a refused one is a send error instead)


class Endpoint:
    """A sans-IO receiver bound to one UDP socket."""

    def __init__(self, receiver: Optional[Receiver] = None) -> None:
        self.receiver = receiver if receiver is not None else Receiver(Hooks())
        self._transport = UDPTransport()
        self._send_errors = 0
        self._reports_sent = 0

    # ------------------------------------------------------------ lifecycle
    def open(self, host: str, port: int, *, ipv6: bool = False, share: bool = False,
             force_port: bool = True, rcvbuf: int = 0, sndbuf: int = 0,
             dont_fragment: bool = False, max_packet: int = 65535) -> tuple[str, int]:
        """Bind; return the (address, port) actually bound (port 0 resolved)."""
        bound = self._transport.open(host, port, ipv6=ipv6, share=share, force_port=force_port,
                                     rcvbuf=rcvbuf, sndbuf=sndbuf, dont_fragment=dont_fragment,
                                     max_packet=max_packet)
        self.receiver.usm.ensure_local_engine_id()  # informs and discovery need one
        return bound

    def close(self) -> None:
        self._transport.close()

    @property
    def is_open(self) -> bool:
        return self._transport.sock is not None

    def fileno(self) -> int:
        """The socket's descriptor (-1 when closed), for select and event loops."""
        return self._transport.fileno()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a datagram; True if one is waiting."""
        return self._transport.wait(timeout)

    # ------------------------------------------------------------- settings
    @property
    def communities(self) -> Optional[set[bytes]]:
        """The v1/v2c communities accepted, as bytes (None: any)."""
        return self.receiver.communities

    @communities.setter
    def communities(self, value: Optional[set[bytes]]) -> None:
        self.receiver.communities = None if value is None else {bytes(c) for c in value}

    @property
    def receive_buffer_forced(self) -> bool:
        """True when SO_RCVBUFFORCE set the receive buffer past net.core.rmem_max."""
        return self._transport.rcvbuf_forced

    def buffer_sizes(self) -> tuple[int, int]:
        """SO_RCVBUF and SO_SNDBUF as the kernel reports them ((0, 0) when closed)."""
        return self._transport.buffer_sizes()

    # ------------------------------------------------------------- counters
    def kernel_drops(self) -> int:
        return self._transport.kernel_drops()

    def counters(self) -> EndpointCounters:
        counts = self.receiver.counters
        return EndpointCounters(counts["received"], counts["notifications"], counts["bad_packets"],
                                self._transport.kernel_drops(), self._send_errors,
                                self.receiver.usm.limiter.suppressed, self._reports_sent)

    # -------------------------------------------------------------- receive
    def process_waiting(self, limit: int, handle: Callable[[list], None],
                        keep_going: Callable[[], bool]) -> int:
        """Hand up to ``limit`` waiting datagrams to ``handle(batch)``, a batch at a time.

        A batch is a list of (data, address, oversized), all taken from the
        socket in one call: the owner reads its clock and settings once per
        batch, not per datagram.  Never waits; stops early when
        ``keep_going()`` turns False between batches (the owner was
        deactivated or paused by a handler).  Returns how many datagrams
        were taken from the socket.
        """
        taken = 0
        receive = self._transport.receive
        while taken < limit:
            batch = receive(limit - taken)
            if not batch:
                break
            handle(batch)
            taken += len(batch)
            if not keep_going():
                break
        return taken

    def events_for(self, data: bytes, address: Address, now: float, oversized: bool = False) -> list:
        """The events of one datagram (an oversized one is a bad packet, never decoded)."""
        if oversized:
            return [self.receiver.too_long(data, address)]
        return self.receiver.receive_datagram(data, address, now)

    # ---------------------------------------------------------------- reply
    def reply_for(self, event: Any, address: Address) -> Optional[bytes]:
        """The datagram ``event`` calls for once its handler has run, if any (may raise 3xx)."""
        return self.receiver.reply(event, address)

    def send(self, data: bytes, address: Address, *, report: bool = False) -> None:
        """Send a reply without waiting; a failure is counted and raised as SNMPTrapMgrError.

        ``report``: the reply is an SNMPv3 Report, counted in ``reports_sent``
        only once the socket took it.
        """
        try:
            self._transport.send(data, address)
        except SNMPTrapMgrError:
            self._send_errors += 1
            raise
        if report:
            self._reports_sent += 1
