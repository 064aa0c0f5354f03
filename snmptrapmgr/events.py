"""Event parameter classes, named and shaped as the reference documents them.

The sans-IO receiver creates these directly, so one object carries a message
from the decoder to the application.  Writable fields (``respond``,
``accept``, ``password``, ``report``, ``security_level``, ``error_status``...)
are plain attributes, read back after the handler returns.  Varbinds stay as
the decoder's tuples until someone asks for ``objects``.  Every constructor
takes its fields by keyword as well as in the documented positional order.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "SNMPObject", "object_value_bytes",
    "SNMPTrapMgrTrapEventParams", "SNMPTrapMgrInformRequestEventParams",
    "SNMPTrapMgrBadPacketEventParams", "SNMPTrapMgrCacheEntryEventParams",
    "SNMPTrapMgrCheckEngineEventParams", "SNMPTrapMgrDiscoveryRequestEventParams",
    "SNMPTrapMgrErrorEventParams", "SNMPTrapMgrGetUserPasswordEventParams",
    "SNMPTrapMgrGetUserSecurityLevelEventParams", "SNMPTrapMgrHashPasswordEventParams",
    "SNMPTrapMgrPacketTraceEventParams",
]

TYPE_NAMES = {
    2: "Integer", 4: "OctetString", 5: "Null", 6: "ObjectID", 64: "IPAddress",
    65: "Counter32", 66: "Gauge32", 67: "TimeTicks", 68: "Opaque", 69: "NSAP",
    70: "Counter64", 71: "UnsignedInteger32", 128: "NoSuchObject",
    129: "NoSuchInstance", 130: "EndOfMibView",
}


def object_value_bytes(native: Any) -> bytes:
    """The reference's obj_value: raw octets, ASCII decimal, dotted text, or b""."""
    if native is None:
        return b""
    if isinstance(native, bytes):
        return native
    if isinstance(native, int):
        return b"%d" % native
    return native.encode("ascii")


class SNMPObject:
    """One varbind, valid after the event: ``oid``, ``obj_type``, ``value`` (bytes).

    ``native`` is the decoded value (int, bytes, str or None) for code that
    wants numbers as numbers.
    """

    __slots__ = ("oid", "obj_type", "native")

    def __init__(self, oid: str, obj_type: int, native: Any) -> None:
        self.oid = oid
        self.obj_type = obj_type
        self.native = native

    @property
    def value(self) -> bytes:
        return object_value_bytes(self.native)

    @property
    def type_string(self) -> str:
        return TYPE_NAMES.get(self.obj_type, "")

    # MIB names: computed on demand from the process-wide resolver (snmptrapmgr.mib.active(),
    # the standard modules unless config("MibDirs=...") or mib.set_active() chose another),
    # so receiving a trap never pays for them.  The import is here, not at the top: most
    # programs never ask, and then the MIB package is never loaded.

    @property
    def name(self) -> Optional[str]:
        """``IF-MIB::ifAdminStatus.3`` (as ``snmptranslate -OS``), or None when no MIB defines the OID."""
        from .mib import active
        return active().name(self.oid)

    @property
    def label(self) -> Optional[str]:
        """The enumeration label of an INTEGER value (``down``), or None."""
        if self.obj_type != 0x02:
            return None
        from .mib import active
        return active().label(self.oid, self.native)

    @property
    def display(self) -> Optional[str]:
        """The value as its MIB's DISPLAY-HINT reads it (or an OID value's name) when that differs; else None."""
        from .mib import active
        return active().display(self.oid, self.obj_type, self.native)

    def __iter__(self):
        return iter((self.oid, self.obj_type, self.value))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SNMPObject):
            return (self.oid, self.obj_type, self.native) == (other.oid, other.obj_type, other.native)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.oid, self.obj_type, self.native))

    def __repr__(self) -> str:
        return f"SNMPObject({self.oid!r}, {self.type_string}, {self.native!r})"


