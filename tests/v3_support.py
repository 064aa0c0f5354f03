"""Helpers for the SNMPv3 tests: build signed/encrypted messages, and a UDP loop.

``build_v3`` makes a v3 message the way a sender does (encode, encrypt with
``usmcrypto``, sign at the offset ``encode_v3_message`` returns), so the
sans-IO tests need no network.  ``UdpLoop`` runs a real sender (net-snmp,
pysnmp) against a plain socket on 127.0.0.1 and feeds what arrives to a
``Receiver``, sending back the replies the events call for -- the same job the
SNMPTrapMgr facade does, without depending on it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Optional, Sequence

from capture import net_snmp_env

from snmptrapmgr.security import keys
from snmptrapmgr.events import (
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrInformRequestEventParams,
)
from snmptrapmgr.codec.encode import (
    PDU_TRAP,
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v3_message,
)
from snmptrapmgr.receiver import Hooks, Receiver
from snmptrapmgr.security.crypto import AUTH_BY_NUMBER, AuthKey, PrivKey, priv_key

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
DEFAULT_VARBINDS = [
    (SYS_UPTIME, 0x43, 12345),
    (TRAP_OID, 0x06, "1.3.6.1.4.1.8072.2.3.0.1"),
    ("1.3.6.1.4.1.8072.2.3.2.1", 0x02, 42),
    ("1.3.6.1.2.1.1.5.0", 0x04, b"router-1"),
]


def keys_for(auth: int, auth_password: str, priv: int, priv_password: str, engine_id: bytes,
             mode: str = "reeder") -> tuple:
    """(AuthKey, PrivKey or None) for a user at an engine, computed from scratch."""
    hash_name = AUTH_BY_NUMBER[auth].hash_name
    kul = keys.localize_key(keys.password_to_key(auth_password.encode(), hash_name),
                              engine_id, hash_name)
    akey = AuthKey(kul, auth)
    pkey = None
    if priv:
        pkul = keys.localize_key(keys.password_to_key(priv_password.encode(), hash_name),
                                   engine_id, hash_name)
        pkey = PrivKey(priv_key(pkul, priv, hash_name, engine_id, mode), priv)
    return akey, pkey


def build_v3(*, user: bytes = b"alice", engine_id: bytes = b"\x80\x00\x1f\x88\x04remote",
             boots: int = 1, etime: int = 100, akey: Optional[AuthKey] = None,
             pkey: Optional[PrivKey] = None, pdu_tag: int = PDU_TRAP, request_id: int = 7,
             varbinds: Sequence = DEFAULT_VARBINDS, msg_id: int = 1000, flags: Optional[int] = None,
             reportable: Optional[bool] = None, context_engine_id: Optional[bytes] = None,
             context_name: bytes = b"", salt: int = 5) -> bytes:
    """Encode (and encrypt, sign) one v3 message; ``flags`` overrides the computed msgFlags."""
    pdu = encode_pdu(pdu_tag, request_id, 0, 0, varbinds)
    scoped = encode_scoped_pdu(engine_id if context_engine_id is None else context_engine_id,
                               context_name, pdu)
    if reportable is None:
        reportable = pdu_tag != PDU_TRAP
    level_flags = (1 if akey else 0) | (2 if pkey else 0)
    if flags is None:
        flags = level_flags | (4 if reportable else 0)
    priv_params = b""
    msg_data = scoped
    if pkey is not None:
        ciphertext, priv_params = pkey.encrypt(scoped, boots, etime, salt)
        msg_data = encode_tlv(0x04, ciphertext)
    mac_length = akey.mac_length if akey else 0
    message, offset = encode_v3_message(msg_id, 65507, flags, engine_id, boots, etime, user,
                                        bytes(mac_length), priv_params, msg_data)
    if akey is not None:
        mac = akey.sign(message)
        message = message[:offset] + mac + message[offset + mac_length:]
    return message


def parse_reply(data: bytes, akey: Optional[AuthKey] = None, pkey: Optional[PrivKey] = None):
    """Decode a reply we sent; verify its MAC with ``akey`` and decrypt with ``pkey``."""
    from snmptrapmgr.codec import ber

    msg = ber.decode_message(data)
    scoped = msg.scoped
    if msg.flags & 1:
        assert akey is not None and akey.verify(data, msg.auth_offset, msg.auth_params), "bad reply MAC"
    if msg.flags & 2:
        scoped = ber.decode_scoped_pdu(pkey.decrypt(scoped, msg.priv_params, msg.boots, msg.time))
    return {"msg_id": msg.msg_id, "flags": msg.flags, "engine_id": msg.engine_id, "boots": msg.boots,
            "time": msg.time, "user": msg.user, "scoped": scoped}


# --------------------------------------------------------------------------- UDP loop


class UdpLoop:
    """A Receiver behind a UDP socket on 127.0.0.1, answering what events ask for.

    ``on_event(event)`` plays the application's handler (set ``respond`` etc.);
    informs are answered (``respond`` True) unless it says otherwise.
    """

    def __init__(self, receiver: Optional[Receiver] = None,
                 on_event: Optional[Callable[[Any], None]] = None,
                 respond_informs: bool = True, report_bad: bool = False) -> None:
        self.receiver = receiver or Receiver(Hooks())
        self.on_event = on_event
        self.respond_informs = respond_informs
        self.report_bad = report_bad
        self.events: list = []
        self.datagrams: list = []
        self.sent: list = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.target = f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "UdpLoop":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def notifications(self) -> list:
        return [e for e in self.events if hasattr(e, "varbinds")]

    @property
    def bad(self) -> list:
        return [e for e in self.events if isinstance(e, SNMPTrapMgrBadPacketEventParams)]

    def pump_once(self, timeout: float) -> bool:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, addr = self.sock.recvfrom(65535)
        except socket.timeout:
            return False
        self.datagrams.append(data)
        for event in self.receiver.receive_datagram(data, addr, time.time()):
            if isinstance(event, SNMPTrapMgrInformRequestEventParams):
                event.respond = self.respond_informs
            if isinstance(event, SNMPTrapMgrBadPacketEventParams):
                event.report = self.report_bad
            if self.on_event is not None:
                self.on_event(event)
            self.events.append(event)
            reply = self.receiver.reply(event, addr)
            if reply is not None:
                self.sent.append(reply)
                self.sock.sendto(reply, addr)
        return True

    def run(self, argv: Sequence[str], until: Callable[[], bool], timeout: float = 8.0,
            env: Optional[dict] = None) -> int:
        """Run a sender process; serve until it exits and ``until()`` holds (or timeout).

        Returns the sender's exit status (killed: -9).
        """
        tmp = tempfile.mkdtemp(prefix="v3loop-")
        try:
            proc = subprocess.Popen([a.replace("{target}", self.target) for a in argv],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE,
                                    env=env if env is not None else net_snmp_env(tmp))
            end = time.monotonic() + timeout
            exited_at = None
            while time.monotonic() < end:
                self.pump_once(0.02)
                if proc.poll() is not None:
                    if exited_at is None:
                        exited_at = time.monotonic()
                    if until() or time.monotonic() - exited_at > 0.3:
                        # drain what is already queued
                        while self.pump_once(0.01):
                            pass
                        break
            if proc.poll() is None:
                proc.kill()
            _out, err = proc.communicate(timeout=5)
            self.stderr = (err or b"").decode("utf-8", "replace")
            return proc.returncode
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def run_python(self, code: str, until: Callable[[], bool], timeout: float = 20.0) -> int:
        """Run a Python sender (``{port}`` in ``code`` is replaced) in a subprocess."""
        return self.run([sys.executable, "-c", code.replace("{port}", str(self.port))], until,
                        timeout, env=dict(os.environ))


__all__ = ["build_v3", "keys_for", "parse_reply", "UdpLoop", "DEFAULT_VARBINDS", "net_snmp_env",
           "SNMPTrapMgrDiscoveryRequestEventParams"]
