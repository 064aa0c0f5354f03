"""Hostile floods of large, distinct, valid notifications leave ``snmptrapmgr listen``'s memory flat.

Issue 12's reproducers against a real ``listen`` subprocess on loopback, its
resident set read from /proc/PID/status (VmRSS) before and after:

1. 8,192 v2c traps of ~60 KB (community ``public``), each with one varbind
   whose OID is ``1.3.6.1.4.1.<16384+i>`` followed by 60,000 one-octet
   arcs, value INTEGER 1 (before the caches were bounded by bytes: ~3 GB);
2. one accepted 61,000-octet community from 4,096 source ports (+479 MB),
   and 4,096 distinct 61,000-octet communities (about +1 GB), in
   accept-any mode.

The sender waits for the collector after each small group (its stats line
every 0.05 s), so every datagram is processed and none is lost to a full
receive buffer: the growth measured is the collector's, for all of them.
Every loop is bounded in count and time.  The datagrams come from
``bench.hostile`` (whose rows measure the same floods for ``python -m bench``).
The listen process runs the Cython build: decoding 8,192 OIDs of 60,000 arcs
takes the pure-Python twin minutes (the collector's caches, the subject here,
have no twin).
"""

from __future__ import annotations

import os
import re
import socket
import time

import pytest

from bench.hostile import long_community_traps, long_oid_trap
from snmptrapmgr import available_implementations
from test_collector_cli import Listener

LIMIT_MB = 150
REQUIRE = os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS") == "1"
pytestmark = pytest.mark.skipif("cython" not in available_implementations() and not REQUIRE,
                                reason="Cython extensions not built")
DEADLINE = 120.0


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        return int(re.search(r"VmRSS:\s+(\d+) kB", handle.read()).group(1)) / 1024


def _received(proc: Listener) -> int:
    found = re.findall(r"snmptrapmgr stats: received=(\d+)", proc.stderr())
    return int(found[-1]) if found else 0


def _group(proc: Listener) -> int:
    """Datagrams of ~60 KB sent before waiting: a quarter of what the receive buffer holds."""
    rcvbuf = int(re.search(r"rcvbuf=(\d+)", proc.stderr()).group(1))  # Linux reports twice what it gives
    return max(4, min(256, rcvbuf // 2 // 4 // 65536))


def _flood(proc: Listener, datagrams, senders) -> int:
    """Send ``datagrams`` (from ``senders``, cycled), a group at a time, waiting for listen each time."""
    group = _group(proc)
    sent = 0
    end = time.monotonic() + DEADLINE
    base = _received(proc)
    for data in datagrams:
        senders[sent % len(senders)].sendto(data, ("127.0.0.1", proc.port))
        sent += 1
        if sent % group == 0:
            while _received(proc) < base + sent and time.monotonic() < end:
                time.sleep(0.02)
    while _received(proc) < base + sent and time.monotonic() < end:
        time.sleep(0.02)
    assert _received(proc) == base + sent, f"listen did not keep up: {proc.stderr()[-500:]}"
    return sent


def _listen(tmp_path):
    # --numeric: the collector's own caches; MIB naming of hostile OIDs is the mib package's to bound
    return Listener(tmp_path, "--host", "127.0.0.1", "--port", "0", "--stats-interval", "0.05",
                    "--rcvbuf", str(64 << 20), "--numeric", output=os.devnull)


def _finish(proc: Listener, count: int) -> None:
    assert proc.terminate() == 0, proc.stderr()[-2000:]
    stats = proc.final_stats()
    assert stats["received"] == count and stats["delivered"] == count and stats["kernel_drops"] == 0, stats


def test_long_distinct_oids_flood_keeps_rss_flat(tmp_path):
    proc = _listen(tmp_path)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            warm = _flood(proc, (long_oid_trap(i) for i in range(64)), [tx])  # buffers sized for 60 KB
            before = _rss_mb(proc.proc.pid)
            sent = _flood(proc, (long_oid_trap(i) for i in range(64, 8192)), [tx])
            after = _rss_mb(proc.proc.pid)
        assert len(long_oid_trap(0)) > 60000
        assert after - before < LIMIT_MB, (before, after)
        _finish(proc, warm + sent)
    finally:
        proc.kill()
        proc.err.close()


@pytest.mark.parametrize("distinct", [False, True], ids=["one_community_4096_ports", "distinct_communities"])
def test_long_community_flood_keeps_rss_flat(tmp_path, distinct):
    proc = _listen(tmp_path)
    senders = []
    try:
        for _ in range(4096 if not distinct else 16):
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sender.bind(("127.0.0.1", 0))
            senders.append(sender)
        assert len({s.getsockname()[1] for s in senders}) == len(senders)

        warm = _flood(proc, long_community_traps(0, 64, distinct), senders[-64:])
        before = _rss_mb(proc.proc.pid)
        sent = _flood(proc, long_community_traps(64, 4096, distinct), senders)
        after = _rss_mb(proc.proc.pid)
        assert after - before < LIMIT_MB, (before, after)
        _finish(proc, warm + sent)
    finally:
        for sender in senders:
            sender.close()
        proc.kill()
        proc.err.close()
