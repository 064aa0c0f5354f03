"""The end-to-end sender: the prebuilt typical v2c trap over a plain UDP socket to 127.0.0.1.

``python -m bench._sender PORT RATE DURATION_S``: sends ``RATE * DURATION_S``
datagrams paced in batches of about 0.5 ms (busy-wait on ``perf_counter``), and
stops at the latest after ``1.5 * DURATION_S + 0.5`` s even if it could not keep
the pace.  RATE 0 = as fast as it can, for at most DURATION_S seconds or
``--count`` datagrams.  Prints one JSON line: sent, elapsed, send errors.
"""

from __future__ import annotations

import json
import socket
import sys
import time


def main() -> int:
    port, rate, duration = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    from bench.traffic import typical_v2c_trap

    data = typical_v2c_trap()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect(("127.0.0.1", port))
    send = sock.send
    perf = time.perf_counter
    errors = 0
    sent = 0
    if rate > 0:
        total = count or max(1, int(rate * duration))
        batch = max(1, min(1000, int(rate / 2000)))
        interval = batch / rate
        t0 = perf()
        hard_stop = t0 + 1.5 * duration + 0.5
        next_t = t0
        while sent < total:
            while perf() < next_t:
                pass
            n = min(batch, total - sent)
            for _ in range(n):
                try:
                    send(data)
                except OSError:
                    errors += 1
            sent += n
            next_t += interval
            if perf() > hard_stop:
                break
    else:
        total = count or 10_000_000
        t0 = perf()
        hard_stop = t0 + duration
        while sent < total:
            for _ in range(256):
                try:
                    send(data)
                except OSError:
                    errors += 1
            sent += 256
            if perf() > hard_stop:
                break
    elapsed = perf() - t0
    sock.close()
    print(json.dumps({"sent": sent - errors, "attempted": sent, "errors": errors,
                      "elapsed_s": elapsed, "bytes": len(data)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
