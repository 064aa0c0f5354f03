"""The collector, memory and issue-5 target tables of the bench (the rows of :mod:`bench.scenarios`).

The micro, end-to-end sweep and shared helpers are in :mod:`bench.report`.
"""

from __future__ import annotations

from typing import Any, Optional

from .report import COUNT_HEAD, QUICK_LABEL, count_cells, e2e_name, error_lines, requested, scenario_title, shown, verdict_text


def scenario_table(rows: list, info: dict, cfg: dict, quick: bool = False) -> str:
    recv = info.get("receivers", {})
    listen = info.get("listen", {})
    lines = [
        "Collector rows: sender process (bench.loadgen) -> UDP 127.0.0.1 -> receiver process"
        + (f"  [{QUICK_LABEL}: rows of {cfg['duration_s']:g} s or less]" if quick else ""),
        f"  SNMPTrapMgr rows: bench._receiver, InBufferSize {requested(recv):,} (kernel gave "
        + ", ".join(f"{shown(k)}: {v['rcvbuf_kernel']:,}" for k, v in recv.items()) + "); "
        f"listen rows: snmptrapmgr listen --output FILE --rcvbuf {requested(listen):,} (kernel gave "
        + ", ".join(f"{shown(k)}: {v['rcvbuf_kernel']:,}" for k, v in listen.items()) + ")",
        f"  sustained {cfg['sustained_s']:g} s at {cfg['sustained_rate']:,.0f}/s; listen offered "
        f"{cfg['listen_s']:g} s; other rows {cfg['duration_s']:g} s (at most {cfg['max_count']:,} datagrams); "
        f"bursts: {cfg['burst_count']:,} v2c / {cfg['v3_burst_count']:,} v3 datagrams queued while the "
        f"receiver is stopped (SIGSTOP), then drained, best of {cfg['burst_repeats']}",
        "  processed/s: SNMPTrapMgr rows = traps / receiver time first..last trap; listen rows = file "
        "growth in lines/s (first flushed batch excluded); loss = (sent - received) / sent; listen rows "
        "count only the lines carrying their own request-ids; CPU-µs/trap: the receiving process's "
        "user + system time per trap (getrusage; listen rows: /proc/PID/stat of the listen process)",
    ]
    head = f"{'row':<42}{'offered/s':>10}  {'impl':<12}{'sent/s real':>12}{COUNT_HEAD}{'drops':>10}"
    lines += [head, "-" * len(head)]
    for r in rows:
        offered = ("burst" if r.extra.get("burst") else "max") if r.offered_rate == 0 else f"{r.offered_rate:,.0f}"
        drops = r.extra.get("socket_drops")
        if drops is None:
            drops = r.kernel_rcvbuf_errors
        drops_s = "-" if drops is None else f"{drops:,}"
        short = ""
        if r.offered_rate > 0 and r.actual_rate < 0.95 * r.offered_rate:
            short = f"  <- sender reached only {r.actual_rate / r.offered_rate:.0%} of the offered rate"
        if r.extra.get("rate_from", "file growth") != "file growth":
            short += f"  (processed/s from {r.extra['rate_from']})"
        lines.append(f"{scenario_title(r):<42}{offered:>10}  {shown(r.implementation):<12}{r.actual_rate:>12,.0f}"
                     f"{count_cells(r)}"
                     f"{drops_s:>10}{short}")
    lines.append("drops: the receiving socket's own kernel drop count (listen rows: from /proc/net/udp; "
                 "else the machine-wide UDP RcvbufErrors delta)")
    lines += error_lines(rows)
    finals = {k: v.get("final") for k, v in listen.items() if v.get("final")}
    if finals:
        lines.append("listen final counters: " + "; ".join(
            f"{shown(k)}: received={f.get('received', 0):,} delivered={f.get('delivered', 0):,} "
            f"kernel_drops={f.get('kernel_drops', 0):,}" for k, f in finals.items()))
    return "\n".join(lines)


def memory_json(runs: list) -> list:
    out = []
    for m in runs:
        for phase, after, count in (("memory_traps", m.after_traps, m.traps_processed),
                                    ("memory_engines", m.after_spoof, m.spoof_handled)):
            growth = m.growth_mb(m.start, after)
            out.append({
                "section": "memory", "name": phase, "implementation": m.implementation, "available": True,
                "target_count": m.traps_target if phase == "memory_traps" else m.spoof_target,
                "count": count, "rss_start_kb": m.start.get("vmrss_kb"), "rss_kb": after.get("vmrss_kb"),
                "hwm_kb": after.get("vmhwm_kb"), "growth_mb": growth, "caches": after.get("caches"),
                "traps_sent": m.traps_sent, "traps_processed": m.traps_processed, "traps_s": m.traps_s,
                "spoof_sent": m.spoof_sent, "spoof_handled": m.spoof_handled,
                "spoof_accepted": m.spoof_accepted, "spoof_s": m.spoof_s, "notes": m.notes,
            })
    return out


