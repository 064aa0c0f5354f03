"""Collector counters: what was received, delivered, rejected and lost.

``Counters`` is filled by the collector's handlers (auth failures, reports
and responses sent) and completed from each manager's endpoint (received,
bad packets, kernel drops: SO_RXQ_OVFL and /proc/net/udp) and from the
delivery (delivered: taken by every output).  ``format_line`` is the one-line text written to stderr
every ``--stats-interval`` seconds and on exit; ``as_dict`` is what workers
hand to the parent, which adds them up.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import (
    ERR_BAD_ENGINE_ID,
    ERR_BAD_PACKET,
    ERR_BAD_TIME_FRAME,
    ERR_BAD_USER_NAME,
    ERR_DECRYPTION_FAILED,
    ERR_DEFECTIVE_PACKET,
    ERR_MESSAGE_TOO_LONG,
    ERR_MESSAGE_TOO_SHORT,
    ERR_MISSING_AUTH_PASSWORD,
    ERR_MISSING_PRIV_PASSWORD,
    ERR_NOT_AUTHENTICATED,
    ERR_NOT_ENCRYPTED,
    ERR_SECURITY_LEVEL,
    ERR_SECURITY_MODEL,
    ERR_UNKNOWN_PDU,
    ERR_UNSUPPORTED_VERSION,
    ERR_VERIFICATION_FAILED,
)

__all__ = ["AUTH_FAILURE_CODES", "BAD_REASONS", "AUTH_REASONS", "FIELDS", "KINDS", "SHARED", "Counters",
           "format_line", "add"]

#: bad-packet error codes counted as authentication failures
AUTH_FAILURE_CODES = frozenset((
    ERR_NOT_AUTHENTICATED, ERR_VERIFICATION_FAILED, ERR_BAD_USER_NAME, ERR_SECURITY_LEVEL,
    ERR_DECRYPTION_FAILED, ERR_BAD_TIME_FRAME, ERR_MISSING_AUTH_PASSWORD, ERR_MISSING_PRIV_PASSWORD,
))

#: the ``reason`` label of the bad-packet metric: (label, error codes); what none names is "other"
BAD_REASONS = (
    ("malformed", (ERR_DEFECTIVE_PACKET, ERR_BAD_PACKET, ERR_UNKNOWN_PDU, ERR_MESSAGE_TOO_SHORT)),
    ("too_long", (ERR_MESSAGE_TOO_LONG,)),
    ("unsupported_version", (ERR_UNSUPPORTED_VERSION, ERR_SECURITY_MODEL)),
    ("unknown_community", (ERR_NOT_AUTHENTICATED,)),
    ("unknown_user", (ERR_BAD_USER_NAME,)),
    ("unknown_engine_id", (ERR_BAD_ENGINE_ID,)),
    ("wrong_digest", (ERR_VERIFICATION_FAILED,)),
    ("not_in_time_window", (ERR_BAD_TIME_FRAME,)),
    ("decryption_error", (ERR_DECRYPTION_FAILED, ERR_NOT_ENCRYPTED)),
    ("unsupported_security_level", (ERR_SECURITY_LEVEL,)),
    ("no_password", (ERR_MISSING_AUTH_PASSWORD, ERR_MISSING_PRIV_PASSWORD)),
)
#: the ``reason`` label of the auth-failure metric: the usmStats kinds, the community, the ACLs
AUTH_REASONS = tuple(r for r in BAD_REASONS if set(r[1]) & AUTH_FAILURE_CODES) + (("acl", ()),)
_BAD_BY_CODE = {code: f"bad_{label}" for label, codes in BAD_REASONS for code in codes}

FIELDS = ("received", "delivered", "bad_packets", "auth_failures", "reports_sent",
          "responses_sent", "kernel_drops", "informs_unanswered", "informs_duplicate", "reports_suppressed",
          "traps_v1", "traps_v2c", "traps_v3", "informs_v2c", "informs_v3", "reply_send_errors")

#: (field, SNMP version label, pdu label) of the notification counts, for the metrics
KINDS = (("traps_v1", "1", "trap"), ("traps_v2c", "2c", "trap"), ("traps_v3", "3", "trap"),
         ("informs_v2c", "2c", "inform"), ("informs_v3", "3", "inform"))


#: what a worker hands its parent: the stats line's fields and the per-reason counts
SHARED = FIELDS + tuple(f"bad_{label}" for label, _ in BAD_REASONS) + ("bad_other",) + tuple(
    f"auth_{label}" for label, _ in AUTH_REASONS)


class Counters:
    """Counters of one collector process (one or more listening managers)."""

    __slots__ = ("auth_failures", "responses_sent", "rejected", "managers", "delivery",
                 "held", "dedup", "traps", "informs", "bad_codes")

    def __init__(self) -> None:
        self.auth_failures = 0   # bad packets with an auth code, plus collector ACL rejections
        self.responses_sent = 0
        self.rejected = 0        # notifications dropped by the collector's ACLs (also auth failures)
        self.managers: list = []
        self.delivery: Any = None
        self.held: Any = None
        self.dedup: Any = None
        self.traps = [0, 0, 0, 0]    # accepted traps by snmp_version (index 1, 2, 3)
        self.informs = [0, 0, 0, 0]  # accepted informs likewise
        self.bad_codes: dict = {}    # bad packets by error code (the collector's handler sees each)

    def watch(self, managers: Iterable[Any], delivery: Any, held: Any = None, dedup: Any = None) -> None:
        """Read received/bad/drops from ``managers``' endpoints, delivered from ``delivery``,
        informs never answered from ``held`` (:class:`~.answers.HeldInforms`)."""
        self.managers = list(managers)
        self.delivery = delivery
        self.held = held
        self.dedup = dedup

    def as_dict(self) -> dict:
        received = bad = drops = suppressed = send_errors = reports = 0
        for mgr in self.managers:
            counters = mgr.endpoint.counters()
            received += counters.received
            bad += counters.bad_packets
            drops += counters.kernel_drops
            suppressed += counters.reports_suppressed
            send_errors += counters.send_errors
            reports += counters.reports_sent  # counted once the socket took it
        traps, informs = self.traps, self.informs
        return {
            "received": received,
            "delivered": self.delivery.delivered() if self.delivery is not None else 0,
            "bad_packets": bad,
            "auth_failures": self.auth_failures,
            "reports_sent": reports,
            "responses_sent": self.responses_sent,
            "kernel_drops": drops,
            "informs_unanswered": self.held.unanswered if self.held is not None else 0,
            "informs_duplicate": self.dedup.duplicates if self.dedup is not None else 0,
            "reports_suppressed": suppressed,
            "traps_v1": traps[1], "traps_v2c": traps[2], "traps_v3": traps[3],
            "informs_v2c": informs[2], "informs_v3": informs[3],
            "reply_send_errors": send_errors,  # Responses and Reports the socket refused (the sender retries)
            **self._reasons(bad),
        }

    def _reasons(self, bad: int) -> dict:
        """bad_<reason> and auth_<reason> counts; "other" makes the bad ones add up to ``bad``."""
        out = dict.fromkeys(SHARED[len(FIELDS):], 0)
        for code, count in self.bad_codes.items():
            field = _BAD_BY_CODE.get(code, "bad_other")
            out[field] += count
            if code in AUTH_FAILURE_CODES:
                out["auth" + field[3:]] += count
        out["bad_other"] += max(0, bad - sum(v for k, v in out.items() if k.startswith("bad_")))
        out["auth_acl"] = self.rejected
        return out


def add(totals: dict, more: dict) -> dict:
    for name in SHARED:
        totals[name] = totals.get(name, 0) + int(more.get(name, 0))
    return totals


def format_line(values: dict, label: str = "stats") -> str:
    body = " ".join(f"{name}={values.get(name, 0)}" for name in FIELDS)
    return f"snmptrapmgr {label}: {body}\n"
