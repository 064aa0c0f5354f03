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
from .snmptrapd_conf import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    CommunitySpec,
    UserSpec,
    parse_address,
    parse_engine_id,
    parse_source,
    read_snmptrapd_conf,
)

__all__ = ["CollectorConfig", "ConfigError", "DEFAULT_RCVBUF", "load_toml", "config_from_toml",
           "apply_snmptrapd_conf"]

#: receive buffer asked for by default (SO_RCVBUFFORCE as root, else capped at rmem_max)
DEFAULT_RCVBUF = 64 << 20


class ConfigError(ValueError):
    """A configuration the collector cannot start with; the message says what to fix."""


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
        return [{"type": "file", "path": self.output}]


def load_toml(path: str) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - 3.9 / 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError("reading TOML needs Python 3.11+ or the 'tomli' package") from None
    with open(path, "rb") as handle:
        return tomllib.load(handle)


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
    priv = table.get("priv")
    if priv:
        if not auth:
            raise ConfigError(f"{origin}: priv needs auth")
        spec = PRIV_PROTOCOLS.get(str(priv).upper())
        if spec is None:
            raise ConfigError(f"{origin}: unknown priv {priv!r} (one of {', '.join(PRIV_PROTOCOLS)})")
        user.priv_protocol, user.extension = spec
        user.priv_password = str(table.get("priv_password", user.auth_password))
    return user


def _community_from_table(table: Any, origin: str) -> CommunitySpec:
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
    known = {"listen", "communities", "community", "user", "users", "compatibility_mode", "output",
             "inform_response", "workers", "stats_interval", "receive_buffer", "max_engines",
             "snmptrapd_conf", "numeric", "mib_dirs"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
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
    output = data.get("output")
    if isinstance(output, dict):
        output = output.get("file", "-")
    if output:
        config.output = str(output)
    if "inform_response" in data:
        config.respond_informs = bool(data["inform_response"])
    for key, kind in (("workers", int), ("stats_interval", float), ("receive_buffer", int),
                      ("max_engines", int)):
        if key in data:
            try:
                setattr(config, key, kind(data[key]))
            except (TypeError, ValueError):
                raise ConfigError(f"{path}: {key} must be a number, not {data[key]!r}") from None
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
