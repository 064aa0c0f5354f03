"""Turn measured rows into JSON rows, the plain-text tables, the target lines and the plot.

The text speaks the user's words: "compiled" (the Cython modules), "pure-Python
fallback" (what runs without them), "one hashlib call over 1 MiB (the lower bound)" for
the password-to-key reference.  The JSON keeps its historical keys and values
("cython", "python", "floor", "targets_issue5", "twin") for the tools that read it.
"""

from __future__ import annotations

from typing import Any, Optional

IMPLS = ("cython", "python", "pysnmp", "floor")
#: how each implementation is named in the printed tables
SHOWN = {"cython": "compiled", "python": "pure-Python", "pysnmp": "pysnmp", "floor": "lower bound"}
LOWER_BOUND = "one hashlib call over 1 MiB (the lower bound)"
QUICK_LABEL = "quick run: indicative only, not graded"


def shown(impl: str) -> str:
    return SHOWN.get(impl, impl)


# (label, row key, how, limit): how = "us" (compiled best <= limit), "fallback" (pure-Python / compiled
# >= limit), "pysnmp" (pysnmp / compiled >= limit), "bound" (compiled / lower bound <= limit)
TARGETS = [
    ("decode of the typical v2c trap, compiled", "decode_v2c", "us", 3.0),
    ("decode of the typical v2c trap, pure-Python fallback / compiled", "decode_v2c", "fallback", 10.0),
    ("decode of the typical v2c trap, pysnmp / compiled", "decode_v2c", "pysnmp", 140.0),
    ("v3 SHA-1/AES-128 trap through the whole receive path, compiled", "receive_v3", "us", 12.0),
    (f"password-to-key MD5, compiled / {LOWER_BOUND}", "p2k_md5", "bound", 1.1),
    (f"password-to-key SHA-1, compiled / {LOWER_BOUND}", "p2k_sha1", "bound", 1.1),
    (f"password-to-key SHA-256, compiled / {LOWER_BOUND}", "p2k_sha256", "bound", 1.1),
    (f"password-to-key SHA-512, compiled / {LOWER_BOUND}", "p2k_sha512", "bound", 1.1),
]


def check_counts(rows: list) -> list:
    """The rows whose counts cannot be right (received > sent: a row counted traffic that was
    not its own), as "title, implementation: why" lines.  Every table and target reports such
    a row as an error instead of a (negative) loss."""
    return [f"{scenario_title(r) if r.name else e2e_name(r)}, {shown(r.implementation)}: {r.problem}"
            for r in rows if r.problem]


def fmt_us(us: Optional[float]) -> str:
    if us is None:
        return "-"
    if us < 10:
        return f"{us:.3f}"
    if us < 100:
        return f"{us:.2f}"
    if us < 1000:
        return f"{us:.1f}"
    return f"{us:.0f}"


def fmt_x(x: Optional[float]) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x" if x < 100 else f"{x:.0f}x"


# ----------------------------------------------------------------------------- micro


def micro_json(rows: list) -> list:
    out = []
    for row in rows:
        by = {c.implementation: c for c in row.candidates}
        base = by.get("cython")
        floor = by.get("floor")
        for cand in row.candidates:
            best = cand.best_us
            out.append({
                "section": "micro", "name": row.key, "title": row.title,
                "implementation": cand.implementation, "available": True,
                "us_per_op": best, "us_median": cand.median_us,
                "us_samples": [s / 1000.0 for s in cand.samples_ns],
                "ops_per_s": 1e6 / best if best > 0 else 0.0,
                "calls_per_chunk": cand.number,
                "ratio": best / base.best_us if base is not None and base.best_us > 0 else None,
                "ratio_to": "cython" if base is not None else None,
                "ratio_to_floor": best / floor.best_us if floor is not None else None,
                "note": row.note,
            })
        for impl, why in row.unavailable.items():
            out.append({"section": "micro", "name": row.key, "title": row.title,
                        "implementation": impl, "available": False, "reason": why,
                        "us_per_op": None, "ops_per_s": None, "ratio": None})
    return out


