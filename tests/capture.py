"""Capture the datagrams a real SNMP sender emits, without any receiver code.

A plain UDP socket is bound on 127.0.0.1 port 0, the sender (a net-snmp command
line, or a Python callable such as a pysnmp send) is pointed at it, and the
datagrams that arrive within a bounded wait are returned.  Nothing is ever
answered, so ``snmpinform`` keeps retrying until it is stopped: the first
InformRequest is what is captured.

Used by ``tests/test_decode_captures.py`` (live runs) and by
``tests/data/make_captures.py`` (regenerates the stored ``.bin`` files).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

__all__ = ["Capture", "CaptureError", "capture", "capture_call", "have_net_snmp", "substitute"]

Command = Union[str, Sequence[str]]


class CaptureError(RuntimeError):
    """The sender failed or nothing arrived in time."""


@dataclass
class Capture:
    datagrams: list = field(default_factory=list)  # list[bytes]
    argv: list = field(default_factory=list)       # the command actually run (placeholders filled)
    returncode: int | None = None                 # None when the sender was stopped by us
    stderr: str = field(default="", repr=False)

    @property
    def first(self) -> bytes:
        if not self.datagrams:
            raise CaptureError(f"no datagram arrived from {self.argv!r}; stderr: {self.stderr!r}")
        return self.datagrams[0]


def have_net_snmp() -> bool:
    return shutil.which("snmptrap") is not None and shutil.which("snmpinform") is not None


def substitute(command: Command, port: int, host: str = "127.0.0.1") -> list:
    """Split ``command`` (if a string) and fill in ``{port}``, ``{host}`` and ``{target}``."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    target = f"{host}:{port}"
    return [a.replace("{target}", target).replace("{port}", str(port)).replace("{host}", host)
            for a in argv]


def _bind(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((host, 0))
    return sock


def _collect(sock: socket.socket, count: int, deadline: float, done: Callable[[], bool],
             linger: float) -> list:
    """Receive until ``count`` datagrams, the deadline, or the sender is done plus ``linger``."""
    out = []
    finished_at = None
    while len(out) < count:
        now = time.monotonic()
        if now >= deadline:
            break
        if finished_at is None and done():
            finished_at = now
        if finished_at is not None and now - finished_at >= linger:
            break
        sock.settimeout(min(0.05, max(deadline - now, 0.001)))
        try:
            data, _addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        out.append(data)
    return out


def net_snmp_env(tmp: str) -> dict:
    env = dict(os.environ)
    # no user or system snmp.conf, persistent state in a throwaway directory,
    # so the same command line always produces the same kind of packet
    env["SNMPCONFPATH"] = tmp
    env["SNMP_PERSISTENT_DIR"] = tmp
    # load no MIB modules: every OID on our command lines is numeric, and a
    # partial MIB tree would only print warnings
    with open(os.path.join(tmp, "snmp.conf"), "w") as conf:
        conf.write("mibs :\n")
    env.pop("MIBS", None)
    return env


def capture(command: Command, count: int = 1, timeout: float = 5.0, host: str = "127.0.0.1",
            check: bool = True) -> Capture:
    """Run ``command`` against a fresh UDP socket and return what arrived.

    ``command`` is an argv list or a shell-like string; ``{target}`` becomes
    ``127.0.0.1:PORT`` (``{port}`` and ``{host}`` also work).  Waits at most
    ``timeout`` seconds for ``count`` datagrams; the sender is killed when that
    is reached (an unanswered ``snmpinform`` would retry for a while) or at the
    deadline.  With ``check``, a sender that exits non-zero without sending, or
    no datagram at all, raises :class:`CaptureError`.
    """
    sock = _bind(host)
    port = sock.getsockname()[1]
    argv = substitute(command, port, host)
    result = Capture(argv=argv)
    tmp = tempfile.mkdtemp(prefix="snmpcap-")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=net_snmp_env(tmp))
        try:
            deadline = time.monotonic() + timeout
            result.datagrams = _collect(sock, count, deadline, lambda: proc.poll() is not None,
                                        linger=0.5)
        finally:
            if proc.poll() is None:
                proc.kill()
            try:
                _out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                err = b""
            result.returncode = proc.returncode if proc.returncode is not None and proc.returncode >= 0 else None
            result.stderr = (err or b"").decode("utf-8", "replace")
    finally:
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if check:
        if not result.datagrams:
            raise CaptureError(f"no datagram from {argv!r} (rc={result.returncode}); "
                               f"stderr: {result.stderr.strip()!r}")
    return result


