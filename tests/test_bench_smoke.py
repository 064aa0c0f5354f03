"""Smoke test of ``python -m bench``: a tiny run must produce every row for both
implementations (compiled and pure-Python fallback).

No timing assertions: only that each row ran, for each implementation, with
positive numbers, that no row received more than was sent, that a quick run says
it is not graded and that --json / --plot write their files.  Also which
snmptrapmgr the bench measures (a checkout without compiled modules beside a real
``pip install --target``), the shared sender ``python -m bench.loadgen`` (bounded,
loopback only, distinct request-ids) and the report's count checks.
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
COLLECTOR_ROWS = {"e2e_sustained", "e2e_burst", "v3_80000", "v3_max", "v3_burst", "listen_200000", "listen_max",
                  "listen_burst", "listen_burst_numeric"}
MEMORY_ROWS = {"memory_traps", "memory_engines"}
TARGET5_ROWS = {"e2e_burst", "e2e_sustained", "v3_burst", "listen_burst", "listen_names_ratio", "listen_200000",
                "e2e_burst_python",
                "after_traps",
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
    proc = subprocess.run(cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=420)
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


def test_the_measured_package_is_named(bench_run):
    stdout, data, _ = bench_run
    measured = data["meta"]["measured"]
    assert measured["path"] == str(ROOT / "snmptrapmgr") and measured["origin"] == "checkout", measured
    assert measured["implementations"] == ["cython", "python"]
    line = next(x for x in stdout.splitlines() if x.startswith("measuring snmptrapmgr"))
    assert str(ROOT / "snmptrapmgr") in line and "compiled modules" in line and "pure-Python fallback" in line


def test_no_row_received_more_than_it_was_sent(bench_run):
    stdout, data, _ = bench_run
    for row in data["rows"]:
        if row["section"] in ("e2e", "collector"):
            assert "error" not in row and row["received"] <= row["sent"], row
    assert "ERROR" not in stdout
    assert not re.search(r"-\d+\.\d+%", stdout), "a negative loss was printed"


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


def test_mib_rows_in_the_same_run(bench_run):
    stdout, data, _ = bench_run
    rows = {r["name"] if "name" in r else r["key"]: r for r in data["rows"] if r["section"] == "mib"}
    assert {"mib_names_7", "mib_name_cold", "mib_load", "mib_rss", "mib_translate", "mib_json_cython",
            "mib_json_python", "mib_uptime_cython", "mib_uptime_python"} <= set(rows), sorted(rows)
    for row in rows.values():
        assert _positive(row["best"]) and _positive(row["median"]), row
    assert "Targets for MIB names" in stdout and "a --quick run, indicative only" in stdout


def test_hostile_rows_in_the_same_run(bench_run):
    stdout, data, _ = bench_run
    rows = [r for r in data["rows"] if r["section"] == "hostile"]
    assert rows and {r["key"].rsplit("_", 1)[-1] for r in rows} >= {"cython", "python"}, [r["key"] for r in rows]
    assert "Targets for hostile input" in stdout


def test_bus_rows_in_the_same_run(bench_run):
    stdout, data, _ = bench_run
    rows = [r for r in data["rows"] if r["section"] == "bus"]
    assert {(r["bus"], r["row"]) for r in rows} == {(b, k) for b in ("nats", "kafka")
                                                    for k in ("burst", "max", "offered", "sustained", "spool")}
    for r in rows:
        assert r["sent"] > 0, r
        if r["row"] != "spool":
            assert 0 < r["stored"] <= r["sent"], r  # stored counted at the broker, never more than sent
    assert {t["name"] for t in data["targets_bus"]} == {"bus_burst", "bus_sustained", "bus_offered", "bus_spool_nats",
                                                         "bus_spool_kafka"}
    assert all(t["graded"] is False for t in data["targets_bus"])
    assert "Targets for scale-out delivery" in stdout


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
    # a quick run compares with the full-run limits but grades nothing, and says so
    verdicts = [line for line in stdout.splitlines() if line.endswith("(indicative)") or "(indicative)  (" in line]
    assert len(verdicts) == len(data["targets"]) + len(data["targets_issue5"]), verdicts
    assert not re.search(r"\b(PASS|MISS)\b", stdout), "a quick run printed a grade"
    for t in data["targets"] + data["targets_issue5"]:
        assert t["quick"] is True and t["graded"] is False, t
    assert data["meta"]["graded"] is False
    for title in ("Micro:", "End-to-end:", "Collector rows:", "Memory:", "Targets for decoding", "Targets for the "
                  "collector"):
        line = next(x for x in stdout.splitlines() if x.startswith(title))
        assert "quick run: indicative only, not graded" in line, line


def test_output_speaks_the_users_words(bench_run):
    stdout, _, _ = bench_run
    for word in (r"issue[ -]?\d", r"\btwins?\b", r"\bfloor\b"):
        assert not re.search(word, stdout, re.IGNORECASE), (word, re.search(word, stdout, re.IGNORECASE))
    assert "one hashlib call over 1 MiB (the lower bound)" in stdout
    assert "pure-Python fallback" in stdout


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


def test_help_speaks_the_users_words():
    proc = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=str(ROOT), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    for word in (r"issue[ -]?\d", r"\btwins?\b", r"\bfloor\b"):
        assert not re.search(word, proc.stdout, re.IGNORECASE), word
    assert "--python-only" in proc.stdout and "not graded" in proc.stdout


# ----------------------------------------------------------------------------- counts that cannot be right


def _row(impl: str, sent: int, received: int, name: str = "", rate: float = 0):
    from bench.e2e import E2ERow

    return E2ERow(impl, rate, sent, 0.1, received, 0.05, 0, 0, {"burst": False}, name)


def test_a_row_that_received_more_than_was_sent_is_an_error_not_a_negative_loss():
    from bench import cli, report, report_collector

    good, bad = _row("cython", 3000, 3000, "listen_max"), _row("python", 3000, 7000, "listen_max")
    assert not good.problem and "received 7,000 of 3,000 sent" in bad.problem
    assert report.check_counts([good, bad]) == [f"snmptrapmgr listen -> file, max, pure-Python: {bad.problem}"]
    for table in (report_collector.scenario_table([good, bad], {}, cli.QUICK),
                  report.e2e_table([_row("cython", 3000, 3000, rate=20000), _row("python", 3000, 7000, rate=20000)],
                                   {}, 0.3, 0.3)):
        lines = table.splitlines()
        assert "-133" not in table and not re.search(r"-\d+\.\d+%", table), table
        wrong = [x for x in lines if "7,000" in x and "3,000" in x and not x.startswith("ERROR")]
        assert len(wrong) == 1 and wrong[0].split()[-2] == "ERROR", wrong
        assert any(x.startswith("ERROR (not a result): ") and "received 7,000 of 3,000 sent" in x for x in lines)
    rows = report.scenario_json([good, bad])
    assert "error" not in rows[0] and rows[0]["loss_pct"] == 0.0
    assert rows[1]["error"] == bad.problem and rows[1]["loss_pct"] is None
    # never used for a target: the compiled row in error leaves the target unmeasured
    burst_good, burst_bad = _row("python", 3000, 3000, "listen_burst"), _row("cython", 3000, 7000, "listen_burst")
    entry = next(t for t in report_collector.targets5([], [burst_good, burst_bad], [], cli.QUICK)
                 if t["name"] == "listen_burst")
    assert entry["measured"] is None and entry["pass"] is None and "in error" in entry["why"], entry
    assert "in error" in report_collector.target5_lines([entry])
    # the plot and --replot leave it out
    data = {"meta": {"git_head": "x", "started": "now", "duration_s": 0.3, "cpu_count": 2},
            "rows": rows, "targets_issue5": []}
    sweep, named, _, _ = cli.rows_from_json(data)
    assert [(r.name, r.implementation) for r in named] == [("listen_max", "cython")]


def test_listen_rows_count_only_their_own_request_ids(tmp_path):
    from bench.scenarios import count_own_lines

    path = tmp_path / "out.jsonl"
    late = [f'{{"time":"t","request_id":{1000 + i},"x":1}}\n' for i in range(5)]   # an earlier row's
    own = [f'{{"time":"t","request_id":{2000 + i},"x":1}}\n' for i in (0, 1, 1, 2)]  # one written twice
    path.write_text("".join(late + own) + '{"time":"t","request_id":2003')           # a line being written
    assert count_own_lines(path, 0, 2000, 4) == (9, 3)
    assert count_own_lines(path, len("".join(late)), 2000, 4) == (4, 3)
    assert count_own_lines(path, 0, 1000, 3) == (9, 3)
    assert count_own_lines(tmp_path / "missing", 0, 0, 3) == (0, 0)


def test_udp_socket_queue_seen_in_proc():
    import socket
    import time

    from bench.scenarios import udp_socket

    if not os.path.exists("/proc/net/udp"):
        pytest.skip("no /proc/net/udp here")
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind(("127.0.0.1", 0))
        port = rx.getsockname()[1]
        assert udp_socket(port)[0] == 0
        for _ in range(3):
            tx.sendto(b"x" * 100, ("127.0.0.1", port))
        end = time.monotonic() + 5
        while udp_socket(port)[0] == 0 and time.monotonic() < end:
            time.sleep(0.01)
        assert udp_socket(port)[0] > 0
        rx.settimeout(5)
        for _ in range(3):
            rx.recv(2048)
        assert udp_socket(port) == (0, 0)
    finally:
        rx.close()
        tx.close()


def test_listen_row_waits_for_a_late_drain(tmp_path):
    """The listener is stopped while its row's traps arrive and continued 1.5 s later: the row
    still counts all of them (it once ended after 0.5 s without file growth: loss 100 %, and the
    next row counted them too: "received 7,000 of 3,000")."""
    import signal
    import threading

    from bench.scenarios import ListenProcess, udp_socket

    if not os.path.exists("/proc/net/udp"):
        pytest.skip("no /proc/net/udp here")
    listener = ListenProcess("python", tmp_path)
    try:
        assert udp_socket(listener.port) is not None
        os.kill(listener.proc.pid, signal.SIGSTOP)
        timer = threading.Timer(1.5, os.kill, (listener.proc.pid, signal.SIGCONT))
        timer.start()
        try:
            first = listener.run(0, 0.2, 500, name="listen_max")
        finally:
            timer.cancel()
            os.kill(listener.proc.pid, signal.SIGCONT)
        second = listener.run(0, 0.2, 300, name="listen_max")
    finally:
        listener.close()
    assert (first.sent, first.received, first.problem) == (500, 500, ""), first
    assert (second.sent, second.received, second.problem) == (300, 300, ""), second
    assert first.extra["other_lines"] == second.extra["other_lines"] == 0


# ----------------------------------------------------------------------------- which snmptrapmgr is measured


@pytest.fixture(scope="module")
def bare_checkout(tmp_path_factory) -> Path:
    """This checkout as it is right after `pip install .`: sources, no compiled module in it."""
    import shutil

    copy = tmp_path_factory.mktemp("checkout")
    for name in ("bench", "snmptrapmgr"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    return copy


def _bare_env(pythonpath: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNMPTRAPMGR_") and k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _third_party(tmp_path: Path) -> str:
    """A folder holding only pycryptodome (a link): what `python -S` runs need besides the package."""
    import Crypto

    folder = tmp_path / "deps"
    folder.mkdir()
    (folder / "Crypto").symlink_to(Path(Crypto.__file__).parent, target_is_directory=True)
    return str(folder)


def test_without_any_compiled_build_the_bench_says_how_in_one_line(bare_checkout):
    # -S: no site-packages, so no other snmptrapmgr (nor this checkout's editable install) is found
    proc = subprocess.run([sys.executable, "-S", "-m", "bench", "--quick", "--only", "micro"], cwd=bare_checkout,
                          env=_bare_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "no compiled snmptrapmgr" in lines[0] and str(bare_checkout / "snmptrapmgr") in lines[0]
    assert "pip install ." in lines[0] and "build_ext --inplace" in lines[0] and "--python-only" in lines[0]


def test_python_only_run_measures_the_fallback_alone(bare_checkout, tmp_path):
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, "-S", "-m", "bench", "--quick", "--only", "micro", "--python-only",
                           "--repeats", "1", "--json", str(out)], cwd=bare_checkout,
                          env=_bare_env(_third_party(tmp_path)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["meta"]["measured"]["path"] == str(bare_checkout / "snmptrapmgr")
    assert data["meta"]["implementations"] == ["python"] and data["meta"]["python_only"] is True
    assert {r["implementation"] for r in data["rows"]} <= {"python", "pysnmp", "floor"}
    assert "the pure-Python fallback only (--python-only)" in proc.stdout
    assert all(t["graded"] is False and t["measured"] is None for t in data["targets"])


@pytest.fixture(scope="module")
def pip_installed(tmp_path_factory) -> Path:
    """A real `pip install .` of this checkout into a private folder (as tests/test_build.py does)."""
    target = tmp_path_factory.mktemp("installed")
    env = dict(os.environ)
    if REQUIRE:
        env["SNMPTRAPMGR_REQUIRE_EXTENSIONS"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                           str(ROOT)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if not list((target / "snmptrapmgr").glob("*/_*_c.*so")):
        if REQUIRE:
            pytest.fail("pip install . built no compiled module (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("pip install . built no compiled module here (no compiler?)")
    return target


def test_bench_in_a_checkout_measures_the_pip_installed_package(bare_checkout, pip_installed, tmp_path):
    """`python -m bench` in the repository root right after `pip install .` (PYTHONPATH as the
    user would set it for a --target install): it measures the installed compiled package,
    says so, and its child processes import that package too."""
    installed = pip_installed / "snmptrapmgr"
    out = tmp_path / "micro.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "micro", "--repeats", "1",
                           "--json", str(out)], cwd=bare_checkout, env=_bare_env(str(pip_installed)),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("measuring snmptrapmgr"))
    assert f"from {installed} (an installed copy; {bare_checkout / 'snmptrapmgr'} has no compiled modules" in line
    assert "the compiled modules and the pure-Python fallback" in line
    data = json.loads(out.read_text())
    assert data["meta"]["measured"] == {"path": str(installed), "origin": "installed", "version": data["meta"][
        "measured"]["version"], "passed_over": str(bare_checkout / "snmptrapmgr"), "implementations": ["cython",
                                                                                                        "python"]}
    compiled = [r for r in data["rows"] if r["implementation"] == "cython"]
    assert {r["name"] for r in compiled} == MICRO_ROWS and all(r["available"] for r in compiled)
    # the receiver processes check that they imported the measured package (else the run fails)
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "e2e", "--rates", "20000",
                           "--duration", "0.1"], cwd=bare_checkout, env=_bare_env(str(pip_installed)),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"from {installed} (an installed copy" in proc.stdout