def micro_table(rows: list, repeats: int, quick: bool = False) -> str:
    lines = [f"Micro: us per op, best/median of {repeats} interleaved chunks per implementation "
             "(password-to-key: of single calls, see notes); ratios from the best"
             + (f"  [{QUICK_LABEL}]" if quick else ""),
             "compiled = the Cython modules; pure-Python = the fallback that runs without them; "
             "lower bound = one hashlib call over 1 MiB (password-to-key cannot be faster)"]
    head = (f"{'row':<52}{'compiled':>16}{'pure-Python':>16}{'pysnmp':>18}{'lower bound':>16}"
            f"{'pure/comp':>11}{'pysnmp/comp':>13}{'comp/bound':>12}{'pure/bound':>12}")
    lines += [head, "-" * len(head)]
    notes = []
    for row in rows:
        by = {c.implementation: c for c in row.candidates}
        cells = []
        for impl, width in (("cython", 16), ("python", 16), ("pysnmp", 18), ("floor", 16)):
            c = by.get(impl)
            if c is not None:
                cells.append(f"{fmt_us(c.best_us) + '/' + fmt_us(c.median_us):>{width}}")
            elif impl in row.unavailable:
                cells.append(f"{'n/a':>{width}}")
                notes.append(f"  {row.title}: {shown(impl)} n/a: {row.unavailable[impl]}")
            else:
                cells.append(f"{'-':>{width}}")
        cy, py, ps, fl = (by.get(k) for k in IMPLS)

        def ratio(a: Any, b: Any) -> Optional[float]:
            return a.best_us / b.best_us if a is not None and b is not None and b.best_us > 0 else None

        lines.append(f"{row.title:<52}{''.join(cells)}{fmt_x(ratio(py, cy)):>11}"
                     f"{fmt_x(ratio(ps, cy)):>13}{fmt_x(ratio(cy, fl)):>12}{fmt_x(ratio(py, fl)):>12}")
        if row.note:
            notes.append(f"  {row.title}: {row.note}")
    if notes:
        lines.append("notes:")
        lines += notes
    return "\n".join(lines)


# ----------------------------------------------------------------------------- e2e


def e2e_name(row: Any) -> str:
    return "e2e_max" if row.offered_rate == 0 else f"e2e_{int(row.offered_rate)}"


def e2e_json(rows: list) -> list:
    out = []
    cython = {e2e_name(r): r for r in rows if r.implementation == "cython"}
    for r in rows:
        processed = r.processed_per_s
        base = cython.get(e2e_name(r))
        out.append({
            "section": "e2e", "name": e2e_name(r), "implementation": r.implementation,
            "available": True, **({"error": r.problem} if r.problem else {}),
            "offered_rate": r.offered_rate or None, "actual_send_rate": r.actual_rate,
            "sent": r.sent, "received": r.received, "bad_packets": r.bad,
            "loss_pct": None if r.problem else r.loss_pct, "processed_per_s": processed, "ops_per_s": processed,
            "us_per_op": 1e6 / processed if processed > 0 else None,
            "receiver_busy_s": r.busy_s, "sender_elapsed_s": r.sender_elapsed_s,
            "kernel_rcvbuf_errors": r.kernel_rcvbuf_errors,
            "ratio": (base.processed_per_s / processed
                      if base is not None and processed > 0 else None),
            "ratio_to": "cython" if base is not None else None,
            **r.extra,
        })
    return out


def _loss_cell(r: Any) -> str:
    """The loss column: a percentage, or ERROR for a row whose counts cannot be right."""
    return f"{'ERROR':>9}" if r.problem else f"{r.loss_pct:>8.2f}%"


def _errors(rows: list) -> list:
    bad = check_counts(rows)
    return [f"ERROR (not a result): {line}" for line in bad]


