"""``SNMPTrapMgr``: the reference's class, as a thin facade.

It composes an :class:`~snmptrapmgr.io.endpoint.Endpoint` (the sans-IO
receiver and its socket) and turns the endpoint's events into ``on_xxx``
callbacks.  All protocol decisions are the receiver's; this module only
wires and guards.  The object arrays and ``config()`` are mixins of their
own (:mod:`objects`, :mod:`configure`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterator, Optional

from .configure import Configurable
from .errors import (ERR_INVALID_ARGUMENT, ERR_LOCAL_HOST_ACTIVE, ERR_LOCAL_PORT_ACTIVE, ERR_NOT_PERMITTED,
                     SNMPTrapMgrError)
from .events import (
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrErrorEventParams,
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrPacketTraceEventParams,
    SNMPTrapMgrTrapEventParams,
)
from .io.endpoint import Endpoint
from .objects import ObjectArrays
from . import serving
from .receiver import InternalError

__all__ = ["SNMPTrapMgr"]

log = logging.getLogger("snmptrapmgr")

Handler = Optional[Callable[[Any], None]]


def _hook(name: str) -> property:
    """An on_xxx property that also tells the receiver's Hooks about the handler."""
    attr = "_" + name
    hook_name = name[3:]

    def get(self: "SNMPTrapMgr") -> Handler:
        return getattr(self, attr)

    def set_(self: "SNMPTrapMgr", handler: Handler) -> None:
        setattr(self, attr, handler)
        setattr(self.endpoint.receiver.hooks, hook_name, self._guard(handler, name) if handler else None)

    return property(get, set_)


