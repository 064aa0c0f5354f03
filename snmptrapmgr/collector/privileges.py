"""``listen --user NAME`` (TOML ``run_as_user``): bind and open as root, then run as NAME.

The order is the point: :func:`check` runs before anything is opened (a user
that does not exist, or a change of user without root, is a ConfigError: one
line, exit 2); the caller then binds the sockets (port 162 needs root or
CAP_NET_BIND_SERVICE), opens the outputs and the metrics socket, and calls
:func:`drop` before the first datagram is read.  :func:`drop` sets the
supplementary groups (initgroups), the group and the user (real, effective
and saved IDs, so root cannot be taken back) and checks that it stuck.  A
switch from root to another user clears every capability (no keep-caps).

The systemd unit ``contrib/snmptrapmgr.service`` (``User=`` with
``AmbientCapabilities=``) remains the preferred route: there nothing ever runs
as root.  This is the route without systemd.
"""

from __future__ import annotations

import os
import pwd
from typing import List, NamedTuple

from .options import ConfigError

__all__ = ["Account", "check", "drop", "unwritable"]

UNIT = "contrib/snmptrapmgr.service"


class Account(NamedTuple):
    name: str
    uid: int
    gid: int
    change: bool  # False: already running as this user, nothing to do


def check(name: str, where: str = "--user") -> Account:
    """The account ``name``, or a ConfigError saying what to fix (before anything is opened)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ConfigError(f"{where} {name}: no such user on this system; create it "
                          f"(useradd --system --no-create-home --shell /usr/sbin/nologin {name}) "
                          "or name an existing one") from None
    euid = os.geteuid()
    if euid == entry.pw_uid:
        return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, change=False)
    if euid != 0:
        try:
            current = pwd.getpwuid(euid).pw_name
        except KeyError:
            current = f"uid {euid}"
        raise ConfigError(f"{where} {name}: running as {current}, not root, so the user cannot change; "
                          f"start as root, or leave out {where} (or use the systemd unit {UNIT}: "
                          "User= with AmbientCapabilities=)")
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid, change=True)


def drop(account: Account) -> None:
    """Become ``account`` for good: groups, gid, uid (real, effective, saved); OSError if it fails."""
    if not account.change:
        return
    os.initgroups(account.name, account.gid)
    os.setresgid(account.gid, account.gid, account.gid)
    os.setresuid(account.uid, account.uid, account.uid)
    if os.getresuid() != (account.uid,) * 3 or os.getresgid() != (account.gid,) * 3:
        raise OSError(f"the user or group did not change (uid {os.getresuid()}, gid {os.getresgid()})")
    if account.uid != 0:
        try:
            os.setresuid(0, 0, 0)
        except PermissionError:
            pass  # as it must be
        else:
            raise OSError("root could be taken back after the switch")


def unwritable(paths: List[str]) -> List[str]:
    """Those of ``paths`` (files or directories) that the current user cannot write (after drop).

    A file output is reopened on SIGHUP and a spool writes new segment files later, as the
    new user: what it cannot write would fail then, so the caller says so at start.
    """
    out = []
    for path in paths:
        target = path if os.path.exists(path) else (os.path.dirname(os.path.abspath(path)) or ".")
        if not os.access(target, os.W_OK):
            out.append(path)
    return out
