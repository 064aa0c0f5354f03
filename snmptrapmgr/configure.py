"""``config("Name=Value")``: the facade's settings, driven by the table in :mod:`settings`.

The table says where each setting lives; this mixin only knows the few
kinds of place (see :mod:`snmptrapmgr.settings`) and the readers and actions
the table names.  A new setting is a row in the table, plus a reader or an
action here only when its value is computed or its write does something.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from . import settings
from ._select import current
from .errors import ERR_NOT_PERMITTED, SNMPTrapMgrError
from .version import __version__

__all__ = ["Configurable"]

log = logging.getLogger("snmptrapmgr")


class Configurable:
    """Mixin of the facade: config() and the readers/actions the settings table names."""

    _config: dict
    _current: Any
    _source: tuple
    _active: bool
    endpoint: Any

    def _init_config(self) -> None:
        self._config = {s.name: s.default for s in settings.SETTINGS}

    def config(self, configuration_string: str) -> str:
        """Config("Name=Value") sets a setting; Config("Name") reads it as a string."""
        name, sep, text = configuration_string.partition("=")
        setting = settings.lookup(name)
        if not sep:
            return settings.format_value(setting, self._read_setting(setting))
        if setting.read_only:
            raise SNMPTrapMgrError(ERR_NOT_PERMITTED, f"{setting.name} is read-only")
        value = settings.parse(setting, text)
        settings.check(setting, value)
        if setting.frozen and self._active:
            raise SNMPTrapMgrError(setting.frozen, f"cannot change {setting.name} while active")
        self._apply_setting(setting, value)
        return ""

    def setting(self, name: str) -> Any:
        """A setting's current value, typed (what config(name) prints)."""
        return self._read_setting(settings.lookup(name))

    def _read_setting(self, setting: settings.Setting) -> Any:
        kind, _, attr = setting.where.partition(".")
        if kind == "receiver":
            return getattr(self.endpoint.receiver, attr)
        if kind == "manager":
            return getattr(self, attr)
        if kind == "read":
            return getattr(self, "_read_" + attr)(setting)
        return self._config[setting.name]

    def _apply_setting(self, setting: settings.Setting, value: Any) -> None:
        kind, _, attr = setting.where.partition(".")
        if kind == "receiver":
            setattr(self.endpoint.receiver, attr, value)
        elif kind == "manager":
            setattr(self, attr, value)
        elif kind == "action":
            getattr(self, "_action_" + attr)(setting, value)
        self._config[setting.name] = value

    # ---------------------------------------------------------------- readers
    def _read_context_engine_id(self, setting: settings.Setting) -> bytes:
        return getattr(self._current, "context_engine_id", b"")

    def _read_context_name(self, setting: settings.Setting) -> str:
        return getattr(self._current, "context_name", b"").decode(self.endpoint.receiver.codec, "replace")

    def _read_source_address(self, setting: settings.Setting) -> str:
        return self._source[0]

    def _read_source_port(self, setting: settings.Setting) -> int:
        return self._source[1]

    def _read_in_buffer_size(self, setting: settings.Setting) -> int:
        return self.endpoint.buffer_sizes()[0] if self._active else self._config[setting.name]

    def _read_out_buffer_size(self, setting: settings.Setting) -> int:
        return self.endpoint.buffer_sizes()[1] if self._active else self._config[setting.name]

    def _read_kernel_drops(self, setting: settings.Setting) -> int:
        return self.endpoint.kernel_drops()

    def _read_build_info(self, setting: settings.Setting) -> str:
        return f"snmptrapmgr {__version__} ({current()})"

    def _read_license_info(self, setting: settings.Setting) -> str:
        return "MIT license, open source"

    # ---------------------------------------------------------------- actions
    def _action_event_key(self, setting: settings.Setting, value: bytes) -> None:
        # AuthenticationKey / EncryptionKey, inside on_get_user_password
        wanted = 1 if setting.name == "AuthenticationKey" else 2
        if getattr(self._current, "password_type", None) == wanted:
            self._current.key = value

    def _action_code_page(self, setting: settings.Setting, value: int) -> None:
        self.endpoint.receiver.codec = settings.codec_for(value)

    def _action_max_engines(self, setting: settings.Setting, value: int) -> None:
        self.endpoint.receiver.cache.max_engines = value

    def _action_report_limit(self, setting: settings.Setting, value: Any) -> None:
        self.endpoint.receiver.usm.limiter.configure(setting.name, value)

    def _action_mib_dirs(self, setting: settings.Setting, value: str) -> None:
        # process-wide: the events' name properties ask snmptrapmgr.mib.active(); a file
        # or directory that cannot be used is a note (MibProblems, and the log), as for
        # listen --mib-dir: everything else still loads
        from . import mib

        directories = [d.strip() for d in value.split(os.pathsep) if d.strip()]
        resolver = mib.load(directories) if directories else None
        problems = resolver.problems if resolver is not None else []
        mib.set_active(resolver)
        self._config["MibProblems"] = "\n".join(f"{where}: {message}" for where, message in problems)
        for where, message in problems:
            log.warning("MibDirs: MIB %s: %s", where, message)

    def _action_show_cache(self, setting: settings.Setting, value: str) -> None:
        self._config[setting.name] = value
        self.show_cache(value)  # type: ignore[attr-defined]