def memory_table(runs: list, quick: bool = False) -> str:
    lines = ["Memory: VmRSS of a fresh SNMPTrapMgr receiver process (/proc/<pid>/status), "
             "growth from its start (after activate, users added)" + (f"  [{QUICK_LABEL}]" if quick else "")]
    head = (f"{'phase':<44}{'impl':<13}{'count':>12}{'RSS start MB':>14}{'RSS MB':>9}{'growth MB':>11}"
            f"{'HWM MB':>9}  caches (engines / any-engine keys / auth / priv; caps)")
    lines += [head, "-" * len(head)]
    for m in runs:
        for label, after, count in ((f"after {m.traps_target:,} typical v2c traps", m.after_traps,
                                     m.traps_processed),
                                    (f"+ {m.spoof_target:,} spoofed engine IDs (v3 authPriv)", m.after_spoof,
                                     m.spoof_handled)):
            growth = m.growth_mb(m.start, after)
            c = after.get("caches") or {}
            caches = (f"{c.get('learned_engines', '-')} / {c.get('any_engine_keys', '-')} / "
                      f"{c.get('auth_keys', '-')} / {c.get('priv_keys', '-')}; "
                      f"{c.get('max_engines', '-')}, {c.get('max_keys', '-')}") if c else "-"
            lines.append(f"{label:<44}{shown(m.implementation):<13}{count:>12,}{m.start.get('vmrss_kb', 0) / 1024:>14.1f}"
                         f"{after.get('vmrss_kb', 0) / 1024:>9.1f}"
                         f"{'-' if growth is None else f'{growth:+.1f}':>11}"
                         f"{after.get('vmhwm_kb', 0) / 1024:>9.1f}  {caches}")
    for m in runs:
        lines.append(f"  {shown(m.implementation)}: traps: {m.traps_processed:,} processed of {m.traps_sent:,} sent in "
                     f"{m.traps_s:.1f} s; engines: {m.spoof_handled:,} datagrams taken, {m.spoof_accepted:,} "
                     f"accepted as traps, of {m.spoof_sent:,} sent in {m.spoof_s:.1f} s"
                     + (f"; {'; '.join(m.notes)}" if m.notes else ""))
    return "\n".join(lines)


def _fmt_rate(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:,.0f}/s"


