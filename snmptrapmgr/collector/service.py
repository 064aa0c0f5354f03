"""The trap collector behind ``snmptrapmgr listen``: sockets in, JSON lines out.

A :class:`Collector` owns one :class:`~snmptrapmgr.SNMPTrapMgr` per listen
address (IPv4 and IPv6, several), configured alike (communities, v3 users,
CompatibilityMode, a large receive buffer), waits on all their sockets with
one selector, and writes one JSON object per notification (see
:func:`format_notification`, the same schema as
:func:`snmptrapmgr.output.notification_to_dict`, built without ``json.dumps``)
in whole-line batches.  :meth:`Collector.stop` (safe from a signal handler or
another thread) makes :meth:`Collector.run` stop reading, drain what the
kernel already queued, flush, and return.  :func:`run_workers` forks N such
collectors sharing the port with SO_REUSEPORT and adds up their counters.
"""

from __future__ import annotations

import math
import os
import selectors
import signal
import sys
import time
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _quote  # C-accelerated, like json.dumps(ensure_ascii=False)
from typing import Any, Callable, Optional, TextIO

from . import stats as _stats
from ..errors import SNMPTrapMgrError
from ..events import TYPE_NAMES, SNMPTrapMgrInformRequestEventParams
from ..output import octets_to_json
from .snmptrapd_conf import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    CommunitySpec,
    UserSpec,
    _parse_address,
    compatibility_mode_for,
    parse_engine_id,
    parse_source,
    read_snmptrapd_conf,
)
from ..trapmgr import SNMPTrapMgr

__all__ = [
    "CollectorConfig", "Collector", "format_notification", "load_toml", "config_from_toml",
    "run_workers", "DEFAULT_RCVBUF", "ConfigError",
]

#: receive buffer asked for by default (SO_RCVBUFFORCE as root, else capped at rmem_max)
DEFAULT_RCVBUF = 64 << 20


class ConfigError(ValueError):
    pass


# ----------------------------------------------------------------------------- JSON lines

_VERSIONS = {1: '"v1"', 2: '"v2c"', 3: '"v3"'}
_INTEGERS = frozenset((0x02, 0x41, 0x42, 0x43, 0x46, 0x47))
_OCTETS = frozenset((0x04, 0x44, 0x45))
_TEXT = frozenset((0x06, 0x40))  # decoder-made dotted text: digits and dots only
# '{"oid":"' + oid + <one of these> + value + '}'
_TYPE_PART = {t: f'","type":"{name}","value":' for t, name in TYPE_NAMES.items()}


class _Clock:
    """UTC ISO-8601 text of an epoch float, exactly as datetime's isoformat, cached per second."""

    __slots__ = ("second", "prefix")

    def __init__(self) -> None:
        self.second = None
        self.prefix = ""

    def iso(self, stamp: float) -> str:
        frac, whole = math.modf(stamp)
        micro = round(frac * 1e6)
        if micro >= 1000000:
            whole += 1.0
            micro -= 1000000
        elif micro < 0:
            whole -= 1.0
            micro += 1000000
        if whole != self.second:
            self.second = whole
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(whole))
        return self.prefix + str(1000000 + micro)[1:] + "Z"


_CLOCK = _Clock()


def _varbind(oid: str, obj_type: int, value: Any) -> str:
    head = _TYPE_PART.get(obj_type)
    if head is None:
        head = f'","type":{_quote(str(obj_type))},"value":'
    if obj_type in _INTEGERS:
        return f'{{"oid":"{oid}{head}{value}}}'
    if obj_type in _OCTETS or isinstance(value, bytes):
        text, is_hex = octets_to_json(value)
        if is_hex:
            return f'{{"oid":"{oid}{head}"{text}","encoding":"hex"}}'
        return f'{{"oid":"{oid}{head}{_quote(text)}}}'
    if value is None:
        return f'{{"oid":"{oid}{head}null}}'
    if obj_type in _TEXT:
        return f'{{"oid":"{oid}{head}"{value}"}}'
    if isinstance(value, int):
        return f'{{"oid":"{oid}{head}{value}}}'
    return f'{{"oid":"{oid}{head}{_quote(str(value))}}}'


#: varbind tuple -> its JSON text.  Devices repeat most of their varbinds
#: (trap OID, ifIndex, ifDescr...), so this saves most of the formatting; it
#: is bounded (cleared when full) and skips long values.
_VARBIND_CACHE: dict = {}
_VARBIND_CACHE_MAX = 8192
_CACHEABLE_BYTES = 128


