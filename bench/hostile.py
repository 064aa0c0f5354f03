"""Hostile-input rows (issue 12): listen's RSS under the issue's floods, and what the cache bounds cost.

    python -m bench.hostile [--quick] [--json FILE]

For each implementation (cython, python):
- ``hostile_rss_r1_<kind>``: reproducer 1, 8,192 v2c traps of ~60 KB (community ``public``),
  trap i with one varbind named ``1.3.6.1.4.1.<16384+i>`` + 60,000 arcs ``1``, value INTEGER 1
  (~3 GB of growth before the caches were bounded by bytes);
- ``hostile_rss_r2_ports_<kind>`` / ``hostile_rss_r2_distinct_<kind>``: reproducer 2, one
  61,000-octet community from 4,096 source ports, and 4,096 distinct 61,000-octet communities
  (listen accepts any community by default).

Each flood goes to a fresh ``python -m snmptrapmgr listen --numeric`` (the collector's own
caches; MIB naming is the mib package's to bound) on 127.0.0.1 port 0 (read from its stderr),
output to a temporary file (removed after).  The row is the growth of its VmRSS between the
first 64 datagrams (buffers sized for 60 KB) and the end, target < 150 MB.  The sender waits
for listen after each group (its stats line, every 0.05 s), so none is lost to a full receive
buffer; a flood ends when listen has counted every datagram sent and its socket's queue is
empty (/proc/net/udp).  Each is bounded in time: the pure-Python twin decodes a 60,000-arc
OID in ~25 ms and takes only part of reproducer 1 (the row says how much).
- ``hostile_bounds_<numeric|names>_<kind>``: the receive path (``Receiver.receive_datagram`` +
  ``collector.line.format_line``, as in ``bench.mib``) on the typical v2c trap
  (``bench.traffic``), caches at their default byte bounds vs effectively unbounded
  (``schema.set_cache_bounds`` at 2**62 for bytes and item sizes; the MIB resolver's
  ``max_bytes`` too for the named row), interleaved in one :func:`bench.timing.measure`:
  bounded / unbounded time per trap (best chunks, medians, and the median of each round's own
  ratio) with both figures.  The bounds are checked only when a cache misses (an insertion);
  the typical trap's texts are cached after the first, so this measures the hit path, which
  the bounds do not touch.  The decoder's community-text cache (<= 64 octets) and the compiled
  OID-text cache (<= 40 octets) are not switched: typical traffic always hits them.

:func:`rows` returns the rows (for ``python -m bench``), :func:`table` and :func:`targets` print
them.  Loopback only; every loop bounded in count and time.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional

from snmptrapmgr import _select
from snmptrapmgr.codec.encode import PDU_TRAP, encode_community_message, encode_integer, encode_tlv
from snmptrapmgr.codec.oid import oid_to_ber

from . import named_rows, traffic
from .e2e import _env, child_cwd
from .scenarios import LISTEN_RCVBUF, PORT_LINE, udp_socket
from .timing import Candidate, measure

ADDR = ("192.0.2.1", 50162)
LIMIT_MB = 150.0
UNBOUNDED = 1 << 62

#: reproducer 1: this many traps, the OID of trap i is 1.3.6.1.4.1.<R1_FIRST_ARC + i> + R1_ARCS arcs "1"
R1_COUNT = 8192
R1_FIRST_ARC = 16384
R1_ARCS = 60000
#: reproducer 2: this many datagrams (after the warm-up), each with a community of R2_OCTETS octets
R2_COUNT = 4096
R2_OCTETS = 61000
R2_HEAD = bytes.fromhex("3082ee6a0201010482ee48")  # SEQUENCE, version 1 (v2c), the community's header
R2_TAIL = bytes.fromhex("a719020100020100020100300e300c06072b060104010101020101")  # a v2c trap PDU
#: datagrams sent first, before the RSS the growth is counted from (buffers sized for 60 KB)
WARM = 64

STATS = re.compile(r"snmptrapmgr stats: received=(\d+)")
FINAL = re.compile(r"snmptrapmgr final[^:]*: (.*)")


# ----------------------------------------------------------------------------- the datagrams


def long_oid_trap(i: int) -> bytes:
    """Reproducer 1's datagram ``i``: a v2c trap (community ``public``, request-id ``i``) whose one
    varbind names ``1.3.6.1.4.1.<16384+i>`` followed by 60,000 arcs ``1``, value INTEGER 1.

    The OID's BER is built by concatenation (an arc ``1`` is the octet 0x01): what
    ``encode_pdu`` makes of the dotted text, 1/20 of the time (tests/test_bench_hostile.py)."""
    name = oid_to_ber(f"1.3.6.1.4.1.{R1_FIRST_ARC + i}") + b"\x01" * R1_ARCS
    varbind = encode_tlv(0x30, encode_tlv(0x06, name) + encode_integer(1))
    pdu = encode_tlv(PDU_TRAP, encode_integer(i) + encode_integer(0) + encode_integer(0)
                     + encode_tlv(0x30, varbind))
    return encode_community_message(1, b"public", pdu)


def long_community_trap(community: bytes) -> bytes:
    """Reproducer 2's datagram: a v2c trap (coldStart, request-id 0) with a 61,000-octet community."""
    if len(community) != R2_OCTETS:
        raise ValueError(f"reproducer 2's community is {R2_OCTETS} octets, not {len(community)}")
    return R2_HEAD + community + R2_TAIL


