"""``SNMPTrapMgr``: the reference's class, as a thin facade.

It owns a :class:`~snmptrapmgr.io.transport.UDPTransport` and a sans-IO
:class:`~snmptrapmgr.receiver.Receiver`, moves datagrams from one to the
other, and turns the receiver's events into ``on_xxx`` callbacks.  All
protocol decisions are the receiver's; this module only wires and guards.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable, Iterator, Optional

from . import settings
from .errors import (
    ERR_BAD_OBJECT_INDEX,
    ERR_INVALID_ARGUMENT,
    ERR_LOCAL_HOST_ACTIVE,
    ERR_LOCAL_PORT_ACTIVE,
    ERR_MAX_PACKET_SIZE_ACTIVE,
    ERR_MESSAGE_TOO_LONG,
    ERR_NO_SUCH_OID,
    ERR_NOT_PERMITTED,
    ERR_SHARE_PORT_ACTIVE,
    ERR_USE_CONNECTION_ACTIVE,
    SNMPTrapMgrError,
)
from .events import (
    TYPE_NAMES,
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrErrorEventParams,
    SNMPTrapMgrInformRequestEventParams,
    SNMPTrapMgrPacketTraceEventParams,
    SNMPTrapMgrTrapEventParams,
    object_value_bytes,
)
from .receiver import Hooks, Receiver
from .io.transport import UDPTransport

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
        setattr(self._receiver.hooks, hook_name, self._guard(handler, name) if handler else None)

    return property(get, set_)


class SNMPTrapMgr:
    """A UDP listening point for SNMP v1/v2c/v3 traps and informs."""

    on_get_user_security_level = _hook("on_get_user_security_level")
    on_get_user_password = _hook("on_get_user_password")
    on_check_engine = _hook("on_check_engine")
    on_hash_password = _hook("on_hash_password")

    def __init__(self) -> None:
        self._receiver = Receiver(Hooks())
        self._transport = UDPTransport()
        self._config: dict[str, object] = {s.name: s.default for s in settings.SETTINGS}
        self._active = False
        self.accept_data = True
        self._local_host = ""
        self._local_port = 162
        self._bound: tuple[str, int] = ("", 0)
        self.request_id = 1
        self._objects: list = []
        self._objects_owned = True
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
        self._dispatch = {
            SNMPTrapMgrTrapEventParams: self._fire_trap,
            SNMPTrapMgrInformRequestEventParams: self._fire_inform,
            SNMPTrapMgrBadPacketEventParams: self._fire_bad_packet,
            SNMPTrapMgrDiscoveryRequestEventParams: self._fire_discovery,
        }

    # ------------------------------------------------------------------ context
    def __enter__(self) -> "SNMPTrapMgr":
        if not self._active:
            self.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        self.deactivate()

    # --------------------------------------------------------------- properties
    @property
    def active(self) -> bool:
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        if value and not self._active:
            self.activate()
        elif not value and self._active:
            self.deactivate()

    @property
    def local_engine_id(self) -> bytes:
        return self._receiver.local_engine_id

    @local_engine_id.setter
    def local_engine_id(self, value: bytes) -> None:
        self._receiver.local_engine_id = bytes(value)

    @property
    def local_host(self) -> str:
        return self._local_host

    @local_host.setter
    def local_host(self, value: str) -> None:
        if self._active:
            raise SNMPTrapMgrError(ERR_LOCAL_HOST_ACTIVE, "cannot change local_host while active")
        self._local_host = value or ""

    @property
    def local_port(self) -> int:
        return self._bound[1] if self._active else self._local_port

    @local_port.setter
    def local_port(self, value: int) -> None:
        if self._active:
            raise SNMPTrapMgrError(ERR_LOCAL_PORT_ACTIVE, "you cannot change the local_port while the class is active")
        if not 0 <= int(value) <= 65535:
            raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"bad port {value}")
        self._local_port = int(value)

    # ---------------------------------------------------------------- objects
    @property
    def obj_count(self) -> int:
        return len(self._objects)

    @obj_count.setter
    def obj_count(self, value: int) -> None:
        self.set_obj_count(value)

    def get_obj_count(self) -> int:
        return len(self._objects)

    def set_obj_count(self, value: int) -> None:
        if value < 0:
            raise SNMPTrapMgrError(ERR_BAD_OBJECT_INDEX, f"bad object count {value}")
        self._own_objects()
        del self._objects[value:]
        self._objects.extend(("", 5, None) for _ in range(value - len(self._objects)))

    def _object(self, index: int) -> tuple:
        if not 0 <= index < len(self._objects):
            raise SNMPTrapMgrError(ERR_BAD_OBJECT_INDEX, f"bad object index {index}")
        return self._objects[index]

    def _own_objects(self) -> None:
        if not self._objects_owned:
            self._objects = list(self._objects)
            self._objects_owned = True

    def _set_object(self, index: int, position: int, value: Any) -> None:
        entry = list(self._object(index))
        entry[position] = value
        self._own_objects()
        self._objects[index] = tuple(entry)

    def get_obj_id(self, obj_index: int) -> str:
        return self._object(obj_index)[0]

    def set_obj_id(self, obj_index: int, value: str) -> None:
        self._set_object(obj_index, 0, value)

    def get_obj_type(self, obj_index: int) -> int:
        return self._object(obj_index)[1]

    def set_obj_type(self, obj_index: int, value: int) -> None:
        if value not in TYPE_NAMES:
            raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"unknown object type {value}")
        self._set_object(obj_index, 1, value)

    def get_obj_type_string(self, obj_index: int) -> str:
        return TYPE_NAMES.get(self._object(obj_index)[1], "")

    def get_obj_value(self, obj_index: int) -> bytes:
        return object_value_bytes(self._object(obj_index)[2])

    def set_obj_value(self, obj_index: int, value: bytes) -> None:
        self._set_object(obj_index, 2, bytes(value))

    def value(self, oid: str) -> str:
        """The value of ``oid`` among the current objects, decoded with CodePage."""
        wanted = oid[1:] if oid.startswith(".") else oid
        for entry in self._objects:
            if entry[0] == wanted:
                return object_value_bytes(entry[2]).decode(self._receiver.codec, "replace")
        raise SNMPTrapMgrError(ERR_NO_SUCH_OID, f"no such OID: {oid}")

    def reset(self) -> None:
        self._objects = []
        self._objects_owned = True
        self.request_id = 1

    # --------------------------------------------------------------- lifecycle
    def activate(self) -> None:
        if self._active:
            return
        cfg = self._config
        self._bound = self._transport.open(
            self._local_host, self._local_port,
            ipv6=bool(cfg["UseIPv6"]), share=bool(cfg["ShareLocalPort"]),
            force_port=bool(cfg["ForceLocalPort"]), rcvbuf=int(cfg["InBufferSize"]),
            sndbuf=int(cfg["OutBufferSize"]), dont_fragment=bool(cfg["DontFragment"]),
            max_packet=int(cfg["MaxPacketSize"]),
        )
        self._receiver.usm.ensure_local_engine_id()  # informs and discovery need one
        self._active = True
        self._stop.clear()

    def deactivate(self) -> None:
        self._transport.close()
        self._active = False

    def do_events(self) -> None:
        """Deliver every waiting datagram (bounded per call); else wait SelectWaitMillis."""
        wait = int(self._config["SelectWaitMillis"]) / 1000.0
        if not self._active or not self.accept_data:
            time.sleep(wait)
            return
        if not self.process_waiting() and self._transport.wait(wait):
            self.process_waiting()

    def process_waiting(self, limit: Optional[int] = None) -> int:
        """Deliver the datagrams already waiting, at most ``limit`` (EventsPerCall), never wait.

        Returns how many datagrams were taken from the socket.  This is what
        an event loop calls when the socket is readable (see ``fileno()``).
        """
        if not self._active or not self.accept_data:
            return 0
        if limit is None:
            limit = max(1, int(self._config["EventsPerCall"]))
        taken = 0
        process = self._process
        receive = self._transport.receive
        while taken < limit:
            batch = receive(limit - taken)
            if not batch:
                break
            for data, address, oversized in batch:
                process(data, address, oversized)
            taken += len(batch)
            if not self._active or not self.accept_data:
                break
        return taken

    def fileno(self) -> int:
        """The listening socket's file descriptor (-1 when inactive), for select / event loops."""
        return self._transport.fileno()

    @property
    def usm_stats(self) -> dict:
        """The RFC 3414 usmStats counters (and snmpInvalidMsgs...), for monitoring."""
        return dict(self._receiver.usm.stats)

    @property
    def kernel_drops(self) -> int:
        """Datagrams the kernel dropped on this socket so far (SO_RXQ_OVFL / /proc); 0 if none."""
        return self._transport.kernel_drops()

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
        """``run()`` on the running asyncio loop (loop.add_reader); see :mod:`snmptrapmgr.aio`."""
        from .aio import serve

        await serve(self, duration)

    def stop(self) -> None:
        """Ask run() / serve_forever() to return (safe from another thread or a signal)."""
        self._stop.set()

    # ---------------------------------------------------------------- dispatch
    def _process(self, data: bytes, address: Any, oversized: bool = False) -> None:
        self._source = address
        receiver = self._receiver
        events = () if oversized else receiver.receive_datagram(data, address, time.time())
        if self.on_packet_trace is not None:
            shown = (receiver.last_decrypted or data) if receiver.decrypt_log_packets else data
            self._fire(self.on_packet_trace, "on_packet_trace",
                       SNMPTrapMgrPacketTraceEventParams(shown, 1, address[0], address[1]))
        if oversized:
            self._fire_bad_packet(receiver.bad_packet(
                data, address, ERR_MESSAGE_TOO_LONG, "message can't be longer than MaxPacketSize"), address)
            return
        for event in events:
            self._dispatch[type(event)](event, address)

    def _begin_event(self, event: Any) -> None:
        self._current = event
        self._objects = event.varbinds
        self._objects_owned = False

    def _fire_trap(self, event: SNMPTrapMgrTrapEventParams, address: Any) -> None:
        # the hot path of a collector: _begin_event and _fire, inlined
        handler = self.on_trap
        if handler is not None:
            self._current = event
            self._objects = event.varbinds
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
        self._send_reply(event, address)

    def _fire_bad_packet(self, event: SNMPTrapMgrBadPacketEventParams, address: Any) -> None:
        if self.on_bad_packet is not None:
            self._fire(self.on_bad_packet, "on_bad_packet", event)
        self._send_reply(event, address)

    def _fire_discovery(self, event: SNMPTrapMgrDiscoveryRequestEventParams, address: Any) -> None:
        if self.on_discovery_request is not None:
            self._fire(self.on_discovery_request, "on_discovery_request", event)
        self._send_reply(event, address)

    def _send_reply(self, event: Any, address: Any) -> None:
        try:
            reply = self._receiver.reply(event, address)
        except SNMPTrapMgrError as exc:
            self._error(exc.code, f"cannot build reply: {exc.message}")
            return
        if reply is None:
            return
        if self.on_packet_trace is not None:
            self._fire(self.on_packet_trace, "on_packet_trace",
                       SNMPTrapMgrPacketTraceEventParams(reply, 2, address[0], address[1]))
        try:
            self._transport.send(reply, address)
        except SNMPTrapMgrError as exc:
            self._error(exc.code, exc.message)

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
        self._receiver.cache.add_engine(bytes(engine_id), engine_boots, engine_time)

    def add_user(self, user: str, engine_id: bytes, authentication_protocol: int,
                 authentication_password: str, encryption_algorithm: int,
                 encryption_password: str) -> None:
        self._receiver.cache.add_user(user, bytes(engine_id), authentication_protocol,
                                      authentication_password, encryption_algorithm,
                                      encryption_password)

    def remove_engine(self, engine_id: bytes) -> None:
        self._receiver.cache.remove_engine(bytes(engine_id))

    def remove_user(self, user: str, engine_id: bytes) -> None:
        self._receiver.cache.remove_user(user, bytes(engine_id))

    def clear_cache(self) -> None:
        self._receiver.cache.clear()

    def show_cache(self, user: Optional[str] = None) -> None:
        for entry in self._receiver.cache.entries(user):
            if self.on_cache_entry is not None:
                self._fire(self.on_cache_entry, "on_cache_entry", entry)

    def hash_passwords(self) -> None:
        self._receiver.cache.hash_passwords()

    # ----------------------------------------------------------------- config
    def config(self, configuration_string: str) -> str:
        """Config("Name=Value") sets a setting; Config("Name") reads it as a string."""
        name, sep, text = configuration_string.partition("=")
        setting = settings.lookup(name)
        if not sep:
            return settings.format_value(setting, self._read_setting(setting.name))
        if setting.read_only:
            raise SNMPTrapMgrError(ERR_NOT_PERMITTED, f"{setting.name} is read-only")
        self._apply_setting(setting.name, settings.parse(setting, text))
        return ""

    def _read_setting(self, name: str) -> object:
        receiver = self._receiver
        current = self._current
        if name == "LocalHost":
            return self._local_host
        if name == "LocalPort":
            return self.local_port
        if name == "SourceAddress":
            return self._source[0]
        if name == "SourcePort":
            return self._source[1]
        if name == "IncomingContextEngineId":
            return getattr(current, "context_engine_id", b"")
        if name == "IncomingContextName":
            return getattr(current, "context_name", b"").decode(receiver.codec, "replace")
        if name == "TimeWindow":
            return receiver.time_window
        if name == "CompatibilityMode":
            return receiver.compatibility_mode
        if name == "DecryptLogPackets":
            return receiver.decrypt_log_packets
        if name in ("InBufferSize", "OutBufferSize") and self._active:
            return self._transport.buffer_sizes()[0 if name == "InBufferSize" else 1]
        if name == "KernelDrops":
            return self.kernel_drops
        if name == "BuildInfo":
            from . import __version__, implementation
            return f"snmptrapmgr {__version__} ({implementation})"
        if name == "LicenseInfo":
            return "MIT license, open source"
        return self._config[name]

    def _apply_setting(self, name: str, value: Any) -> None:
        receiver = self._receiver
        if name == "LocalHost":
            self.local_host = value
        elif name == "LocalPort":
            self.local_port = value
        elif name == "MaxPacketSize":
            if self._active:
                raise SNMPTrapMgrError(ERR_MAX_PACKET_SIZE_ACTIVE, "cannot change MaxPacketSize while active")
            if not 1 <= value <= 65535:
                raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"bad MaxPacketSize {value}")
        elif name == "ShareLocalPort" and self._active:
            raise SNMPTrapMgrError(ERR_SHARE_PORT_ACTIVE, "cannot change ShareLocalPort while active")
        elif name == "UseConnection" and self._active:
            raise SNMPTrapMgrError(ERR_USE_CONNECTION_ACTIVE, "cannot change UseConnection while active")
        elif name in ("UseIPv6", "ForceLocalPort", "DontFragment") and self._active:
            raise SNMPTrapMgrError(ERR_NOT_PERMITTED, f"cannot change {name} while active")
        elif name == "TimeWindow":
            if value < 0:
                raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, "TimeWindow must not be negative")
            receiver.time_window = value
        elif name == "CompatibilityMode":
            if value not in (0, 1, 2):
                raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, "CompatibilityMode is 0, 1 or 2")
            receiver.compatibility_mode = value
        elif name == "DecryptLogPackets":
            receiver.decrypt_log_packets = value
        elif name == "CodePage":
            receiver.codec = settings.codec_for(value)
        elif name in ("SelectWaitMillis", "EventsPerCall", "InBufferSize", "OutBufferSize", "MaxEngines"):
            if value < 0:
                raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"{name} must not be negative")
            if name == "MaxEngines":
                receiver.cache.max_engines = value
        elif name in ("AuthenticationKey", "EncryptionKey"):
            current = self._current
            wanted = 1 if name == "AuthenticationKey" else 2
            if getattr(current, "password_type", None) == wanted:
                current.key = value
        elif name == "ShowCacheForUser":
            self._config[name] = value
            self.show_cache(value)
            return
        self._config[name] = value

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