def _varbinds(varbinds: list) -> str:
    cache = _VARBIND_CACHE
    parts = []
    append = parts.append
    for vb in varbinds:
        text = cache.get(vb)
        if text is None:
            text = _varbind(*vb)
            value = vb[2]
            if not (isinstance(value, bytes) and len(value) > _CACHEABLE_BYTES):
                if len(cache) >= _VARBIND_CACHE_MAX:
                    cache.clear()
                cache[vb] = text
        append(text)
    return ",".join(parts)


#: (event class, address, port, version, community) -> the JSON between "time" and "request_id"
_HEADER_CACHE: dict = {}


def _header(event: Any, version: int) -> str:
    key = (type(event), event.source_address, event.source_port, version, event.community)
    text = _HEADER_CACHE.get(key)
    if text is None:
        pdu = '"inform"' if type(event) is SNMPTrapMgrInformRequestEventParams else '"trap"'
        text = (f'","source":{{"address":{_quote(event.source_address)},"port":{event.source_port}}},'
                f'"version":{_VERSIONS.get(version) or _quote(str(version))},"pdu":{pdu},'
                f'"community":{_quote(event.community)},"request_id":')
        if len(_HEADER_CACHE) >= 4096:
            _HEADER_CACHE.clear()
        _HEADER_CACHE[key] = text
    return text


def format_notification(event: Any, received: float) -> str:
    """One notification as a JSON text line (with its newline).

    ``json.loads`` of it equals ``output.notification_to_dict(event, received)``
    (tested); it is built by hand because ``json.dumps`` of a dict costs
    several microseconds per trap.
    """
    version = event.snmp_version
    if version == 3:
        pdu = '"inform"' if type(event) is SNMPTrapMgrInformRequestEventParams else '"trap"'
        header = (f'","source":{{"address":{_quote(event.source_address)},"port":{event.source_port}}},'
                  f'"version":"v3","pdu":{pdu},"user":{_quote(event.user)},'
                  f'"security_level":{event.security_level},"engine_id":"{event.engine_id.hex()}",'
                  f'"context_engine_id":"{event.context_engine_id.hex()}",'
                  f'"context_name":{_quote(event.context_name.decode("utf-8", "replace"))},"request_id":')
    else:
        header = _header(event, version)
    trap_oid = event.trap_oid
    if version == 1:
        return (f'{{"time":"{_CLOCK.iso(received)}{header}{event.request_id},"trap_oid":"{trap_oid}",'
                f'"trap_oid_rfc3584":"{event.rfc3584_trap_oid}","uptime":{event.time_stamp},'
                f'"enterprise":"{event.enterprise}","agent_address":"{event.agent_address}",'
                f'"generic_trap":{event.generic_trap},"specific_trap":{event.specific_trap},'
                f'"varbinds":[{_varbinds(event.varbinds)}]}}\n')
    rfc3584 = getattr(event, "rfc3584_trap_oid", trap_oid)
    return (f'{{"time":"{_CLOCK.iso(received)}{header}{event.request_id},"trap_oid":"{trap_oid}",'
            f'"trap_oid_rfc3584":"{rfc3584}","uptime":{event.time_stamp},'
            f'"varbinds":[{_varbinds(event.varbinds)}]}}\n')


# ----------------------------------------------------------------------------- config

@dataclass
class CollectorConfig:
    listen: list = field(default_factory=list)        # [(host, port)]
    communities: Optional[list] = None                # [CommunitySpec]; None: any community
    users: list = field(default_factory=list)         # [UserSpec]
    user_levels: dict = field(default_factory=dict)   # authUser: name -> minimum level
    compatibility_mode: Optional[int] = None          # None: derived from the users' AES variants
    output: str = "-"                                 # "-": stdout, else a file (appended)
    respond_informs: bool = True
    workers: int = 1
    stats_interval: float = 0.0
    receive_buffer: int = DEFAULT_RCVBUF
    max_engines: Optional[int] = None
    notes: list = field(default_factory=list)         # things to tell the operator on stderr


