"""The batch-receive twins (recvmmsg in Cython, recvmsg_into in Python) behave alike."""

from __future__ import annotations

import socket
import sys
import time

import pytest

from snmptrapmgr.io import batch
from snmptrapmgr.io import _batch_py

LINUX = sys.platform.startswith("linux")


def _pair(family=socket.AF_INET, host="127.0.0.1", rcvbuf=0):
    rx = socket.socket(family, socket.SOCK_DGRAM)
    if rcvbuf:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if _batch_py.SO_RXQ_OVFL is not None:
        rx.setsockopt(socket.SOL_SOCKET, _batch_py.SO_RXQ_OVFL, 1)
    rx.bind((host, 0))
    rx.setblocking(False)
    tx = socket.socket(family, socket.SOCK_DGRAM)
    tx.connect(rx.getsockname()[:2])
    return rx, tx


def _drain(receiver, limit=1000):
    out = []
    while True:
        batch = receiver.receive(limit)
        if not batch:
            return out
        out += batch


def test_selector_switches(impl):
    assert batch.USING_CYTHON == (impl == "cython")
    assert batch.BatchReceiver.__module__.endswith("_batch_c" if impl == "cython" else "_batch_py")


@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_receive_matches_recvfrom(impl, family, host):
    rx, tx = _pair(family, host)
    with rx, tx:
        receiver = batch.BatchReceiver(rx, 8, 1500)
        datagrams = [bytes([i % 256]) * (i % 300) for i in range(100)]
        for d in datagrams:
            tx.send(d)
        got = _drain(receiver, 37)
        # the address exactly as socket.recvfrom gives it (what the sender's getsockname says)
        assert got == [(d, tx.getsockname(), False) for d in datagrams]
        tx.send(b"last")
        rx.setblocking(True)
        assert rx.recvfrom(100) == (b"last", tx.getsockname())
        rx.setblocking(False)
        assert receiver.receive(10) == []
        assert receiver.drops == -1  # nothing dropped, nothing reported


def test_limit_and_batch_bounds(impl):
    rx, tx = _pair()
    with rx, tx:
        receiver = batch.BatchReceiver(rx, 4, 100)
        for i in range(10):
            tx.send(b"%d" % i)
        assert [d for d, _, _ in receiver.receive(3)] == [b"0", b"1", b"2"]
        assert [d for d, _, _ in receiver.receive(5)] == [b"3", b"4", b"5", b"6", b"7"]
        assert receiver.receive(0) == []
        assert [d for d, _, _ in receiver.receive(100)] == [b"8", b"9"]


def test_oversized_is_flagged_and_truncated(impl):
    rx, tx = _pair()
    with rx, tx:
        receiver = batch.BatchReceiver(rx, 4, 10)
        tx.send(b"0123456789")
        tx.send(b"0123456789A")
        tx.send(b"x" * 5000)
        got = receiver.receive(10)
        assert [(d, o) for d, _, o in got] == [(b"0123456789", False), (b"0123456789", True),
                                                (b"x" * 10, True)]


@pytest.mark.skipif(not LINUX, reason="SO_RXQ_OVFL is Linux only")
def test_kernel_drops_reported(impl):
    rx, tx = _pair(rcvbuf=4096)
    with rx, tx:
        receiver = batch.BatchReceiver(rx, 16, 2000)
        for _ in range(500):
            tx.send(b"y" * 1000)
        first = _drain(receiver)
        assert 0 < len(first) < 500
        tx.send(b"after")  # carries the drop count queued so far
        last = _drain(receiver)
        assert last[-1][0] == b"after"
        assert receiver.drops == 500 - len(first)


def test_closed_or_invalid(impl):
    with pytest.raises(ValueError):
        batch.BatchReceiver(None, 0, 100)
    with pytest.raises(ValueError):
        batch.BatchReceiver(None, 4, 70000)
    rx, tx = _pair()
    receiver = batch.BatchReceiver(rx, 4, 100)
    tx.send(b"z")
    rx.close()
    tx.close()
    assert receiver.receive(10) == []
    receiver.close()
    assert receiver.receive(10) == []


def test_connection_refused_is_skipped(impl):
    rx, tx = _pair()
    with rx, tx:
        receiver = batch.BatchReceiver(rx, 4, 100)
        # an ICMP port unreachable for a datagram we sent to a closed port
        dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()
        rx.connect(("127.0.0.1", port))
        rx.send(b"reply")
        time.sleep(0.05)
        assert receiver.receive(10) == []  # the error is consumed, not raised


def test_transport_exposes_kernel_drops(impl):
    from snmptrapmgr import SNMPTrapMgr

    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    mgr.config("InBufferSize=4096")
    got = []
    mgr.on_trap = got.append
    with mgr:
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        from bench.traffic import typical_v2c_trap

        for _ in range(400):
            tx.sendto(typical_v2c_trap(), ("127.0.0.1", mgr.local_port))
        tx.close()
        assert mgr.kernel_drops > 0  # read from /proc before any datagram is taken
        while mgr.process_waiting():
            pass
        assert len(got) + mgr.kernel_drops == 400
    assert mgr.kernel_drops == 400 - len(got)  # still readable after close
