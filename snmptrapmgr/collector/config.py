"""The collector's configuration: :class:`CollectorConfig` and the TOML file that fills it.

A TOML file (README "Configuration file") and the command line both fill
one CollectorConfig; an ``snmptrapd_conf`` key (or ``--snmptrapd-conf``)
adds what a net-snmp snmptrapd.conf says, through
:mod:`snmptrapmgr.collector.snmptrapd_conf`.  Every mistake is a
:class:`ConfigError` naming the file and the key to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..mib import load as load_mib_names
from .options import ConfigError, Option, check_table
from .output_spec import output_tables, parse_output_url
from .snmptrapd_conf import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    CommunitySpec,
    UserSpec,
    check_pass_phrase,
    parse_address,
    parse_engine_id,
    parse_source,
    read_snmptrapd_conf,
)

__all__ = ["CollectorConfig", "ConfigError", "DEFAULT_RCVBUF", "load_toml", "config_from_toml",
           "apply_snmptrapd_conf", "parse_output_url", "TOP_LEVEL"]

#: receive buffer asked for by default (SO_RCVBUFFORCE as root, else capped at rmem_max)
DEFAULT_RCVBUF = 64 << 20


#: the top-level keys of the TOML file: kind, bounds, choices (checked before anything is read)
TOP_LEVEL = [
    Option("listen", (str, list), item=str, meaning="HOST:PORT addresses to bind"),
    Option("communities", list, item=str, meaning="accepted v1/v2c communities"),
    Option("community", (dict, list), meaning="[[community]] tables (name, source, oid)"),
    Option("user", (dict, list), meaning="[[user]] tables (SNMPv3 users)"),
    Option("users", (dict, list), meaning="same as user"),
    Option("compatibility_mode", int, choices=(0, 1, 2), meaning="AES-192/256 key extension"),
    Option("output", (str, dict, list), meaning="a path, a URL, or [[output]] tables"),
    Option("inform_response", bool, meaning="acknowledge informs"),
    Option("inform_ack", str, choices=("after_output", "on_receive"), meaning="when informs are answered"),
    Option("workers", int, minimum=1, maximum=256, meaning="processes sharing the port"),
    Option("stats_interval", float, minimum=0, maximum=86400, meaning="seconds between stats lines"),
    Option("receive_buffer", int, minimum=4096, maximum=(1 << 31) - 1, meaning="SO_RCVBUF to ask for"),
    Option("max_engines", int, minimum=1, maximum=10_000_000, meaning="learned SNMPv3 engines kept"),
    Option("snmptrapd_conf", str, meaning="a net-snmp snmptrapd.conf to import"),
    Option("numeric", bool, meaning="no MIB names"),
    Option("mib_dirs", list, item=str, meaning="vendor MIB directories"),
    Option("fsync", bool, meaning="fsync(2) file outputs before acknowledging"),
    Option("file_mode", str, meaning="permissions of a created output file (octal)"),
    Option("metrics_listen", str, meaning="HOST:PORT serving Prometheus /metrics"),
    Option("report_rate", float, minimum=0, maximum=1e6, meaning="SNMPv3 Reports per second per source"),
    Option("local_engine_id", str, meaning="this collector's SNMPv3 engine ID (hex)"),
    Option("run_as_user", str, meaning="the account to run as once bound and opened (--user)"),
]


@dataclass
class CollectorConfig:
    listen: list = field(default_factory=list)        # [(host, port)]
    communities: Optional[list] = None                # [CommunitySpec]; None: any community
    users: list = field(default_factory=list)         # [UserSpec]
    user_levels: dict = field(default_factory=dict)   # authUser: name -> minimum level
    compatibility_mode: Optional[int] = None          # None: derived from the users' AES variants
    output: str = "-"                                 # "-": stdout, else a file (appended)
    respond_informs: bool = True
    workers: int = 1
    stats_interval: float = 0.0
    receive_buffer: int = DEFAULT_RCVBUF
    max_engines: Optional[int] = None
    notes: list = field(default_factory=list)         # things to tell the operator on stderr
    numeric: bool = False                             # no MIB names in the output (--numeric)
    mib_dirs: list = field(default_factory=list)      # vendor MIB directories (--mib-dir)
    resolver: Any = None                              # the MIB names, once load_mibs() ran
    outputs: list = field(default_factory=list)       # output specs (--output, [[output]]); [] = output
    inform_ack: str = "after_output"                  # or "on_receive": answer informs at once
    fsync: bool = False                               # file outputs fsync before acknowledging
    file_mode: int = 0o640                            # permissions of a created output file
    metrics_listen: str = ""                          # HOST:PORT of /metrics ("" = none)
    report_rate: Optional[float] = None               # Reports/s per source (None: ReportRate's default)
    local_engine_id: bytes = b""                      # b"": one generated at start
    run_as_user: str = ""                             # --user: switch to it after binding ("" = stay)
    run_as_user_origin: str = "--user"                # where it was set (for messages)

    def load_mibs(self) -> Any:
        """The MIB resolver for the output (None with ``numeric``), loaded once; MIB problems become notes.

        Called before workers fork, so they share it and the notes are printed once.
        """
        if self.numeric:
            return None
        if self.resolver is None:
            self.resolver = load_mib_names(self.mib_dirs)
            self.notes.extend(f"MIB {where}: {message}" for where, message in self.resolver.problems)
        return self.resolver

    def output_specs(self) -> list:
        """The outputs to build (collector.outputs.create), one settings dict each."""
        specs = [dict(spec) for spec in self.outputs] or [{"type": "file", "path": self.output}]
        for spec in specs:
            if spec.get("type") == "file":
                spec.setdefault("fsync", self.fsync)
                spec.setdefault("mode", self.file_mode)
        return specs

    def describe_outputs(self) -> str:
        """The outputs as the operator named them (for messages)."""
        return ", ".join(str(s.get("path") or s.get("subject") or s.get("topic") or s.get("type"))
                         for s in self.output_specs())


def load_toml(path: str) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - 3.9 / 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError("reading TOML needs Python 3.11+ or the 'tomli' package") from None
    with open(path, "rb") as handle:
        try:
            return tomllib.load(handle)
        except RecursionError:
            raise ConfigError(f"{path}: nested too deeply to read") from None


def _user_from_table(table: dict, origin: str) -> UserSpec:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: a user is a table ([[user]] with name = ...)")
    unknown = set(table) - {"name", "engine_id", "auth", "auth_password", "priv", "priv_password"}
    if unknown:
        raise ConfigError(f"{origin}: unknown keys {sorted(unknown)}")
    if "name" not in table:
        raise ConfigError(f"{origin}: a user needs a name")
    user = UserSpec(str(table["name"]), origin=origin)
    try:
        user.engine_id = parse_engine_id(str(table.get("engine_id", "")))
    except ValueError as exc:
        raise ConfigError(f"{origin}: bad engine_id: {exc}") from None
    auth = table.get("auth")
    if auth:
        code = AUTH_PROTOCOLS.get(str(auth).upper())
        if code is None:
            raise ConfigError(f"{origin}: unknown auth {auth!r} (one of {', '.join(AUTH_PROTOCOLS)})")
        user.auth_protocol = code
        user.auth_password = str(table.get("auth_password", ""))
        if not user.auth_password:
            raise ConfigError(f"{origin}: auth_password missing")
        try:
            check_pass_phrase(user.auth_password, "authentication")
        except ValueError as exc:
            raise ConfigError(f"{origin}: auth_password: {exc}") from None
    priv = table.get("priv")
    if priv:
        if not auth:
            raise ConfigError(f"{origin}: priv needs auth")
        spec = PRIV_PROTOCOLS.get(str(priv).upper())
        if spec is None:
            raise ConfigError(f"{origin}: unknown priv {priv!r} (one of {', '.join(PRIV_PROTOCOLS)})")
        user.priv_protocol, user.extension = spec
        user.priv_password = str(table.get("priv_password", user.auth_password))
        try:
            check_pass_phrase(user.priv_password, "privacy")
        except ValueError as exc:
            raise ConfigError(f"{origin}: priv_password: {exc}") from None
    return user


COMMUNITY_TABLE = [Option("name", str), Option("source", (str, list), item=str), Option("oid", str)]


def _community_from_table(table: Any, origin: str) -> CommunitySpec:
    table = check_table(table, COMMUNITY_TABLE, origin)  # a key meant for the top level is named here
    if "name" not in table:
        raise ConfigError(f"{origin}: a community needs a name")
    try:
        spec = CommunitySpec(str(table["name"]), origin=origin)
        if table.get("source"):
            spec.networks = [n for s in _as_list(table["source"]) for n in parse_source(str(s))]
        spec.oid = str(table.get("oid", "")).lstrip(".")
    except (KeyError, TypeError, AttributeError, ValueError, OSError) as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    return spec


def config_from_toml(data: dict, path: str = "config.toml", config: Optional[CollectorConfig] = None
                     ) -> CollectorConfig:
    """Fill a CollectorConfig from a parsed TOML document (see the README for the keys)."""
    config = config or CollectorConfig()
    if isinstance(data, dict) and isinstance(data.get("user"), str):  # [[user]] is an SNMPv3 user
        raise ConfigError(f"{path}: user: the [[user]] tables are SNMPv3 users; to run as the account "
                          f"{data['user']!r} write run_as_user = \"{data['user']}\"")
    data = check_table(data, TOP_LEVEL, path)
    if "run_as_user" in data:
        if not data["run_as_user"]:
            raise ConfigError(f"{path}: run_as_user: an account name, not an empty string")
        config.run_as_user = data["run_as_user"]
        config.run_as_user_origin = f"{path}: run_as_user"
    stats = data.get("stats_interval")
    if stats is not None and 0 < stats < 0.1:
        raise ConfigError(f"{path}: stats_interval: at least 0.1 s (or 0 for none), not {stats!r}")
    if "file_mode" in data:
        try:
            config.file_mode = int(data["file_mode"], 8)
            if not 0 <= config.file_mode <= 0o777:
                raise ValueError
        except ValueError:
            raise ConfigError(f"{path}: file_mode: octal permissions like \"0640\", not {data['file_mode']!r}") \
                from None
    if "local_engine_id" in data:
        try:
            config.local_engine_id = parse_engine_id(data["local_engine_id"])
        except ValueError as exc:
            raise ConfigError(f"{path}: local_engine_id: {exc}") from None
        if not 5 <= len(config.local_engine_id) <= 32:
            raise ConfigError(f"{path}: local_engine_id: 5 to 32 octets (RFC 3411), "
                              f"not {len(config.local_engine_id)}")
    for key in ("inform_ack", "fsync", "metrics_listen", "report_rate"):
        if key in data:
            setattr(config, key, data[key])
    try:
        config.listen.extend(parse_address(str(a)) for a in _as_list(data.get("listen", [])))
    except ValueError as exc:
        raise ConfigError(f"{path}: listen: {exc}") from None
    names = data.get("communities")
    tables = data.get("community", [])
    if names is not None or tables:
        config.communities = list(config.communities or [])
        for name in _as_list(names or []):
            config.communities.append(CommunitySpec(str(name), origin=path))
        for i, table in enumerate(_as_list(tables)):
            config.communities.append(_community_from_table(table, f"{path}: community[{i}]"))
    for i, table in enumerate(_as_list(data.get("user", [])) + _as_list(data.get("users", []))):
        config.users.append(_user_from_table(table, f"{path}: user[{i}]"))
    if "compatibility_mode" in data:
        mode = data["compatibility_mode"]
        if mode not in (0, 1, 2):
            raise ConfigError(f"{path}: compatibility_mode is 0 (Reeder), 1 (Blumenthal) or 2 (both)")
        config.compatibility_mode = mode
    if "output" in data:
        config.outputs = output_tables(data["output"], f"{path}: output")
    if "inform_response" in data:
        config.respond_informs = bool(data["inform_response"])
    for key in ("workers", "stats_interval", "receive_buffer", "max_engines"):
        if key in data:
            setattr(config, key, data[key])
    if "numeric" in data:
        if not isinstance(data["numeric"], bool):
            raise ConfigError(f"{path}: numeric is true or false, not {data['numeric']!r}")
        config.numeric = data["numeric"]
    if "mib_dirs" in data:
        dirs = _as_list(data["mib_dirs"])
        if not all(isinstance(d, str) and d for d in dirs):
            raise ConfigError(f"{path}: mib_dirs is a list of directory names")
        config.mib_dirs.extend(dirs)
    if data.get("snmptrapd_conf"):
        try:
            apply_snmptrapd_conf(config, str(data["snmptrapd_conf"]))
        except ConfigError as exc:
            raise ConfigError(f"{path}: snmptrapd_conf: {exc}") from None
    return config


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def apply_snmptrapd_conf(config: CollectorConfig, path: str) -> list:
    """Add a snmptrapd.conf's users, communities, authUser levels and addresses; return problems.

    A file that cannot be read (or is not UTF-8) is a ConfigError naming it.
    """
    try:
        conf = read_snmptrapd_conf(path)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:  # not UTF-8
        raise ConfigError(f"{path}: {exc}") from None
    config.users.extend(conf.users)
    config.user_levels.update(conf.user_levels)
    if conf.communities:
        config.communities = list(config.communities or []) + conf.communities
    if conf.disable_authorization:
        config.notes.append(f"{path}: disableAuthorization yes: any community and any created user accepted")
        config.user_levels.clear()
        config.communities = None
    elif not conf.communities and config.communities is None:
        config.notes.append(f"{path}: no authCommunity line: snmptrapd would log no v1/v2c notification; "
                            f"snmptrapmgr accepts any community (restrict with --community)")
    if conf.listen and not config.listen:
        config.listen.extend(conf.listen)
    config.notes.extend(f"unsupported: {p}" for p in conf.problems)
    return conf.problems
