"""MIB rows (issue 11): names for a typical trap, loading the standard index, its memory, the
``snmptrapmgr mib translate`` process, and a notification's JSON line with names vs numeric.

    python -m bench.mib [--quick] [--json FILE]

:func:`rows` returns the measured rows (for ``python -m bench``), :func:`table` and
:func:`targets` print them.  Timed loops use :mod:`bench.timing` (interleaved chunks, best and
median); the load, process and memory rows take the best and the median of a few runs.  The
resolver is pure Python (there is no compiled twin: a warm name is one dict lookup); the JSON
line row runs the receive path with both twins, names on and off, in one interleaved measure.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

from snmptrapmgr import _select

from . import named_rows, traffic
from .timing import Candidate, measure

ADDR = ("192.0.2.1", 50162)
TRANSLATE_OID = "1.3.6.1.2.1.2.2.1.7.3"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class MibRow:
    key: str
    title: str
    unit: str                      # "us", "s", "MB", "ratio"
    best: float
    median: float
    target: str = ""               # e.g. "<= 1 us"
    passed: Optional[bool] = None  # judged on ``best``
    note: str = ""
    extra: dict = field(default_factory=dict)


def _judge(row: MibRow, limit: float, at_most: bool = True) -> MibRow:
    row.passed = row.best <= limit if at_most else row.best >= limit
    return row


def names_row(repeats: int, chunk_s: float) -> MibRow:
    """MIB names of the 7 varbinds of the typical trap, OIDs already seen (the steady state)."""
    from snmptrapmgr import mib

    resolver = mib.load()
    oids = [oid for oid, _, _ in traffic.TYPICAL_VARBINDS]
    assert all(resolver.names(oids)), resolver.names(oids)
    cand = Candidate("python", resolver.names, (oids,))
    measure([cand], repeats, chunk_s)
    return _judge(MibRow("mib_names_7", "names of the typical trap's 7 varbinds (seen before)", "us",
                         cand.best_us, cand.median_us, "<= 1 us", note="Resolver.names(); one dict lookup each"),
                  1.0)


def cold_row(repeats: int, chunk_s: float) -> MibRow:
    """One OID resolved from the index (longest prefix + INDEX decoding), its cache emptied first."""
    from snmptrapmgr import mib

    resolver = mib.load()
    oid = "1.3.6.1.2.1.4.34.1.3.1.4.192.0.2.1"  # IP-MIB::ipAddressIfIndex.ipv4."192.0.2.1"

    def cold() -> None:
        resolver.clear_cache()
        resolver.name(oid)

    cand = Candidate("python", cold)
    measure([cand], repeats, chunk_s)
    return MibRow("mib_name_cold", "one new OID resolved (longest prefix, enum + InetAddress index)", "us",
                  cand.best_us, cand.median_us, note="the first time an OID is seen; then cached")


def load_row(runs: int) -> MibRow:
    """Read, parse and index the standard index in-process (what a warm start pays)."""
    from snmptrapmgr.mib import index, loader

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        index.MibIndex([loader.read_standard()])
        times.append(time.perf_counter() - start)
    return _judge(MibRow("mib_load", "load the standard index in-process (486 modules)", "s",
                         min(times), statistics.median(times), "<= 0.2 s",
                         note=f"{os.path.getsize(loader.STANDARD_INDEX) / 1e6:.1f} MB of JSON; never a compile"),
                  0.2)


_RSS_CODE = """
import json, sys
def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
import snmptrapmgr.mib as mib
before = rss()
r = mib.load()
r.name('1.3.6.1.2.1.2.2.1.7.3')
loaded = rss()
r.oid('IF-MIB::ifAdminStatus.3')
print(json.dumps([loaded - before, rss() - before]))
"""


def _child_env() -> dict:
    return {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}


def memory_row(runs: int) -> MibRow:
    """Resident memory the loaded standard index adds to a process (and with name -> OID built)."""
    loaded, with_names = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _RSS_CODE], capture_output=True, text=True, timeout=120,
                             env=_child_env(), check=True).stdout
        a, b = json.loads(out)
        loaded.append(a)
        with_names.append(b)
    return _judge(MibRow("mib_rss", "resident memory of the loaded standard index", "MB",
                         min(loaded), statistics.median(loaded), "<= 40 MB",
                         note=f"+ the name -> OID table when first asked: {statistics.median(with_names):.1f} MB",
                         extra={"with_name_table_mb": with_names}), 40.0)


def translate_row(runs: int) -> MibRow:
    """The whole ``snmptrapmgr mib translate OID`` process, warm (files in the page cache)."""
    argv = [sys.executable, "-m", "snmptrapmgr", "mib", "translate", TRANSLATE_OID]
    subprocess.run(argv, capture_output=True, timeout=120, env=_child_env(), check=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_child_env(), check=True)
        times.append(time.perf_counter() - start)
        assert out.stdout == "IF-MIB::ifAdminStatus.3\n", out.stdout + out.stderr
    return _judge(MibRow("mib_translate", "snmptrapmgr mib translate OID, whole process (warm)", "s",
                         min(times), statistics.median(times), "< 1 s"), 1.0)


def json_line_rows(repeats: int, chunk_s: float, kinds: list) -> list:
    """Datagram -> event -> JSON line (what listen does per trap), names on vs off, per twin."""
    from snmptrapmgr import mib
    from snmptrapmgr.collector import line as json_line
    from snmptrapmgr.receiver import Receiver

    resolver = mib.load()
    datagrams = traffic.typical_v2c_sequence(256)
    out = []
    for kind in kinds:
        _select.use(kind)
        receiver = Receiver()
        receive = receiver.receive_datagram
        line = json_line.format_line(receive(datagrams[0], ADDR, 1.0)[0], 1.0, resolver)
        assert '"trap_name":"IF-MIB::linkDown"' in line and '"label":"down"' in line, line

        def one(names=None, receive=receive, position=[0]):  # noqa: B006 - a counter kept between calls
            i = position[0] = (position[0] + 1) & 255
            json_line.format_line(receive(datagrams[i], ADDR, 1.0)[0], 1.0, names)

        def named(one=one) -> None:
            one(resolver)

        def activate(kind=kind) -> None:
            if _select.current() != kind:
                _select.use(kind)

        numeric = Candidate(f"{kind} numeric", one, activate=activate)
        with_names = Candidate(f"{kind} names", named, activate=activate)
        measure([numeric, with_names], repeats, chunk_s)
        ratio_best = numeric.best_us / with_names.best_us
        ratio_median = numeric.median_us / with_names.median_us
        out.append(MibRow(f"mib_json_{kind}", f"typical v2c trap -> JSON line, {kind}: numeric / names", "ratio",
                          ratio_best, ratio_median, ">= 0.9", ratio_best >= 0.9,
                          note=(f"numeric {numeric.best_us:.2f} us, names {with_names.best_us:.2f} us per trap "
                                "(receive_datagram + collector.line.format_line, in-process)"),
                          extra={"numeric_us": [numeric.best_us, numeric.median_us],
                                 "names_us": [with_names.best_us, with_names.median_us]}))
    return out


#: distinct sysUpTime values cycled through: twice the varbind cache's entries, so that a cache
#: keyed by value would never hit
CHANGING = 16_384


def changing_uptime_rows(repeats: int, chunk_s: float, kinds: list) -> list:
    """The typical trap with its sysUpTime changing in every trap, as a device sends it, against
    the same trap with one sysUpTime (the bench's traffic): JSON line with names, per twin."""
    from snmptrapmgr import mib
    from snmptrapmgr.codec.encode import PDU_TRAP, encode_community_message, encode_pdu
    from snmptrapmgr.collector import line as json_line
    from snmptrapmgr.receiver import Receiver

    resolver = mib.load()
    template = Receiver().receive_datagram(traffic.typical_v2c_trap(), ADDR, 1.0)[0].varbinds
    changing = [encode_community_message(1, b"public", encode_pdu(
        PDU_TRAP, 7, 0, 0, [(template[0][0], template[0][1], 1000 + i)] + list(template[1:])))
        for i in range(CHANGING)]
    fixed = [traffic.typical_v2c_trap()] * CHANGING
    out = []
    for kind in kinds:
        _select.use(kind)
        receive = Receiver().receive_datagram

        def of(datagrams: list, position: list) -> Callable[[], None]:
            def one() -> None:
                i = position[0] = (position[0] + 1) % CHANGING
                json_line.format_line(receive(datagrams[i], ADDR, 1.0)[0], 1.0, resolver)
            return one

        def activate(kind=kind) -> None:
            if _select.current() != kind:
                _select.use(kind)

        same = Candidate(f"{kind} fixed", of(fixed, [0]), activate=activate)
        moving = Candidate(f"{kind} changing", of(changing, [0]), activate=activate)
        measure([same, moving], repeats, chunk_s)
        out.append(MibRow(f"mib_uptime_{kind}", f"sysUpTime changing every trap -> JSON line, {kind}: fixed / "
                          "changing", "ratio", same.best_us / moving.best_us, same.median_us / moving.median_us,
                          note=(f"fixed {same.best_us:.2f} us, changing {moving.best_us:.2f} us per trap, names on "
                                f"({CHANGING:,} values cycled; receive_datagram + format_line, in-process)"),
                          extra={"fixed_us": [same.best_us, same.median_us],
                                 "changing_us": [moving.best_us, moving.median_us]}))
    return out


def rows(quick: bool = False, kinds: Optional[list] = None) -> list:
    """Every MIB row, measured now (``quick``: fewer repeats, for CI)."""
    repeats, chunk_s, runs = (3, 0.02, 3) if quick else (9, 0.1, 7)
    kinds = kinds or _select.available()
    previous = _select.current()
    try:
        found = [names_row(repeats, chunk_s), cold_row(repeats, chunk_s), load_row(runs), memory_row(runs),
                 translate_row(runs)]
        found += json_line_rows(repeats, chunk_s, kinds)
        found += changing_uptime_rows(repeats, chunk_s, kinds)
    finally:
        _select.use(previous)
    return found


def _fmt(value: float, unit: str) -> str:
    if unit == "us":
        return f"{value:.3f} us"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.3f}"


def table(found: list) -> str:
    return named_rows.table(found, _fmt, 66, 12)


def rows_json(found: list) -> list:
    """The rows as ``python -m bench --json`` writes them (section "mib")."""
    return [{"section": "mib", **asdict(row)} for row in found]


def targets(found: list, quick: bool = False) -> str:
    head = "Targets for MIB names, from the best run (median in brackets)"
    lines = [head + (": a --quick run, indicative only" if quick else ":")]
    for row in found:
        if row.target:
            verdict = named_rows.verdict(row.passed, quick)
            lines.append(f"  {row.title} {row.target}: {_fmt(row.best, row.unit)} "
                         f"[{_fmt(row.median, row.unit)}]  {verdict}")
    return "\n".join(lines)


def main(argv: Optional[list] = None) -> int:
    return named_rows.run_main("python -m bench.mib", __doc__.splitlines()[0], rows,
                               lambda found, quick: table(found) + "\n\n" + targets(found, quick), argv)


if __name__ == "__main__":
    sys.exit(main())
