"""SNMPv3 interop with pysnmp as the sender: 3DES and both AES-192/256 key extensions.

pysnmp's usmAesCfb192/256Protocol extend the key the Reeder way (Cisco),
usmAesBlumenthalCfb192/256Protocol the Blumenthal way.  Each protocol is sent
once over loopback to a receiver in CompatibilityMode 2 (which must accept
it: that also proves pysnmp did not drop the packet), and the same datagram is
then given to receivers in modes 0 and 1.  Both twins.
"""

from __future__ import annotations

import importlib.util
import time

import pytest

from snmptrapmgr.errors import ERR_DECRYPTION_FAILED
from snmptrapmgr.events import SNMPTrapMgrBadPacketEventParams, SNMPTrapMgrTrapEventParams
from snmptrapmgr.receiver import Hooks, Receiver

from v3_support import UdpLoop

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(importlib.util.find_spec("pysnmp") is None
                       or importlib.util.find_spec("cryptography") is None,
                       reason="pysnmp 7 with cryptography not installed"),
]

SENDER = r'''
import asyncio
from pysnmp.hlapi.v3arch.asyncio import *
from pysnmp.proto.rfc1902 import Integer32, OctetString

async def main():
    engine = SnmpEngine()
    user = UsmUserData("alice", "authpass1", "privpass1",
                       authProtocol={auth}, privProtocol={priv})
    target = await UdpTransportTarget.create(("127.0.0.1", {port}), timeout=1, retries=0)
    result = await send_notification(
        engine, user, target, ContextData(), "trap",
        NotificationType(ObjectIdentity("1.3.6.1.4.1.8072.2.3.0.1")).add_varbinds(
            ("1.3.6.1.4.1.8072.2.3.2.1", Integer32(42)),
            ("1.3.6.1.2.1.1.5.0", OctetString("router-1"))))
    if result[0]:
        raise SystemExit(str(result[0]))
    await asyncio.sleep(0.2)
    engine.close_dispatcher()

asyncio.run(main())
'''

# (pysnmp protocol, our code, key extension: "reeder" works in mode 0, "blumenthal" in mode 1)
PROTOCOLS = [
    ("usm3DESEDEPrivProtocol", 3, "both"),  # 3DES is always Reeder, whatever the mode
    ("usmAesCfb192Protocol", 4, "reeder"),
    ("usmAesCfb256Protocol", 5, "reeder"),
    ("usmAesBlumenthalCfb192Protocol", 4, "blumenthal"),
    ("usmAesBlumenthalCfb256Protocol", 5, "blumenthal"),
]

VARBINDS_TAIL = [("1.3.6.1.4.1.8072.2.3.2.1", 0x02, 42), ("1.3.6.1.2.1.1.5.0", 0x04, b"router-1")]


def new_receiver(mode: int, priv: int, auth: int) -> Receiver:
    r = Receiver(Hooks())
    r.compatibility_mode = mode
    r.cache.add_user("alice", b"", auth, "authpass1", priv, "privpass1")
    return r


@pytest.mark.parametrize("auth_name,auth", [("usmHMACSHAAuthProtocol", 2),
                                            ("usmHMACMD5AuthProtocol", 1)])
@pytest.mark.parametrize("priv_name,priv,extension", PROTOCOLS)
def test_pysnmp_long_keys_all_modes(impl, priv_name, priv, extension, auth_name, auth):
    with UdpLoop(new_receiver(2, priv, auth)) as loop:
        code = SENDER.replace("{auth}", auth_name).replace("{priv}", priv_name)
        rc = loop.run_python(code, lambda: bool(loop.events))
        assert rc == 0, loop.stderr
        assert loop.datagrams, "pysnmp sent nothing (dropped silently?)"
        assert len(loop.notifications) == 1, [e.error_description for e in loop.bad]
        event = loop.notifications[0]
        assert (event.user, event.security_level, event.snmp_version) == ("alice", 2, 3)
        assert event.varbinds[-2:] == VARBINDS_TAIL
        datagram = loop.datagrams[0]
    for mode in (0, 1):
        r = new_receiver(mode, priv, auth)
        (result,) = r.receive_datagram(datagram, ("127.0.0.1", 9), time.time())
        should_work = extension == "both" or (mode == 0) == (extension == "reeder")
        if should_work:
            assert isinstance(result, SNMPTrapMgrTrapEventParams), result.error_description
            assert result.varbinds[-2:] == VARBINDS_TAIL
        else:
            assert isinstance(result, SNMPTrapMgrBadPacketEventParams)
            assert result.error_code == ERR_DECRYPTION_FAILED
