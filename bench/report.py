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
    ("v3 SHA-1/AES-128 trap through the whole receive path, compiled", "receive_v3", "us", 5.0),
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


def row_json(r: Any, section: str, name: str, base: Any, **more: Any) -> dict:
    """One measured receiver row as JSON; ``base``: the compiled row of the same name (the ratio)."""
    processed = r.processed_per_s
    return {
        "section": section, "name": name, **more,
        "implementation": r.implementation, "available": True, **({"error": r.problem} if r.problem else {}),
        "offered_rate": r.offered_rate or None, "actual_send_rate": r.actual_rate,
        "sent": r.sent, "received": r.received, "bad_packets": r.bad,
        "loss_pct": None if r.problem else r.loss_pct, "processed_per_s": processed, "ops_per_s": processed,
        "us_per_op": 1e6 / processed if processed > 0 else None,
        "cpu_us_per_trap": r.cpu_us_per_trap or None,
        "receiver_busy_s": r.busy_s, "sender_elapsed_s": r.sender_elapsed_s,
        "kernel_rcvbuf_errors": r.kernel_rcvbuf_errors,
        "ratio": base.processed_per_s / processed if base is not None and processed > 0 else None,
        "ratio_to": "cython" if base is not None else None,
        **r.extra,
    }


def e2e_json(rows: list) -> list:
    cython = {e2e_name(r): r for r in rows if r.implementation == "cython"}
    return [row_json(r, "e2e", e2e_name(r), cython.get(e2e_name(r))) for r in rows]


#: the columns every receiver table shares (count_cells fills them)
COUNT_HEAD = f"{'sent':>11}{'received':>11}{'processed/s':>13}{'CPU-µs/trap':>13}{'loss %':>9}"


def count_cells(r: Any) -> str:
    """sent, received, processed/s, CPU-µs/trap ("-" where not measured) and loss of one row."""
    cpu = f"{r.cpu_us_per_trap:>13.2f}" if r.cpu_us_per_trap else f"{'-':>13}"
    return f"{r.sent:>11,}{r.received:>11,}{r.processed_per_s:>13,.0f}{cpu}{loss_cell(r)}"


def loss_cell(r: Any) -> str:
    """The loss column: a percentage, or ERROR for a row whose counts cannot be right."""
    return f"{'ERROR':>9}" if r.problem else f"{r.loss_pct:>8.2f}%"


def error_lines(rows: list) -> list:
    bad = check_counts(rows)
    return [f"ERROR (not a result): {line}" for line in bad]


def e2e_table(rows: list, info: dict, duration_s: float, max_duration_s: float, max_count: int = 0,
              quick: bool = False) -> str:
    bufs = ", ".join(f"{shown(k)}: {v['rcvbuf_kernel']:,}" for k, v in info.items())
    req = requested(info)
    epc = next(iter(info.values()))["events_per_call"] if info else 0
    lines = [
        f"End-to-end: sender process -> UDP 127.0.0.1 -> SNMPTrapMgr (child process), on_trap reading the "
        f"trap OID and every varbind (obj_count, get_obj_id/type/value(i)); "
        f"{duration_s:g} s per rate, max row {max_duration_s:g} s"
        + (f", at most {max_count:,} datagrams per row" if max_count else "")
        + (f"  [{QUICK_LABEL}]" if quick else ""),
        f"SO_RCVBUF requested {req:,} (InBufferSize), kernel gave {bufs}; EventsPerCall {epc}",
        "processed/s = traps handled / receiver time from first to last trap; "
        "loss = (sent - received) / sent after draining; CPU-µs/trap = the receiving process's "
        "user + system time (getrusage) per trap handled",
    ]
    head = f"{'offered/s':>10}  {'impl':<12}{'sent/s real':>13}{COUNT_HEAD}{'kernel drops':>14}"
    lines += [head, "-" * len(head)]
    for r in rows:
        offered = "max" if r.offered_rate == 0 else f"{r.offered_rate:,.0f}"
        drops = "-" if r.kernel_rcvbuf_errors is None else f"{r.kernel_rcvbuf_errors:,}"
        lines.append(f"{offered:>10}  {shown(r.implementation):<12}{r.actual_rate:>13,.0f}{count_cells(r)}"
                     f"{drops:>14}")
    lines.append("kernel drops = machine-wide UDP RcvbufErrors delta (other traffic on the box counts too)")
    lines += error_lines(rows)
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


def verdict_text(e: dict, ok: bool, short: str, quick: bool) -> str:
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
        verdict = verdict_text(e, bool(e["pass"]), short, quick)
        lines.append(f"  {e['target']} {e['op']} {e['limit']:g}{unit}: {measured}{unit} "
                     f"[{median}{unit}]  {verdict}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- collector

SCENARIO_TITLES = {
    "e2e_sustained": "v2c, SNMPTrapMgr, sustained",
    "e2e_burst": "v2c, SNMPTrapMgr, burst (receiver alone)",
    "v3_max": "v3 authPriv, SNMPTrapMgr, max",
    "v3_burst": "v3 authPriv, SNMPTrapMgr, burst (alone)",
    "listen_max": "snmptrapmgr listen -> file, max",
    "listen_burst": "snmptrapmgr listen -> file, burst (alone)",
    "listen_burst_numeric": "snmptrapmgr listen --numeric -> file, burst (alone)",
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
    cython = {r.name: r for r in rows if r.implementation == "cython"}
    return [row_json(r, "collector", r.name, cython.get(r.name), title=scenario_title(r)) for r in rows]


def requested(info: dict) -> int:
    """The receive buffer the receivers asked for (the same for every implementation)."""
    return next(iter(info.values()))["rcvbuf_requested"] if info else 0