def load_toml(path: str) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - 3.9 / 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError("reading TOML needs Python 3.11+ or the 'tomli' package") from None
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def _user_from_table(table: dict, origin: str) -> UserSpec:
    unknown = set(table) - {"name", "engine_id", "auth", "auth_password", "priv", "priv_password"}
    if unknown:
        raise ConfigError(f"{origin}: unknown keys {sorted(unknown)}")
    if "name" not in table:
        raise ConfigError(f"{origin}: a user needs a name")
    user = UserSpec(str(table["name"]), origin=origin)
    try:
        user.engine_id = parse_engine_id(str(table.get("engine_id", "")))
    except ValueError as exc:
        raise ConfigError(f"{origin}: bad engine_id: {exc}") from None
    auth = table.get("auth")
    if auth:
        code = AUTH_PROTOCOLS.get(str(auth).upper())
        if code is None:
            raise ConfigError(f"{origin}: unknown auth {auth!r} (one of {', '.join(AUTH_PROTOCOLS)})")
        user.auth_protocol = code
        user.auth_password = str(table.get("auth_password", ""))
        if not user.auth_password:
            raise ConfigError(f"{origin}: auth_password missing")
    priv = table.get("priv")
    if priv:
        if not auth:
            raise ConfigError(f"{origin}: priv needs auth")
        spec = PRIV_PROTOCOLS.get(str(priv).upper())
        if spec is None:
            raise ConfigError(f"{origin}: unknown priv {priv!r} (one of {', '.join(PRIV_PROTOCOLS)})")
        user.priv_protocol, user.extension = spec
        user.priv_password = str(table.get("priv_password", user.auth_password))
    return user


def config_from_toml(data: dict, path: str = "config.toml", config: Optional[CollectorConfig] = None
                     ) -> CollectorConfig:
    """Fill a CollectorConfig from a parsed TOML document (see the README for the keys)."""
    config = config or CollectorConfig()
    known = {"listen", "communities", "community", "user", "users", "compatibility_mode", "output",
             "inform_response", "workers", "stats_interval", "receive_buffer", "max_engines",
             "snmptrapd_conf"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
    listen = data.get("listen", [])
    if isinstance(listen, str):
        listen = [listen]
    config.listen.extend(_parse_address(str(a)) for a in listen)
    names = data.get("communities")
    tables = data.get("community", [])
    if names is not None or tables:
        config.communities = list(config.communities or [])
        for name in names or []:
            config.communities.append(CommunitySpec(str(name), origin=path))
        for i, table in enumerate(tables):
            origin = f"{path}: community[{i}]"
            try:
                spec = CommunitySpec(str(table["name"]), origin=origin)
                if table.get("source"):
                    spec.networks = [n for s in _as_list(table["source"]) for n in parse_source(str(s))]
                spec.oid = str(table.get("oid", "")).lstrip(".")
            except (KeyError, ValueError, OSError) as exc:
                raise ConfigError(f"{origin}: {exc}") from None
            config.communities.append(spec)
    for i, table in enumerate(data.get("user", []) + data.get("users", [])):
        config.users.append(_user_from_table(table, f"{path}: user[{i}]"))
    if "compatibility_mode" in data:
        mode = data["compatibility_mode"]
        if mode not in (0, 1, 2):
            raise ConfigError(f"{path}: compatibility_mode is 0 (Reeder), 1 (Blumenthal) or 2 (both)")
        config.compatibility_mode = mode
    output = data.get("output")
    if isinstance(output, dict):
        output = output.get("file", "-")
    if output:
        config.output = str(output)
    if "inform_response" in data:
        config.respond_informs = bool(data["inform_response"])
    for key, kind in (("workers", int), ("stats_interval", float), ("receive_buffer", int),
                      ("max_engines", int)):
        if key in data:
            setattr(config, key, kind(data[key]))
    if data.get("snmptrapd_conf"):
        apply_snmptrapd_conf(config, str(data["snmptrapd_conf"]))
    return config


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def apply_snmptrapd_conf(config: CollectorConfig, path: str) -> list:
    """Add a snmptrapd.conf's users, communities, authUser levels and addresses; return problems."""
    conf = read_snmptrapd_conf(path)
    config.users.extend(conf.users)
    config.user_levels.update(conf.user_levels)
    if conf.communities:
        config.communities = list(config.communities or []) + conf.communities
    if conf.disable_authorization:
        config.notes.append(f"{path}: disableAuthorization yes: any community and any created user accepted")
        config.user_levels.clear()
        config.communities = None
    elif not conf.communities and config.communities is None:
        config.notes.append(f"{path}: no authCommunity line: snmptrapd would log no v1/v2c notification; "
                            f"snmptrapmgr accepts any community (restrict with --community)")
    if conf.listen and not config.listen:
        config.listen.extend(conf.listen)
    config.notes.extend(f"unsupported: {p}" for p in conf.problems)
    return conf.problems


# ----------------------------------------------------------------------------- output

class LineWriter:
    """Writes batches of whole lines with one write(2) each (O_APPEND for files).

    With a ``lock`` (shared by worker processes) a batch is written under it,
    so lines from several processes never interleave, even on a pipe.
    """

    def __init__(self, target: str = "-", lock: Any = None) -> None:
        if target in ("-", ""):
            self.fd = sys.stdout.fileno()
            self._own = False
        else:
            self.fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._own = True
        self.lock = lock
        self.lines = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "surrogateescape")
        view = memoryview(data)
        if self.lock is not None:
            with self.lock:
                self._write_all(view)
        else:
            self._write_all(view)

    def _write_all(self, view: memoryview) -> None:
        while view:
            try:
                written = os.write(self.fd, view)
            except InterruptedError:
                continue
            view = view[written:]

    def close(self) -> None:
        if self._own:
            os.close(self.fd)
            self._own = False


