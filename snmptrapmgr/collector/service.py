"""The collector behind ``snmptrapmgr listen``: listening managers in, notifications to the outputs.

A :class:`Collector` owns one :class:`~snmptrapmgr.SNMPTrapMgr` per listen
address (IPv4 and IPv6, several), configured alike (communities, v3 users,
CompatibilityMode, a large receive buffer), and waits on all their sockets
with one selector.  Each accepted trap or inform becomes its JSON line
(:mod:`.schema`; the usual v2c trap in one C pass from the wire, :mod:`.wire`)
and goes to the :class:`~.delivery.Delivery`, which numbers it and hands
whole batches to every output (:mod:`.outputs`).  An inform is answered
only once every output took it: its handler submits the pending batch, and
the facade sends the Response right after when that was enough (a file);
otherwise it is held (:mod:`.answers`) until the delivered watermark passes
it (``inform_ack = "on_receive"`` answers at once instead).

The receive loop returns to its other duties at least every
:data:`TURN_SECONDS` under any load (submitting, the outputs' retries and
acknowledgements, held informs, the stats line, signals).  While more than
:data:`MAX_BACKLOG` notifications (beyond a bus's in-flight window) wait
for the outputs (a full disk, a broker away without a spool) it stops
reading: the kernel's buffer takes the load and counts what does not fit.
SIGHUP reopens the file outputs (log rotation) and, given a way to build
the configuration again, reloads it (:meth:`Collector.reload`).
:meth:`Collector.stop` (safe from a signal handler or another thread) makes
:meth:`Collector.run` stop reading, drain what the kernel already queued,
submit, and return.  Several processes: :mod:`.workers`.
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

from ..errors import SNMPTrapMgrError
from ..events import SNMPTrapMgrInformRequestEventParams
from ..trapmgr import SNMPTrapMgr
from .acl import build_acl, community_set
from .answers import HeldInforms
from .config import DEFAULT_RCVBUF, CollectorConfig, ConfigError  # DEFAULT_RCVBUF: bench.e2e imports it
from .dedup import InformDedup
from .delivery import Delivery
from .outputs import Output, create
from . import line, wire
from .snmptrapd_conf import compatibility_mode_for
from .stats import AUTH_FAILURE_CODES, Counters, format_line

__all__ = ["Collector", "DEFAULT_RCVBUF"]

#: bad packets shown on stderr per BAD_PACKETS_PERIOD (the rest are counted, and summed up in one line)
BAD_PACKETS_SHOWN = 20
BAD_PACKETS_PERIOD = 10.0
#: the longest the loop keeps reading before it submits, polls and looks at signals and stats
TURN_SECONDS = 0.1
#: notifications waiting for the outputs beyond which the loop stops reading the sockets
MAX_BACKLOG = 131_072


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
        self._bad_since = time.monotonic()
        self._acl = build_acl(config)
        self._respond = config.respond_informs
        self._ack_on_receive = getattr(config, "inform_ack", "after_output") == "on_receive"
        self.held = HeldInforms(self.log)
        self.dedup = InformDedup()
        self._paused = False
        self._hup = False
        #: builds the configuration again on SIGHUP (set by whoever built the first one)
        self.build_config: Optional[Callable[[], CollectorConfig]] = None
        #: given the counters about once a second and with every stats line (a worker's parent reads them)
        self.on_stats: Optional[Callable[[dict], None]] = None
        self._published = 0.0
        self._names = config.load_mibs()  # None with --numeric
        self._on_trap = self._trap_handler()
        mode, note = compatibility_mode_for(config.users, config.compatibility_mode)
        self.compatibility_mode = mode
        if note:
            config.notes.append(note)

    # ------------------------------------------------------------- setup
    def open(self, listen: Optional[list] = None) -> list:
        """Bind every listen address; return [(host, port)] actually bound."""
        config = self.config
        bound = []
        communities = community_set(config)
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
            if config.local_engine_id:
                mgr.local_engine_id = config.local_engine_id
            if getattr(config, "report_rate", None) is not None:
                mgr.config(f"ReportRate={float(config.report_rate)}")
            if self.share_port:
                mgr.config("ShareLocalPort=True")
            mgr.endpoint.communities = communities
            for user in config.users:
                mgr.add_user(user.name, user.engine_id, user.auth_protocol, user.auth_password,
                             user.priv_protocol, user.priv_password)
            mgr.on_trap = self._on_trap
            mgr.fast_lane = self._fast_lane(communities)
            mgr.on_inform_request = self._inform_handler(mgr)
            mgr.on_bad_packet = self._on_bad_packet
            mgr.on_error = self._on_error
            mgr.activate()
            self.managers.append(mgr)
            bound.append((host, mgr.local_port))
        self.counters.watch(self.managers, self.delivery, self.held, self.dedup)
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
        """The on_trap handler (the hot path: what it uses is bound once, in its closure; it
        appends to the pending batch itself, Delivery's documented fast lane)."""
        acl = self._acl
        reject = self._reject
        names = self._names
        delivery = self.delivery
        lines = delivery.lines
        add_line = lines.append
        keep_events = delivery.keep_events
        add_event = delivery.events.append
        traps = self.counters.traps
        json_line = line.format_line  # the twin active now, read when the handler is built

        def on_trap(event: Any) -> None:
            if acl is not None and not acl(event):
                reject()
                return
            traps[event.snmp_version] += 1
            add_line(json_line(event, _now(), names))
            if keep_events:
                add_event(event)
            if len(lines) >= delivery.check_at:
                delivery.check()

        return on_trap

    def _fast_lane(self, communities: Any) -> Any:
        """The compiled wire -> JSON line writer, or None where a trap needs its event (an ACL,
        an output that wants events) or where only the Python twin is there (the usual path)."""
        if not wire.USING_CYTHON or self._acl is not None or self.delivery.keep_events:
            return None
        return wire.WireLines(self._names, communities, self.delivery, self.counters.traps)

    def _inform_handler(self, mgr: SNMPTrapMgr) -> Callable[[Any], None]:
        """The on_inform_request handler of ``mgr`` (a held inform is answered through it)."""
        def on_inform(event: SNMPTrapMgrInformRequestEventParams) -> None:
            # answered here or later (held), never by the facade after this returns
            event.respond = False
            acl = self._acl
            if acl is not None and not acl(event):
                self._reject()
                return
            delivery = self.delivery
            if self.dedup.check(event, delivery.end):  # a retransmission: answered, not stored again
                seq = self.dedup.last_tag
            else:
                self.counters.informs[event.snmp_version] += 1
                delivery.add(line.format_line(event, _now(), self._names), event)
                seq = delivery.end - 1
            if not self._respond:
                return
            if self._ack_on_receive or delivery.take_now(seq):
                # answered here, counted only once sent (a refused send is logged: reply_send_errors)
                self.counters.responses_sent += self.held.answer(mgr, event)
            else:
                self.held.hold(seq, mgr, event)
        return on_inform

    def _on_bad_packet(self, event: Any) -> None:
        counters = self.counters
        code = event.error_code
        counters.bad_codes[code] = counters.bad_codes.get(code, 0) + 1
        if code in AUTH_FAILURE_CODES:
            counters.auth_failures += 1
        self._bad_packet_line(f"snmptrapmgr{self.label}: bad packet from {event.source_address}:"
                              f"{event.source_port}: [{event.error_code}] {event.error_description}\n")

    def _bad_packet_line(self, line: str) -> None:
        if self._bad_reported < BAD_PACKETS_SHOWN:
            self._bad_reported += 1
            self.err.write(line)
        else:
            self._bad_suppressed += 1

    def _on_error(self, event: Any) -> None:
        """A Response or Report the socket refused (reply_send_errors): said like a bad packet."""
        self._bad_packet_line(f"snmptrapmgr{self.label}: reply not sent: {event.description}\n")

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

    def log(self, text: str) -> None:
        self.err.write(f"snmptrapmgr{self.label}: {text}\n")
        self.err.flush()

    def hangup(self) -> None:
        """Reopen files and reload the configuration soon (safe from a signal handler)."""
        self._hup = True
        self.wake()

    def stop(self) -> None:
        """Stop reading soon (safe from a signal handler or another thread)."""
        self._stop = True
        self.wake()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stop())
        signal.signal(signal.SIGHUP, lambda *_: self.hangup())

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
                for key, _ in selector.select(timeout if not self._paused else min(timeout, TURN_SECONDS)):
                    mgr = key.data
                    if mgr is None:
                        try:
                            os.read(self._wake_r, 512)
                        except OSError:
                            pass
                        continue
                    if self._paused:
                        continue
                    end = time.monotonic() + TURN_SECONDS
                    while mgr.process_waiting() and not self._stop and time.monotonic() < end:
                        pass
                self.turn()
                if self._paused:
                    time.sleep(TURN_SECONDS / 2)  # the sockets stay readable: do not spin on them
                if self._hup:
                    self._hup = False
                    self.reopen()
            self.drain()
        finally:
            selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1

    def turn(self) -> None:
        """What the loop does between reads: submit, poll the outputs, answer held informs, pause."""
        delivery = self.delivery
        self.flush()
        delivery.poll()
        delivered = delivery.delivered()
        if self.held:
            self.counters.responses_sent += self.held.answer_due(delivered)
        if self._bad_reported and time.monotonic() - self._bad_since >= BAD_PACKETS_PERIOD:
            self.summarize_bad_packets()
        if self.on_stats is not None and time.monotonic() - self._published >= 1.0:
            self._published = time.monotonic()
            self.on_stats(self.stats())
        backlog, limit = delivery.end - delivered, delivery.backlog_limit(MAX_BACKLOG)
        if not self._paused and backlog > limit:
            self._paused = True
            self.log(f"{backlog:,} notifications wait for the outputs: not reading until they catch "
                     "up (the kernel's receive buffer takes the load; what does not fit is counted "
                     "as kernel_drops)")
        elif self._paused and backlog <= limit // 2:
            self._paused = False
            self.log("the outputs caught up: reading again")

    def summarize_bad_packets(self) -> None:
        """One line for the bad packets not shown since the last one; the next ones are shown again."""
        if self._bad_suppressed:
            self.err.write(f"snmptrapmgr{self.label}: {self._bad_suppressed} more bad packets (or refused "
                           "replies) not shown "
                           f"(at most {BAD_PACKETS_SHOWN} are shown per {BAD_PACKETS_PERIOD:g} s)\n")
            self._bad_suppressed = 0
        self._bad_reported = 0
        self._bad_since = time.monotonic()

    def reopen(self) -> None:
        """SIGHUP: reopen the file outputs, then reload the configuration if it can be built again."""
        for output in self.delivery.outputs:
            try:
                output.reopen()
            except OSError as exc:
                self.log(f"cannot reopen {getattr(output, 'path', output.type_name)}: {exc.strerror or exc}; "
                         "still writing where it was")
        if self.build_config is not None:
            self.reload()

    def reload(self) -> None:
        """SIGHUP: build the configuration again and apply it; one that does not load changes nothing."""
        assert self.build_config is not None
        try:
            config = self.build_config()
            note = self.apply(config)
        except (ConfigError, OSError, SNMPTrapMgrError) as exc:
            self.log(f"reload: the configuration does not load, the running one stays: {exc}")
            return
        self.log("reload: configuration reloaded (communities, v3 users, MIB directories)" + note)

    def apply(self, config: CollectorConfig) -> str:
        """Communities, v3 users and their levels, MIB names of ``config``, on the open sockets;
        what needs new sockets or outputs keeps running as it is (the returned note names it)."""
        names = config.load_mibs()
        old = self.config
        for mgr in self.managers:
            for user in old.users:
                mgr.remove_user(user.name, user.engine_id)
        for mgr in self.managers:
            mgr.endpoint.communities = community_set(config)
            for user in config.users:
                mgr.add_user(user.name, user.engine_id, user.auth_protocol, user.auth_password,
                             user.priv_protocol, user.priv_password)
            mgr.config(f"CompatibilityMode={compatibility_mode_for(config.users, config.compatibility_mode)[0]}")
        self.config = config
        self._acl = build_acl(config)
        self._names = names
        self._respond = config.respond_informs
        self._ack_on_receive = getattr(config, "inform_ack", "after_output") == "on_receive"
        self._on_trap = self._trap_handler()
        lane = self._fast_lane(community_set(config))
        for mgr in self.managers:
            mgr.on_trap, mgr.fast_lane = self._on_trap, lane
        kept = [what for what, same in (("listen addresses", config.listen == old.listen),
                                        ("workers", config.workers == old.workers),
                                        ("outputs", config.output_specs() == old.output_specs()),
                                        ("receive buffer", config.receive_buffer == old.receive_buffer))
                if not same]
        return f"; unchanged until a restart: {', '.join(kept)}" if kept else ""

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
        self.delivery.poll()
        if self.held:
            self.counters.responses_sent += self.held.answer_due(self.delivery.delivered())

    def stats(self) -> dict:
        return self.counters.as_dict()

    def report_stats(self, final: bool = False) -> dict:
        values = self.stats()
        if self.on_stats is not None:
            self.on_stats(values)
        label = ("final" if final else "stats") + self.label
        self.err.write(format_line(values, label))
        for output in self.delivery.outputs:
            extra = output.counters()
            if extra:
                name = getattr(output, "name", "") or getattr(output, "path", "") or output.type_name
                self.err.write(f"snmptrapmgr {label} output {name}: "
                               + " ".join(f"{k}={v}" for k, v in extra.items()) + "\n")
        self.summarize_bad_packets()
        self.err.flush()
        return values

    def settle(self, timeout: float = 10.0) -> None:
        """Submit what is pending and wait (bounded) for the outputs; answer the informs they took.

        Called before the final stats line, so that line counts what the stop delivered.
        """
        self.delivery.flush(timeout)
        if self.held:
            self.counters.responses_sent += self.held.answer_due(self.delivery.delivered())

    def close(self, timeout: float = 10.0) -> None:
        """:meth:`settle`, then close sockets and outputs."""
        try:
            self.settle(timeout)
        finally:
            for mgr in self.managers:
                mgr.deactivate()
            self.delivery.close()