class SNMPTrapMgr(ObjectArrays, Configurable):
    """A UDP listening point for SNMP v1/v2c/v3 traps and informs."""

    on_get_user_security_level = _hook("on_get_user_security_level")
    on_get_user_password = _hook("on_get_user_password")
    on_check_engine = _hook("on_check_engine")
    on_hash_password = _hook("on_hash_password")

    def __init__(self) -> None:
        self.endpoint = Endpoint()
        self._receive_datagram = self.endpoint.receiver.receive_datagram
        self._init_config()
        self._init_objects()
        self._active = False
        self._accept_data = True
        self._local_host = ""
        self._local_port = 162
        self._bound: tuple[str, int] = ("", 0)
        self._request_id = 1
        self._current: Any = None
        self._source: tuple = ("", 0)
        self._stop = threading.Event()
        self._on_get_user_security_level: Handler = None
        self._on_get_user_password: Handler = None
        self._on_check_engine: Handler = None
        self._on_hash_password: Handler = None
        self.on_bad_packet: Handler = None
        self.on_cache_entry: Handler = None
        self.on_discovery_request: Handler = None
        self.on_error: Handler = None
        self.on_inform_request: Handler = None
        self.on_packet_trace: Handler = None
        self.on_trap: Handler = None
        #: None, or ``lane(data, address, now) -> bool``: a consumer that takes a usual v2c trap
        #: whole, before any event is built (the collector's one-pass JSON writer); True: taken,
        #: counted as received like a decoded one, and no on_trap fires for it
        self.fast_lane: Optional[Callable[[bytes, Any, float], bool]] = None
        self._dispatch = {
            SNMPTrapMgrTrapEventParams: self._fire_trap,
            SNMPTrapMgrInformRequestEventParams: self._fire_inform,
            SNMPTrapMgrBadPacketEventParams: self._fire_bad_packet,
            SNMPTrapMgrDiscoveryRequestEventParams: self._fire_discovery,
            InternalError: self._fire_internal_error,
        }

    # ------------------------------------------------------------------ context
    def __enter__(self) -> "SNMPTrapMgr":
        if not self._active:
            self.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        self.deactivate()

    # --------------------------------------------------------------- properties
    # The reference's pattern: get_x / set_x methods beside x = property(get_x, set_x).
    def get_accept_data(self) -> bool:
        return self._accept_data

    def set_accept_data(self, value: bool) -> None:
        self._accept_data = bool(value)

    accept_data = property(get_accept_data, set_accept_data)

    def get_active(self) -> bool:
        return self._active

    def set_active(self, value: bool) -> None:
        if value and not self._active:
            self.activate()
        elif not value and self._active:
            self.deactivate()

    active = property(get_active, set_active)

    def get_local_engine_id(self) -> bytes:
        return self.endpoint.receiver.local_engine_id

    def set_local_engine_id(self, value: bytes) -> None:
        self.endpoint.receiver.local_engine_id = bytes(value)

    local_engine_id = property(get_local_engine_id, set_local_engine_id)

    def get_local_host(self) -> str:
        return self._local_host

    def set_local_host(self, value: str) -> None:
        if self._active:
            raise SNMPTrapMgrError(ERR_LOCAL_HOST_ACTIVE, "cannot change local_host while active")
        self._local_host = value or ""

    local_host = property(get_local_host, set_local_host)

    def get_local_port(self) -> int:
        return self._bound[1] if self._active else self._local_port

    def set_local_port(self, value: int) -> None:
        if self._active:
            raise SNMPTrapMgrError(ERR_LOCAL_PORT_ACTIVE, "you cannot change the local_port while the class is active")
        if not 0 <= int(value) <= 65535:
            raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"bad port {value}")
        self._local_port = int(value)

    local_port = property(get_local_port, set_local_port)

    def get_request_id(self) -> int:
        return self._request_id

    def set_request_id(self, value: int) -> None:
        self._request_id = int(value)

    request_id = property(get_request_id, set_request_id)

    def reset(self) -> None:
        self._init_objects()
        self.request_id = 1

    def _codec(self) -> str:
        return self.endpoint.receiver.codec

    # --------------------------------------------------------------- lifecycle
    def activate(self) -> None:
        if self._active:
            return
        cfg = self._config
        self._bound = self.endpoint.open(
            self._local_host, self._local_port,
            ipv6=bool(cfg["UseIPv6"]), share=bool(cfg["ShareLocalPort"]),
            force_port=bool(cfg["ForceLocalPort"]), rcvbuf=int(cfg["InBufferSize"]),
            sndbuf=int(cfg["OutBufferSize"]), dont_fragment=bool(cfg["DontFragment"]),
            max_packet=int(cfg["MaxPacketSize"]),
        )
        self._active = True
        self._stop.clear()

    def deactivate(self) -> None:
        self.endpoint.close()
        self._active = False

    def do_events(self) -> None:
        """Deliver every waiting datagram (bounded per call); else wait SelectWaitMillis."""
        wait = int(self._config["SelectWaitMillis"]) / 1000.0
        if not self._active or not self._accept_data:
            time.sleep(wait)
            return
        if not self.process_waiting() and self.endpoint.wait(wait):
            self.process_waiting()

    def process_waiting(self, limit: Optional[int] = None) -> int:
        """Deliver the datagrams already waiting, at most ``limit`` (EventsPerCall), never wait.

        Returns how many datagrams were taken from the socket.  This is what
        an event loop calls when the socket is readable (see ``fileno()``).
        """
        if not self._active or not self._accept_data:
            return 0
        if limit is None:
            limit = max(1, int(self._config["EventsPerCall"]))
        return self.endpoint.process_waiting(limit, self._process_batch, self._accepting)

    def _accepting(self) -> bool:
        return self._active and self._accept_data

    def fileno(self) -> int:
        """The listening socket's file descriptor (-1 when inactive), for select / event loops."""
        return self.endpoint.fileno()

    @property
    def usm_stats(self) -> dict:
        """The RFC 3414 usmStats counters (and snmpInvalidMsgs...), for monitoring."""
        return dict(self.endpoint.receiver.usm.stats)

    @property
    def kernel_drops(self) -> int:
        """Datagrams the kernel dropped on this socket so far (SO_RXQ_OVFL / /proc); 0 if none."""
        return self.endpoint.kernel_drops()

    @property
    def stop_requested(self) -> bool:
        """True once stop() was called, until the next run()/serve_async() starts."""
        return self._stop.is_set()

    def run(self, duration: Optional[float] = None) -> None:
        """Process events until stop() is called or ``duration`` seconds pass."""
        if not self._active:
            self.activate()
        deadline = None if duration is None else time.monotonic() + duration
        self._stop.clear()
        while not self._stop.is_set() and self._active:
            if deadline is not None and time.monotonic() >= deadline:
                break
            self.do_events()

    def serve_forever(self) -> None:
        self.run(None)

    async def serve_async(self, duration: Optional[float] = None) -> None:
        """``run()`` on the running asyncio loop: the socket is watched with ``loop.add_reader``.

        Activates if needed and leaves the manager active on return (after
        ``stop()`` or ``duration`` seconds).
        """
        if not self._active:
            self.activate()
        self._stop.clear()
        await serving.serve_on_loop(self, self._stop, duration)

    def stop(self) -> None:
        """Ask run() / serve_forever() to return (safe from another thread or a signal)."""
        self._stop.set()

    # ---------------------------------------------------------------- dispatch
    def _process_batch(self, batch: list) -> None:
        """The datagrams one recvmmsg took: one clock read for all (they were taken together)."""
        now = time.time()
        receiver = self.endpoint.receiver
        decode, limit, usual = receiver.decode_usual, receiver.max_datagram, 0
        lane = self.fast_lane
        try:
            for data, address, oversized in batch:
                if oversized or self.on_packet_trace is not None or len(data) > limit:
                    self._process(data, address, oversized, now)
                    continue
                if lane is not None and lane(data, address, now):
                    usual += 1
                    continue
                try:
                    event = decode(data, address)
                except Exception:  # noqa: BLE001 - in error: _process says what it is (a bad packet)
                    event = None
                if event is None:  # SNMPv3, or an error
                    self._process(data, address, oversized, now)
                    continue
                usual += 1
                self._source = address
                self._dispatch[type(event)](event, address)
        finally:
            receiver.count_usual(usual)

    def _process(self, data: bytes, address: Any, oversized: bool, now: float) -> None:
        self._source = address
        if oversized:
            events = self.endpoint.events_for(data, address, 0.0, True)
        else:
            events = self._receive_datagram(data, address, now)
        if self.on_packet_trace is not None:
            receiver = self.endpoint.receiver
            shown = (receiver.last_decrypted or data) if receiver.decrypt_log_packets else data
            self._fire(self.on_packet_trace, "on_packet_trace",
                       SNMPTrapMgrPacketTraceEventParams(shown, 1, address[0], address[1]))
        for event in events:
            self._dispatch[type(event)](event, address)

    def _begin_event(self, event: Any) -> None:
        self._current = event
        self._show_objects(event.varbinds)

    def _fire_trap(self, event: SNMPTrapMgrTrapEventParams, address: Any) -> None:
        # the hot path of a collector: _begin_event and _fire, inlined
        handler = self.on_trap
        if handler is not None:
            self._current = event
            self._view.items = event.varbinds
            self._objects_owned = False
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - a handler must not stop the receiver
                self._handler_failed("on_trap", exc)

    def _fire_inform(self, event: SNMPTrapMgrInformRequestEventParams, address: Any) -> None:
        handler = self.on_inform_request
        if handler is not None:
            self._begin_event(event)
            self._fire(handler, "on_inform_request", event)
        self.send_reply(event, address)

    def _fire_bad_packet(self, event: SNMPTrapMgrBadPacketEventParams, address: Any) -> None:
        if self.on_bad_packet is not None:
            self._fire(self.on_bad_packet, "on_bad_packet", event)
        self.send_reply(event, address)

    def _fire_discovery(self, event: SNMPTrapMgrDiscoveryRequestEventParams, address: Any) -> None:
        if self.on_discovery_request is not None:
            self._fire(self.on_discovery_request, "on_discovery_request", event)
        self.send_reply(event, address)

    def _fire_internal_error(self, event: InternalError, address: Any) -> None:
        """A bug of ours met on this datagram: the log gets its traceback, on_error the summary."""
        exc = event.exception
        log.error("internal error on a datagram from %s:%s (%s): %r", event.source_address, event.source_port,
                  event.packet[:64].hex(), exc, exc_info=exc)
        self._error(0, f"internal error on a datagram from {event.source_address}:"
                                  f"{event.source_port}: {type(exc).__name__}: {exc}")

    def send_reply(self, event: Any, address: Any) -> bool:
        """Send what ``event`` calls for, as after its handler; False if nothing went (on_error says why)."""
        try:
            reply = self.endpoint.reply_for(event, address)
        except SNMPTrapMgrError as exc:
            self._error(exc.code, f"cannot build reply: {exc.message}")
            return False
        if reply is None:
            return False
        if self.on_packet_trace is not None:
            self._fire(self.on_packet_trace, "on_packet_trace",
                       SNMPTrapMgrPacketTraceEventParams(reply, 2, address[0], address[1]))
        try:
            # every reply but an inform's Response is a Report (bad packet, discovery)
            self.endpoint.send(reply, address,
                               report=not isinstance(event, SNMPTrapMgrInformRequestEventParams))
        except SNMPTrapMgrError as exc:
            self._error(exc.code, exc.message)
            return False
        return True

    def _fire(self, handler: Callable[[Any], None], name: str, event: Any) -> None:
        try:
            handler(event)
        except Exception as exc:  # noqa: BLE001 - a handler must not stop the receiver
            self._handler_failed(name, exc)

    def _guard(self, handler: Callable[[Any], None], name: str) -> Callable[[Any], None]:
        def guarded(event: Any) -> None:
            previous, self._current = self._current, event
            try:
                self._fire(handler, name, event)
            finally:
                self._current = previous
        return guarded

    def _handler_failed(self, name: str, exc: Exception) -> None:
        log.error("%s handler raised %r", name, exc, exc_info=exc)
        self._error(ERR_NOT_PERMITTED if isinstance(exc, PermissionError) else 0,
                    f"{name} handler raised {type(exc).__name__}: {exc}")

    def _error(self, code: int, description: str) -> None:
        if self.on_error is None:
            return
        try:
            self.on_error(SNMPTrapMgrErrorEventParams(code, description))
        except Exception as exc:  # noqa: BLE001
            log.error("on_error handler raised %r", exc, exc_info=exc)

    # ------------------------------------------------------------------ cache
    def add_engine(self, engine_id: bytes, engine_boots: int, engine_time: int) -> None:
        self.endpoint.receiver.cache.add_engine(bytes(engine_id), engine_boots, engine_time)

    def add_user(self, user: str, engine_id: bytes, authentication_protocol: int,
                 authentication_password: str, encryption_algorithm: int,
                 encryption_password: str) -> None:
        self.endpoint.receiver.cache.add_user(user, bytes(engine_id), authentication_protocol,
                                      authentication_password, encryption_algorithm,
                                      encryption_password)

    def remove_engine(self, engine_id: bytes) -> None:
        self.endpoint.receiver.cache.remove_engine(bytes(engine_id))

    def remove_user(self, user: str, engine_id: bytes) -> None:
        self.endpoint.receiver.cache.remove_user(user, bytes(engine_id))

    def clear_cache(self) -> None:
        self.endpoint.receiver.cache.clear()

    def show_cache(self, user: Optional[str] = None) -> None:
        for entry in self.endpoint.receiver.cache.entries(user):
            if self.on_cache_entry is not None:
                self._fire(self.on_cache_entry, "on_cache_entry", entry)

    def hash_passwords(self) -> None:
        self.endpoint.receiver.cache.hash_passwords()

    # ------------------------------------------------------------ iteration
    def __iter__(self) -> Iterator[Any]:
        """Yield traps and informs as they arrive (activates if needed)."""
        queue: list = []
        previous = (self.on_trap, self.on_inform_request)
        self.on_trap = queue.append
        self.on_inform_request = queue.append
        try:
            if not self._active:
                self.activate()
            while self._active:
                self.do_events()
                while queue:
                    yield queue.pop(0)
        finally:
            self.on_trap, self.on_inform_request = previous
