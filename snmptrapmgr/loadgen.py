"""A bounded loopback trap sender for measurements and tests.

``python -m snmptrapmgr.loadgen --port P --count N [--rate R] [--seconds S]``
sends at most N copies of one prebuilt SNMPv2c trap (a typical linkDown:
sysUpTime, snmpTrapOID, ifIndex, ifAdminStatus, ifOperStatus, ifDescr) to
127.0.0.1:P (or ::1 with ``--host ::1``), optionally paced at R datagrams/s,
and never for longer than S seconds (default 30).  With ``--sequence`` every
datagram carries its own request-id (``FIRST + i``), so a receiver can prove
exactly-once delivery.  It only ever sends to a loopback address.
It prints ``sent N in T s (R/s)`` on stderr.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Optional, Sequence

from .message import PDU_TRAP, encode_community_message, encode_pdu

__all__ = ["typical_trap", "send", "main", "FIRST_REQUEST_ID"]

#: request-ids of --sequence datagrams start here (4 content bytes, always minimal BER)
FIRST_REQUEST_ID = 0x01000000

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def typical_trap(request_id: int = FIRST_REQUEST_ID, community: bytes = b"public") -> bytes:
    """A v2c linkDown trap as routers send it (~110 bytes)."""
    varbinds = [
        ("1.3.6.1.2.1.1.3.0", 0x43, 123456),
        ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.6.3.1.1.5.3"),
        ("1.3.6.1.2.1.2.2.1.1.7", 0x02, 7),
        ("1.3.6.1.2.1.2.2.1.7.7", 0x02, 1),
        ("1.3.6.1.2.1.2.2.1.8.7", 0x02, 2),
        ("1.3.6.1.2.1.2.2.1.2.7", 0x04, b"GigabitEthernet0/7"),
    ]
    return encode_community_message(1, community, encode_pdu(PDU_TRAP, request_id, 0, 0, varbinds))


def _request_id_offset(datagram: bytes, request_id: int) -> int:
    marker = b"\x02\x04" + request_id.to_bytes(4, "big")
    offset = datagram.find(marker)
    if offset < 0:
        raise ValueError("request-id not found in the template")
    return offset + 2


def send(port: int, count: int, *, host: str = "127.0.0.1", rate: float = 0.0,
         seconds: float = 30.0, sequence: bool = False, datagram: Optional[bytes] = None) -> int:
    """Send up to ``count`` datagrams; return how many were sent."""
    if host not in _LOOPBACK:
        raise ValueError("loadgen only sends to a loopback address")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.connect((host, port))
    template = bytearray(datagram if datagram is not None else typical_trap())
    offset = _request_id_offset(bytes(template), FIRST_REQUEST_ID) if sequence else -1
    start = time.perf_counter()
    deadline = start + seconds
    sent = 0
    chunk = 256
    out = sock.send
    packet = bytes(template)
    try:
        while sent < count:
            now = time.perf_counter()
            if now >= deadline:
                break
            if rate > 0:
                due = int((now - start) * rate)
                if due <= sent:
                    time.sleep(min(0.0005, (sent + 1 - due) / rate))
                    continue
                burst = min(count - sent, due - sent, chunk)
            else:
                burst = min(count - sent, chunk)
            for _ in range(burst):
                if offset >= 0:
                    template[offset:offset + 4] = (FIRST_REQUEST_ID + sent).to_bytes(4, "big")
                    packet = bytes(template)
                try:
                    out(packet)
                except (BlockingIOError, ConnectionRefusedError):
                    time.sleep(0.0001)
                    continue
                sent += 1
    finally:
        sock.close()
    return sent


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snmptrapmgr.loadgen", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=_LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="datagrams per second (0: as fast as possible)")
    parser.add_argument("--seconds", type=float, default=30.0, help="never send for longer than this")
    parser.add_argument("--sequence", action="store_true", help="a distinct request-id per datagram")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    sent = send(args.port, args.count, host=args.host, rate=args.rate, seconds=args.seconds,
                sequence=args.sequence)
    elapsed = time.perf_counter() - start
    sys.stderr.write(f"sent {sent} in {elapsed:.3f} s ({sent / elapsed if elapsed else 0:.0f}/s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