# ----------------------------------------------------------------------------- collector

class Collector:
    """Listening managers + JSON-lines output + counters, for one process."""

    FLUSH_LINES = 2048

    def __init__(self, config: CollectorConfig, writer: LineWriter, err: TextIO = sys.stderr,
                 share_port: bool = False, label: str = "") -> None:
        self.config = config
        self.writer = writer
        self.err = err
        self.share_port = share_port or config.workers > 1
        self.label = label
        self.managers: list = []
        self.counters = _stats.Counters()
        self._lines: list = []
        self._stop = False
        self._wake_r = self._wake_w = -1
        self._bad_reported = 0
        self._bad_suppressed = 0
        self._acl = self._build_acl()
        self._respond = config.respond_informs
        mode, note = compatibility_mode_for(config.users, config.compatibility_mode)
        self.compatibility_mode = mode
        if note:
            config.notes.append(note)

    # ------------------------------------------------------------- setup
    def _build_acl(self) -> Optional[Callable[[Any], bool]]:
        communities = self.config.communities
        levels = self.config.user_levels
        plain = None
        restricted: dict = {}
        if communities is not None:
            plain = set()
            for spec in communities:
                if spec.networks is None and not spec.oid:
                    plain.add(spec.community)
                else:
                    restricted.setdefault(spec.community, []).append(spec)
        if not restricted and not levels:
            return None

        def allowed(event: Any) -> bool:
            if event.snmp_version == 3:
                if not levels:
                    return True
                need = levels.get(event.user)
                return need is not None and event.security_level >= need
            if plain is None or event.community in plain:
                return True
            specs = restricted.get(event.community)
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
            mgr.on_trap = self._on_notification
            mgr.on_inform_request = self._on_notification
            mgr.on_bad_packet = self._on_bad_packet
            mgr.on_discovery_request = self._on_discovery
            mgr.activate()
            self.managers.append(mgr)
            bound.append((host, mgr.local_port))
        self.counters.watch(self.managers)
        return bound

    def describe(self) -> list:
        """Per socket: (host, port, receive buffer the kernel gave, forced?)."""
        out = []
        for mgr in self.managers:
            out.append((mgr.local_host or "0.0.0.0", mgr.local_port, int(mgr.config("InBufferSize")),
                        mgr.endpoint.receive_buffer_forced))
        return out

    # ------------------------------------------------------------- handlers
    def _on_notification(self, event: Any) -> None:
        acl = self._acl
        if acl is not None and not acl(event):
            self.counters.auth_failures += 1
            self.counters.rejected += 1
            if type(event) is SNMPTrapMgrInformRequestEventParams:
                event.respond = False
            return
        if type(event) is SNMPTrapMgrInformRequestEventParams:
            event.respond = self._respond
            if self._respond:
                self.counters.responses_sent += 1
        lines = self._lines
        lines.append(format_notification(event, time.time()))
        if len(lines) >= self.FLUSH_LINES:
            self.flush()

    def _on_bad_packet(self, event: Any) -> None:
        counters = self.counters
        if event.error_code in _stats.AUTH_FAILURE_CODES:
            counters.auth_failures += 1
        if event.report and event.reply_context is not None:
            counters.reports_sent += 1
        if self._bad_reported < 20:
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
        lines = self._lines
        if lines:
            self._lines = []
            self.writer.write("".join(lines))
            self.counters.delivered += len(lines)

    def stop(self) -> None:
        """Stop reading soon (safe from a signal handler or another thread)."""
        self._stop = True
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"\0")
            except OSError:
                pass

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stop())

    def run(self, duration: Optional[float] = None) -> None:
        """Serve until stop() or ``duration``; then drain what the kernel queued and flush."""
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
                        if len(self._lines) >= self.FLUSH_LINES:
                            self.flush()
                self.flush()
            self.drain()
        finally:
            selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1

    def drain(self, limit_seconds: float = 10.0) -> None:
        """Process every datagram the kernel already queued, then flush."""
        end = time.monotonic() + limit_seconds
        busy = True
        while busy and time.monotonic() < end:
            busy = False
            for mgr in self.managers:
                while mgr.process_waiting():
                    busy = True
                    if len(self._lines) >= self.FLUSH_LINES:
                        self.flush()
        self.flush()

    def stats(self) -> dict:
        return self.counters.as_dict()

    def report_stats(self, final: bool = False) -> dict:
        values = self.stats()
        label = ("final" if final else "stats") + self.label
        self.err.write(_stats.format_line(values, label))
        if self._bad_suppressed:
            self.err.write(f"snmptrapmgr{self.label}: {self._bad_suppressed} more bad packets not shown\n")
            self._bad_suppressed = 0
            self._bad_reported = 0
        self.err.flush()
        return values

    def close(self) -> None:
        self.flush()
        for mgr in self.managers:
            mgr.deactivate()
        self.writer.close()


