"""Running ``snmptrapmgr listen``: startup lines, one collector or the workers, the exit status.

:mod:`snmptrapmgr.cli` only turns the command line into a way of building
the configuration (a function, so a reload can build it again); this
module opens, announces and runs.  With ``--user NAME`` (:mod:`.privileges`)
it binds and opens as root, then runs as NAME before the first datagram is
read.  SIGHUP reopens the output files and reloads the configuration
(:meth:`~.service.Collector.reopen`).  Exit status: 0 after SIGINT/SIGTERM or
``--duration``, 1 when a socket or output cannot be opened (or the user
cannot be changed), 2 for a bad configuration.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional, TextIO

from .._select import current, no_extensions, stale
from ..errors import SNMPTrapMgrError
from ..version import __version__
from .config import CollectorConfig, ConfigError
from .metrics import maybe_serve, output_counts
from .privileges import Account, check as check_account, drop as drop_privileges, unwritable
from .outputs import create
from .service import Collector
from .snmptrapd_conf import user_summary
from .workers import run_workers

__all__ = ["run_listen"]


def _implementation_note() -> str:
    """Which twins run, and why when it is the slower pure-Python fallback."""
    if current() == "cython":
        old = stale()
        if old:
            return (f"compiled (Cython) modules, OLDER than their sources ({', '.join(old)}): rebuild "
                    "(pip install . or python setup.py build_ext --inplace) or they run the old code")
        return "compiled (Cython) modules"
    if no_extensions():
        return "pure-Python modules (SNMPTRAPMGR_NO_EXTENSIONS is set)"
    return ("pure-Python fallback: the compiled modules were not built (about 10x slower; "
            "install Cython and a C compiler, then reinstall)")


def _format_address(host: str, port: int) -> str:
    return f"udp6:[{host}]:{port}" if ":" in host else f"udp:{host}:{port}"


def run_listen(build_config: Callable[[], CollectorConfig], duration: Optional[float] = None,
               err: TextIO = sys.stderr) -> int:
    """Build the configuration, open the sockets and outputs, serve until a signal or ``duration``."""
    try:
        config = build_config()
        account = check_account(config.run_as_user, config.run_as_user_origin) if config.run_as_user else None
    except ConfigError as exc:
        err.write(f"snmptrapmgr: {exc}\n")
        return 2
    if account is not None and account.change and config.workers > 1:
        err.write(f"snmptrapmgr: {config.run_as_user_origin} {account.name} runs one process, not "
                  f"--workers {config.workers} (a worker binds its sockets again when it restarts); "
                  "drop --workers, or run the workers under the systemd unit contrib/snmptrapmgr.service "
                  "(User=, AmbientCapabilities=)\n")
        return 2
    if config.workers > 1:
        def bound(addresses: list) -> None:
            for host, port in addresses:
                err.write(f"snmptrapmgr: listening on {_format_address(host, port)} "
                          f"workers={config.workers}\n")
            _notes(config, err)
            err.flush()
        return run_workers(config, err, duration, on_bound=bound, build_config=build_config)
    try:
        outputs = [create(spec) for spec in config.output_specs()]
    except ConfigError as exc:
        err.write(f"snmptrapmgr: {exc}\n")
        return 2
    except OSError as exc:
        err.write(f"snmptrapmgr: cannot open {exc.filename or config.describe_outputs()}: {exc.strerror}\n")
        return 1
    collector = Collector(config, outputs, err)
    collector.build_config = build_config  # SIGHUP builds it again
    try:
        collector.open()
    except SNMPTrapMgrError as exc:
        err.write(f"snmptrapmgr: {exc}\n")
        collector.close()
        return 1
    for host, port, rcvbuf, forced in collector.describe():
        err.write(f"snmptrapmgr: listening on {_format_address(host, port)} rcvbuf={rcvbuf}"
                  f"{' (forced)' if forced else ''}\n")
    try:
        metrics = maybe_serve(config.metrics_listen,
                              lambda: (collector.stats(), output_counts(collector.delivery.outputs,
                                                                        collector.delivery.latency)))
    except ConfigError as exc:
        err.write(f"snmptrapmgr: {exc}\n")
        collector.close()
        return 2
    if account is not None:  # bound and opened: now the user, before the first datagram is read
        try:
            drop_privileges(account)
        except OSError as exc:
            err.write(f"snmptrapmgr: cannot switch to user {account.name}: {exc.strerror or exc}\n")
            collector.close()
            if metrics is not None:
                metrics.close()
            return 1
    _notes(config, err)
    if account is not None:
        _say_account(config, account, err)
    err.write(f"snmptrapmgr: local engine ID {collector.managers[0].local_engine_id.hex()} "
              "(SNMPv3 informs are sent to it; several collectors behind one address need the same)\n")
    if metrics is not None:
        err.write(f"snmptrapmgr: metrics on {metrics.url}\n")
    err.flush()
    collector.install_signal_handlers()
    try:
        collector.run(duration)
    finally:
        try:
            collector.settle()  # the final line counts what the stop's bounded wait delivered
        finally:
            collector.report_stats(final=True)
            collector.close()
        if metrics is not None:
            metrics.close()
    return 0


def _say_account(config: CollectorConfig, account: Account, err: TextIO) -> None:
    """The user it now runs as, and what that user could not write later (SIGHUP reopen, spool)."""
    err.write(f"snmptrapmgr: running as user {account.name} (uid {account.uid}, gid {account.gid})"
              f"{'' if account.change else ', as started'}\n")
    paths = []
    for spec in config.output_specs():
        if spec.get("type") == "file" and spec.get("path") not in (None, "", "-"):
            paths.append(str(spec["path"]))
        if spec.get("spool_dir"):
            paths.append(str(spec["spool_dir"]))
    for path in unwritable(paths):
        err.write(f"snmptrapmgr: {path} is not writable by {account.name}: it stays open, but reopening it "
                  f"(SIGHUP, log rotation) or a new spool segment in it would fail; chown it to {account.name}\n")


def _notes(config: CollectorConfig, err: TextIO) -> None:
    err.write(f"snmptrapmgr: {__version__}, {_implementation_note()}\n")
    for note in config.notes:
        err.write(f"snmptrapmgr: {note}\n")
    if config.users:
        names = ", ".join(user_summary(u) for u in config.users)
        err.write(f"snmptrapmgr: v3 users: {names}\n")


