"""Helpers for tests that drive a live SNMPTrapMgr with real senders.

Every loop here is bounded: it pumps ``mgr.do_events()`` until what the test
waits for has arrived or a deadline (default 5 s) has passed, so a lost
datagram makes a test fail, never hang.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Callable, Optional, Sequence

from snmptrapmgr import SNMPTrapMgr

DEADLINE = 5.0


class Recorder:
    """Collects every event a manager fires, by kind, plus object snapshots."""

    def __init__(self, mgr: SNMPTrapMgr, respond: Optional[bool] = None,
                 error_status: int = 0, error_index: int = 0) -> None:
        self.mgr = mgr
        self.traps: list = []
        self.informs: list = []
        self.bad: list = []
        self.errors: list = []
        self.trace: list = []
        self.snapshots: list = []  # obj_* accessors read inside the handler
        self.respond = respond
        self.error_status = error_status
        self.error_index = error_index
        mgr.on_trap = self._on_trap
        mgr.on_inform_request = self._on_inform
        mgr.on_bad_packet = self.bad.append
        mgr.on_error = self.errors.append
        mgr.on_packet_trace = self.trace.append

    def _snapshot(self) -> list:
        m = self.mgr
        return [(m.get_obj_id(i), m.get_obj_type(i), m.get_obj_value(i), m.get_obj_type_string(i))
                for i in range(m.obj_count)]

    def _on_trap(self, event) -> None:
        self.snapshots.append(self._snapshot())
        self.traps.append(event)

    def _on_inform(self, event) -> None:
        self.snapshots.append(self._snapshot())
        if self.respond is not None:
            event.respond = self.respond
        event.error_status = self.error_status
        event.error_index = self.error_index
        self.informs.append(event)

    @property
    def notifications(self) -> list:
        return self.traps + self.informs


def new_mgr(host: str = "127.0.0.1", port: int = 0, activate: bool = True, **config) -> SNMPTrapMgr:
    """A manager on ``host``: port 0 picks a free port (read it back from local_port)."""
    mgr = SNMPTrapMgr()
    mgr.local_host = host
    mgr.local_port = port
    for name, value in config.items():
        mgr.config(f"{name}={value}")
    if activate:
        mgr.activate()
    return mgr


def pump(mgr: SNMPTrapMgr, until: Callable[[], bool], deadline: float = DEADLINE) -> bool:
    """Call do_events until ``until()`` is true or ``deadline`` seconds pass; return until()."""
    end = time.monotonic() + deadline
    while not until():
        if time.monotonic() >= end:
            return until()
        mgr.do_events()
    return True


def run_sender(mgr: SNMPTrapMgr, argv: Sequence[str], until: Callable[[], bool],
               deadline: float = DEADLINE) -> subprocess.CompletedProcess:
    """Run a sender subprocess while pumping ``mgr``; wait for it (bounded) and return it.

    Events keep being processed until the sender has exited AND ``until()``
    holds, or the deadline passes (then the sender is killed).
    """
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end:
            mgr.do_events()
            if proc.poll() is not None and until():
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=5)
    # drain what arrived right at the end
    pump(mgr, until, 0.2)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(errors="replace"),
                                       err.decode(errors="replace"))


def run_python(mgr: SNMPTrapMgr, code: str, until: Callable[[], bool],
               deadline: float = DEADLINE) -> subprocess.CompletedProcess:
    """Run ``python -c code`` as a sender (e.g. pysnmp) while pumping ``mgr``."""
    return run_sender(mgr, [sys.executable, "-c", code], until, deadline)


def send_udp(port: int, *datagrams: bytes, host: str = "127.0.0.1") -> socket.socket:
    """Send datagrams from one fresh socket; return it (still open) for replies."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    for data in datagrams:
        sock.sendto(data, (host, port))
    return sock
