"""``python -m bench.profile [--quick] [--json PATH]``: where the CPU time of one trap goes.

The end-to-end rows give one figure, CPU-µs per trap of the receiving process; this splits
that figure into stages, measured in one run, the compiled modules and the pure-Python
fallback side by side, chunks interleaved (every stage of both in each round, order rotated):

a. the kernel + syscall cost: a bare Python loop, ``recv_into`` once per datagram (CPython has
   no ``recvmmsg``), draining a socket that was filled first while nobody read;
b. the library's batch receive alone (``io.batch.BatchReceiver``: ``recvmmsg`` when compiled),
   same socket, no decoding;
c. decoding: ``Receiver.receive_datagram`` in-process, no socket;
d. the handler's reads alone on a decoded event: the trap OID, ``obj_count`` and
   ``get_obj_id/type/value(i)`` for every varbind (what bench._receiver's ``on_trap`` reads);
e. the documented path: ``SNMPTrapMgr`` on 127.0.0.1, ``on_trap`` doing the reads of d, the
   filled socket drained by ``do_events()``;
f. the rest, e - (b + c + d): dispatch and event plumbing;
g. beside e, the JSON line ``listen`` writes for the decoded event (``collector.line``);
h. beside e, what ``listen`` does per datagram from the wire: ``collector.wire``'s one pass
   (for the pure-Python twin: decode + schema), and where it declines (v3) c + g.

Socket stages fill the socket (SO_RCVBUF 64 MiB asked) with N datagrams, then time only
the drain.  Each chunk runs in a fresh thread: its CPU clock gives the cost per trap (user +
system, exact), getrusage's ticks the user/system split.  Each stage keeps the best and the
median of its chunks.  Loops are bounded in count and time; the network is 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from . import measured

RCVBUF = 64 << 20
FULL = {"count": 20_000, "chunks": 7, "chunk_s": 0.05, "deadline_s": 90.0}
QUICK = {"count": 4_000, "chunks": 5, "chunk_s": 0.03, "deadline_s": 10.0}
KIND_NAMES = {"cython": "compiled", "python": "pure-Python"}
STAGES = {
    "a": "a. kernel + syscall (bare recv_into loop)",
    "b": "b. batch receive alone (BatchReceiver)",
    "c": "c. decode (Receiver.receive_datagram)",
    "d": "d. handler reads (trap OID + accessors)",
    "e": "e. whole path (SNMPTrapMgr.do_events)",
    "f": "f. rest = e - (b + c + d): dispatch",
    "g": "g. listen's JSON line, names (beside e)",
    "h": "h. listen's line from the wire, names",
}
SOCKET_STAGES = ("a", "b", "e")
MAX_FILL_S = 10.0
CHUNK_TIMEOUT_S = 30.0


#: getrusage's user/system split is sampled by ticks and, per thread, only as fresh as the last
#: tick: so the total comes from the thread's CPU clock (exact) and the split from the ticks of a
#: fresh thread per chunk, summed over the chunks
_WHO = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)


def _usage() -> tuple[float, float, float]:
    u = resource.getrusage(_WHO)
    return time.thread_time(), u.ru_utime, u.ru_stime


def _timed(cell: "Cell", work: Callable[[], int], timeout_s: float) -> None:
    """Run ``work`` (returns how many traps it took) in a fresh thread; add its CPU time to ``cell``."""
    result: dict = {}

    def body() -> None:
        try:
            before = _usage()
            n = work()
            result["usage"] = (before, _usage(), n)
        except Exception as exc:  # noqa: BLE001 - raised again in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=body, name="bench-profile-chunk", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if "error" in result:
        raise result["error"]
    if "usage" not in result:
        raise RuntimeError(f"a chunk did not end within {timeout_s:g} s")
    cell.add(*result["usage"])


@dataclass
class Cell:
    """One stage of one implementation: the CPU seconds (user, system) and traps of each chunk."""

    cpu_s: list = field(default_factory=list)
    user_s: list = field(default_factory=list)    # ticks' share, see _usage
    system_s: list = field(default_factory=list)
    traps: list = field(default_factory=list)
    derived: Optional[tuple] = None  # f: (best, median) computed from the other cells

    def add(self, before: tuple, after: tuple, n: int) -> None:
        if n <= 0:
            raise RuntimeError("a chunk took no trap: the socket was not filled")
        self.cpu_s.append(after[0] - before[0])
        self.user_s.append(after[1] - before[1])
        self.system_s.append(after[2] - before[2])
        self.traps.append(n)

    @property
    def totals(self) -> list:
        """CPU-µs per trap of each chunk (user + system)."""
        return [cpu * 1e6 / n for cpu, n in zip(self.cpu_s, self.traps)]

    @property
    def best(self) -> float:
        return self.derived[0] if self.derived else min(self.totals)

    @property
    def median(self) -> float:
        return self.derived[1] if self.derived else statistics.median(self.totals)

    def split(self) -> tuple:
        """(user, system) CPU-µs per trap: the best chunk's cost split as the ticks of all chunks fell."""
        ticks = sum(self.user_s) + sum(self.system_s)
        system = self.best * sum(self.system_s) / ticks if ticks > 0 else math.nan
        return self.best - system, system

    def as_json(self) -> dict:
        out = {"best_us": self.best, "median_us": self.median}
        if not self.derived:
            user, system = self.split()
            out.update(user_us=user, system_us=system, chunks=len(self.traps), traps=sum(self.traps))
        return out