def long_community_traps(first: int, count: int, distinct: bool) -> Iterator[bytes]:
    """Datagrams ``first`` .. ``first + count - 1`` of reproducer 2: the community all 0xff, or
    (``distinct``) 0xff octets ending in the datagram's number (4 octets, big-endian)."""
    for i in range(first, first + count):
        tail = i.to_bytes(4, "big") if distinct else b"\xff" * 4
        yield long_community_trap(b"\xff" * (R2_OCTETS - 4) + tail)


# ----------------------------------------------------------------------------- listen


def rss_mb(pid: int) -> dict:
    """{"rss": VmRSS, "hwm": VmHWM} of a process in MB (MiB), from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as handle:
        text = handle.read()
    return {key: int(re.search(rf"{field_name}:\s+(\d+) kB", text).group(1)) / 1024
            for key, field_name in (("rss", "VmRSS"), ("hwm", "VmHWM"))}


class HostileListen:
    """``python -m snmptrapmgr listen --numeric`` on 127.0.0.1, port 0, stats every 0.05 s."""

    def __init__(self, kind: str, workdir: Path, tag: str, timeout_s: float = 30.0) -> None:
        self.kind = kind
        self.output = workdir / f"hostile-{tag}-{kind}.jsonl"
        self.errpath = workdir / f"hostile-{tag}-{kind}.err"
        self._err = open(self.errpath, "w+")
        self._offset, self._rest, self._received = 0, "", 0
        self.final: dict = {}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
             "--output", str(self.output), "--rcvbuf", str(LISTEN_RCVBUF), "--stats-interval", "0.05",
             "--numeric"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._err, cwd=child_cwd(), env=_env(kind))
        end = time.monotonic() + timeout_s
        while True:
            text = self.errpath.read_text(errors="replace")
            found = PORT_LINE.search(text)
            if found and ("compiled (Cython)" in text) == (kind == "cython") and "modules" in text:
                break
            if self.proc.poll() is not None or time.monotonic() > end:
                self.close()
                raise RuntimeError(f"snmptrapmgr listen ({kind}) did not start as {kind}: {text.strip()[-300:]}")
            time.sleep(0.02)
        self.port, self.rcvbuf_kernel = int(found.group(1)), int(found.group(2))

    def received(self) -> int:
        """Datagrams listen has counted so far (its latest stats line; read incrementally)."""
        with open(self.errpath, errors="replace") as handle:
            handle.seek(self._offset)
            piece = handle.read()
            self._offset = handle.tell()
        text = self._rest + piece
        cut = text.rfind("\n") + 1
        self._rest = text[cut:]
        found = STATS.findall(text[:cut])
        if found:
            self._received = int(found[-1])
        return self._received

    def group(self) -> int:
        """Datagrams of ~60 KB sent before waiting: a quarter of what the receive buffer holds."""
        return max(4, min(256, self.rcvbuf_kernel // 2 // 4 // 65536))  # Linux reports twice what it gives

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        found = FINAL.findall(self.errpath.read_text(errors="replace"))
        if found:
            self.final = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])}


@dataclass
class Flood:
    sent: int = 0
    processed: int = 0
    seconds: float = 0.0
    time_bound: bool = False  # stopped sending at the time bound
    drained: bool = False     # listen counted all it was sent and its socket's queue was empty


def flood(listen: HostileListen, datagrams: Iterable[bytes], senders: list, time_bound_s: float,
          drain_s: float = 60.0) -> Flood:
    """Send ``datagrams`` (from ``senders``, cycled) a group at a time, waiting for listen each time;
    stop sending at ``time_bound_s``; then wait (at most ``drain_s``) until listen has counted them
    all and its socket's queue is empty."""
    group = listen.group()
    out = Flood()
    start = time.monotonic()
    end = start + time_bound_s
    base = listen.received()
    target = ("127.0.0.1", listen.port)
    for data in datagrams:
        if time.monotonic() > end:
            out.time_bound = True
            break
        senders[out.sent % len(senders)].sendto(data, target)
        out.sent += 1
        if out.sent % group == 0:
            while listen.received() < base + out.sent and time.monotonic() < end:
                time.sleep(0.01)
    drain_end = time.monotonic() + drain_s
    while time.monotonic() < drain_end:
        queued = udp_socket(listen.port)
        if listen.received() >= base + out.sent and queued is not None and queued[0] == 0:
            out.drained = True
            break
        time.sleep(0.01)
    out.processed = listen.received() - base
    out.seconds = time.monotonic() - start
    return out