# ----------------------------------------------------------------------------- workers

def run_workers(config: CollectorConfig, err: TextIO = sys.stderr, duration: Optional[float] = None,
                on_bound: Optional[Callable[[list], None]] = None) -> int:
    """Fork ``config.workers`` collectors sharing the listen port(s) with SO_REUSEPORT.

    The first worker binds (resolving port 0); the others bind the same
    ports.  SIGINT/SIGTERM to the parent is passed on; each worker drains
    its own socket, flushes, and sends its counters to the parent, which
    prints the totals.  Returns the exit status (0 when every worker
    exited cleanly).
    """
    import json
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    lock = ctx.Lock()
    listen = list(config.listen or [("0.0.0.0", 162)])
    children: list = []
    status = 0

    def worker(index: int, listen: list, ready: Any, result: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent forwards SIGTERM
        collector = Collector(config, LineWriter(config.output, lock), err, share_port=True,
                              label=f"[worker {index}]")
        try:
            bound = collector.open(listen)
        except SNMPTrapMgrError as exc:
            ready.send(("error", str(exc)))
            os._exit(1)
        signal.signal(signal.SIGTERM, lambda *_: collector.stop())
        ready.send(("ok", bound))
        ready.close()
        collector.run(duration)
        values = collector.report_stats(final=True)
        collector.close()
        result.send(json.dumps(values))
        result.close()

    stopping = False

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for proc, _ in children:
            if proc.pid and proc.is_alive():
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for index in range(config.workers):
            ready_r, ready_w = ctx.Pipe(False)
            result_r, result_w = ctx.Pipe(False)
            proc = ctx.Process(target=worker, args=(index, listen, ready_w, result_w), daemon=False)
            proc.start()
            ready_w.close()
            result_w.close()
            children.append((proc, result_r))
            try:
                kind, value = ready_r.recv()
            except EOFError:
                kind, value = "error", "worker died while binding"
            if kind == "error":
                err.write(f"snmptrapmgr: {value}\n")
                forward(signal.SIGTERM, None)
                status = 1
                break
            if index == 0:
                listen = [tuple(a) for a in value]  # port 0 resolved: the others share it
                if on_bound is not None:
                    on_bound(listen)
            if stopping:
                break
        totals: dict = {}
        for proc, result_r in children:
            try:
                while True:
                    try:
                        totals = _stats.add(totals, json.loads(result_r.recv()))
                        break
                    except InterruptedError:
                        continue
            except (EOFError, OSError):
                status = status or 1
            proc.join()
            if proc.exitcode:
                status = status or 1
        if children:
            err.write(_stats.format_line(totals, f"total ({len(children)} workers)"))
            err.flush()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status
