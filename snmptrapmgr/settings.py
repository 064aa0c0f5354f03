"""One declarative table of the config settings.

Each :class:`Setting` says everything ``SNMPTrapMgr.config`` needs: its name,
type, default, whether it is read-only, where it lives (``where``), what a
value must satisfy (``check``), which error forbids changing it while the
manager is active (``frozen``), and, for the few that Linux ignores, why.
The facade has no per-setting code beyond the handful of ``where`` kinds.

``where``:

* ``"config"``: kept in the manager's own table and read back from it (the
  facade and the endpoint read it when they need it, e.g. at activate);
* ``"receiver.<attr>"``: an attribute of the endpoint's sans-IO receiver;
* ``"manager.<attr>"``: a public attribute of the facade (``local_host``...);
* ``"read.<name>"`` / ``"action.<name>"``: computed on read / done on write
  by the facade's reader or action of that name.
"""

from __future__ import annotations

import codecs
from typing import Any, Callable, NamedTuple, Optional

from .errors import (
    ERR_CODE_PAGE,
    ERR_INVALID_ARGUMENT,
    ERR_MAX_PACKET_SIZE_ACTIVE,
    ERR_NOT_PERMITTED,
    ERR_SHARE_PORT_ACTIVE,
    ERR_USE_CONNECTION_ACTIVE,
    SNMPTrapMgrError,
)

__all__ = ["Setting", "SETTINGS", "lookup", "parse", "format_value", "codec_for", "check"]

Check = Optional[Callable[[Any], Optional[str]]]


class Setting(NamedTuple):
    name: str
    kind: str  # "bool", "int", "float", "str", "hex"
    default: object
    read_only: bool = False
    effect: Optional[str] = None  # None: honoured; else why it has no effect here
    where: str = "config"
    check: Check = None           # value -> complaint (None: fine)
    frozen: int = 0               # error code when changed while active (0: any time)


def _non_negative(value: int) -> Optional[str]:
    return "must not be negative" if value < 0 else None


def _one_of(*allowed: int) -> Check:
    def check(value: int) -> Optional[str]:
        return None if value in allowed else "is " + ", ".join(map(str, allowed[:-1])) + f" or {allowed[-1]}"
    return check


def _packet_size(value: int) -> Optional[str]:
    return None if 1 <= value <= 65535 else f"bad MaxPacketSize {value}"


_WINDOWS = "Windows only; accepted and read back, no effect on this platform"
_NO_REMOTE = "SNMPTrapMgr has no remote host; accepted and read back, no effect"