@dataclass
class HostileRow:
    key: str
    title: str
    unit: str                      # "MB", "ratio"
    best: float
    median: float
    target: str = ""               # e.g. "< 150 MB"
    passed: Optional[bool] = None  # judged on ``best``
    note: str = ""
    extra: dict = field(default_factory=dict)


def _senders(count: int) -> list:
    senders = []
    try:
        for _ in range(count):
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            senders.append(sender)
            sender.bind(("127.0.0.1", 0))
    except BaseException:
        for sender in senders:
            sender.close()
        raise
    return senders


def rss_row(kind: str, variant: str, count: int, time_bound_s: float, workdir: Path) -> HostileRow:
    """One flood (``variant``: "r1", "r2_ports", "r2_distinct") against a fresh listen: RSS growth."""
    if variant == "r1":
        warm = (long_oid_trap(i) for i in range(WARM))
        rest = (long_oid_trap(i) for i in range(WARM, count))
        n_senders, title = 1, f"listen RSS growth, reproducer 1 ({count:,} traps, 60,000-arc OIDs), {kind}"
        total = count
    else:
        distinct = variant == "r2_distinct"
        warm = long_community_traps(0, WARM, distinct)
        rest = long_community_traps(WARM, count, distinct)
        n_senders = 16 if distinct else count
        title = (f"listen RSS growth, reproducer 2, {count:,} distinct 61,000-octet communities, {kind}" if distinct
                 else f"listen RSS growth, reproducer 2, one 61,000-octet community from {count:,} ports, {kind}")
        total = WARM + count
    listen = HostileListen(kind, workdir, variant)
    senders: list = []
    try:
        senders = _senders(n_senders)
        start = rss_mb(listen.proc.pid)
        sock_before = udp_socket(listen.port)
        warmed = flood(listen, warm, senders[-WARM:], time_bound_s)
        before = rss_mb(listen.proc.pid)
        main = flood(listen, rest, senders, max(1.0, time_bound_s - warmed.seconds))
        after = rss_mb(listen.proc.pid)
        sock_after = udp_socket(listen.port)
    finally:
        for sender in senders:
            sender.close()
        listen.close()
        try:
            output_bytes = os.path.getsize(listen.output)
            os.unlink(listen.output)
        except OSError:
            output_bytes = 0
    sent, processed, seconds = (warmed.sent + main.sent, warmed.processed + main.processed,
                                warmed.seconds + main.seconds)
    growth = after["rss"] - before["rss"]
    final = listen.final
    drops = None if sock_before is None or sock_after is None else sock_after[1] - sock_before[1]
    note = (f"RSS {before['rss']:.0f} -> {after['rss']:.0f} MB (start {start['rss']:.0f}, peak {after['hwm']:.0f}); "
            f"{sent:,} of {total:,} sent, {processed:,} processed in {seconds:.1f} s"
            + (f" (time bound {time_bound_s:g} s)" if main.time_bound else "")
            + (f"; delivered {final.get('delivered')}" if final and final.get("delivered") != sent else "")
            + (f"; socket drops {drops}" if drops else ""))
    return HostileRow(f"hostile_rss_{variant}_{kind}", title, "MB", growth, growth, f"< {LIMIT_MB:g} MB",
                      growth < LIMIT_MB, note,
                      {"implementation": kind, "variant": variant, "rss_start_mb": start["rss"],
                       "rss_before_mb": before["rss"], "rss_after_mb": after["rss"], "hwm_mb": after["hwm"],
                       "total": total, "sent": sent, "warm": warmed.sent, "processed": processed, "seconds": seconds,
                       "time_bound_s": time_bound_s, "time_bound_reached": main.time_bound or warmed.time_bound,
                       "complete": sent == total and warmed.drained and main.drained, "socket_drops": drops,
                       "final": final, "output_bytes": output_bytes})


