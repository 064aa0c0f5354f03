"""One table of the config settings: name, type, default, and whether Linux honours it.

``SNMPTrapMgr.config`` parses and formats values through this table, so a
setting's spelling, type and default live in exactly one place.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple, Optional

from .errors import ERR_CODE_PAGE, ERR_INVALID_ARGUMENT, SNMPTrapMgrError

__all__ = ["Setting", "SETTINGS", "lookup", "parse", "format_value", "codec_for"]


class Setting(NamedTuple):
    name: str
    kind: str  # "bool", "int", "str", "hex"
    default: object
    read_only: bool = False
    effect: Optional[str] = None  # None: honoured; else why it has no effect here


_WINDOWS = "Windows only; accepted and read back, no effect on this platform"
_NO_REMOTE = "SNMPTrapMgr has no remote host; accepted and read back, no effect"

SETTINGS = [
    # SNMPTrapMgr
    Setting("AuthenticationKey", "hex", ""),
    Setting("CompatibilityMode", "int", 0),
    Setting("ContextEngineId", "hex", "", effect="only used when sending requests; a receiver sends none"),
    Setting("ContextName", "str", "", effect="only used when sending requests; a receiver sends none"),
    Setting("DecryptLogPackets", "bool", False),
    Setting("EncryptionKey", "hex", ""),
    Setting("ForceLocalPort", "bool", True),
    Setting("IncomingContextEngineId", "hex", "", read_only=True),
    Setting("IncomingContextName", "str", "", read_only=True),
    Setting("ShowCacheForUser", "str", ""),
    Setting("SourceAddress", "str", "", read_only=True),
    Setting("SourcePort", "int", 0, read_only=True),
    Setting("TimeWindow", "int", 150),
    # UDP
    Setting("CaptureIPPacketInfo", "bool", False, effect=_WINDOWS),
    Setting("DelayHostResolution", "bool", False, effect=_NO_REMOTE),
    Setting("DestinationAddress", "str", "", read_only=True, effect=_WINDOWS),
    Setting("DontFragment", "bool", False),
    Setting("LocalHost", "str", ""),
    Setting("LocalPort", "int", 162),
    Setting("MaxPacketSize", "int", 65535),
    Setting("QOSDSCPValue", "int", 0, effect=_WINDOWS),
    Setting("QOSTrafficType", "str", "0", effect=_WINDOWS),
    Setting("ShareLocalPort", "bool", False),
    Setting("SourceIPAddress", "str", "", effect=_WINDOWS),
    Setting("SourceMacAddress", "str", "", effect=_WINDOWS),
    Setting("UseConnection", "bool", False, effect=_NO_REMOTE),
    Setting("UseIPv6", "bool", False),
    # Socket
    Setting("AbsoluteTimeout", "bool", False, effect="not valid for UDP (as the reference says)"),
    Setting("FirewallData", "str", "", effect="no firewall tunnelling for UDP; no effect"),
    Setting("InBufferSize", "int", 0),
    Setting("OutBufferSize", "int", 0),
    # Base
    Setting("BuildInfo", "str", "", read_only=True),
    Setting("CodePage", "int", 65001),
    Setting("LicenseInfo", "str", "", read_only=True),
    Setting("MaskSensitive", "bool", True),
    Setting("ProcessIdleEvents", "bool", True, effect="no idle event loop in Python; no effect"),
    Setting("SelectWaitMillis", "int", 20),
    Setting("UseInternalSecurityAPI", "bool", True,
            effect="hashes use hashlib, ciphers pycryptodome, whatever the value"),
    # snmptrapmgr additions
    Setting("MaxEngines", "int", 10000),
    Setting("EventsPerCall", "int", 1024),
    Setting("KernelDrops", "int", 0, read_only=True),
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
    elif setting.kind == "hex":
        body = text[2:] if text.lower().startswith("0x") else text
        try:
            return bytes.fromhex(body)
        except ValueError:
            pass
    else:
        return text
    raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"bad value {text!r} for {setting.name} ({setting.kind})")


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
