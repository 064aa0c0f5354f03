"""What the receiver and the USM pipeline exchange: hooks, settings and a rejection.

The :class:`~snmptrapmgr.receiver.Receiver` owns one :class:`USMSettings` and
hands it to the :class:`~.usm.USMEngine` it creates, so the pipeline reads plain
values instead of reaching back into the receiver; the receiver's own
attributes (``local_engine_id``, ``time_window``, ...) are views of it.  A
refused message comes back as :class:`Rejected`, which the receiver turns
into an on_bad_packet event.  This module is light (no crypto imports) so the
receiver can import it before any SNMPv3 message arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..errors import SNMPTrapMgrError

__all__ = ["Hooks", "USMSettings", "Rejected", "int_or"]


@dataclass
class Hooks:
    """Callables the SNMPv3 path asks while it processes a message.

    Each takes the matching event-params object and may change its writable
    fields; ``None`` means "use the defaults and the auth cache".
    """

    get_user_security_level: Optional[Callable[[Any], None]] = None
    get_user_password: Optional[Callable[[Any], None]] = None
    check_engine: Optional[Callable[[Any], None]] = None
    hash_password: Optional[Callable[[Any], None]] = None


@dataclass(slots=True)
class USMSettings:
    """The receiver's SNMPv3 settings, read by the pipeline on every message."""

    hooks: Hooks = field(default_factory=Hooks)
    local_engine_id: bytes = b""     # empty: generated on first need (usm.generate_engine_id)
    time_window: int = 150           # seconds (TimeWindow)
    compatibility_mode: int = 0      # AES-192/256 key extension: 0 Reeder, 1 Blumenthal, 2 both
    decrypt_log_packets: bool = False
    codec: str = "utf-8"             # of user names in events (CodePage)


class Rejected(SNMPTrapMgrError):
    """An SNMPv3 message USM refused; the receiver makes it an on_bad_packet event.

    ``counter`` is the usmStats / snmp counter it counts in ("" none),
    ``reportable`` whether RFC 3412/3414 allow a Report, ``auth_key`` the key
    that authenticated it (a Report to it is then authenticated too);
    ``reply_context`` is set by the pipeline when a Report is called for.
    """

    def __init__(self, code: int, why: str, counter: str = "", reportable: bool = False,
                 auth_key: Any = None) -> None:
        super().__init__(code, why)
        self.counter = counter
        self.reportable = reportable
        self.auth_key = auth_key
        self.reply_context: Any = None


def int_or(value: Any, default: int) -> int:
    """An integer the application set in an event field, else ``default``."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