@dataclass
class Profile:
    """The stages of one datagram (the typical v2c trap, or the v3 authPriv one)."""

    key: str
    title: str
    size: int
    count: int
    cells: dict = field(default_factory=dict)  # (stage, kind) -> Cell
    kinds: list = field(default_factory=list)
    rounds: int = 0


# ----------------------------------------------------------------------------- stages


def _reader(mgr) -> Callable[[object], None]:
    """The on_trap of bench._receiver: the trap OID, then every varbind through the accessors."""
    seen: list = [None, None]

    def on_trap(event) -> None:
        seen[0] = event.trap_oid
        for i in range(mgr.obj_count):
            seen[1] = (mgr.get_obj_id(i), mgr.get_obj_type(i), mgr.get_obj_value(i))
    return on_trap


def _drain_bare(sock, count: int) -> int:
    """Stage a: one ``recv_into`` per datagram until ``count`` or the socket is empty."""
    buffer = bytearray(65536)
    recv = sock.recv_into
    got = 0
    while got < count:
        try:
            recv(buffer)
        except BlockingIOError:
            break
        got += 1
    return got


def _drain_batch(batch, count: int) -> int:
    """Stage b: ``BatchReceiver.receive(64)`` until ``count`` or the socket is empty."""
    got = 0
    receive = batch.receive
    while got < count:
        taken = len(receive(min(64, count - got)))
        if not taken:
            break
        got += taken
    return got


def _showing_manager():
    """An SNMPTrapMgr that can make an event's varbinds current outside a dispatch, as the
    facade does before on_trap, so stage d times the reads alone."""
    from snmptrapmgr import SNMPTrapMgr

    class ShowingManager(SNMPTrapMgr):
        def show(self, event: object) -> None:
            self._show_objects(event.varbinds)  # type: ignore[attr-defined]

    return ShowingManager()


def _json_line(selector: Any, event: object, received: float, names: object) -> str:
    """Stage g: the line `listen` writes for the event (the selector's twin active now), MIB names on."""
    return selector.format_line(event, received, names)