def e2e_table(rows: list, info: dict, duration_s: float, max_duration_s: float, max_count: int = 0,
              quick: bool = False) -> str:
    bufs = ", ".join(f"{shown(k)}: {v['rcvbuf_kernel']:,}" for k, v in info.items())
    req = _requested(info)
    epc = next(iter(info.values()))["events_per_call"] if info else 0
    lines = [
        f"End-to-end: sender process -> UDP 127.0.0.1 -> SNMPTrapMgr (child process) on_trap counting; "
        f"{duration_s:g} s per rate, max row {max_duration_s:g} s"
        + (f", at most {max_count:,} datagrams per row" if max_count else "")
        + (f"  [{QUICK_LABEL}]" if quick else ""),
        f"SO_RCVBUF requested {req:,} (InBufferSize), kernel gave {bufs}; EventsPerCall {epc}",
        "processed/s = traps handled / receiver time from first to last trap; "
        "loss = (sent - received) / sent after draining",
    ]
    head = (f"{'offered/s':>10}  {'impl':<12}{'sent/s real':>13}{'sent':>11}{'received':>11}"
            f"{'processed/s':>13}{'loss %':>9}{'kernel drops':>14}")
    lines += [head, "-" * len(head)]
    for r in rows:
        offered = "max" if r.offered_rate == 0 else f"{r.offered_rate:,.0f}"
        drops = "-" if r.kernel_rcvbuf_errors is None else f"{r.kernel_rcvbuf_errors:,}"
        lines.append(f"{offered:>10}  {shown(r.implementation):<12}{r.actual_rate:>13,.0f}{r.sent:>11,}"
                     f"{r.received:>11,}{r.processed_per_s:>13,.0f}{_loss_cell(r)}{drops:>14}")
    lines.append("kernel drops = machine-wide UDP RcvbufErrors delta (other traffic on the box counts too)")
    lines += _errors(rows)
    return "\n".join(lines)


# ----------------------------------------------------------------------------- targets


def targets(rows: list, quick: bool = False) -> list:
    """The micro targets.  ``pass`` compares with the full-run limit; ``graded`` is False for a
    quick run (its ``pass`` is indicative only) and for what was not measured."""
    by = {row.key: {c.implementation: c for c in row.candidates} for row in rows}
    out = []
    for label, key, how, limit in TARGETS:
        cands = by.get(key, {})
        cy = cands.get("cython")
        other = {"fallback": "python", "pysnmp": "pysnmp", "bound": "floor"}.get(how)
        ref = cands.get(other) if other else None
        entry = {"target": label, "name": key, "limit": limit, "measured": None, "median_based": None,
                 "pass": None, "quick": quick, "graded": False}
        if cy is None:
            entry["why"] = "the compiled modules were not measured"
        elif other and ref is None:
            entry["why"] = f"{shown(other) if other != 'python' else 'the pure-Python fallback'} was not measured"
        elif how == "us":
            entry.update(measured=cy.best_us, median_based=cy.median_us, unit="us", op="<=")
        elif how == "bound":
            entry.update(measured=cy.best_us / ref.best_us, median_based=cy.median_us / ref.median_us,
                         unit="x", op="<=")
        else:
            entry.update(measured=ref.best_us / cy.best_us, median_based=ref.median_us / cy.median_us,
                         unit="x", op=">=")
        if entry["measured"] is not None:
            entry["pass"] = (entry["measured"] <= limit) if entry["op"] == "<=" else (entry["measured"] >= limit)
            entry["measured_over_limit"] = entry["measured"] / limit
            entry["graded"] = not quick
        out.append(entry)
    return out


def _verdict(e: dict, ok: bool, short: str, quick: bool) -> str:
    """PASS / MISS (...), or in a quick run the same comparison marked as indicative."""
    if quick:
        return "meets the limit (indicative)" if ok else f"{short or 'not met'} (indicative)"
    return "PASS" if ok else f"MISS ({short})" if short else "MISS"