SETTINGS = [
    # SNMPTrapMgr
    Setting("AuthenticationKey", "hex", "", where="action.event_key"),
    Setting("CompatibilityMode", "int", 0, where="receiver.compatibility_mode", check=_one_of(0, 1, 2)),
    Setting("ContextEngineId", "hex", "", effect="only used when sending requests; a receiver sends none"),
    Setting("ContextName", "str", "", effect="only used when sending requests; a receiver sends none"),
    Setting("DecryptLogPackets", "bool", False, where="receiver.decrypt_log_packets"),
    Setting("EncryptionKey", "hex", "", where="action.event_key"),
    Setting("ForceLocalPort", "bool", True, frozen=ERR_NOT_PERMITTED),
    Setting("IncomingContextEngineId", "hex", "", read_only=True, where="read.context_engine_id"),
    Setting("IncomingContextName", "str", "", read_only=True, where="read.context_name"),
    Setting("ShowCacheForUser", "str", "", where="action.show_cache"),
    Setting("SourceAddress", "str", "", read_only=True, where="read.source_address"),
    Setting("SourcePort", "int", 0, read_only=True, where="read.source_port"),
    Setting("TimeWindow", "int", 150, where="receiver.time_window", check=_non_negative),
    # UDP
    Setting("CaptureIPPacketInfo", "bool", False, effect=_WINDOWS),
    Setting("DelayHostResolution", "bool", False, effect=_NO_REMOTE),
    Setting("DestinationAddress", "str", "", read_only=True, effect=_WINDOWS),
    Setting("DontFragment", "bool", False, frozen=ERR_NOT_PERMITTED),
    Setting("LocalHost", "str", "", where="manager.local_host"),
    Setting("LocalPort", "int", 162, where="manager.local_port"),
    Setting("MaxPacketSize", "int", 65535, check=_packet_size, frozen=ERR_MAX_PACKET_SIZE_ACTIVE),
    Setting("QOSDSCPValue", "int", 0, effect=_WINDOWS),
    Setting("QOSTrafficType", "str", "0", effect=_WINDOWS),
    Setting("ShareLocalPort", "bool", False, frozen=ERR_SHARE_PORT_ACTIVE),
    Setting("SourceIPAddress", "str", "", effect=_WINDOWS),
    Setting("SourceMacAddress", "str", "", effect=_WINDOWS),
    Setting("UseConnection", "bool", False, effect=_NO_REMOTE, frozen=ERR_USE_CONNECTION_ACTIVE),
    Setting("UseIPv6", "bool", False, frozen=ERR_NOT_PERMITTED),
    # Socket
    Setting("AbsoluteTimeout", "bool", False, effect="not valid for UDP (as the reference says)"),
    Setting("FirewallData", "str", "", effect="no firewall tunnelling for UDP; no effect"),
    Setting("InBufferSize", "int", 0, where="read.in_buffer_size", check=_non_negative),
    Setting("OutBufferSize", "int", 0, where="read.out_buffer_size", check=_non_negative),
    # Base
    Setting("BuildInfo", "str", "", read_only=True, where="read.build_info"),
    Setting("CodePage", "int", 65001, where="action.code_page"),
    Setting("LicenseInfo", "str", "", read_only=True, where="read.license_info"),
    Setting("MaskSensitive", "bool", True),
    Setting("ProcessIdleEvents", "bool", True, effect="no idle event loop in Python; no effect"),
    Setting("SelectWaitMillis", "int", 20, check=_non_negative),
    Setting("UseInternalSecurityAPI", "bool", True,
            effect="hashes use hashlib, ciphers pycryptodome, whatever the value"),
    # snmptrapmgr additions
    Setting("MaxEngines", "int", 10000, where="action.max_engines", check=_non_negative),
    Setting("EventsPerCall", "int", 1024, check=_non_negative),
    Setting("KernelDrops", "int", 0, read_only=True, where="read.kernel_drops"),
    # MIB names for events (SNMPObject.name/.label/.display, trap_name): vendor directories,
    # separated by os.pathsep (":" as in net-snmp's MIBDIRS); "" = the standard modules only
    Setting("MibDirs", "str", "", where="action.mib_dirs"),
    Setting("MibProblems", "str", "", read_only=True),
    # Report rate limits (security.reports.ReportLimiter): per source address, and in all
    Setting("ReportRate", "float", 50.0, where="action.report_limit", check=_non_negative),
    Setting("ReportBurst", "int", 50, where="action.report_limit", check=_non_negative),
    Setting("ReportRateTotal", "float", 1000.0, where="action.report_limit", check=_non_negative),
    Setting("ReportSources", "int", 10000, where="action.report_limit", check=_non_negative),
]

_BY_NAME = {s.name.lower(): s for s in SETTINGS}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def lookup(name: str) -> Setting:
    setting = _BY_NAME.get(name.strip().lower())
    if setting is None:
        raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"unknown config setting {name!r}")
    return setting


def parse(setting: Setting, text: str) -> object:
    """Turn the text of ``Name=Value`` into the setting's type, or raise."""
    text = text.strip()
    if setting.kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    elif setting.kind == "int":
        try:
            return int(text, 0)
        except ValueError:
            pass
    elif setting.kind == "float":
        try:
            value = float(text)
            if value == value and value not in (float("inf"), float("-inf")):
                return value
        except ValueError:
            pass
    elif setting.kind == "hex":
        body = text[2:] if text.lower().startswith("0x") else text
        try:
            return bytes.fromhex(body)
        except ValueError:
            pass
    else:
        return text
    raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"bad value {text!r} for {setting.name} ({setting.kind})")


def check(setting: Setting, value: object) -> None:
    """Raise 10022 (invalid argument) when ``value`` fails the setting's check."""
    complaint = setting.check(value) if setting.check is not None else None
    if complaint:
        text = complaint if complaint.startswith("bad ") else f"{setting.name} {complaint}"
        raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, text)


def format_value(setting: Setting, value: object) -> str:
    if setting.kind == "bool":
        return "True" if value else "False"
    if setting.kind == "hex":
        return value.hex() if isinstance(value, (bytes, bytearray)) else str(value)
    return str(value)


_CODE_PAGES = {
    65001: "utf-8", 65000: "utf-7", 1200: "utf-16-le", 1201: "utf-16-be", 12000: "utf-32-le",
    12001: "utf-32-be", 20127: "ascii", 20866: "koi8-r", 21866: "koi8-u", 932: "shift_jis",
    936: "gbk", 949: "cp949", 950: "big5", 54936: "gb18030", 51932: "euc_jp", 51949: "euc_kr",
    50220: "iso2022_jp", 10000: "mac_roman", 28605: "iso8859-15",
}


def codec_for(code_page: int) -> str:
    """The Python codec of a Windows code page number, or raise 434."""
    name = _CODE_PAGES.get(code_page)
    if name is None and 28591 <= code_page <= 28599:
        name = f"iso8859-{code_page - 28590}"
    if name is None:
        name = f"cp{code_page}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise SNMPTrapMgrError(ERR_CODE_PAGE, f"unsupported code page {code_page}") from None