class _Notification:
    """What a trap and an inform share: the message, its sender, its varbinds.

    Build it by keyword (``SNMPTrapMgrTrapEventParams(snmp_version=2,
    request_id=7, ...)``) or, on the hot paths, by position in the order of
    the signature (keyword matching costs ~0.1 us per field).  ``community`` is the community decoded for display
    (CodePage, undecodable octets replaced); ``community_bytes`` the octets
    exactly as received (b"" for SNMPv3), so two communities that display
    alike stay apart.  The other fields (``OPTIONAL``: engine and context IDs,
    the v1 trap fields, an inform's reply fields) are keyword-only and are
    class-level defaults, set on the instance only when given: that keeps
    the per-trap cost to one small object with eleven attributes.
    """

    #: the keyword-only fields the constructor takes (beside the positional ones)
    OPTIONAL = frozenset(("engine_id", "context_engine_id", "context_name"))

    engine_id = b""
    context_engine_id = b""
    context_name = b""
    _objects: Optional[tuple] = None

    def __init__(self, snmp_version: int, request_id: int, community: str, user: str,
                 security_level: int, trap_oid: str, time_stamp: int, source_address: str,
                 source_port: int, varbinds: list, community_bytes: bytes = b"", **optional: Any) -> None:
        self.snmp_version = snmp_version
        self.request_id = request_id
        self.community = community
        self.user = user
        self.security_level = security_level
        self.trap_oid = trap_oid
        self.time_stamp = time_stamp
        self.source_address = source_address
        self.source_port = source_port
        self.varbinds = varbinds
        self.community_bytes = community_bytes
        if optional:
            self._set_optional(optional)

    def _set_optional(self, optional: dict) -> None:
        # a ** parameter, not keyword-only defaults: those cost a dict lookup per
        # omitted field on every (positional, hot-path) construction
        unknown = optional.keys() - self.OPTIONAL
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s) "
                            f"{', '.join(sorted(unknown))}")
        for name, value in optional.items():
            setattr(self, name, value)

    @property
    def objects(self) -> tuple:
        """Every received varbind, in order, as SNMPObjects."""
        if self._objects is None:
            self._objects = tuple(SNMPObject(o, t, v) for o, t, v in self.varbinds)
        return self._objects

    @property
    def trap_name(self) -> Optional[str]:
        """The notification's MIB name (``IF-MIB::linkDown``) from the active resolver, or None.

        v1 traps are named by their RFC 3584 OID, so ``SNMPv2-MIB::coldStart`` and
        vendor ``TRAP-TYPE``s resolve; computed when asked, never on receipt.
        """
        from .mib import active
        return active().name(self._trap_name_oid())

    def _trap_name_oid(self) -> str:
        """The snmpTrapOID.0 value the name is looked up by (a v1 trap overrides it)."""
        return self.trap_oid


class SNMPTrapMgrTrapEventParams(_Notification):
    """A trap.  v1 traps also carry enterprise, generic/specific and the RFC 3584 OID."""

    OPTIONAL = _Notification.OPTIONAL | {"agent_address", "enterprise", "generic_trap", "specific_trap",
                                         "rfc3584_trap_oid"}

    agent_address = ""
    enterprise = ""
    generic_trap = -1
    specific_trap = 0
    _rfc3584_trap_oid = ""

    @property
    def rfc3584_trap_oid(self) -> str:
        """snmpTrapOID as RFC 3584 translates a v1 trap (what snmptrapd shows)."""
        return self._rfc3584_trap_oid or self.trap_oid

    @rfc3584_trap_oid.setter
    def rfc3584_trap_oid(self, value: str) -> None:
        self._rfc3584_trap_oid = value

    def _trap_name_oid(self) -> str:
        return self.rfc3584_trap_oid


class SNMPTrapMgrInformRequestEventParams(_Notification):
    """An inform; set ``respond`` True (and optionally an error) to acknowledge it."""

    OPTIONAL = _Notification.OPTIONAL | {"error_index", "error_status", "error_description", "respond",
                                         "message_id", "reply_context"}

    error_index = 0
    error_status = 0
    error_description = ""
    respond = False
    message_id = 0
    reply_context: Any = None