def target_lines(entries: list, quick: bool = False) -> str:
    head = "Targets for decoding and keys (micro rows), from the best of the interleaved chunks " \
           "(median-based value in brackets)"
    lines = [head + (f"; {QUICK_LABEL}: short chunks, compared with the full-run limits "
                     "(run without --quick to grade)" if quick else "") + ":"]
    for e in entries:
        if e["measured"] is None:
            why = e.get("why", "")
            lines.append(f"  {e['target']}: not measured ({why})  "
                         + ("not graded" if quick or "compiled" in why else "MISS"))
            continue
        unit = " us" if e["unit"] == "us" else "x"
        measured = fmt_us(e["measured"]) if e["unit"] == "us" else fmt_x(e["measured"])[:-1]
        median = fmt_us(e["median_based"]) if e["unit"] == "us" else fmt_x(e["median_based"])[:-1]
        if e["pass"]:
            short = ""
        elif e["op"] == "<=":
            short = f"{e['measured'] / e['limit']:.2f}x over the limit"
        else:
            short = f"{e['limit'] / e['measured']:.2f}x short"
        verdict = _verdict(e, bool(e["pass"]), short, quick)
        lines.append(f"  {e['target']} {e['op']} {e['limit']:g}{unit}: {measured}{unit} "
                     f"[{median}{unit}]  {verdict}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- plot


PLOT_COLORS = {"cython": "tab:blue", "python": "tab:orange"}


def plot(rows: list, path: str, title: str, scenario_rows: Optional[list] = None,
         targets5: Optional[list] = None) -> None:
    """The PNG: the v2c offered-rate sweep (``rows``: throughput and loss vs offered rate) on top,
    the named collector rows (``scenario_rows``) below as compiled / pure-Python bars with the
    collector's rate targets (``targets5``, as from :func:`targets5`) marked.  Either part may be
    empty; rows whose counts cannot be right (:func:`check_counts`) are left out."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'snmptrapmgr[bench]' "
                         "(or pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = [r for r in rows if not r.name and not r.problem]
    named = [r for r in list(scenario_rows or []) + [r for r in rows if r.name] if not r.problem]
    if not sweep and not named:
        raise ValueError("plot: no end-to-end or collector rows")
    n_scen = len({r.name for r in named})
    scen_h = 1.2 + 0.62 * n_scen
    if sweep and named:
        fig = plt.figure(figsize=(14, 5.4 + scen_h))
        grid = fig.add_gridspec(2, 2, height_ratios=[5.0, scen_h])
        ax1, ax2 = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        ax3 = fig.add_subplot(grid[1, :])
    elif sweep:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.2))
    else:
        fig, ax3 = plt.subplots(figsize=(14, 0.6 + scen_h))
    if sweep:
        _plot_sweep(ax1, ax2, sweep)
    if named:
        _plot_scenarios(ax3, named, targets5 or [])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_sweep(ax1: Any, ax2: Any, rows: list) -> None:
    """Left: processed (and actually sent) vs offered rate, max-throughput lines; right: loss."""
    colors = PLOT_COLORS
    top = 1.0
    for kind in ("cython", "python"):
        rated = sorted((r for r in rows if r.implementation == kind and r.offered_rate > 0),
                       key=lambda r: r.offered_rate)
        if not rated:
            continue
        xs = [r.offered_rate / 1000 for r in rated]
        ax1.plot(xs, [r.processed_per_s / 1000 for r in rated], "o-", color=colors[kind],
                 label=f"{shown(kind)}: processed/s")
        ax1.plot(xs, [r.actual_rate / 1000 for r in rated], "x--", color=colors[kind], lw=0.8,
                 alpha=0.6, label=f"{shown(kind)} run: actually sent/s")
        ax2.plot(xs, [r.loss_pct for r in rated], "o-", color=colors[kind], label=shown(kind))
        top = max(top, max(xs), max(r.processed_per_s / 1000 for r in rated))
        for r in rows:
            if r.implementation == kind and r.offered_rate == 0:
                ax1.axhline(r.processed_per_s / 1000, color=colors[kind], ls=":",
                            label=f"{shown(kind)}: max throughput {r.processed_per_s / 1000:.1f}k/s")
                top = max(top, r.processed_per_s / 1000)
    ax1.plot([0, top * 1.05], [0, top * 1.05], ":", color="grey", lw=0.8, label="processed = offered")
    ax1.set_xlabel("offered rate (k traps/s, nominal)")
    ax1.set_ylabel("traps processed (k/s)")
    ax1.set_title("v2c sweep: throughput vs offered rate")
    ax1.set_xlim(left=0)
    ax1.set_ylim(bottom=0)
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=8, loc="upper left")
    ax2.set_xlabel("offered rate (k traps/s, nominal)")
    ax2.set_ylabel("loss (%)")
    ax2.set_title("v2c sweep: loss vs offered rate")
    ax2.set_xlim(left=0)
    ax2.set_ylim(bottom=-1, top=max(5.0, max((r.loss_pct for r in rows), default=0) * 1.1 + 1))
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left")


def _scenario_order(name: str) -> tuple:
    """v2c, v3, listen; within each: fixed rates, then max, then burst."""
    group = next((i for i, p in enumerate(("e2e_", "v3_", "listen_")) if name.startswith(p)), 3)
    tail = name.split("_", 1)[-1]
    return group, {"max": 2, "burst": 3}.get(tail, 1), name


def _scenario_label(row: Any) -> str:
    head, _, tail = scenario_title(row).rpartition(", ")
    if row.offered_rate > 0:
        tail = f"{tail}, {row.offered_rate:,.0f}/s" if tail != "offered" else f"offered {row.offered_rate:,.0f}/s"
    return f"{head}\n{tail}" if head else tail


def _plot_scenarios(ax: Any, rows: list, targets5: list) -> None:
    """Grouped horizontal bars, processed/s per named row, compiled and pure-Python; rate targets
    as marks; loss written beside the fixed-rate rows."""
    names = sorted({r.name for r in rows}, key=_scenario_order)
    by = {(r.name, r.implementation): r for r in rows}
    limits = {t["name"]: t for t in targets5 if t.get("unit") == "/s" and t.get("limit")}
    kinds = [k for k in ("cython", "python") if any(r.implementation == k for r in rows)]
    xmax = max([r.processed_per_s for r in rows] + [limits[n]["limit"] for n in names if n in limits]) / 1000
    xmax = max(xmax, 1.0) * 1.08
    height = 0.8 / max(1, len(kinds))
    labelled: set = set()
    for i, name in enumerate(names):
        for j, kind in enumerate(kinds):
            r = by.get((name, kind))
            if r is None:
                continue
            y = i - 0.4 + height * (j + 0.5)
            value = r.processed_per_s / 1000
            ax.barh(y, value, height * 0.92, color=PLOT_COLORS.get(kind, "grey"),
                    label=None if kind in labelled else
                    {"cython": "compiled", "python": "pure-Python fallback"}.get(kind, kind))
            labelled.add(kind)
            text = f"{value:,.1f}k/s"
            if r.offered_rate > 0:
                text += f"  loss {r.loss_pct:.2f}%"
                if r.actual_rate < 0.95 * r.offered_rate:
                    text += f" (sender reached only {r.actual_rate / r.offered_rate:.0%})"
            inside = value > 0.45 * xmax
            ax.text(value - 0.01 * xmax if inside else value + 0.006 * xmax, y, text, va="center",
                    ha="right" if inside else "left", fontsize=8, color="white" if inside else "black")
        t = limits.get(name)
        if t is not None:
            limit = t["limit"] / 1000
            ax.plot([limit, limit], [i - 0.46, i + 0.46], color="red", ls="--", lw=1.6,
                    label=None if "target" in labelled else "target (compiled build)")
            labelled.add("target")
            verdict = "" if t.get("pass") is None or t.get("graded") is False else (
                "  PASS" if t["pass"] else "  MISS")
            ax.text(limit + 0.006 * xmax, i - 0.40, f"target {t['limit']:,.0f}/s{verdict}", va="center",
                    ha="left", fontsize=8, color="red")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([_scenario_label(by.get((n, "cython")) or next(r for r in rows if r.name == n))
                        for n in names], fontsize=8.5)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_xlim(0, xmax * 1.12)
    ax.set_xlabel("traps processed (k/s): SNMPTrapMgr rows = traps / receiver time first..last trap; "
                  "listen rows = JSON lines written per s", fontsize=9)
    ax.set_title("Collector rows: offered = fixed rate (loss written beside it); max = sender "
                 "running concurrently; burst = queued while the receiver is stopped, then drained alone",
                 fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")


# ----------------------------------------------------------------------------- collector

SCENARIO_TITLES = {
    "e2e_sustained": "v2c, SNMPTrapMgr, sustained",
    "e2e_burst": "v2c, SNMPTrapMgr, burst (receiver alone)",
    "v3_max": "v3 authPriv, SNMPTrapMgr, max",
    "v3_burst": "v3 authPriv, SNMPTrapMgr, burst (alone)",
    "listen_max": "snmptrapmgr listen -> file, max",
    "listen_burst": "snmptrapmgr listen -> file, burst (alone)",
}


def scenario_title(row: Any) -> str:
    if row.name in SCENARIO_TITLES:
        return SCENARIO_TITLES[row.name]
    if row.name.startswith("v3_"):
        return "v3 authPriv, SNMPTrapMgr, offered"
    if row.name.startswith("listen_"):
        return "snmptrapmgr listen -> file, offered"
    return row.name


def scenario_json(rows: list) -> list:
    out = []
    cython = {r.name: r for r in rows if r.implementation == "cython"}
    for r in rows:
        processed = r.processed_per_s
        base = cython.get(r.name)
        out.append({
            "section": "collector", "name": r.name, "title": scenario_title(r),
            "implementation": r.implementation, "available": True, **({"error": r.problem} if r.problem else {}),
            "offered_rate": r.offered_rate or None, "actual_send_rate": r.actual_rate,
            "sent": r.sent, "received": r.received, "bad_packets": r.bad,
            "loss_pct": None if r.problem else r.loss_pct, "processed_per_s": processed, "ops_per_s": processed,
            "us_per_op": 1e6 / processed if processed > 0 else None,
            "receiver_busy_s": r.busy_s, "sender_elapsed_s": r.sender_elapsed_s,
            "kernel_rcvbuf_errors": r.kernel_rcvbuf_errors,
            "ratio": base.processed_per_s / processed if base is not None and processed > 0 else None,
            "ratio_to": "cython" if base is not None else None,
            **r.extra,
        })
    return out


def _requested(info: dict) -> int:
    """The receive buffer the receivers asked for (the same for every implementation)."""
    return next(iter(info.values()))["rcvbuf_requested"] if info else 0


def scenario_table(rows: list, info: dict, cfg: dict, quick: bool = False) -> str:
    recv = info.get("receivers", {})
    listen = info.get("listen", {})
    lines = [
        "Collector rows: sender process (bench.loadgen) -> UDP 127.0.0.1 -> receiver process"
        + (f"  [{QUICK_LABEL}: rows of {cfg['duration_s']:g} s or less]" if quick else ""),
        f"  SNMPTrapMgr rows: bench._receiver, InBufferSize {_requested(recv):,} (kernel gave "
        + ", ".join(f"{shown(k)}: {v['rcvbuf_kernel']:,}" for k, v in recv.items()) + "); "
        f"listen rows: snmptrapmgr listen --output FILE --rcvbuf {_requested(listen):,} (kernel gave "
        + ", ".join(f"{shown(k)}: {v['rcvbuf_kernel']:,}" for k, v in listen.items()) + ")",
        f"  sustained {cfg['sustained_s']:g} s at {cfg['sustained_rate']:,.0f}/s; listen offered "
        f"{cfg['listen_s']:g} s; other rows {cfg['duration_s']:g} s (at most {cfg['max_count']:,} datagrams); "
        f"bursts: {cfg['burst_count']:,} v2c / {cfg['v3_burst_count']:,} v3 datagrams queued while the "
        f"receiver is stopped (SIGSTOP), then drained, best of {cfg['burst_repeats']}",
        "  processed/s: SNMPTrapMgr rows = traps / receiver time first..last trap; listen rows = file "
        "growth in lines/s (first flushed batch excluded); loss = (sent - received) / sent; listen rows "
        "count only the lines carrying their own request-ids",
    ]
    head = (f"{'row':<42}{'offered/s':>10}  {'impl':<12}{'sent/s real':>12}{'sent':>11}{'received':>11}"
            f"{'processed/s':>13}{'loss %':>9}{'drops':>10}")
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
                     f"{r.sent:>11,}{r.received:>11,}{r.processed_per_s:>13,.0f}{_loss_cell(r)}"
                     f"{drops_s:>10}{short}")
    lines.append("drops: the receiving socket's own kernel drop count (listen rows: from /proc/net/udp; "
                 "else the machine-wide UDP RcvbufErrors delta)")
    lines += _errors(rows)
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

    rate_target(">= 200,000 v2c traps/s through SNMPTrapMgr + on_trap, one core", "e2e_burst", 200_000, "e2e_max")
    loss_target(f"0% loss at {cfg['sustained_rate']:,.0f}/s offered for {cfg['sustained_s']:g} s (v2c)",
                "e2e_sustained", cfg["sustained_rate"])
    rate_target(">= 80,000 v3 SHA-1/AES-128 traps/s (known engine)", "v3_burst", 80_000, "v3_max")
    rate_target(">= 100,000 traps/s, snmptrapmgr listen -> JSON lines file", "listen_burst", 100_000, "listen_max")
    loss_target(f"0% loss at {cfg['listen_rate']:,.0f}/s offered for {cfg['listen_s']:g} s (listen)",
                f"listen_{int(cfg['listen_rate'])}", cfg["listen_rate"])
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
            verdict = _verdict(e, bool(e["pass"]), short, quick)
        notes = "; ".join(x for x in (e.get("note"), e.get("twin_note")) if x)
        lines.append(f"  {e['target']}: {show(e['measured'])} [{show(e['twin'])}]  {verdict}"
                     + (f"  ({notes})" if notes else ""))
    return "\n".join(lines)
