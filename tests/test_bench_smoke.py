"""Smoke test of ``python -m bench``: a tiny run must produce every row for both twins.

No timing assertions: only that each row ran, for each implementation, with
positive numbers, and that --json / --plot write their files.  Also the shared
sender, ``python -m bench.loadgen``: bounded, loopback only, distinct request-ids.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snmptrapmgr import _select

ROOT = Path(__file__).resolve().parent.parent
REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0")

MICRO_ROWS = {
    "decode_v2c", "decode_v1", "receive_v2c", "receive_v3", "oid_to_ber", "oid_from_ber",
    "p2k_md5", "p2k_sha1", "p2k_sha256", "p2k_sha512",
}
RATES = (20000, 50000)
TARGET_ROWS = {"decode_v2c", "receive_v3", "p2k_md5", "p2k_sha1", "p2k_sha256", "p2k_sha512"}
COLLECTOR_ROWS = {"e2e_sustained", "e2e_burst", "v3_80000", "v3_max", "v3_burst", "listen_80000", "listen_max",
                  "listen_burst"}
MEMORY_ROWS = {"memory_traps", "memory_engines"}
TARGET5_ROWS = {"e2e_burst", "e2e_sustained", "v3_burst", "listen_burst", "listen_80000", "after_traps",
                "after_spoof"}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    if "cython" not in _select.available():
        if REQUIRE:
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built: the bench compares both implementations")
    out = tmp_path_factory.mktemp("bench")
    json_path = out / "out.json"
    cmd = [sys.executable, "-m", "bench", "--quick", "--repeats", "2", "--duration", "0.2",
           "--rates", ",".join(map(str, RATES)), "--json", str(json_path)]
    png_path = None
    if importlib.util.find_spec("matplotlib") is not None:
        png_path = out / "throughput.png"
        cmd += ["--plot", str(png_path)]
    env = dict(os.environ)
    env.pop("SNMPTRAPMGR_NO_EXTENSIONS", None)
    proc = subprocess.run(cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads(json_path.read_text()), png_path


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_micro_rows_have_both_implementations(bench_run):
    _, data, _ = bench_run
    rows = [r for r in data["rows"] if r["section"] == "micro"]
    assert {r["name"] for r in rows} == MICRO_ROWS
    for name in MICRO_ROWS:
        for impl in ("cython", "python"):
            found = [r for r in rows if r["name"] == name and r["implementation"] == impl]
            assert len(found) == 1, (name, impl)
            row = found[0]
            assert row["available"], (name, impl, row.get("reason"))
            assert _positive(row["us_per_op"]) and _positive(row["ops_per_s"]), row
            assert _positive(row["ratio"]) and row["ratio_to"] == "cython", row
    for name in ("p2k_md5", "p2k_sha1", "p2k_sha256", "p2k_sha512"):
        floor = [r for r in rows if r["name"] == name and r["implementation"] == "floor"]
        assert len(floor) == 1 and _positive(floor[0]["us_per_op"]), name


def test_e2e_rows_have_both_implementations(bench_run):
    _, data, _ = bench_run
    rows = [r for r in data["rows"] if r["section"] == "e2e"]
    names = {f"e2e_{rate}" for rate in RATES} | {"e2e_max"}
    assert {r["name"] for r in rows} == names
    for name in names:
        for impl in ("cython", "python"):
            found = [r for r in rows if r["name"] == name and r["implementation"] == impl]
            assert len(found) == 1, (name, impl)
            row = found[0]
            assert row["sent"] > 0 and row["received"] > 0, row
            assert _positive(row["processed_per_s"]) and _positive(row["us_per_op"]), row
            assert _positive(row["actual_send_rate"]), row
            assert 0.0 <= row["loss_pct"] <= 100.0, row
    for impl, hello in data["e2e_receivers"].items():
        assert hello["implementation"] == impl
        assert hello["rcvbuf_kernel"] > 0


def test_collector_rows_have_both_implementations(bench_run):
    _, data, _ = bench_run
    rows = [r for r in data["rows"] if r["section"] == "collector"]
    assert {r["name"] for r in rows} == COLLECTOR_ROWS
    for name in COLLECTOR_ROWS:
        for impl in ("cython", "python"):
            found = [r for r in rows if r["name"] == name and r["implementation"] == impl]
            assert len(found) == 1, (name, impl)
            row = found[0]
            assert row["sent"] > 0 and row["received"] > 0, row
            assert _positive(row["processed_per_s"]) and _positive(row["actual_send_rate"]), row
            assert 0.0 <= row["loss_pct"] <= 100.0, row
    for impl, hello in data["collector_receivers"]["listen"].items():
        assert hello["rcvbuf_kernel"] > 0, impl


def test_memory_rows_have_both_implementations(bench_run):
    _, data, _ = bench_run
    rows = [r for r in data["rows"] if r["section"] == "memory"]
    assert {r["name"] for r in rows} == MEMORY_ROWS
    for name in MEMORY_ROWS:
        for impl in ("cython", "python"):
            found = [r for r in rows if r["name"] == name and r["implementation"] == impl]
            assert len(found) == 1, (name, impl)
            row = found[0]
            assert _positive(row["count"]) and _positive(row["rss_start_kb"]) and _positive(row["rss_kb"]), row
            assert isinstance(row["growth_mb"], float), row
    engines = [r for r in rows if r["name"] == "memory_engines"]
    for row in engines:  # the spoofed engines reached the cache, which stays within its caps
        caches = row["caches"]
        assert 0 < caches["learned_engines"] <= caches["max_engines"], row
        assert caches["any_engine_keys"] <= caches["max_keys"], row


def test_targets_and_table_printed(bench_run):
    stdout, data, _ = bench_run
    assert {t["name"] for t in data["targets"]} == TARGET_ROWS
    for t in data["targets"]:
        assert _positive(t["measured"]), t
        assert isinstance(t["pass"], bool)
    assert {t["name"] for t in data["targets_issue5"]} == TARGET5_ROWS
    for t in data["targets_issue5"]:
        assert isinstance(t["measured"], (int, float)), t
        assert isinstance(t["pass"], bool), t
    assert "decode typical v2c trap (182 B)" in stdout
    verdicts = [line for line in stdout.splitlines() if re.search(r"\b(PASS|MISS)\b", line)]
    assert len(verdicts) == len(data["targets"]) + len(data["targets_issue5"]), verdicts


def test_loadgen_bounded_loopback_sequence():
    import socket

    from bench import loadgen
    from bench.traffic import typical_v2c_trap
    from snmptrapmgr.codec import ber

    with pytest.raises(ValueError):
        loadgen.send(9, 1, host="192.0.2.1")
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.loadgen", "--port", str(rx.getsockname()[1]),
                               "--count", "50", "--sequence", "--seconds", "10", "--json"],
                              cwd=str(ROOT), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "sent 50 in" in proc.stderr
        assert json.loads(proc.stdout)["sent"] == 50
        got = [rx.recv(2048) for _ in range(50)]
    finally:
        rx.close()
    ids = [ber.decode_message(d)[2][1] for d in got]
    assert sorted(ids) == [loadgen.FIRST_REQUEST_ID + i for i in range(50)]
    assert all(len(d) == len(typical_v2c_trap()) == 182 for d in got)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_written(bench_run):
    _, _, png_path = bench_run
    if png_path is None:
        pytest.fail("matplotlib is missing: the test extra installs it so the plot is exercised")
    assert png_path.read_bytes()[:8] == PNG_MAGIC


def test_replot_reads_back_every_plotted_row(bench_run):
    from bench import cli

    _, data, _ = bench_run
    sweep, named, targets5, title = cli.rows_from_json(data)
    assert len(sweep) == sum(r["section"] == "e2e" for r in data["rows"]) > 0
    assert {(r.name, r.implementation) for r in named} == {
        (name, impl) for name in COLLECTOR_ROWS for impl in ("cython", "python")}
    assert {t["name"] for t in targets5} == TARGET5_ROWS
    assert data["meta"]["git_head"] in title


def test_replot_rejects_rows_that_contradict_their_counts(bench_run):
    import copy

    from bench import cli

    _, data, _ = bench_run
    forged = copy.deepcopy(data)
    row = next(r for r in forged["rows"] if r["section"] == "collector")
    row["processed_per_s"] *= 2
    with pytest.raises(cli.ReplotError, match="does not follow from its counts"):
        cli.rows_from_json(forged)
    with pytest.raises(cli.ReplotError, match="rows"):
        cli.rows_from_json({"meta": data["meta"]})
    forged = copy.deepcopy(data)
    del forged["targets_issue5"]
    with pytest.raises(cli.ReplotError, match="targets_issue5"):
        cli.rows_from_json(forged)


def test_replot_command_writes_png_without_running_a_benchmark(bench_run, tmp_path):
    _, data, _ = bench_run
    src = tmp_path / "in.json"
    src.write_text(json.dumps(data))
    png = tmp_path / "again.png"
    proc = subprocess.run([sys.executable, "-m", "bench", "--replot", str(src), "--plot", str(png)],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert png.read_bytes()[:8] == PNG_MAGIC
    bad = subprocess.run([sys.executable, "-m", "bench", "--replot", str(src), "--plot", str(png), "--quick"],
                         cwd=str(ROOT), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "would have no effect" in bad.stderr
