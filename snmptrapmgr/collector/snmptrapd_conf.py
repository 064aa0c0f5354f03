"""Read the parts of a net-snmp ``snmptrapd.conf`` a trap collector needs.

Supported lines (net-snmp 5.9 syntax)::

    createUser [-e ENGINEID] USER [(MD5|SHA|SHA1|SHA-224|SHA-256|SHA-384|SHA-512) AUTHPASS
               [(DES|AES|AES128|AES192|AES256|AES192C|AES256C|3DES) [PRIVPASS]]]
    authCommunity TYPES COMMUNITY [SOURCE [OID]]
    authUser TYPES USER [noauth|auth|priv [OID]]
    disableAuthorization yes|no
    snmpTrapdAddr [udp:|udp6:]ADDRESS[:PORT][,...]

* ``createUser`` without ``-e`` is an any-engine user (engine ID b""): its
  keys are localized to each sender's engine as it appears.  Without PRIVPASS
  the privacy pass phrase is the authentication one (as net-snmp does).
* ``AES192`` / ``AES256`` (also ``AES-192`` / ``AES-256``) use the Blumenthal
  key extension, ``AES192C`` / ``AES256C`` the Reeder one, as in net-snmp.
  :func:`compatibility_mode_for` turns that into the receiver's
  CompatibilityMode: only Reeder -> 0, only Blumenthal -> 1, both -> 2 (try
  both per message; the extension that gives a well-formed ScopedPDU wins).
* ``authCommunity``: TYPES (log, execute, net) are all taken as "accept";
  SOURCE is ``default`` or an address / network (``10.0.0.0/8``,
  ``10.0.0.0/255.0.0.0``, a host name is resolved once); OID restricts the
  community to notifications whose trap OID lies in that subtree.
  ``-v VIEW`` needs view definitions we do not read: the line is reported
  and not used (fail closed: that community is not accepted by it).
* ``authUser``: the listed users must use at least the given level
  (default ``auth``, as in snmptrapd); once any authUser line exists, v3
  users without one are rejected (as snmptrapd does).

Every other non-comment line is reported as unsupported with its line
number: nothing is silently ignored.
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import SNMPTrapMgrError
from ..io.transport import resolve_host

__all__ = [
    "AUTH_PROTOCOLS", "PRIV_PROTOCOLS", "UserSpec", "CommunitySpec", "TrapdConf",
    "parse_snmptrapd_conf", "read_snmptrapd_conf", "compatibility_mode_for",
    "parse_engine_id", "parse_source", "parse_address", "user_summary",
]

#: net-snmp name -> SNMPTrapMgr auth protocol code
AUTH_PROTOCOLS = {
    "MD5": 1, "SHA": 2, "SHA1": 2, "SHA-1": 2, "SHA-256": 3, "SHA256": 3, "SHA-512": 4, "SHA512": 4,
    "SHA-224": 5, "SHA224": 5, "SHA-384": 6, "SHA384": 6,
}
#: net-snmp name -> (priv code, key extension or None)
PRIV_PROTOCOLS = {
    "DES": (1, None), "AES": (2, None), "AES128": (2, None), "AES-128": (2, None),
    "3DES": (3, None), "3DESEDE": (3, None),
    "AES192": (4, "blumenthal"), "AES-192": (4, "blumenthal"),
    "AES256": (5, "blumenthal"), "AES-256": (5, "blumenthal"),
    "AES192C": (4, "reeder"), "AES-192-C": (4, "reeder"),
    "AES256C": (5, "reeder"), "AES-256-C": (5, "reeder"),
}
LEVELS = {"noauth": 0, "auth": 1, "priv": 2, "noauthnopriv": 0, "authnopriv": 1, "authpriv": 2}


@dataclass
class UserSpec:
    name: str
    engine_id: bytes = b""
    auth_protocol: int = 0
    auth_password: str = ""
    priv_protocol: int = 0
    priv_password: str = ""
    extension: Optional[str] = None  # "blumenthal" / "reeder" for AES-192/256
    origin: str = ""


@dataclass
class CommunitySpec:
    community: str
    networks: Optional[list] = None  # None: any source
    oid: str = ""                     # "": any trap OID
    origin: str = ""

    def allows(self, address: str, trap_oid: str) -> bool:
        if self.oid and not (trap_oid == self.oid or trap_oid.startswith(self.oid + ".")):
            return False
        if self.networks is None:
            return True
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.networks)


@dataclass
class TrapdConf:
    users: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    user_levels: dict = field(default_factory=dict)  # authUser: name -> minimum level
    disable_authorization: Optional[bool] = None
    listen: list = field(default_factory=list)       # (host, port)
    problems: list = field(default_factory=list)     # "file:line: message"


def parse_engine_id(text: str) -> bytes:
    body = text[2:] if text.lower().startswith("0x") else text
    body = body.replace(":", "")
    value = bytes.fromhex(body)
    if value and not 5 <= len(value) <= 32:
        raise ValueError(f"engine ID must be 5..32 bytes, not {len(value)}")
    return value


def parse_source(text: str) -> Optional[list]:
    """``default`` -> None (any); else a list of ip_network."""
    if text.lower() == "default":
        return None
    try:
        return [ipaddress.ip_network(text, strict=False)]
    except ValueError:
        pass
    if "/" in text:  # 10.0.0.0/255.0.0.0 style
        host, _, mask = text.partition("/")
        return [ipaddress.ip_network(f"{host}/{mask}", strict=False)]
    return [ipaddress.ip_network(address) for address in resolve_host(text)]


def parse_address(spec: str, default_port: int = 162) -> tuple:
    """snmpTrapdAddr / listen syntax: [udp:|udp6:]host[:port], [v6]:port, or port.

    Raises ValueError naming the address when its port is not 0..65535.
    """
    text = spec.strip()
    v6 = False
    for prefix in ("udp6:", "udpv6:", "udpipv6:", "udp:"):
        if text.lower().startswith(prefix):
            v6 = prefix != "udp:"
            text = text[len(prefix):]
            break
    if text.isdigit():
        return "::" if v6 else "0.0.0.0", _port(text, spec)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, _port(rest[1:], spec) if rest.startswith(":") else default_port
    if text.count(":") > 1:  # bare IPv6 address
        return text, default_port
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit():
        return host or ("::" if v6 else "0.0.0.0"), _port(port, spec)
    return text, default_port


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"bad port in {spec!r}: expected 0..65535")
    return int(text)


#: the shortest pass phrase RFC 3414 (section 11.2) allows; net-snmp refuses shorter ones too
MIN_PASS_PHRASE = 8


def check_pass_phrase(phrase: str, what: str) -> str:
    """``phrase`` if long enough, else ValueError naming ``what`` (never the phrase itself)."""
    if len(phrase) < MIN_PASS_PHRASE:
        raise ValueError(f"the {what} pass phrase has {len(phrase)} characters; RFC 3414 and net-snmp "
                         f"require at least {MIN_PASS_PHRASE}")
    return phrase


def _create_user(args: list, origin: str) -> UserSpec:
    engine_id = b""
    if args and args[0] == "-e":
        if len(args) < 2:
            raise ValueError("-e needs an engine ID")
        engine_id = parse_engine_id(args[1])
        args = args[2:]
    if args and args[0].startswith("-"):
        raise ValueError(f"option {args[0]} (keys instead of pass phrases) is not supported")
    if not args:
        raise ValueError("no user name")
    user = UserSpec(args[0], engine_id, origin=origin)
    rest = args[1:]
    if not rest:
        return user  # noAuthNoPriv user
    auth = rest[0].upper()
    if auth not in AUTH_PROTOCOLS:
        raise ValueError(f"unknown authentication protocol {rest[0]!r}")
    if len(rest) < 2:
        raise ValueError("no authentication pass phrase")
    if rest[1].startswith("-"):
        raise ValueError(f"option {rest[1]} (keys instead of pass phrases) is not supported")
    user.auth_protocol = AUTH_PROTOCOLS[auth]
    user.auth_password = check_pass_phrase(rest[1], "authentication")
    if len(rest) >= 3:
        priv = rest[2].upper()
        if priv not in PRIV_PROTOCOLS:
            raise ValueError(f"unknown privacy protocol {rest[2]!r}")
        user.priv_protocol, user.extension = PRIV_PROTOCOLS[priv]
        user.priv_password = check_pass_phrase(rest[3] if len(rest) >= 4 else user.auth_password, "privacy")
        if len(rest) > 4:
            raise ValueError(f"{len(rest) - 4} unexpected words after the privacy pass phrase")
    return user


def parse_snmptrapd_conf(text: str, name: str = "snmptrapd.conf") -> TrapdConf:
    conf = TrapdConf()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        origin = f"{name}:{number}"
        try:
            words = shlex.split(line, comments=False, posix=True)
        except ValueError as exc:  # the line is not echoed: it may hold pass phrases or a community
            conf.problems.append(f"{origin}: cannot parse this {line.split()[0]} line ({exc})")
            continue
        keyword, args = words[0], words[1:]
        low = keyword.lower()
        try:
            if low == "createuser":
                conf.users.append(_create_user(args, origin))
            elif low == "authcommunity":
                if len(args) < 2:
                    raise ValueError("usage: authCommunity TYPES COMMUNITY [SOURCE [OID | -v VIEW]]")
                spec = CommunitySpec(args[1], origin=origin)
                if len(args) >= 3:
                    spec.networks = parse_source(args[2])
                if len(args) >= 4:
                    if args[3] == "-v":
                        raise ValueError("views (-v VIEW) are not supported; line not used")
                    spec.oid = args[3].lstrip(".")
                if len(args) > 4:
                    raise ValueError(f"unexpected words: {args[4:]}")
                conf.communities.append(spec)
            elif low == "authuser":
                if len(args) < 2:
                    raise ValueError("usage: authUser TYPES USER [noauth|auth|priv [OID | -v VIEW]]")
                level = 1
                if len(args) >= 3:
                    if args[2].lower() not in LEVELS:
                        raise ValueError(f"unknown level {args[2]!r}")
                    level = LEVELS[args[2].lower()]
                if len(args) >= 4:
                    raise ValueError("OID / view restrictions on authUser are not supported; line not used")
                conf.user_levels[args[1]] = level
            elif low == "disableauthorization":
                conf.disable_authorization = bool(args) and args[0].lower() in ("yes", "true", "1")
            elif low == "snmptrapdaddr":
                for spec in " ".join(args).split(","):
                    if spec.strip():
                        conf.listen.append(parse_address(spec))
            else:
                raise ValueError(f"{keyword} lines are not supported by snmptrapmgr; line not used")
        except (ValueError, OSError, SNMPTrapMgrError) as exc:
            # only the keyword: the rest of a createUser / authCommunity line is secret
            conf.problems.append(f"{origin}: {keyword}: {exc}")
    return conf


def read_snmptrapd_conf(path: str) -> TrapdConf:
    with open(path, encoding="utf-8") as handle:
        return parse_snmptrapd_conf(handle.read(), path)


def compatibility_mode_for(users: list, explicit: Optional[int] = None) -> tuple:
    """(CompatibilityMode, note) for the AES-192/256 key extensions ``users`` ask for."""
    wanted = {u.extension for u in users if u.extension}
    if explicit is not None:
        implied = {0: {"reeder"}, 1: {"blumenthal"}, 2: {"reeder", "blumenthal"}}[explicit]
        missing = wanted - implied
        note = ""
        if missing:
            note = (f"CompatibilityMode {explicit} does not try the {'/'.join(sorted(missing))} key "
                    f"extension some users ask for; use 2 to try both")
        return explicit, note
    if wanted == {"reeder", "blumenthal"}:
        return 2, "users ask for both AES-192/256 key extensions (Blumenthal and Reeder): CompatibilityMode 2 (try both)"
    if wanted == {"blumenthal"}:
        return 1, ""
    return 0, ""


def user_summary(user: Any) -> str:
    return f"{user.name}@{user.engine_id.hex() or '*'}"
