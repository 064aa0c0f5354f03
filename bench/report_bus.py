"""The bus rows of ``python -m bench`` (:mod:`bench.bus`): a table and the scale-out targets."""

from __future__ import annotations

from typing import Optional

__all__ = ["CONFIG", "QUICK_CONFIG", "table", "targets", "target_lines"]

# rows(): offered rate and seconds, spool run size, burst size, max-row size
CONFIG = {"seconds": 10.0, "rate": 50_000, "spool_count": 1_000_000, "burst": 100_000, "total": 200_000,
          "sustained": 100_000}
QUICK_CONFIG = {"seconds": 0.5, "rate": 20_000, "spool_count": 5_000, "burst": 2_000, "total": 5_000,
                "sustained": 40_000}
NAMES = {"nats": "JetStream", "kafka": "Kafka"}


def _row(rows: list, bus: str, kind: str) -> Optional[dict]:
    return next((r for r in rows if r["bus"] == bus and r["row"] == kind), None)


def table(rows: list) -> str:
    lines = ["Bus rows: one collector process (the listen receive loop, --numeric) publishing, the broker "
             "on loopback (nats-server file storage; Tansu in memory)",
             f"  {'bus':<10} {'row':<8} {'sent':>9} {'stored':>9} {'traps/s':>9} {'loss':>7} {'CPU-us/trap':>11}  note",
             "  " + "-" * 100]
    for r in rows:
        if r["row"] == "spool":
            note = (f"broker away: RSS {r['rss_mib_at_10pct']:.1f} MiB at 10% -> {r['rss_mib_end']:.1f} MiB at the end, "
                    f"{r['spooled']:,} spooled")
            lines.append(f"  {NAMES[r['bus']]:<10} {'spool':<8} {r['sent']:>9,} {r['spooled']:>9,} {'-':>9} {'-':>7} "
                         f"{'-':>11}  {note}")
            continue
        rate = f"{r['traps_per_s']:,}" if "traps_per_s" in r else "-"
        loss = f"{r['loss_pct']:.2f}%" if r.get("loss_pct") is not None else "-"
        cpu = f"{r['collector_cpu_us_per_trap']:.2f}" if "collector_cpu_us_per_trap" in r else "-"
        note = {"burst": "queued while stopped, then drained: collector and broker alone",
                "max": f"sender at max ({r.get('sender_per_s') or 0:,}/s real) sharing the cores",
                "offered": f"{r.get('offered_per_s', 0):,.0f}/s offered for {r.get('seconds', 0):g} s",
                "sustained": f"{r.get('offered_per_s', 0):,.0f}/s offered for {r.get('seconds', 0):g} s "
                             f"(sender's real pace {r.get('sender_per_s') or 0:,}/s)"}[r["row"]]
        lines.append(f"  {NAMES[r['bus']]:<10} {r['row']:<8} {r['sent']:>9,} {r['stored']:>9,} {rate:>9} {loss:>7} "
                     f"{cpu:>11}  {note}")
    return "\n".join(lines)


def targets(rows: list, cfg: dict, quick: bool) -> list:
    """The scale-out targets, JetStream graded, Kafka reported beside it."""
    out = []
    burst, burst_k = _row(rows, "nats", "burst"), _row(rows, "kafka", "burst")
    out.append({"target": ">= 100,000 traps/s, listen -> JetStream (one collector process)", "name": "bus_burst",
                "limit": 100_000, "unit": "/s", "measured": burst["traps_per_s"] if burst else None,
                "kafka": burst_k["traps_per_s"] if burst_k else None})
    held, held_k = _row(rows, "nats", "sustained"), _row(rows, "kafka", "sustained")

    def pace(row: Optional[dict]) -> Optional[float]:
        """Loss at the sustained rate, or 100 when the sender did not really keep that pace."""
        if row is None or row.get("loss_pct") is None:
            return None
        return row["loss_pct"] if (row.get("sender_per_s") or 0) >= 0.97 * cfg["sustained"] else 100.0
    out.append({"target": f">= {cfg['sustained']:,.0f} traps/s sustained, listen -> JetStream: 0% loss at "
                          f"{cfg['sustained']:,.0f}/s offered for {cfg['seconds']:g} s",
                "name": "bus_sustained", "limit": 0.0, "unit": "%", "measured": pace(held), "kafka": pace(held_k)})
    offered, offered_k = _row(rows, "nats", "offered"), _row(rows, "kafka", "offered")
    out.append({"target": f"0% loss at {cfg['rate']:,.0f}/s offered for {cfg['seconds']:g} s, listen -> JetStream",
                "name": "bus_offered", "limit": 0.0, "unit": "%",
                "measured": offered["loss_pct"] if offered else None,
                "kafka": offered_k["loss_pct"] if offered_k else None})
    for bus in ("nats", "kafka"):
        spool = _row(rows, bus, "spool")
        growth = None if spool is None else spool["rss_mib_end"] - spool["rss_mib_at_10pct"]
        through = spool["spooled"] if spool else 0
        out.append({"target": f"RSS flat (<= +10 MiB) over {through:,} notifications spooled (of "
                              f"{cfg['spool_count']:,} sent), {NAMES[bus]} away", "name": f"bus_spool_{bus}",
                    "limit": 10.0, "unit": " MiB", "measured": growth, "kafka": None})
    for entry in out:
        value = entry["measured"]
        if value is None:
            entry["pass"] = None
        elif entry["unit"] == "/s":
            entry["pass"] = value >= entry["limit"]
        else:
            entry["pass"] = value <= entry["limit"]
        entry["graded"] = entry["pass"] is not None and not quick
    return out


def target_lines(entries: list, quick: bool) -> str:
    lines = ["Targets for scale-out delivery (JetStream graded; Kafka in brackets, reported)"
             + (": a --quick run, indicative only" if quick else ":")]
    for e in entries:
        def show(v: Optional[float]) -> str:
            if v is None:
                return "-"
            return f"{v:,.0f}/s" if e["unit"] == "/s" else (f"{v:.2f}%" if e["unit"] == "%" else f"{v:+.1f} MiB")
        if e["pass"] is None:
            verdict = "not measured"
        elif quick:
            verdict = ("pass" if e["pass"] else "miss") + " (not graded)"
        else:
            verdict = "PASS" if e["pass"] else "MISS"
        kafka = f" [{show(e['kafka'])}]" if e["name"] in ("bus_burst", "bus_sustained", "bus_offered") else ""
        lines.append(f"  {e['target']}: {show(e['measured'])}{kafka}  {verdict}")
    return "\n".join(lines)
