"""The collector behind ``snmptrapmgr listen``: listening managers in, notifications to the outputs.

A :class:`Collector` owns one :class:`~snmptrapmgr.SNMPTrapMgr` per listen
address (IPv4 and IPv6, several), configured alike (communities, v3 users,
CompatibilityMode, a large receive buffer), and waits on all their sockets
with one selector.  Each accepted trap or inform becomes its JSON line
(:mod:`.schema`) and goes to the :class:`~.delivery.Delivery`, which
numbers it and hands whole batches to every output (:mod:`.outputs`).
An inform is answered only once every output took it: its handler
submits the pending batch before it returns, and the facade sends the
Response after that.  :meth:`Collector.stop` (safe from a signal handler
or another thread) makes :meth:`Collector.run` stop reading, drain what
the kernel already queued, submit, and return.  Several processes:
:mod:`.workers`.
"""

from __future__ import annotations

import math
import os
import selectors
import signal
import sys
import time
from time import time as _now
from typing import Any, Callable, Optional, Sequence, TextIO

from ..events import SNMPTrapMgrInformRequestEventParams
from ..trapmgr import SNMPTrapMgr
from .config import DEFAULT_RCVBUF, CollectorConfig  # DEFAULT_RCVBUF: bench.e2e imports it from here
from .delivery import Delivery
from .outputs import Output, create
from .schema import format_notification
from .snmptrapd_conf import compatibility_mode_for
from .stats import AUTH_FAILURE_CODES, Counters, format_line

__all__ = ["Collector", "DEFAULT_RCVBUF"]

#: bad packets shown on stderr between two stats lines (the rest are counted)
BAD_PACKETS_SHOWN = 20


def _community_key(event: Any) -> bytes:
    """The community octets as received (from the text when the event does not carry them)."""
    return event.community_bytes or event.community.encode("utf-8", "surrogateescape")


