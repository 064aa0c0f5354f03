"""The end-to-end receiver: one SNMPTrapMgr on 127.0.0.1 with an application's on_trap handler.

The handler does what an application does with a trap: it reads the trap OID and
every varbind through the documented accessors (``obj_count``, ``get_obj_id(i)``,
``get_obj_type(i)``, ``get_obj_value(i)``), then counts.  A figure only an empty
handler reaches is not a result.

Run as ``python -m bench._receiver IMPL RCVBUF`` by :mod:`bench.e2e`; IMPL is
"cython" (the compiled modules) or "python" (the parent also sets
SNMPTRAPMGR_NO_EXTENSIONS=1, so the pure-Python fallback is chosen at import as a user
would).  It prints one JSON line (port, kernel SO_RCVBUF, implementation, the
snmptrapmgr file and version it imported) and then answers commands on stdin,
one per line, with one JSON line each:

- ``reset``  zero the counters (before a sender starts) and pin the bench engine's
  boots/time again (so the prebuilt v3 datagrams stay inside the time window)
- ``report`` wait until no datagram arrived for ``QUIET_S`` (bounded), then the counts,
  the time from the first to the last trap, this socket's kernel drops and the CPU
  seconds this process spent since ``reset`` (getrusage: user + system; the idle
  drain wait costs next to none), the figure that does not move with the machine's noise
- ``memory`` VmRSS / VmHWM of this process (kB, /proc/self/status) and the sizes of the
  v3 caches (learned engines, any-engine localizations, key LRUs) with their caps
- ``quit``

Users: the bench user for its engine (traffic.V3_ENGINE_ID, SHA-1/AES-128, the v3 rows)
and the same name for any engine (empty engine ID: the spoofed-engine flood).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time

QUIET_S = 0.25
MAX_DRAIN_S = 40.0


def _memory() -> dict:
    out = {}
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0].lower() + "_kb"] = int(line.split()[1])
    except OSError:
        pass
    return out


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    kind, rcvbuf = sys.argv[1], int(sys.argv[2])
    import snmptrapmgr
    from snmptrapmgr import SNMPTrapMgr, _select

    from bench import traffic

    if kind == "cython":
        _select.use("cython")  # fails loudly if the extensions are missing
    elif snmptrapmgr.implementation != "python":
        _select.use("python")
    perf = time.perf_counter
    # traps, first trap time, bad packets, errors
    state = {"traps": 0, "first": None, "last": None, "bad": 0, "errors": 0}
    stop = threading.Event()

    def on_trap(event: object) -> None:
        if state["traps"] == 0:
            state["first"] = perf()
        state["traps"] += 1
        state["oid"] = event.trap_oid  # type: ignore[attr-defined]
        for i in range(mgr.obj_count):
            state["varbind"] = (mgr.get_obj_id(i), mgr.get_obj_type(i), mgr.get_obj_value(i))

    def on_bad_packet(event: object) -> None:
        state["bad"] += 1

    def on_error(event: object) -> None:
        state["errors"] += 1

    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    mgr.config(f"InBufferSize={rcvbuf}")
    mgr.on_trap = on_trap
    mgr.on_bad_packet = on_bad_packet
    mgr.on_error = on_error
    mgr.add_user(traffic.V3_USER, traffic.V3_ENGINE_ID, traffic.V3_AUTH_PROTOCOL, traffic.V3_AUTH_PASSWORD,
                 traffic.V3_PRIV_ALGORITHM, traffic.V3_PRIV_PASSWORD)
    mgr.add_user(traffic.V3_USER, b"", traffic.V3_AUTH_PROTOCOL, traffic.V3_AUTH_PASSWORD,
                 traffic.V3_PRIV_ALGORITHM, traffic.V3_PRIV_PASSWORD)
    mgr.add_engine(traffic.V3_ENGINE_ID, traffic.V3_BOOTS, traffic.V3_TIME)
    mgr.activate()
    endpoint = mgr.endpoint
    cache = endpoint.receiver.cache

    def received() -> int:
        return endpoint.counters().received
    base = {"received": 0, "drops": 0, "cpu_s": _cpu_s()}
    hello = {
        "port": mgr.local_port,
        "rcvbuf_requested": rcvbuf,
        "rcvbuf_kernel": int(mgr.config("InBufferSize")),
        "implementation": snmptrapmgr.implementation,
        "file": os.path.realpath(snmptrapmgr.__file__),
        "version": snmptrapmgr.__version__,
        "events_per_call": int(mgr.config("EventsPerCall")),
    }
    print(json.dumps(hello), flush=True)

    def reply(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def commands() -> None:
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == "reset":
                state.update(traps=0, first=None, last=None, bad=0, errors=0)
                base.update(received=received(), drops=mgr.kernel_drops, cpu_s=_cpu_s())
                mgr.add_engine(traffic.V3_ENGINE_ID, traffic.V3_BOOTS, traffic.V3_TIME)
                reply({"ok": True})
            elif cmd == "report":
                start = perf()
                seen, seen_at = received(), perf()
                while perf() - start < MAX_DRAIN_S:
                    time.sleep(0.05)
                    if received() != seen:
                        seen, seen_at = received(), perf()
                    elif perf() - seen_at >= QUIET_S:
                        break
                first, last = state["first"], state["last"]
                reply({"traps": state["traps"], "bad": state["bad"], "errors": state["errors"],
                       "datagrams": received() - base["received"],
                       "socket_drops": mgr.kernel_drops - base["drops"],
                       "busy_s": (last - first) if first is not None and last is not None else 0.0,
                       "cpu_s": _cpu_s() - base["cpu_s"],
                       "drained": perf() - start < MAX_DRAIN_S})
            elif cmd == "memory":
                sizes = cache.sizes()  # the cache's own snapshot
                reply({**_memory(), "caches": {**sizes, "max_engines": cache.max_engines,
                                               "max_keys": cache.max_keys},
                       "datagrams": received()})
            elif cmd == "quit":
                break
        stop.set()

    thread = threading.Thread(target=commands, daemon=True)
    thread.start()
    # The application's loop: do_events() until told to quit; after each call note
    # when the last trap was processed (cheaper than a clock read per trap).
    last_count = 0
    do_events = mgr.do_events
    while not stop.is_set():
        do_events()
        count = state["traps"]
        if count != last_count:
            state["last"] = perf()
            last_count = count
    mgr.deactivate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