def rss_rows(kinds: list, quick: bool) -> list:
    """The three floods for each implementation, each against its own listen."""
    counts = {"r1": 1024 if quick else R1_COUNT, "r2_ports": 512 if quick else R2_COUNT,
              "r2_distinct": 512 if quick else R2_COUNT}
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        for kind in kinds:
            for variant, count in counts.items():
                # the pure-Python twin decodes a 60,000-arc OID in ~25 ms: reproducer 1 is cut by time
                slow = kind == "python" and variant == "r1"
                bound = (8.0 if quick else 90.0) if slow else (30.0 if quick else 180.0)
                out.append(rss_row(kind, variant, count, bound, Path(tmp)))
    return out


# ----------------------------------------------------------------------------- cost of the bounds


def cost_rows(repeats: int, chunk_s: float, kinds: list) -> list:
    """Typical v2c trap -> JSON line, caches at their default byte bounds vs effectively unbounded."""
    from snmptrapmgr import mib
    from snmptrapmgr.collector import line as json_line, schema
    from snmptrapmgr.receiver import Receiver

    resolver = mib.load()
    resolver_bytes = resolver.max_bytes
    defaults = schema.cache_bounds()
    off = dict.fromkeys(defaults, UNBOUNDED)
    datagrams = traffic.typical_v2c_sequence(256)
    out = []
    try:
        for kind in kinds:
            _select.use(kind)
            receiver = Receiver()
            receive = receiver.receive_datagram
            line = json_line.format_line(receive(datagrams[0], ADDR, 1.0)[0], 1.0, resolver)
            assert '"trap_name":"IF-MIB::linkDown"' in line, line

            def one(names=None, receive=receive, position=[0]):  # noqa: B006 - a counter kept between calls
                i = position[0] = (position[0] + 1) & 255
                json_line.format_line(receive(datagrams[i], ADDR, 1.0)[0], 1.0, names)

            def named(one=one) -> None:
                one(resolver)

            def setting(bounds: dict, max_bytes: int, kind: str = kind):
                def activate() -> None:  # outside the timed chunks
                    if _select.current() != kind:
                        _select.use(kind)
                    schema.set_cache_bounds(**bounds)
                    resolver.max_bytes = max_bytes
                return activate

            cands = {(mode, bound): Candidate(f"{kind} {mode} {bound}", func, activate=setting(*how))
                     for mode, func in (("numeric", one), ("names", named))
                     for bound, how in (("bounded", (defaults, resolver_bytes)), ("unbounded", (off, UNBOUNDED)))}
            measure(list(cands.values()), repeats, chunk_s, deadline_s=60.0)
            for mode in ("numeric", "names"):
                b, u = cands[(mode, "bounded")], cands[(mode, "unbounded")]
                # each round runs both chunks close together: the median of the rounds' own ratios
                # is the least disturbed by other work on the machine
                ratios = [x / y for x, y in zip(b.samples_ns, u.samples_ns)]
                paired = statistics.median(ratios)
                low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (paired,) * 3
                what = "MIB names" if mode == "names" else "--numeric"
                out.append(HostileRow(
                    f"hostile_bounds_{mode}_{kind}",
                    f"typical v2c trap -> JSON line ({what}), {kind}: bounded / unbounded caches", "ratio",
                    b.best_us / u.best_us, b.median_us / u.median_us,
                    note=(f"bounded {b.best_us:.2f} us [{b.median_us:.2f}], unbounded {u.best_us:.2f} us "
                          f"[{u.median_us:.2f}] per trap; per-round ratio {paired:.3f} (median of "
                          f"{len(ratios)}, quartiles {low:.3f}-{high:.3f})"),
                    extra={"implementation": kind, "bounded_us": [b.best_us, b.median_us],
                           "unbounded_us": [u.best_us, u.median_us], "paired_ratio": paired,
                           "paired_quartiles": [low, high],
                           "chunks": len(b.samples_ns), "bounds": defaults, "resolver_max_bytes": resolver_bytes}))
    finally:
        schema.set_cache_bounds(**defaults)
        resolver.max_bytes = resolver_bytes
    return out