def _wire_line(walk: Any, receiver: Any, selector: Any, data: bytes, received: float, names: object) -> str:
    """Stage h: what `listen` does per datagram: the wire walk (collector.wire, the twin active
    now), and where it declines (v3) the event path's decode + line (stages c + g)."""
    text = walk.line(data, ("127.0.0.1", 40000), received)
    if text is None:
        text = selector.format_line(receiver.receive_datagram(data, ("127.0.0.1", 40000), received)[0],
                                    received, names)
    return text


def _manager(v3: bool):
    """Stage e: an SNMPTrapMgr on 127.0.0.1 (with the bench user for v3), the reads as on_trap."""
    from . import traffic as t

    mgr = _showing_manager()
    mgr.local_host, mgr.local_port = "127.0.0.1", 0
    mgr.config(f"InBufferSize={RCVBUF}")
    mgr.on_trap = _reader(mgr)
    if v3:
        mgr.add_user(t.V3_USER, t.V3_ENGINE_ID, t.V3_AUTH_PROTOCOL, t.V3_AUTH_PASSWORD,
                     t.V3_PRIV_ALGORITHM, t.V3_PRIV_PASSWORD)
    mgr.activate()
    return mgr


def _drain_manager(mgr, count: int, deadline_s: float) -> int:
    """Stage e: do_events() until ``count`` datagrams were taken (bounded in time); all must be traps."""
    counts = mgr.endpoint.receiver.counters  # the dict itself: counters() reads /proc
    before = dict(counts)
    end = time.monotonic() + deadline_s
    do_events, monotonic = mgr.do_events, time.monotonic
    while counts["received"] - before["received"] < count and monotonic() < end:
        do_events()
    got = counts["received"] - before["received"]
    if counts["notifications"] - before["notifications"] != got:
        raise RuntimeError(f"the whole path took {got} datagrams but made "
                           f"{counts['notifications'] - before['notifications']} traps")
    return got


def _chunk(cell: Cell, activate: Callable[[], None], prepare: Callable[[], object],
           work: Callable[[], int], timeout_s: float) -> Callable[[], None]:
    """One timed chunk: activate the implementation, prepare (fill the socket...), then time ``work``."""
    def chunk() -> None:
        activate()
        prepare()
        _timed(cell, work, timeout_s)
    return chunk


def _calls(candidate) -> Callable[[], int]:
    """Stages c and d: ``candidate.number`` calls (calibrated to about chunk_s)."""
    def work() -> int:
        candidate.loop(candidate.number)
        return candidate.number
    return work


