"""``python -m bench``: the compiled modules against the pure-Python fallback (and pysnmp),
one call at a time (micro rows) and end to end over 127.0.0.1 (SNMPTrapMgr, ``snmptrapmgr
listen``, memory).  Run it in the repository root after ``pip install .`` or ``python
setup.py build_ext --inplace``: it measures the compiled snmptrapmgr it finds (the
checkout's, or else an installed one) and says which."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from . import measured, plot, report, report_collector

# bench.e2e, bench.micro and bench.scenarios import snmptrapmgr: only after measured.choose()
# decided which one (see main).

# max_count bounds the datagrams of one end-to-end row (0 = rate * duration): a slow receiver
# must drain whatever its socket buffer holds before the row can be counted.
# The collector rows (bench.scenarios): a sustained v2c row, bursts queued while the
# receiver is stopped, v3 rows, `snmptrapmgr listen` rows, and the memory runs (traps, then
# spoofed engine IDs; each phase bounded by memory_time_s).
FULL = {"repeats": 9, "chunk_s": 0.02, "row_deadline_s": 20.0, "duration_s": 2.0, "max_duration_s": 2.0,
        "max_count": 400_000,
        "sustained_rate": 250_000, "sustained_s": 10.0, "burst_count": 40_000, "burst_repeats": 3,
        "v3_rate": 80_000, "v3_burst_count": 25_000, "listen_rate": 200_000, "listen_s": 10.0,
        "memory_traps": 1_000_000, "memory_engines": 100_000, "memory_engine_burst": 25_000,
        "memory_time_s": 40.0}
QUICK = {"repeats": 3, "chunk_s": 0.002, "row_deadline_s": 1.5, "duration_s": 0.3, "max_duration_s": 0.3,
         "max_count": 3000,
         "sustained_rate": 250_000, "sustained_s": 0.05, "burst_count": 3000, "burst_repeats": 1,
         "v3_rate": 80_000, "v3_burst_count": 2000, "listen_rate": 200_000, "listen_s": 0.05,
         "memory_traps": 20_000, "memory_engines": 2000, "memory_engine_burst": 1000,
         "memory_time_s": 10.0}


def _rates(text: str) -> list:
    try:
        rates = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad --rates {text!r}: comma-separated numbers") from None
    if not rates or any(r <= 0 or r > 2_000_000 for r in rates):
        raise argparse.ArgumentTypeError("--rates: positive numbers up to 2,000,000")
    return rates


def parse_args(argv: list) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="CI-sized run (< 40 s): indicative only, its targets are not graded")
    p.add_argument("--only", choices=("micro", "e2e", "collector", "mib", "hostile", "profile", "bus"),
                   help="run only one part (collector: v3, snmptrapmgr listen, bursts, memory; mib: MIB names, "
                        "index load and memory, mib translate; hostile: listen's memory under floods of huge valid traps, "
                        "what the cache bounds cost; profile: CPU-µs per trap by stage, from the kernel to the handler; "
                        "bus: the collector publishing to JetStream and Kafka)")
    p.add_argument("--python-only", action="store_true",
                   help="measure the pure-Python fallback alone (no compiled modules needed)")
    p.add_argument("--json", metavar="PATH", help="write every number as JSON")
    p.add_argument("--plot", metavar="PATH", help="write a PNG of throughput and loss: the v2c sweep and "
                   "the collector rows with their targets (needs matplotlib)")
    p.add_argument("--replot", metavar="JSON", help="run nothing: redraw the --plot PNG from a JSON file "
                   "written earlier by --json")
    p.add_argument("--rates", type=_rates,
                   help="offered rates for the end-to-end rows (default 20000,50000,100000,150000,200000)")
    p.add_argument("--duration", type=float, metavar="S", help="seconds per offered rate "
                   "(default 2, 0.3 with --quick); also the max-throughput row")
    p.add_argument("--repeats", type=int, help="interleaved chunks per micro candidate (default 9, 3 quick)")
    args = p.parse_args(argv)
    if args.replot is not None:
        if not args.plot:
            p.error("--replot needs --plot PATH (the PNG to write)")
        given = [flag for flag, value in (("--quick", args.quick), ("--only", args.only), ("--json", args.json),
                                          ("--rates", args.rates), ("--duration", args.duration),
                                          ("--repeats", args.repeats), ("--python-only", args.python_only))
                 if value]
        if given:
            p.error(f"--replot runs no benchmark: {', '.join(given)} would have no effect")
    if args.duration is not None and not 0 < args.duration <= 60:
        p.error("--duration must be in (0, 60]")
    if args.repeats is not None and not 1 <= args.repeats <= 100:
        p.error("--repeats must be in [1, 100]")
    return args


def _git_head() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=str(measured.ROOT), timeout=5)
        return out.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("pysnmp", "pyasn1", "Crypto", "Cython"):
        try:
            mod = __import__(name)
            out[name] = getattr(mod, "__version__", "?")
        except ImportError:
            out[name] = None
    return out


def plot_title(meta: dict) -> str:
    return (f"snmptrapmgr end-to-end over 127.0.0.1 (commit {meta['git_head']}, run {meta['started']}, "
            f"{meta['duration_s']:g} s per rate, {meta['cpu_count']} CPUs)"
            + (f"; {report.QUICK_LABEL}" if meta.get("quick") else ""))


class ReplotError(ValueError):
    """The JSON given to --replot lacks what the plot needs (or contradicts itself)."""


# What an E2ERow is made of, as report.e2e_json / report.scenario_json write it; the other keys
# they write are derived from these (checked below) or were E2ERow.extra.
ROW_FIELDS = ("implementation", "name", "offered_rate", "sent", "sender_elapsed_s", "received",
              "receiver_busy_s", "bad_packets", "kernel_rcvbuf_errors")
DERIVED = ("section", "title", "available", "actual_send_rate", "loss_pct", "processed_per_s", "ops_per_s",
           "us_per_op", "cpu_us_per_trap", "ratio", "ratio_to", "error")
META_FIELDS = ("git_head", "started", "duration_s", "cpu_count")


def rows_from_json(data: object) -> tuple:
    """(sweep rows, collector rows, collector targets, title) from a ``--json`` file's content.
    Rows marked as errors (received more than was sent) are left out, as the plot leaves them."""
    from . import e2e

    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ReplotError("no \"rows\" list: not a file written by python -m bench --json")
    meta = data.get("meta")
    missing = [k for k in META_FIELDS if k not in meta] if isinstance(meta, dict) else ["meta"]
    if missing:
        raise ReplotError(f"meta lacks {', '.join(missing)} (needed for the plot title)")
    sweep: list = []
    named: list = []
    seen: set = set()
    for i, r in enumerate(data["rows"]):
        if not isinstance(r, dict) or r.get("section") not in ("e2e", "collector"):
            continue
        where = f"row {i} ({r.get('section')} {r.get('name', '?')} {r.get('implementation', '?')})"
        missing = [k for k in ROW_FIELDS + ("processed_per_s", "loss_pct") if k not in r]
        if missing:
            raise ReplotError(f"{where} lacks {', '.join(missing)}")
        if r.get("available") is False:
            raise ReplotError(f"{where} is marked unavailable: the plot has no way to show it")
        if r.get("error"):
            continue
        key = (r["section"], r["name"], r["implementation"])
        if key in seen:
            raise ReplotError(f"{where} appears twice")
        seen.add(key)
        row = e2e.E2ERow(r["implementation"], r["offered_rate"] or 0, r["sent"], r["sender_elapsed_s"],
                         r["received"], r["receiver_busy_s"], r["bad_packets"], r["kernel_rcvbuf_errors"],
                         {k: v for k, v in r.items() if k not in ROW_FIELDS and k not in DERIVED},
                         r["name"] if r["section"] == "collector" else "")
        for field, value in (("processed_per_s", row.processed_per_s), ("loss_pct", row.loss_pct)):
            if abs(value - r[field]) > 1e-6 * max(1.0, abs(value)):
                raise ReplotError(f"{where}: {field} {r[field]!r} does not follow from its counts ({value!r})")
        if r["section"] == "e2e" and report.e2e_name(row) != r["name"]:
            raise ReplotError(f"{where}: the name does not match offered_rate {r['offered_rate']!r}")
        (sweep if r["section"] == "e2e" else named).append(row)
    targets5 = data.get("targets_issue5")
    if named and not isinstance(targets5, list):
        raise ReplotError("collector rows but no \"targets_issue5\" list: the target marks cannot be drawn")
    for t in targets5 or []:
        if not isinstance(t, dict) or not {"name", "unit", "limit"} <= set(t):
            raise ReplotError(f"a targets_issue5 entry lacks name/unit/limit: {t!r}")
    return sweep, named, targets5 or [], plot_title(meta)


def replot(json_path: str, png_path: str) -> int:
    """--replot: the PNG from a --json file, no benchmark run."""
    try:
        data = json.loads(Path(json_path).read_text())
        sweep, named, targets5, title = rows_from_json(data)
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, or a ReplotError
        print(f"--replot {json_path}: {exc}", file=sys.stderr)
        return 2
    if not sweep and not named:
        print(f"--replot {json_path}: no end-to-end or collector rows (a --only micro run?), nothing to plot",
              file=sys.stderr)
        return 2
    Path(png_path).parent.mkdir(parents=True, exist_ok=True)
    plot.plot(sweep, png_path, title + f"; replotted from {Path(json_path).name}", named, targets5)
    print(f"wrote {png_path} ({len(sweep)} sweep rows, {len(named)} collector rows from {json_path})")
    return 0


def _no_compiled_line(chosen: "measured.Measured") -> str:
    return (f"python -m bench: no compiled snmptrapmgr to measure: {chosen.package} has no compiled modules "
            f"and no other snmptrapmgr on the Python path has them; {measured.BUILD_HINT} "
            "(or pass --python-only to measure the pure-Python fallback alone)")


def _load_error(package: Path) -> str:
    """Why the compiled modules that are there do not import ("" when they do)."""
    from snmptrapmgr import _select

    for name in _select.ACCELERATED:
        try:
            importlib.import_module(_select.twin_name(name, "cython"))
        except ImportError as exc:
            return f"{_select.twin_name(name, 'cython')}: {exc}"
    return ""


def measured_line(chosen: "measured.Measured", version: str, kinds: list, python_only: bool) -> str:
    """The one line saying which snmptrapmgr is measured, and which implementations of it."""
    if python_only:
        what = "the pure-Python fallback only (--python-only)"
    else:
        what = " and ".join({"cython": "the compiled modules", "python": "the pure-Python fallback"}[k]
                            for k in kinds)
    return f"measuring snmptrapmgr {version} from {chosen.describe()}: {what}"


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.plot:  # fail before the long run, not after it
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("--plot needs matplotlib: pip install 'snmptrapmgr[bench]' (or pip install matplotlib)",
                  file=sys.stderr)
            return 2
    if args.replot:
        return replot(args.replot, args.plot)
    chosen = measured.choose(prefer_compiled=not args.python_only)
    if chosen is None:
        print("python -m bench: snmptrapmgr is not importable here: run it in the repository root, or "
              "pip install . there", file=sys.stderr)
        return 2
    if not chosen.compiled and not args.python_only:
        print(_no_compiled_line(chosen), file=sys.stderr)
        return 2
    try:
        import snmptrapmgr
        from snmptrapmgr import _select

        from . import e2e, micro, scenarios
    except Exception as exc:  # noqa: BLE001 - an installed copy too old or broken for this bench
        print(f"python -m bench: cannot import snmptrapmgr from {chosen.package}: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not measured.same_package(snmptrapmgr.__file__):
        print(f"python -m bench: imported snmptrapmgr from {snmptrapmgr.__file__}, not the chosen "
              f"{chosen.package}", file=sys.stderr)
        return 2
    if args.python_only:
        kinds = ["python"]
    else:
        kinds = [k for k in ("cython", "python") if k in _select.available()]
        if "cython" not in kinds:
            print(f"python -m bench: the compiled modules in {chosen.package} do not load "
                  f"({_load_error(chosen.package)}); {measured.BUILD_HINT}", file=sys.stderr)
            return 2
    if args.rates is None:
        args.rates = list(e2e.DEFAULT_RATES)

    cfg = dict(QUICK if args.quick else FULL)
    if args.duration is not None:
        cfg["duration_s"] = cfg["max_duration_s"] = args.duration
        if args.quick:  # a CI run: the long rows no longer than the others
            cfg["sustained_s"] = min(cfg["sustained_s"], args.duration)
            cfg["listen_s"] = min(cfg["listen_s"], args.duration)
    if args.repeats is not None:
        cfg["repeats"] = args.repeats
    started = time.time()
    version = getattr(snmptrapmgr, "__version__", "?")
    meta = {
        "command": "python -m bench " + " ".join(argv),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "git_head": _git_head(), "platform": platform.platform(), "cpu_count": os.cpu_count(),
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": _versions(), "implementations": kinds, "quick": args.quick, **cfg,
        "rates": args.rates if args.only != "micro" else [],
        "gc": "enabled during timing",
        "measured": {"path": str(chosen.package), "origin": chosen.origin, "version": version,
                     "passed_over": str(chosen.passed_over) if chosen.passed_over else None,
                     "implementations": kinds},
        "python_only": args.python_only,
        "graded": not args.quick and "cython" in kinds,
    }
    log = lambda s: print(f"  .. {s}", file=sys.stderr, flush=True)  # noqa: E731

    print(f"snmptrapmgr bench  {meta['started']}  commit {meta['git_head']}  python {meta['versions']['python']}"
          f"  pysnmp {meta['versions']['pysnmp']}  {meta['cpu_count']} CPUs  load {meta['loadavg_start']}")
    print(measured_line(chosen, version, kinds, args.python_only))
    if args.quick:
        print(f"--quick: {report.QUICK_LABEL} (short rows; the targets below are compared with the full-run "
              "limits for orientation: run without --quick to grade them)")
    out: dict = {"meta": meta, "rows": [], "targets": []}
    micro_rows: list = []
    e2e_rows: list = []
    scenario_rows: list = []
    memory_runs: list = []
    try:
        if args.only in (None, "micro"):
            micro_rows = micro.run(kinds, repeats=cfg["repeats"], chunk_s=cfg["chunk_s"],
                                   row_deadline_s=cfg["row_deadline_s"], progress=log)
            print()
            print(report.micro_table(micro_rows, cfg["repeats"], args.quick))
            out["rows"] += report.micro_json(micro_rows)
        if args.only in (None, "e2e"):
            e2e_rows, info = e2e.run(kinds, args.rates, cfg["duration_s"], cfg["max_duration_s"],
                                     max_count=cfg["max_count"], progress=log)
            print()
            print(report.e2e_table(e2e_rows, info, cfg["duration_s"], cfg["max_duration_s"], cfg["max_count"],
                                   args.quick))
            out["rows"] += report.e2e_json(e2e_rows)
            out["e2e_receivers"] = info
        if args.only in (None, "collector"):
            scenario_rows, memory_runs, sinfo = scenarios.run(kinds, cfg, progress=log)
            print()
            print(report_collector.scenario_table(scenario_rows, sinfo, cfg, args.quick))
            print()
            print(report_collector.memory_table(memory_runs, args.quick))
            out["rows"] += report.scenario_json(scenario_rows) + report_collector.memory_json(memory_runs)
            out["collector_receivers"] = sinfo
        if args.only in (None, "mib"):
            from . import mib

            log("MIB rows: names, index load, memory, mib translate, JSON line names vs numeric")
            mib_rows = mib.rows(args.quick, kinds)
            print()
            print(mib.table(mib_rows))
            print()
            print(mib.targets(mib_rows, args.quick))
            out["rows"] += mib.rows_json(mib_rows)
        if args.only in (None, "hostile"):
            from . import hostile

            log("hostile input rows: listen's RSS under huge-OID and huge-community floods, cache bounds cost")
            hostile_rows = hostile.rows(args.quick, [k for k in ("cython", "python") if k in kinds])
            print()
            print(hostile.table(hostile_rows))
            print()
            print(hostile.targets(hostile_rows, args.quick))
            out["rows"] += hostile.rows_json(hostile_rows)
        if args.only in (None, "profile"):
            from . import profile

            profiles = profile.run(kinds, profile.QUICK if args.quick else profile.FULL, progress=log)
            print()
            print(profile.table(profiles, args.quick))
            out["rows"] += profile.rows_json(profiles)
        if args.only in (None, "bus") and "cython" in kinds:
            from . import bus, report_bus

            bcfg = report_bus.QUICK_CONFIG if args.quick else report_bus.CONFIG
            log(f"bus rows: JetStream and Kafka, burst {bcfg['burst']:,}, max {bcfg['total']:,}, "
                f"{bcfg['rate']:,}/s and {bcfg['sustained']:,}/s for {bcfg['seconds']:g} s, spool {bcfg['spool_count']:,}")
            bus_rows = bus.rows(**bcfg)
            print()
            print(report_bus.table(bus_rows))
            out["rows"] += [{"section": "bus", **r} for r in bus_rows]
            out["targets_bus"] = report_bus.targets(bus_rows, bcfg, args.quick)
            print()
            print(report_bus.target_lines(out["targets_bus"], args.quick))
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
        print(f"python -m bench: {type(exc).__name__ + ': ' if not isinstance(exc, RuntimeError) else ''}{exc}",
              file=sys.stderr)
        return 1
    meta["elapsed_s"] = time.time() - started
    meta["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    if micro_rows:
        out["targets"] = report.targets(micro_rows, args.quick)
        print()
        print(report.target_lines(out["targets"], args.quick))
    if scenario_rows or memory_runs:
        out["targets_issue5"] = report_collector.targets5(e2e_rows, scenario_rows, memory_runs, cfg, args.quick)
        print()
        print(report_collector.target5_lines(out["targets_issue5"], args.quick, "cython" in kinds))
    errors = report.check_counts(e2e_rows + scenario_rows)
    print(f"\n({meta['elapsed_s']:.1f} s; load average at the end {meta['loadavg_end']})")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.json}")
    if args.plot:
        if e2e_rows or scenario_rows:
            Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
            plot.plot(e2e_rows, args.plot, plot_title(meta), scenario_rows, out.get("targets_issue5"))
            print(f"wrote {args.plot}")
        else:
            print("--plot: no end-to-end or collector rows (--only micro), nothing plotted", file=sys.stderr)
    if errors:
        print(f"python -m bench: {len(errors)} row(s) received more traps than were sent to them (shown as "
              "ERROR above, not used for any target): the run is not a valid measurement", file=sys.stderr)
        return 1
    return 0