# ----------------------------------------------------------------------------- all of it


def rows(quick: bool = False, kinds: Optional[list] = None, rss: bool = True, cost: bool = True) -> list:
    """Every hostile-input row, measured now (``quick``: smaller floods and fewer repeats, for CI;
    ``rss`` / ``cost``: which part)."""
    repeats, chunk_s = (3, 0.02) if quick else (15, 0.1)
    kinds = kinds or list(reversed(_select.available()))  # cython first when built
    previous = _select.current()
    try:
        return (cost_rows(repeats, chunk_s, kinds) if cost else []) + (rss_rows(kinds, quick) if rss else [])
    finally:
        _select.use(previous)


def _fmt(value: float, unit: str) -> str:
    return f"{value:+.1f} MB" if unit == "MB" else f"{value:.3f}"


def table(found: list) -> str:
    return named_rows.table(found, _fmt, 92, 10)


def rows_json(found: list) -> list:
    """The rows as ``python -m bench --json`` would write them (section "hostile")."""
    return [{"section": "hostile", **asdict(row)} for row in found]


def targets(found: list, quick: bool = False) -> str:
    head = "Targets for hostile input, from one run (RSS) / the best chunk (ratios, median in brackets)"
    lines = [head + (": a --quick run, indicative only" if quick else ":")]
    for row in found:
        if row.target:
            verdict = named_rows.verdict(row.passed, quick)
            extra = row.extra
            if not extra.get("complete", True):
                verdict += f" ({extra.get('sent', 0):,} of {extra.get('total', 0):,} sent within the time bound)"
            lines.append(f"  {row.title} {row.target}: {_fmt(row.best, row.unit)}  {verdict}")
        else:
            lines.append(f"  {row.title}: {_fmt(row.best, row.unit)} [{_fmt(row.median, row.unit)}], "
                         f"per round {row.extra.get('paired_ratio', float('nan')):.3f}  (reported, no target)")
    return "\n".join(lines)


def main(argv: Optional[list] = None) -> int:
    return named_rows.run_main("python -m bench.hostile", __doc__.splitlines()[0], rows,
                               lambda found, quick: table(found) + "\n\n" + targets(found, quick), argv)


if __name__ == "__main__":
    sys.exit(main())