class SNMPTrapMgrBadPacketEventParams:
    __slots__ = ("packet", "source_address", "source_port", "error_code",
                 "error_description", "report", "reply_context")

    def __init__(self, packet: bytes, source_address: str, source_port: int, error_code: int,
                 error_description: str, reply_context: Any = None, report: Optional[bool] = None) -> None:
        self.packet = packet
        self.source_address = source_address
        self.source_port = source_port
        self.error_code = error_code
        self.error_description = error_description
        # a Report is prepared only where RFC 3414 calls for one and the message
        # is reportable (never for a trap); the handler may still veto it
        self.report = reply_context is not None if report is None else report
        self.reply_context = reply_context


class SNMPTrapMgrCacheEntryEventParams:
    __slots__ = ("engine_id", "engine_boots", "engine_time", "user", "authentication_protocol",
                 "authentication_password", "encryption_algorithm", "encryption_password")

    def __init__(self, engine_id: bytes, engine_boots: int, engine_time: int, user: str,
                 authentication_protocol: str, authentication_password: str,
                 encryption_algorithm: str, encryption_password: str) -> None:
        self.engine_id = engine_id
        self.engine_boots = engine_boots
        self.engine_time = engine_time
        self.user = user
        self.authentication_protocol = authentication_protocol
        self.authentication_password = authentication_password
        self.encryption_algorithm = encryption_algorithm
        self.encryption_password = encryption_password


class SNMPTrapMgrCheckEngineEventParams:
    __slots__ = ("engine_id", "engine_boots", "engine_time", "user", "security_level",
                 "remote_address", "remote_port", "is_new", "accept")

    def __init__(self, engine_id: bytes, engine_boots: int, engine_time: int, user: str,
                 security_level: int, remote_address: str, remote_port: int, is_new: bool,
                 accept: bool) -> None:
        self.engine_id = engine_id
        self.engine_boots = engine_boots
        self.engine_time = engine_time
        self.user = user
        self.security_level = security_level
        self.remote_address = remote_address
        self.remote_port = remote_port
        self.is_new = is_new
        self.accept = accept


class SNMPTrapMgrDiscoveryRequestEventParams:
    __slots__ = ("engine_id", "engine_boots", "engine_time", "user", "security_level",
                 "source_address", "source_port", "respond", "reply_context")

    def __init__(self, engine_id: bytes, engine_boots: int, engine_time: int, user: str,
                 security_level: int, source_address: str, source_port: int,
                 reply_context: Any = None, respond: bool = True) -> None:
        self.engine_id = engine_id
        self.engine_boots = engine_boots
        self.engine_time = engine_time
        self.user = user
        self.security_level = security_level
        self.source_address = source_address
        self.source_port = source_port
        self.respond = respond
        self.reply_context = reply_context


class SNMPTrapMgrErrorEventParams:
    __slots__ = ("error_code", "description")

    def __init__(self, error_code: int, description: str) -> None:
        self.error_code = error_code
        self.description = description


class SNMPTrapMgrGetUserPasswordEventParams:
    """``key`` (bytes) may be set instead of ``password``: a localized key."""

    __slots__ = ("password_type", "user", "engine_id", "password", "algorithm", "key")

    def __init__(self, password_type: int, user: str, engine_id: bytes, password: str = "",
                 algorithm: int = 0, key: bytes = b"") -> None:
        self.password_type = password_type
        self.user = user
        self.engine_id = engine_id
        self.password = password
        self.algorithm = algorithm
        self.key = key


class SNMPTrapMgrGetUserSecurityLevelEventParams:
    __slots__ = ("user", "engine_id", "security_level")

    def __init__(self, user: str, engine_id: bytes, security_level: int) -> None:
        self.user = user
        self.engine_id = engine_id
        self.security_level = security_level


class SNMPTrapMgrHashPasswordEventParams:
    __slots__ = ("password", "auth_algorithm", "hash")

    def __init__(self, password: str, auth_algorithm: int, hash: str = "") -> None:  # noqa: A002
        self.password = password
        self.auth_algorithm = auth_algorithm
        self.hash = hash


class SNMPTrapMgrPacketTraceEventParams:
    __slots__ = ("packet", "direction", "packet_address", "packet_port")

    def __init__(self, packet: bytes, direction: int, packet_address: str, packet_port: int) -> None:
        self.packet = packet
        self.direction = direction
        self.packet_address = packet_address
        self.packet_port = packet_port
