"""The ``snmptrapmgr`` command: ``snmptrapmgr listen`` is a trap collector writing JSON lines.

Startup lines on stderr come first, one per socket, so a caller using
``--port 0`` can read the port::

    snmptrapmgr: listening on udp:127.0.0.1:40123 rcvbuf=134217728 (forced)

Exit status: 0 after SIGINT/SIGTERM/--duration (everything the kernel had
queued processed and written), 1 when a socket cannot be opened, 2 for a
bad configuration.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import Optional, Sequence, TextIO

from .collector.config import (
    DEFAULT_RCVBUF,
    CollectorConfig,
    ConfigError,
    apply_snmptrapd_conf,
    config_from_toml,
    load_toml,
    parse_output_url,
)
from ._select import current as implementation
from .collector.launch import run_listen
from .version import __version__
from .collector.snmptrapd_conf import CommunitySpec, parse_address
from .mib import cli as mib_cli

__all__ = ["main", "build_parser", "listen"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="snmptrapmgr", description="SNMP trap and inform receiver")
    parser.add_argument("--version", action="version",
                        version=f"snmptrapmgr {__version__} ({implementation()}), Python {platform.python_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    listen = commands.add_parser(
        "listen", help="collect notifications, one JSON object per line",
        description="Receive SNMP v1/v2c/v3 traps and informs and write one JSON object per line.")
    listen.add_argument("--config", metavar="FILE.toml", help="collector configuration (TOML)")
    listen.add_argument("--snmptrapd-conf", metavar="FILE", action="append", default=[],
                        help="import createUser / authCommunity / authUser / snmpTrapdAddr lines "
                             "of a net-snmp snmptrapd.conf (repeatable)")
    listen.add_argument("--listen", metavar="ADDR", action="append", default=[],
                        help="address to bind: HOST:PORT, [V6]:PORT, udp6:PORT... (repeatable)")
    listen.add_argument("--host", default=None,
                        help="local address to bind (default all IPv4; '::' or '::1' for IPv6)")
    listen.add_argument("--port", type=int, default=None, help="UDP port (default 162; 0 picks a free one)")
    listen.add_argument("--community", action="append", default=None,
                        help="accept only this community (repeatable; default: any)")
    listen.add_argument("--output", "-o", metavar="FILE|URL", action="append", default=None,
                        help="append JSON lines to FILE ('-': stdout, the default), or publish to "
                             "nats://HOST:PORT/SUBJECT or kafka://HOST:PORT/TOPIC (repeatable: every one "
                             "gets every notification)")
    listen.add_argument("--inform-ack", choices=("after_output", "on_receive"), default=None,
                        help="answer an inform once every output stored it (default) or on receipt")
    listen.add_argument("--metrics-listen", metavar="HOST:PORT", default=None,
                        help="serve Prometheus metrics on http://HOST:PORT/metrics")
    listen.add_argument("--fsync", action="store_true", default=None,
                        help="fsync(2) file outputs before acknowledging (slower; survives a power loss)")
    listen.add_argument("--no-inform-response", action="store_true", help="do not acknowledge informs")
    listen.add_argument("--compatibility-mode", type=int, choices=(0, 1, 2), default=None,
                        help="AES-192/256 key extension: 0 Reeder, 1 Blumenthal, 2 try both "
                             "(default: what the users' priv names ask for)")
    listen.add_argument("--workers", type=int, default=None,
                        help="N processes sharing the port with SO_REUSEPORT (default 1)")
    listen.add_argument("--stats-interval", type=float, default=None, metavar="SECONDS",
                        help="print counters to stderr this often (default: only on exit)")
    listen.add_argument("--rcvbuf", type=int, default=None, metavar="BYTES",
                        help=f"socket receive buffer to ask for (default {DEFAULT_RCVBUF})")
    listen.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    listen.add_argument("--numeric", action="store_true", default=None,
                        help="no MIB names in the output (trap_name, name, label, display)")
    listen.add_argument("--mib-dir", action="append", default=[], metavar="DIR",
                        help="also name OIDs from the MIBs in DIR (repeatable; compiled once, then cached)")
    listen.add_argument("--user", metavar="NAME", default=None,
                        help="bind the sockets and open the outputs, then run as NAME (needs root; the "
                             "systemd unit contrib/snmptrapmgr.service is the preferred way)")
    mib_cli.add_arguments(commands)
    return parser


def _build_config(args: argparse.Namespace) -> CollectorConfig:
    config = CollectorConfig()
    if args.config:
        try:
            config_from_toml(load_toml(args.config), args.config, config)
        except OSError as exc:
            raise ConfigError(f"cannot read {args.config}: {exc.strerror}") from None
        except ConfigError:
            raise
        except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
            raise ConfigError(f"{args.config}: {exc}") from None
    for path in args.snmptrapd_conf:
        apply_snmptrapd_conf(config, path)
    try:
        cli_listen = [parse_address(a) for a in args.listen]
    except ValueError as exc:
        raise ConfigError(f"--listen: {exc}") from None
    if args.host is not None or args.port is not None:
        host = args.host if args.host is not None else "0.0.0.0"
        cli_listen.append((host or "0.0.0.0", 162 if args.port is None else args.port))
    if cli_listen:
        config.listen = cli_listen
    if args.community:
        config.communities = [CommunitySpec(c, origin="--community") for c in args.community]
    if args.output is not None:
        config.outputs = [parse_output_url(value) for value in args.output]
    if args.inform_ack is not None:
        config.inform_ack = args.inform_ack
    if args.fsync:
        config.fsync = True
    if args.metrics_listen is not None:
        config.metrics_listen = args.metrics_listen
    if args.no_inform_response:
        config.respond_informs = False
    if args.compatibility_mode is not None:
        config.compatibility_mode = args.compatibility_mode
    if args.workers is not None:
        config.workers = args.workers
    if args.stats_interval is not None:
        config.stats_interval = args.stats_interval
    if args.rcvbuf is not None:
        config.receive_buffer = args.rcvbuf
    if args.numeric:
        config.numeric = True
    if args.user is not None:
        if not args.user:
            raise ConfigError("--user: an account name, not an empty string")
        config.run_as_user, config.run_as_user_origin = args.user, "--user"
    config.mib_dirs.extend(args.mib_dir)
    if config.workers < 1:
        raise ConfigError("--workers must be at least 1")
    most = 4 * (os.cpu_count() or 1)
    if config.workers > most:
        raise ConfigError(f"workers: {config.workers} is more than 4 per CPU ({os.cpu_count()} CPUs here); "
                          f"use at most {most}")
    return config


def listen(args: argparse.Namespace, err: TextIO = sys.stderr) -> int:
    """``snmptrapmgr listen``: the configuration is built from ``args`` (again on SIGHUP)."""
    return run_listen(lambda: _build_config(args), args.duration, err)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "listen":
        return listen(args)
    if args.command == "mib":
        return mib_cli.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
