"""The bench's PNG: the v2c offered-rate sweep and the named collector rows, compiled beside pure-Python.

Kept apart from :mod:`bench.report` because only ``--plot`` needs it (and matplotlib).
"""

from __future__ import annotations

from typing import Any, Optional

from .report import scenario_title, shown

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