def targets5(sweep: list, rows: list, runs: list, cfg: dict, quick: bool = False) -> list:
    """The collector's targets, measured on the compiled build, the pure-Python fallback's
    figure beside each (JSON key "twin", kept for the tools that read it).  ``pass`` compares
    with the limit; ``graded`` is False in a quick run (indicative only) and when not measured.
    A row whose counts cannot be right (:func:`check_counts`) is never used: not measured."""
    broken: dict = {}

    def get(name: str, impl: str, source: list) -> Any:
        row = next((r for r in source if (r.name or e2e_name(r)) == name and r.implementation == impl), None)
        if row is not None and row.problem:
            broken[(name, impl)] = row.problem
            return None
        return row

    out = []

    def finish(entry: dict, name: str) -> None:
        entry["quick"] = quick
        entry["graded"] = entry["pass"] is not None and not quick
        if (name, "cython") in broken:
            entry["why"] = f"the compiled row is in error: {broken[(name, 'cython')]}"
        out.append(entry)

    def rate_target(label: str, name: str, limit: float, also: str) -> None:
        cy, py = get(name, "cython", rows), get(name, "python", rows)
        conc = get(also, "cython", rows) or get(also, "cython", sweep)
        entry = {"target": label, "name": name, "limit": limit, "unit": "/s", "op": ">=",
                 "measured": cy.processed_per_s if cy else None,
                 "twin": py.processed_per_s if py else None, "pass": None}
        if cy is not None:
            entry["pass"] = cy.processed_per_s >= limit
            if conc is not None:
                entry["note"] = (f"with the sender running concurrently ({conc.name or e2e_name(conc)}): "
                                 f"{conc.processed_per_s:,.0f}/s processed, sender {conc.actual_rate:,.0f}/s")
        finish(entry, name)

    def loss_target(label: str, name: str, rate: float) -> None:
        cy, py = get(name, "cython", rows), get(name, "python", rows)
        entry = {"target": label, "name": name, "limit": 0.0, "unit": "%", "op": "==",
                 "measured": cy.loss_pct if cy else None, "twin": py.loss_pct if py else None, "pass": None}
        if cy is not None:
            reached = cy.actual_rate >= 0.95 * rate
            entry["sent_per_s"] = cy.actual_rate
            entry["pass"] = cy.loss_pct == 0.0 and reached
            if not reached:
                entry["note"] = (f"not demonstrated at the offered rate: the sender reached only "
                                 f"{cy.actual_rate:,.0f}/s real ({cy.actual_rate / rate:.0%} of {rate:,.0f}/s); "
                                 f"loss at that rate {cy.loss_pct:.2f}%")
        finish(entry, name)

    rate_target(">= 300,000 v2c traps/s through SNMPTrapMgr + on_trap, one core", "e2e_burst", 300_000, "e2e_max")
    loss_target(f"0% loss at {cfg['sustained_rate']:,.0f}/s offered for {cfg['sustained_s']:g} s (v2c)",
                "e2e_sustained", cfg["sustained_rate"])
    rate_target(">= 120,000 v3 SHA-1/AES-128 traps/s (known engine)", "v3_burst", 120_000, "v3_max")
    rate_target(">= 250,000 traps/s, snmptrapmgr listen -> JSON lines file (MIB names on)", "listen_burst", 250_000,
                "listen_max")
    loss_target(f"0% loss at {cfg['listen_rate']:,.0f}/s offered for {cfg['listen_s']:g} s (listen)",
                f"listen_{int(cfg['listen_rate'])}", cfg["listen_rate"])
    py_burst = get("e2e_burst", "python", rows)
    entry = {"target": ">= 30,000 v2c traps/s through SNMPTrapMgr + on_trap, pure-Python fallback",
             "name": "e2e_burst_python", "limit": 30_000, "unit": "/s", "op": ">=",
             "measured": py_burst.processed_per_s if py_burst else None, "twin": None, "pass": None}
    if py_burst is not None:
        entry["pass"] = py_burst.processed_per_s >= 30_000
    finish(entry, "e2e_burst")
    names_cy, numeric_cy = get("listen_burst", "cython", rows), get("listen_burst_numeric", "cython", rows)
    names_py, numeric_py = get("listen_burst", "python", rows), get("listen_burst_numeric", "python", rows)
    entry = {"target": "listen -> JSON with MIB names >= 90% of --numeric throughput (bursts, alternating)",
             "name": "listen_names_ratio", "limit": 0.9, "unit": "ratio", "op": ">=", "measured": None,
             "twin": None, "pass": None}
    if names_cy is not None and numeric_cy is not None and numeric_cy.processed_per_s > 0:
        entry["measured"] = names_cy.processed_per_s / numeric_cy.processed_per_s
        entry["pass"] = entry["measured"] >= 0.9
        entry["note"] = (f"names {names_cy.processed_per_s:,.0f}/s, --numeric {numeric_cy.processed_per_s:,.0f}/s; "
                         f"CPU-us/trap {names_cy.cpu_us_per_trap or 0:.2f} vs {numeric_cy.cpu_us_per_trap or 0:.2f}")
    if names_py is not None and numeric_py is not None and numeric_py.processed_per_s > 0:
        entry["twin"] = names_py.processed_per_s / numeric_py.processed_per_s
    finish(entry, "listen_burst")
    by = {m.implementation: m for m in runs}
    for label, attr, count_attr, target_attr in (
            ("memory after {n:,} traps within 20 MB of the start", "after_traps", "traps_processed", "traps_target"),
            ("memory after {n:,} spoofed engine IDs within 20 MB of the start", "after_spoof", "spoof_handled",
             "spoof_target")):
        cy, py = by.get("cython"), by.get("python")
        n = getattr(cy or py, target_attr, 0) if (cy or py) else 0
        entry = {"target": label.format(n=n), "name": attr, "limit": 20.0, "unit": " MB", "op": "<=",
                 "measured": None, "twin": None, "pass": None}
        if cy is not None:
            entry["measured"] = cy.growth_mb(cy.start, getattr(cy, attr))
            if entry["measured"] is not None:
                done = getattr(cy, count_attr)
                entry["pass"] = entry["measured"] <= 20.0 and done >= n
                if done < n:
                    entry["note"] = f"only {done:,} of {n:,} reached (time bound)"
        if py is not None:
            entry["twin"] = py.growth_mb(py.start, getattr(py, attr))
            if getattr(py, count_attr) < n:
                entry["twin_note"] = f"pure-Python fallback: {getattr(py, count_attr):,} of {n:,} (time bound)"
        finish(entry, attr)
    return out


def target5_lines(entries: list, quick: bool = False, compiled: bool = True) -> str:
    head = "Targets for the collector (end to end), compiled build (pure-Python fallback in brackets)"
    if quick:
        head += f"; {QUICK_LABEL}: rows far shorter than the full run's (run without --quick to grade)"
    lines = [head + ":"]
    for e in entries:
        def show(v: Optional[float]) -> str:
            if v is None:
                return "-"
            if e["unit"] == "/s":
                return f"{v:,.0f}/s"
            if e["unit"] == "%":
                return f"{v:.2f}%"
            if e["unit"] == "ratio":
                return f"{v:.3f}"
            return f"{v:+.1f} MB"
        if e["measured"] is None:
            if e.get("why"):
                verdict = f"not measured ({e['why']})" + ("" if quick else "  MISS")
            elif not compiled:
                verdict = "not graded (the compiled modules were not measured)"
            else:
                verdict = "not measured" + ("" if quick else "  MISS")
        else:
            short = ""
            if not e["pass"] and e["unit"] == "/s" and e["measured"]:
                short = f"{e['limit'] / e['measured']:.2f}x short"
            verdict = verdict_text(e, bool(e["pass"]), short, quick)
        notes = "; ".join(x for x in (e.get("note"), e.get("twin_note")) if x)
        lines.append(f"  {e['target']}: {show(e['measured'])} [{show(e['twin'])}]  {verdict}"
                     + (f"  ({notes})" if notes else ""))
    return "\n".join(lines)
