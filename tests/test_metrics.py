"""``listen --metrics-listen``: Prometheus metrics scraped over loopback HTTP from a real collector."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from test_collector_cli import DEADLINE, _env, _loadgen, _net_snmp, listener  # noqa: F401

METRICS_LINE = re.compile(r"metrics on (http://\S+/metrics)")


def scrape(url: str) -> dict:
    text = urllib.request.urlopen(url, timeout=DEADLINE).read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _url(proc) -> str:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        found = METRICS_LINE.search(proc.stderr())
        if found:
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError(proc.stderr())


@pytest.mark.parametrize("workers", ["1", "2"])
def test_counts_by_version_and_pdu_and_the_whole_of_the_workers(listener, workers):
    proc = listener("--host", "127.0.0.1", "--port", "0", "--metrics-listen", "127.0.0.1:0", "--workers", workers)
    url = _url(proc)
    _loadgen(proc.port, 20)
    _net_snmp(["snmptrap", "-v", "1", "-c", "public", f"127.0.0.1:{proc.port}", ".1.3.6.1.4.1.8072.3.2.10",
               "127.0.0.1", "0", "0", ""])
    _net_snmp(["snmpinform", "-v", "2c", "-c", "public", f"127.0.0.1:{proc.port}", "", ".1.3.6.1.4.1.99999.0.1"])
    proc.wait_lines(22)
    want = {("snmptrapmgr_notifications_total", (("pdu", "trap"), ("version", "2c"))): 20,
            ("snmptrapmgr_notifications_total", (("pdu", "trap"), ("version", "1"))): 1,
            ("snmptrapmgr_notifications_total", (("pdu", "inform"), ("version", "2c"))): 1,
            ("snmptrapmgr_received_total", ()): 22, ("snmptrapmgr_delivered_total", ()): 22,
            ("snmptrapmgr_informs_acknowledged_total", ()): 1, ("snmptrapmgr_kernel_drops_total", ()): 0}
    end = time.monotonic() + DEADLINE  # workers publish their counters about once a second
    while True:
        got = scrape(url)
        if all(got.get(k) == v for k, v in want.items()) or time.monotonic() > end:
            break
        time.sleep(0.2)
    assert {k: got.get(k) for k in want} == want
    import snmptrapmgr
    assert got[("snmptrapmgr_build_info", (("implementation", snmptrapmgr.implementation),
                                           ("version", snmptrapmgr.__version__)))] == 1
    if workers == "1":
        assert got[("snmptrapmgr_output_acknowledged_total", (("output", proc.output),))] == 22
        # every stored notification observed once in the output's latency histogram
        assert got[("snmptrapmgr_output_latency_seconds_count", (("output", proc.output),))] == 22
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in got.items()
                         if k[0] == "snmptrapmgr_output_latency_seconds_bucket")
        assert buckets[-1] == (float("inf"), 22) and [v for _, v in buckets] == sorted(v for _, v in buckets)
        assert 0 <= got[("snmptrapmgr_output_latency_seconds_sum", (("output", proc.output),))] < 22 * 5
    assert proc.terminate() == 0


@pytest.mark.parametrize("address, words", [("nonsense", "needs a port"), ("127.0.0.1:99999", "bad port")])
def test_a_bad_metrics_address_is_one_line_and_exit_2(address, words):
    res = subprocess.run([sys.executable, "-m", "snmptrapmgr", "listen", "--host", "127.0.0.1", "--port", "0",
                          "--metrics-listen", address, "--duration", "0.1"], env=_env(), capture_output=True,
                         text=True, timeout=DEADLINE)
    assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr, res.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_bad_packets_and_auth_failures_by_reason_add_up(listener, workers):
    """Each kind of bad datagram under its own reason label; the labels add up to the stats line's
    totals, with --workers 2 too (the parent sums its workers' reasons)."""
    import socket

    proc = listener("--host", "127.0.0.1", "--port", "0", "--metrics-listen", "127.0.0.1:0", "--workers", workers,
                    "--community", "public")
    url = _url(proc)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(3):  # malformed BER
            sock.sendto(b"\x30\x05\x02\x01\x01\x04", ("127.0.0.1", proc.port))
        for _ in range(2):  # SNMP version 5: not one we speak
            sock.sendto(bytes.fromhex("301402010504067075626c6963a70702010102010002"), ("127.0.0.1", proc.port))
    for _ in range(2):
        _net_snmp(["snmptrap", "-v", "2c", "-c", "wrong", f"127.0.0.1:{proc.port}", "", ".1.3.6.1.4.1.99999.0.1"])
    _net_snmp(["snmptrap", "-v", "3", "-u", "nosuchuser", "-l", "noAuthNoPriv", "-e", "0x80001f8880aabbccdd",
               f"127.0.0.1:{proc.port}", "", ".1.3.6.1.4.1.99999.0.1"])
    _loadgen(proc.port, 5)
    proc.wait_lines(5)
    end = time.monotonic() + DEADLINE
    while True:
        got = scrape(url)
        bad = {k[1][0][1]: v for k, v in got.items() if k[0] == "snmptrapmgr_bad_packets_total" and v}
        auth = {k[1][0][1]: v for k, v in got.items() if k[0] == "snmptrapmgr_auth_failures_total" and v}
        community = bad.get("unknown_community", 0) + auth.get("acl", 0)
        if (bad.get("malformed") == 3 and bad.get("unsupported_version") == 2 and community == 2
                and bad.get("unknown_user") == 1) or time.monotonic() > end:
            break
        time.sleep(0.2)
    assert bad.get("malformed") == 3 and bad.get("unsupported_version") == 2, bad
    assert community == 2 and bad.get("unknown_user") == 1 and auth.get("unknown_user") == 1, (bad, auth)
    assert got[("snmptrapmgr_received_total", ())] == 5 + 3 + 2 + 2 + 1
    assert proc.terminate() == 0
    final = proc.final_stats()  # the labels add up to the stats line's totals
    assert sum(bad.values()) == final["bad_packets"] and sum(auth.values()) == final["auth_failures"], (bad, auth,
                                                                                                     final)


def test_latency_counts_each_batch_once_in_the_bucket_of_its_time():
    from snmptrapmgr.collector.latency import BUCKETS, Latency

    latency = Latency()
    latency.handed(10, 10, 100.0)     # notifications 0..9 handed over at t=100
    latency.handed(25, 15, 100.5)
    latency.acknowledged(9, 100.002)  # not yet past the first batch's end
    assert sum(latency.counts) == 0
    latency.acknowledged(25, 100.503)  # both: the first after 503 ms, the second after 3 ms
    counts = dict(zip(BUCKETS + (float("inf"),), latency.counts))
    assert counts[0.005] == 15 and counts[1.0] == 10 and sum(latency.counts) == 25
    assert abs(latency.total - (10 * 0.503 + 15 * 0.003)) < 1e-9
    assert latency.cumulative()[-1] == (float("inf"), 25) and not latency.waiting
