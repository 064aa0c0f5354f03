"""The one trap sender of the bench and the tests: bounded, loopback only.

``python -m bench.loadgen --port P --count N [--rate R] [--seconds S] [--kind KIND]
[--sequence] [--first I] [--host 127.0.0.1|::1] [--json]``

sends at most N datagrams to 127.0.0.1:P (or ::1), never for longer than S seconds
(default 30), as fast as it can or paced at R datagrams/s (batches of about 0.5 ms,
busy-waiting on ``perf_counter`` for the last millisecond).  The datagrams come from
:mod:`bench.traffic`, built before the clock starts:

- ``v2c`` (default): the typical v2c trap; with ``--sequence`` every datagram has its
  own request-id (``FIRST_REQUEST_ID + i``), so a receiver can prove exactly-once delivery;
- ``v3``: the typical trap as SNMPv3 authPriv (SHA-1/AES-128) from the bench user's engine
  (a pool of 64 with distinct msgID/salt, sent round-robin);
- ``v3-spoof``: N authPriv traps from N distinct engine IDs (``traffic.spoofed_engine_id``
  of ``--first`` .. ``--first + N - 1``), for the bounded-cache flood.

A datagram the kernel refuses (ENOBUFS, ECONNREFUSED from an earlier ICMP) is retried,
never counted as sent.  It prints ``sent N in T s (R/s)`` on stderr and, with ``--json``,
one JSON line on stdout: sent, errors, elapsed_s, bytes, build_s.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from itertools import cycle
from typing import Optional, Sequence

from . import traffic
from .traffic import FIRST_REQUEST_ID

__all__ = ["FIRST_REQUEST_ID", "KINDS", "LOOPBACK", "datagrams", "send", "main"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")
KINDS = ("v2c", "v3", "v3-spoof")
#: bounds on what one run may build and send
MAX_COUNT = 20_000_000
MAX_DISTINCT = 2_000_000
MAX_SECONDS = 600.0


def datagrams(kind: str = "v2c", count: int = 1, sequence: bool = False, first: int = 0) -> list:
    """The payloads of a run: sent in order, round-robin when fewer than ``count``."""
    if kind == "v2c":
        if sequence:
            if count > MAX_DISTINCT:
                raise ValueError(f"--sequence: at most {MAX_DISTINCT:,} datagrams")
            return traffic.typical_v2c_sequence(count, FIRST_REQUEST_ID + first)
        return [traffic.typical_v2c_trap()]
    if kind == "v3":
        return traffic.v3_authpriv_pool(64)
    if kind == "v3-spoof":
        if count > MAX_DISTINCT:
            raise ValueError(f"v3-spoof: at most {MAX_DISTINCT:,} engines per run")
        return traffic.v3_spoofed_engine_traps(count, first)
    raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")


def send(port: int, count: int, *, host: str = "127.0.0.1", rate: float = 0.0, seconds: float = 30.0,
         payloads: Optional[list] = None) -> dict:
    """Send up to ``count`` datagrams (``payloads`` round-robin; default the typical v2c trap)
    to ``host:port``, for at most ``seconds``; return sent, errors, elapsed_s, bytes."""
    if host not in LOOPBACK:
        raise ValueError("the load generator only sends to a loopback address")
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count must be in [0, {MAX_COUNT:,}]")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be in (0, {MAX_SECONDS:g}]")
    payloads = payloads or [traffic.typical_v2c_trap()]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect((host, port))
    out = sock.send
    perf = time.perf_counter
    sleep = time.sleep
    nxt = cycle(payloads).__next__ if len(payloads) < count else iter(payloads).__next__
    sent = errors = 0
    batch = max(1, min(1000, int(rate / 2000))) if rate > 0 else 256
    interval = batch / rate if rate > 0 else 0.0
    t0 = perf()
    deadline = t0 + seconds
    next_t = t0
    try:
        while sent < count:
            if rate > 0:
                delay = next_t - perf()
                if delay > 0.002:
                    sleep(delay - 0.001)
                while perf() < next_t:
                    pass
                next_t += interval
            n = min(batch, count - sent)
            for _ in range(n):
                data = nxt()
                try:
                    out(data)
                except OSError:  # ENOBUFS / ECONNREFUSED: retry this one once, then move on
                    errors += 1
                    try:
                        out(data)
                    except OSError:
                        errors += 1
                        n -= 1
            sent += n
            if perf() >= deadline:
                break
    finally:
        elapsed = perf() - t0
        sock.close()
    return {"sent": sent, "errors": errors, "elapsed_s": elapsed, "bytes": len(payloads[0])}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True, help="send at most this many datagrams")
    parser.add_argument("--rate", type=float, default=0.0, help="datagrams per second (0: as fast as possible)")
    parser.add_argument("--seconds", type=float, default=30.0, help="never send for longer than this")
    parser.add_argument("--kind", choices=KINDS, default="v2c", help="what to send (default v2c)")
    parser.add_argument("--sequence", action="store_true", help="v2c: a distinct request-id per datagram")
    parser.add_argument("--first", type=int, default=0,
                        help="offset of the first request-id (--sequence) or spoofed engine (v3-spoof)")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON line on stdout")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error("--port must be in [1, 65535]")
    if not 0 <= args.count <= MAX_COUNT:
        parser.error(f"--count must be in [0, {MAX_COUNT:,}]")
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS:g}]")
    if args.rate < 0:
        parser.error("--rate must not be negative")
    start = time.perf_counter()
    try:
        payloads = datagrams(args.kind, args.count, args.sequence, args.first)
    except ValueError as exc:
        parser.error(str(exc))
    build_s = time.perf_counter() - start
    result = send(args.port, args.count, host=args.host, rate=args.rate, seconds=args.seconds,
                  payloads=payloads)
    result["build_s"] = build_s
    elapsed = result["elapsed_s"]
    sys.stderr.write(f"sent {result['sent']} in {elapsed:.3f} s "
                     f"({result['sent'] / elapsed if elapsed else 0:.0f}/s)\n")
    if args.json:
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
