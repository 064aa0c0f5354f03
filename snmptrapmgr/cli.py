"""The ``snmptrapmgr`` command: ``snmptrapmgr listen`` prints traps as JSON lines."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any, Optional, Sequence, TextIO

from .errors import SNMPTrapMgrError
from .output import notification_to_dict
from .trapmgr import SNMPTrapMgr

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snmptrapmgr", description="SNMP trap and inform receiver")
    commands = parser.add_subparsers(dest="command", required=True)
    listen = commands.add_parser("listen", help="receive notifications and print one JSON object per line")
    listen.add_argument("--host", default="", help="local address to bind (default: all IPv4; '::' or '::1' for IPv6)")
    listen.add_argument("--port", type=int, default=162, help="UDP port (default 162; 0 picks a free one)")
    listen.add_argument("--community", action="append", default=None,
                        help="accept only this community (repeatable; default: any)")
    listen.add_argument("--no-inform-response", action="store_true", help="do not acknowledge informs")
    listen.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    return parser


class _Listener:
    """Glue between SNMPTrapMgr events and the JSON-lines output."""

    def __init__(self, mgr: SNMPTrapMgr, out: TextIO, respond: bool) -> None:
        self.out = out
        self.respond = respond
        self.counts = {"delivered": 0, "bad_packets": 0}
        mgr.on_trap = self.on_notification
        mgr.on_inform_request = self.on_notification
        mgr.on_bad_packet = self.on_bad_packet

    def on_notification(self, event: Any) -> None:
        if hasattr(event, "respond"):
            event.respond = self.respond
        self.out.write(json.dumps(notification_to_dict(event, time.time()), ensure_ascii=False) + "\n")
        self.out.flush()
        self.counts["delivered"] += 1

    def on_bad_packet(self, event: Any) -> None:
        self.counts["bad_packets"] += 1
        sys.stderr.write(f"bad packet from {event.source_address}:{event.source_port}: "
                         f"[{event.error_code}] {event.error_description}\n")


def listen(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    mgr = SNMPTrapMgr()
    if ":" in args.host:
        mgr.config("UseIPv6=True")
    mgr.local_host = args.host
    mgr.local_port = args.port
    if args.community:
        mgr._receiver.communities = {c.encode() for c in args.community}
    listener = _Listener(mgr, out, not args.no_inform_response)
    try:
        mgr.activate()
    except SNMPTrapMgrError as exc:
        sys.stderr.write(f"snmptrapmgr: {exc}\n")
        return 1
    sys.stderr.write(f"listening on {args.host or '*'}:{mgr.local_port}\n")
    sys.stderr.flush()
    previous = signal.signal(signal.SIGTERM, lambda *_: mgr.stop())
    try:
        mgr.run(args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        mgr.deactivate()
        out.flush()
        sys.stderr.write(f"delivered {listener.counts['delivered']}, bad packets {listener.counts['bad_packets']}\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "listen":
        return listen(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