def _build(profile: Profile, data: bytes, payloads: list, cfg: dict, v3: bool, sink: list) -> list:
    """The chunks of every (stage, kind) of one datagram; ``sink`` collects what to close."""
    from snmptrapmgr import _select
    from snmptrapmgr.io.transport import UDPTransport
    from snmptrapmgr.receiver import Receiver

    from . import loadgen, micro, traffic as t
    from .timing import Candidate, calibrate

    count, now, timeout_s = cfg["count"], time.time(), cfg["deadline_s"] + CHUNK_TIMEOUT_S
    bare = UDPTransport()  # the library's own socket setup: 64 MiB forced as root, SO_RXQ_OVFL on
    sink.append(bare)
    port = bare.open("127.0.0.1", 0, rcvbuf=RCVBUF)[1]

    def fill(to_port: int) -> None:
        sent = loadgen.send(to_port, count, payloads=payloads, seconds=MAX_FILL_S)["sent"]
        if sent != count:
            raise RuntimeError(f"filled {sent} of {count} datagrams")

    from snmptrapmgr import mib
    from snmptrapmgr.collector import line as json_line
    from snmptrapmgr.collector import wire

    resolver = mib.load()
    chunks = []
    for kind in profile.kinds:
        activate = micro._activator(kind)
        _select.use(kind)
        cells = {s: profile.cells.setdefault((s, kind), Cell()) for s in STAGES}
        batch = micro._twin(kind, "io.batch").BatchReceiver(bare.sock, 64, 65535)
        receiver = micro._v3_receiver(kind) if v3 else Receiver()
        events = receiver.receive_datagram(data, micro.ADDR, now)
        micro._check_trap(events, 7, 3 if v3 else 2)
        mgr = _manager(v3)
        sink.append(mgr)
        mgr.show(events[0])  # what the facade does before on_trap
        decode = Candidate(kind, receiver.receive_datagram, (data, micro.ADDR, now), activate=activate)
        reads = Candidate(kind, mgr.on_trap, (events[0],), activate=activate)
        line = Candidate(kind, _json_line, (json_line, events[0], now, resolver), activate=activate)
        walk = Candidate(kind, _wire_line, (wire.WireLines(resolver), receiver, json_line, data, now, resolver),
                         activate=activate)
        for cand in (decode, reads, line, walk):
            cand.number = calibrate(cand, cfg["chunk_s"])

        def fill_e(mgr=mgr) -> None:
            if v3:  # pin the engine's boots/time again: the prebuilt datagrams stay in the window
                mgr.add_engine(t.V3_ENGINE_ID, t.V3_BOOTS, t.V3_TIME)
            fill(mgr.local_port)
        chunks += [
            _chunk(cells["a"], activate, lambda: fill(port), lambda: _drain_bare(bare.sock, count), timeout_s),
            _chunk(cells["b"], activate, lambda: fill(port), lambda b=batch: _drain_batch(b, count), timeout_s),
            _chunk(cells["c"], activate, lambda: None, _calls(decode), CHUNK_TIMEOUT_S),
            _chunk(cells["d"], activate, lambda: None, _calls(reads), CHUNK_TIMEOUT_S),
            _chunk(cells["g"], activate, lambda: None, _calls(line), CHUNK_TIMEOUT_S),
            _chunk(cells["h"], activate, lambda: None, _calls(walk), CHUNK_TIMEOUT_S),
            _chunk(cells["e"], activate, fill_e, lambda m=mgr: _drain_manager(m, count, cfg["deadline_s"]),
                   timeout_s),
        ]
    return chunks


def measure(profile: Profile, data: bytes, payloads: list, cfg: dict, v3: bool) -> Profile:
    """Every stage of both implementations, ``cfg["chunks"]`` interleaved rounds (bounded in time)."""
    from snmptrapmgr import _select

    previous, sink = _select.current(), []
    try:
        chunks = _build(profile, data, payloads, cfg, v3, sink)
        start = time.monotonic()
        for r in range(cfg["chunks"]):
            k = r % len(chunks)
            for chunk in chunks[k:] + chunks[:k]:
                chunk()
            profile.rounds = r + 1
            if time.monotonic() - start > cfg["deadline_s"]:
                break
    finally:
        for thing in sink:
            thing.deactivate() if hasattr(thing, "deactivate") else thing.close()
        _select.use(previous)
    for kind in profile.kinds:
        parts = [profile.cells[(s, kind)] for s in ("b", "c", "d")]
        e = profile.cells[("e", kind)]
        profile.cells[("f", kind)].derived = (e.best - sum(p.best for p in parts),
                                              e.median - sum(p.median for p in parts))
    return profile


def run(kinds: list, cfg: dict, progress: Callable[[str], None] = lambda s: None) -> list:
    """The profile of the typical v2c trap and of the v3 authPriv (SHA-1/AES-128) trap."""
    from . import loadgen, traffic

    v2c, v3 = traffic.typical_v2c_trap(), traffic.v3_authpriv_trap()
    out = []
    for key, title, data, payloads, is_v3 in (
            ("v2c", "typical v2c trap", v2c, [v2c], False),
            ("v3", "v3 authPriv SHA-1/AES-128 trap", v3, loadgen.datagrams("v3"), True)):
        progress(f"profile: {title}, {cfg['count']:,} datagrams a chunk, {cfg['chunks']} rounds")
        out.append(measure(Profile(key, title, len(data), cfg["count"], kinds=list(kinds)),
                           data, payloads, cfg, is_v3))
    return out


