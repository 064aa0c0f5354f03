"""serve_forever() / run(duration) stop cleanly: from another thread, a signal, a deadline."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

from bench.traffic import FIRST_REQUEST_ID, typical_v2c_trap
from snmptrapmgr import SNMPTrapMgr


def _mgr():
    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    return mgr


def _send(port, count=1):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for i in range(count):
            tx.sendto(typical_v2c_trap(FIRST_REQUEST_ID + i), ("127.0.0.1", port))


def test_serve_forever_stops_from_another_thread(impl):
    mgr = _mgr()
    got = []
    mgr.on_trap = got.append
    with mgr:
        thread = threading.Thread(target=mgr.serve_forever, daemon=True)
        thread.start()
        _send(mgr.local_port, 50)
        end = time.monotonic() + 5
        while len(got) < 50 and time.monotonic() < end:
            time.sleep(0.01)
        started = time.monotonic()
        mgr.stop()
        thread.join(5)
        assert not thread.is_alive()
        assert time.monotonic() - started < 1.0  # within about one SelectWaitMillis
    assert len(got) == 50 and not mgr.active


def test_stop_from_inside_a_handler(impl):
    mgr = _mgr()
    got = []

    def on_trap(event):
        got.append(event)
        mgr.stop()

    mgr.on_trap = on_trap
    with mgr:
        _send(mgr.local_port, 3)
        time.sleep(0.05)
        mgr.run(5.0)
    assert 1 <= len(got) <= 3


def test_run_duration_returns(impl):
    mgr = _mgr()
    with mgr:
        started = time.monotonic()
        mgr.run(0.2)
        assert 0.15 <= time.monotonic() - started < 1.5


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
def test_stop_from_a_signal_handler(impl):
    mgr = _mgr()
    previous = signal.signal(signal.SIGUSR1, lambda *_: mgr.stop())
    try:
        with mgr:
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1))
            timer.start()
            started = time.monotonic()
            mgr.serve_forever()
            assert time.monotonic() - started < 3.0
            timer.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_serve_forever_activates_and_reuses(impl):
    mgr = _mgr()
    got = []
    mgr.on_trap = got.append
    threading.Timer(0.3, mgr.stop).start()
    mgr.serve_forever()  # activates by itself
    assert mgr.active
    port = mgr.local_port
    _send(port, 2)
    threading.Timer(0.3, mgr.stop).start()
    mgr.serve_forever()  # a second run after stop works
    assert len(got) == 2
    mgr.deactivate()


def test_process_waiting_never_blocks(impl):
    mgr = _mgr()
    with mgr:
        started = time.monotonic()
        for _ in range(100):
            assert mgr.process_waiting() == 0
        assert time.monotonic() - started < 0.5
        _send(mgr.local_port, 5)
        time.sleep(0.05)
        assert mgr.process_waiting(3) == 3
        assert mgr.process_waiting() == 2
        assert mgr.fileno() >= 0
    assert mgr.fileno() == -1