def capture_call(send: Callable[[str, int], None], count: int = 1, timeout: float = 5.0,
                 host: str = "127.0.0.1", check: bool = True) -> Capture:
    """Like :func:`capture` for an in-process sender: ``send(host, port)`` is called once.

    pysnmp can drop a notification without any error, so ``check`` (default)
    insists that something arrived.
    """
    sock = _bind(host)
    port = sock.getsockname()[1]
    result = Capture(argv=[getattr(send, "__name__", repr(send)), host, str(port)])
    try:
        send(host, port)
        result.returncode = 0
        result.datagrams = _collect(sock, count, time.monotonic() + timeout, lambda: True,
                                    linger=min(timeout, 1.0))
    finally:
        sock.close()
    if check and not result.datagrams:
        raise CaptureError(f"no datagram from {result.argv[0]} (the sender dropped it silently?)")
    return result


# --------------------------------------------------------------------------
# pysnmp as a second, independent sender (optional)
# --------------------------------------------------------------------------

def have_pysnmp() -> bool:
    try:
        import pysnmp.hlapi.v3arch.asyncio  # noqa: F401
    except Exception:
        return False
    return True


def pysnmp_sender(spec: dict) -> Callable[[str, int], None]:
    """Return ``send(host, port)`` that sends the trap described by ``spec`` with pysnmp.

    ``spec``: ``{"mp_model": 0|1, "community": str, "trap_oid": str,
    "varbinds": [[oid, pysnmp_type_name, value], ...]}`` where the type name
    is a class of ``pysnmp.proto.rfc1902`` and ``value`` is an int, a str, or
    ``{"hex": ...}`` for bytes.  mp_model 0 is SNMPv1 (pysnmp translates the
    v2 notification per RFC 3584).
    """

    def send(host: str, port: int) -> None:
        import asyncio

        from pysnmp.hlapi.v3arch import asyncio as hl
        from pysnmp.proto import rfc1902

        def value(type_name, raw):
            cls = getattr(rfc1902, type_name)
            if isinstance(raw, dict):
                raw = bytes.fromhex(raw["hex"])
            return cls(raw)

        async def main():
            engine = hl.SnmpEngine()
            try:
                target = await hl.UdpTransportTarget.create((host, port), timeout=1, retries=0)
                notification = hl.NotificationType(hl.ObjectIdentity(spec["trap_oid"]))
                notification = notification.add_varbinds(
                    *[(oid, value(t, v)) for oid, t, v in spec["varbinds"]])
                error, _status, _index, _vbs = await hl.send_notification(
                    engine, hl.CommunityData(spec["community"], mpModel=spec["mp_model"]),
                    target, hl.ContextData(), "trap", notification)
                if error:
                    raise CaptureError(f"pysnmp: {error}")
                await asyncio.sleep(0.05)  # let the datagram leave before closing
            finally:
                engine.close_dispatcher()

        asyncio.run(main())

    send.__name__ = "pysnmp_send"
    return send


# --------------------------------------------------------------------------
# Manifests: what a sender was asked to send, stored next to each capture
# --------------------------------------------------------------------------
#
# JSON cannot hold bytes or "any value", so values are tagged:
#   {"hex": "..."}        bytes
#   {"any": "int"}        any int (a clock, an engine-chosen field)
#   {"nonzero": "int"}    an int other than 0 (request-id, msgID)
#   {"nonempty": "bytes"} bytes, not empty (an engine-chosen engine ID)
# anything else is compared with ==.

def to_json(value):
    if isinstance(value, (bytes, bytearray)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def from_json(value):
    """Turn ``{"hex": ...}`` back into bytes; leave matcher dicts alone."""
    if isinstance(value, dict):
        if set(value) == {"hex"}:
            return bytes.fromhex(value["hex"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def matches(expected, got) -> bool:
    """Compare a decoded value with a manifest value (after :func:`from_json`)."""
    if isinstance(expected, dict) and len(expected) == 1:
        (kind, what), = expected.items()
        if kind == "any":
            return type(got) is int
        if kind == "nonzero":
            return type(got) is int and got != 0
        if kind == "nonempty":
            return isinstance(got, bytes) and len(got) > 0
    if type(expected) is not type(got):
        return False
    return expected == got


def load_manifests(directory: str) -> dict:
    """``{name: manifest}`` for every ``*.json`` in ``directory`` that has a ``.bin`` twin."""
    import json

    out = {}
    for entry in sorted(os.listdir(directory)):
        if entry.endswith(".json"):
            name = entry[:-5]
            with open(os.path.join(directory, entry)) as fh:
                manifest = json.load(fh)
            if os.path.exists(os.path.join(directory, name + ".bin")):
                out[name] = manifest
    return out