# ----------------------------------------------------------------------------- report


def _cell_text(cell: Cell, stage: str) -> str:
    text = f"{cell.best:.2f}/{cell.median:.2f}"
    if stage in SOCKET_STAGES:
        text += " (u {:.2f} s {:.2f})".format(*cell.split())
    return text


def table(profiles: list, quick: bool = False) -> str:
    """One table a datagram, then what stage a means as a rate: the most one core takes here."""
    from .report import QUICK_LABEL

    lines = []
    for p in profiles:
        kinds = p.kinds
        lines.append(f"Profile: {p.title} ({p.size} B), CPU-µs per trap, best/median of {p.rounds} interleaved "
                     f"chunks ({p.count:,} datagrams a socket chunk; u/s: the best split as the kernel's ticks fell; "
                     "shares and rates from the bests: on this shared machine noise only adds)"
                     + (f"; {QUICK_LABEL}" if quick else ""))
        head = f"{'stage':<44}" + "".join(f"{KIND_NAMES[k]:>30}" for k in kinds)
        head += f"{'share of e':>12}" if "cython" in kinds else ""
        lines += ["", head, "-" * len(head)]
        first = kinds[0]
        e_best = p.cells[("e", first)].best
        for stage, title in STAGES.items():
            row = f"{title:<44}" + "".join(f"{_cell_text(p.cells[(stage, k)], stage):>30}" for k in kinds)
            if "cython" in kinds:
                row += f"{100 * p.cells[(stage, 'cython')].best / p.cells[('e', 'cython')].best:>11.0f}%"
            lines.append(row)
        a, b = p.cells[("a", first)], p.cells[("b", first)]
        lines.append(f"kernel + syscall minimum (a): {a.best:.2f} CPU-µs per trap (system {a.split()[1]:.2f}) = "
                     f"{1e6 / a.best:,.0f} traps/s on one core here, the ceiling of a receiver that reads one "
                     f"datagram per call; the batch receive ({KIND_NAMES[first]} b) {b.best:.2f} µs = "
                     f"{1e6 / b.best:,.0f}/s, the ceiling of anything built on this library here; the whole "
                     f"path ({KIND_NAMES[first]} e) {e_best:.2f} µs = {1e6 / e_best:,.0f}/s.")
        lines.append("")
    return "\n".join(lines).rstrip()


def rows_json(profiles: list) -> list:
    """The rows as JSON objects (section "profile"), one per datagram, stage and implementation."""
    return [{"section": "profile", "name": f"profile_{p.key}_{stage}", "title": f"{p.title}: {title}",
             "implementation": kind, "datagram_bytes": p.size, "count": p.count, "rounds": p.rounds,
             **p.cells[(stage, kind)].as_json()}
            for p in profiles for stage, title in STAGES.items() for kind in p.kinds]


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (< 30 s), indicative only")
    parser.add_argument("--json", metavar="PATH", help="write every number as JSON")
    args = parser.parse_args(argv)
    chosen = measured.choose(prefer_compiled=True)
    if chosen is None:
        print("python -m bench.profile: snmptrapmgr is not importable here", file=sys.stderr)
        return 2
    from snmptrapmgr import _select

    kinds = [k for k in ("cython", "python") if k in _select.available()]
    cfg = QUICK if args.quick else FULL
    print(f"measuring snmptrapmgr from {chosen.describe()}: {', '.join(KIND_NAMES[k] for k in kinds)}")
    try:
        profiles = run(kinds, cfg, progress=lambda s: print(f"  .. {s}", file=sys.stderr, flush=True))
    except (RuntimeError, OSError) as exc:
        print(f"python -m bench.profile: {exc}", file=sys.stderr)
        return 1
    print()
    print(table(profiles, args.quick))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"config": cfg, "implementations": kinds,
                                               "rows": rows_json(profiles)}, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
