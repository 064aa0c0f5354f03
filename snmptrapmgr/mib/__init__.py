"""MIB names for notifications: OID -> ``IF-MIB::ifAdminStatus.3``, enum labels, display hints.

The standard modules (pysnmp-pysmi's 487 bundled IETF/IANA/IEEE texts) are
a prebuilt index shipped as package data (``scripts/build_mib_index.py``
regenerates it); vendor MIB directories are compiled once with pysmi and
cached by content.  Nothing here is imported by the receive path unless a
name is asked for, and nothing is loaded at import.

- :func:`load` builds a :class:`Resolver` (standard index + ``mib_dirs``);
- :func:`active` is the process-wide resolver the events' name properties
  use (the standard one, loaded on first use), :func:`set_active` replaces
  it (the collector's ``--mib-dir``, the library's vendor directories);
- :func:`name`, :func:`label`, :func:`display` ask the active resolver.

This package imports nothing from the rest of snmptrapmgr: the events and
the collector use it, never the other way round.
"""

from __future__ import annotations

import threading
from typing import Any, Optional, Sequence

from . import loader
from .index import IndexFileError, MibIndex
from .resolver import Resolver

__all__ = ["Resolver", "MibIndex", "IndexFileError", "load", "active", "set_active",
           "name", "label", "display"]

_active: Optional[Resolver] = None
_lock = threading.Lock()


def load(mib_dirs: Sequence[str] = (), cache_dir: Optional[str] = None, **cache: int) -> Resolver:
    """A resolver over the standard index plus ``mib_dirs`` (compiled once, then cached).

    Never raises for a bad vendor directory or file: each problem is in
    ``resolver.problems`` as (file or directory, reason) and the rest loads.
    ``cache``: ``max_entries`` / ``max_bytes`` of the resolver's OID cache.
    """
    parts = [loader.standard_part()]
    problems: list = []
    if mib_dirs:
        vendor = loader.VendorSet(mib_dirs, cache_dir)
        standard = [m[0] for m in parts[0]["modules"]]
        try:
            part = vendor.part(standard)
        except Exception as exc:  # the compiler missing or failing as a whole: standard names still work
            part = None
            problems.append((", ".join(vendor.directories), f"MIBs not compiled: {exc}"))
        if part is not None:
            parts.append(part)
        else:
            problems.extend(vendor.problems)
        if vendor.cache_note:
            problems.append((vendor.cache, vendor.cache_note))
    index = MibIndex(parts)
    index.problems.extend([list(p) for p in problems])
    return Resolver(index, **cache)


def active() -> Resolver:
    """The process-wide resolver (the standard index unless :func:`set_active` chose another)."""
    global _active
    found = _active
    if found is None:
        with _lock:
            if _active is None:
                _active = load()
            found = _active
    return found


def set_active(resolver: Optional[Resolver]) -> None:
    """Make ``resolver`` the one :func:`active` returns (None: back to the standard one, lazily)."""
    global _active
    with _lock:
        _active = resolver


def name(oid: str) -> Optional[str]:
    """``MODULE::name.index`` of ``oid`` by the active resolver, or None."""
    return active().name(oid)


def label(oid: str, value: Any) -> Optional[str]:
    """The enum label of an integer value of ``oid``, or None."""
    return active().label(oid, value)


def display(oid: str, obj_type: int, value: Any) -> Optional[str]:
    """``value`` as the MIB's display hint reads it, when that differs from the value; or None."""
    return active().display(oid, obj_type, value)