class Collector:
    """Listening managers + outputs + counters, for one process."""

    def __init__(self, config: CollectorConfig, outputs: Optional[Sequence[Output]] = None,
                 err: TextIO = sys.stderr, share_port: bool = False, label: str = "") -> None:
        """``outputs``: built from ``config.output_specs()`` when not given (may raise OSError)."""
        self.config = config
        if outputs is None:
            outputs = [create(spec) for spec in config.output_specs()]
        self.delivery = Delivery(outputs)
        self.err = err
        self.share_port = share_port or config.workers > 1
        self.label = label
        self.managers: list = []
        self.counters = Counters()
        self._stop = False
        self._wake_r = self._wake_w = -1
        self._bad_reported = 0
        self._bad_suppressed = 0
        self._acl = self._build_acl()
        self._respond = config.respond_informs
        self._names = config.load_mibs()  # None with --numeric
        self._on_trap = self._trap_handler()
        mode, note = compatibility_mode_for(config.users, config.compatibility_mode)
        self.compatibility_mode = mode
        if note:
            config.notes.append(note)

    # ------------------------------------------------------------- setup
    def _build_acl(self) -> Optional[Callable[[Any], bool]]:
        """The checks the receiver's community filter cannot make: per-source/OID communities, authUser."""
        communities = self.config.communities
        levels = self.config.user_levels
        plain = None
        restricted: dict = {}
        if communities is not None:
            plain = set()
            for spec in communities:
                name = spec.community.encode("utf-8")
                if spec.networks is None and not spec.oid:
                    plain.add(name)
                else:
                    restricted.setdefault(name, []).append(spec)
        if not restricted and not levels:
            return None

        def allowed(event: Any) -> bool:
            if event.snmp_version == 3:
                if not levels:
                    return True
                need = levels.get(event.user)
                return need is not None and event.security_level >= need
            if plain is None:
                return True
            community = _community_key(event)
            if community in plain:
                return True
            specs = restricted.get(community)
            return bool(specs) and any(s.allows(event.source_address, event.trap_oid) for s in specs)

        return allowed

    def open(self, listen: Optional[list] = None) -> list:
        """Bind every listen address; return [(host, port)] actually bound."""
        config = self.config
        bound = []
        communities = None
        if config.communities is not None:
            communities = {spec.community.encode("utf-8") for spec in config.communities}
        for host, port in (listen or config.listen or [("0.0.0.0", 162)]):
            mgr = SNMPTrapMgr()
            if ":" in host:
                mgr.config("UseIPv6=True")
            mgr.local_host = host
            mgr.local_port = port
            mgr.config(f"InBufferSize={int(config.receive_buffer)}")
            mgr.config(f"CompatibilityMode={self.compatibility_mode}")
            if config.max_engines is not None:
                mgr.config(f"MaxEngines={int(config.max_engines)}")
            if self.share_port:
                mgr.config("ShareLocalPort=True")
            mgr.endpoint.communities = communities
            for user in config.users:
                mgr.add_user(user.name, user.engine_id, user.auth_protocol, user.auth_password,
                             user.priv_protocol, user.priv_password)
            mgr.on_trap = self._on_trap
            mgr.on_inform_request = self._on_inform
            mgr.on_bad_packet = self._on_bad_packet
            mgr.on_discovery_request = self._on_discovery
            mgr.activate()
            self.managers.append(mgr)
            bound.append((host, mgr.local_port))
        self.counters.watch(self.managers, self.delivery)
        self.delivery.open(self.wake)
        return bound

    def describe(self) -> list:
        """Per socket: (host, port, receive buffer the kernel gave, forced?)."""
        out = []
        for mgr in self.managers:
            out.append((mgr.local_host or "0.0.0.0", mgr.local_port, int(mgr.config("InBufferSize")),
                        mgr.endpoint.receive_buffer_forced))
        return out

    # ------------------------------------------------------------- handlers
    def _reject(self) -> None:
        self.counters.auth_failures += 1
        self.counters.rejected += 1

    def _trap_handler(self) -> Callable[[Any], None]:
        """The on_trap handler: the hot path, so what it uses is bound once, in its closure.

        It appends to the pending batch itself (Delivery's documented fast lane).
        """
        acl = self._acl
        reject = self._reject
        names = self._names
        delivery = self.delivery
        lines = delivery.lines
        add_line = lines.append
        keep_events = delivery.keep_events
        add_event = delivery.events.append

        def on_trap(event: Any) -> None:
            if acl is not None and not acl(event):
                reject()
                return
            add_line(format_notification(event, _now(), names))
            if keep_events:
                add_event(event)
            if len(lines) >= delivery.check_at:
                delivery.check()

        return on_trap

    def _on_inform(self, event: SNMPTrapMgrInformRequestEventParams) -> None:
        """Answered (the facade sends the Response after this returns) only once every output took it."""
        event.respond = False
        acl = self._acl
        if acl is not None and not acl(event):
            self._reject()
            return
        delivery = self.delivery
        delivery.add(format_notification(event, _now(), self._names), event)
        if self._respond and delivery.take_now(delivery.end - 1):
            event.respond = True
            self.counters.responses_sent += 1

    def _on_bad_packet(self, event: Any) -> None:
        counters = self.counters
        if event.error_code in AUTH_FAILURE_CODES:
            counters.auth_failures += 1
        if event.report and event.reply_context is not None:
            counters.reports_sent += 1
        if self._bad_reported < BAD_PACKETS_SHOWN:
            self._bad_reported += 1
            self.err.write(f"snmptrapmgr{self.label}: bad packet from {event.source_address}:"
                           f"{event.source_port}: [{event.error_code}] {event.error_description}\n")
        else:
            self._bad_suppressed += 1

    def _on_discovery(self, event: Any) -> None:
        if event.respond:
            self.counters.reports_sent += 1

    # ------------------------------------------------------------- running
    def flush(self) -> None:
        """Hand the pending notifications to the outputs now."""
        self.delivery.submit()

    def wake(self) -> None:
        """Make run() look again (safe from a signal handler, another thread, an output's callback)."""
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"\0")
            except OSError:
                pass

    def stop(self) -> None:
        """Stop reading soon (safe from a signal handler or another thread)."""
        self._stop = True
        self.wake()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stop())

    def run(self, duration: Optional[float] = None) -> None:
        """Serve until stop() or ``duration``; then drain what the kernel queued and submit."""
        selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        for mgr in self.managers:
            selector.register(mgr.fileno(), selectors.EVENT_READ, mgr)
        start = time.monotonic()
        deadline = None if duration is None else start + duration
        interval = self.config.stats_interval
        next_stats = start + interval if interval > 0 else None
        try:
            while not self._stop:
                now = time.monotonic()
                timeout = 1.0
                if deadline is not None:
                    if now >= deadline:
                        break
                    timeout = min(timeout, deadline - now)
                if next_stats is not None:
                    if now >= next_stats:
                        self.report_stats()
                        next_stats += interval * max(1, math.ceil((now - next_stats) / interval))
                    timeout = min(timeout, max(0.0, next_stats - now))
                for key, _ in selector.select(timeout):
                    mgr = key.data
                    if mgr is None:
                        try:
                            os.read(self._wake_r, 512)
                        except OSError:
                            pass
                        continue
                    while mgr.process_waiting() and not self._stop:
                        pass
                self.flush()
                self.delivery.poll()
            self.drain()
        finally:
            selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1

    def drain(self, limit_seconds: float = 10.0) -> None:
        """Process every datagram the kernel already queued, then submit."""
        end = time.monotonic() + limit_seconds
        busy = True
        while busy and time.monotonic() < end:
            busy = False
            for mgr in self.managers:
                while mgr.process_waiting():
                    busy = True
        self.flush()

    def stats(self) -> dict:
        return self.counters.as_dict()

    def report_stats(self, final: bool = False) -> dict:
        values = self.stats()
        label = ("final" if final else "stats") + self.label
        self.err.write(format_line(values, label))
        if self._bad_suppressed:
            self.err.write(f"snmptrapmgr{self.label}: {self._bad_suppressed} more bad packets not shown\n")
            self._bad_suppressed = 0
            self._bad_reported = 0
        self.err.flush()
        return values

    def close(self, timeout: float = 10.0) -> None:
        """Submit what is pending, wait (bounded) for the outputs, close sockets and outputs."""
        try:
            self.delivery.flush(timeout)
        finally:
            for mgr in self.managers:
                mgr.deactivate()
            self.delivery.close()
