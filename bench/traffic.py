"""The datagrams the bench and the tests feed to every implementation: the one place that
builds "the typical trap" (bench.loadgen sends these; tests import them).

- the "typical v2c trap" of issue 4 (182 bytes: linkDown with six ifTable objects), also
  as a run of copies with distinct request-ids (``typical_v2c_sequence``),
- a v1 trap carrying the same objects,
- the same notification as an SNMPv3 authPriv message (HMAC-SHA-96 + AES-128-CFB), built
  with ``message.encode_v3_message`` and the ``usmcrypto`` key objects, for the bench
  user's engine or, for the spoofed-engine flood, for any engine ID
  (``spoofed_engine_id``).
"""

from __future__ import annotations

from functools import lru_cache

from snmptrapmgr.codec.encode import (
    PDU_TRAP,
    encode_community_message,
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v1_trap_pdu,
    encode_v3_message,
)

TYPICAL_V2C_LENGTH = 182

#: linkDown with its objects, the way a router sends it (sysUpTime.0, snmpTrapOID.0 first).
TYPICAL_VARBINDS = [
    ("1.3.6.1.2.1.1.3.0", 0x43, 123456),                        # sysUpTime.0
    ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.6.3.1.1.5.3"),     # snmpTrapOID.0 = linkDown
    ("1.3.6.1.2.1.2.2.1.1.3", 0x02, 3),                         # ifIndex.3
    ("1.3.6.1.2.1.2.2.1.2.3", 0x04, b"GigabitEthernet0/3"),     # ifDescr.3
    ("1.3.6.1.2.1.2.2.1.7.3", 0x02, 1),                         # ifAdminStatus.3 up
    ("1.3.6.1.2.1.2.2.1.8.3", 0x02, 2),                         # ifOperStatus.3 down
    ("1.3.6.1.2.1.31.1.1.1.6.3", 0x46, 1234567890123),          # ifHCInOctets.3 (Counter64)
]

#: The v1 trap: linkDown (generic 2) from an enterprise, the ifTable objects as varbinds
#: (SMIv1 has no Counter64: ifInOctets.3 as Counter32 instead of ifHCInOctets.3).
V1_VARBINDS = TYPICAL_VARBINDS[2:6] + [("1.3.6.1.2.1.2.2.1.10.3", 0x41, 3456789012)]

# SNMPv3 parameters of the authPriv row.
V3_USER = "benchuser"
V3_ENGINE_ID = bytes.fromhex("80001f8880e9bd0c1d12667a5100000000")
V3_BOOTS = 7
V3_TIME = 12345
V3_AUTH_PROTOCOL = 2   # SHA-1 (HMAC-SHA-96)
V3_PRIV_ALGORITHM = 2  # AES-128
V3_AUTH_PASSWORD = "benchauthpass"
V3_PRIV_PASSWORD = "benchprivpass"


#: request-ids of sequences start here (4 content octets, always minimal BER)
FIRST_REQUEST_ID = 0x01000000
_TEMPLATE_REQUEST_ID = 1234567890

#: engine IDs of the spoofed-engine flood: this prefix + a 4-octet counter (RFC 3411 format 5)
SPOOF_ENGINE_PREFIX = bytes.fromhex("80001f8805ba")


def typical_v2c_trap(request_id: int = _TEMPLATE_REQUEST_ID, community: bytes = b"public") -> bytes:
    """The typical v2c trap; a 4-octet request-id (0x00800000..0x7fffffff), as net-snmp sends
    it, makes it 182 bytes with community "public"."""
    data = encode_community_message(1, community, encode_pdu(PDU_TRAP, request_id, 0, 0, TYPICAL_VARBINDS))
    if community == b"public" and 0x00800000 <= request_id <= 0x7FFFFFFF and len(data) != TYPICAL_V2C_LENGTH:
        raise AssertionError(f"typical v2c trap is {len(data)} bytes, expected {TYPICAL_V2C_LENGTH}")
    return data


def typical_v2c_sequence(count: int, first: int = FIRST_REQUEST_ID) -> list:
    """``count`` typical v2c traps with request-ids ``first``, ``first + 1``, ... (all 4-octet)."""
    if count < 0 or not (0x00800000 <= first and first + count - 1 <= 0x7FFFFFFF):
        raise ValueError("request-ids must stay 4-octet (0x00800000..0x7fffffff)")
    template = typical_v2c_trap(_TEMPLATE_REQUEST_ID)
    marker = b"\x02\x04" + _TEMPLATE_REQUEST_ID.to_bytes(4, "big")
    at = template.find(marker) + 2
    head, tail = template[:at], template[at + 4:]
    return [head + (first + i).to_bytes(4, "big") + tail for i in range(count)]


def v1_trap() -> bytes:
    pdu = encode_v1_trap_pdu("1.3.6.1.4.1.9.1.1208", "192.0.2.17", 2, 0, 123456, V1_VARBINDS)
    return encode_community_message(0, b"public", pdu)


@lru_cache(maxsize=None)
def _master_keys() -> tuple:
    from snmptrapmgr.security import keys

    return (keys.password_to_key(V3_AUTH_PASSWORD.encode(), "sha1"),
            keys.password_to_key(V3_PRIV_PASSWORD.encode(), "sha1"))


def v3_keys(engine_id: bytes = V3_ENGINE_ID):
    """(AuthKey, PrivKey, localized auth key, localized priv key) of the bench user at an engine."""
    from snmptrapmgr.security import keys
    from snmptrapmgr.security.crypto import AuthKey, PrivKey

    auth_ku, priv_ku = _master_keys()
    auth_kul = keys.localize_key(auth_ku, engine_id, "sha1")
    priv_kul = keys.localize_key(priv_ku, engine_id, "sha1")
    return AuthKey(auth_kul, V3_AUTH_PROTOCOL), PrivKey(priv_kul[:16], V3_PRIV_ALGORITHM), auth_kul, priv_kul


def v3_authpriv_trap(msg_id: int = 4321, salt_counter: int = 0x0123456789ABCDEF, *,
                     engine_id: bytes = V3_ENGINE_ID, boots: int = V3_BOOTS, engine_time: int = V3_TIME,
                     keys: tuple = ()) -> bytes:
    """The typical trap's PDU as an SNMPv3 authPriv (SHA-1 / AES-128) message from ``engine_id``
    (``keys``: that engine's ``v3_keys`` if already made)."""
    auth, priv = (keys or v3_keys(engine_id))[:2]
    pdu = encode_pdu(PDU_TRAP, 1234567890, 0, 0, TYPICAL_VARBINDS)
    scoped = encode_scoped_pdu(engine_id, b"", pdu)
    ciphertext, salt = priv.encrypt(scoped, boots, engine_time, salt_counter)
    zeros = bytes(auth.mac_length)
    message, offset = encode_v3_message(msg_id, 65507, 0x03, engine_id, boots, engine_time,
                                        V3_USER.encode(), zeros, salt, encode_tlv(0x04, ciphertext))
    mac = auth.sign(message)
    return message[:offset] + mac + message[offset + len(mac):]


def v3_authpriv_pool(count: int = 64) -> list:
    """``count`` v3 authPriv traps of the bench user's engine, distinct msgID and salt each."""
    keys = v3_keys()
    return [v3_authpriv_trap(4321 + i, 0x0123456789ABCDEF + i, keys=keys) for i in range(count)]


def spoofed_engine_id(index: int) -> bytes:
    return SPOOF_ENGINE_PREFIX + index.to_bytes(4, "big")


def v3_spoofed_engine_traps(count: int, first: int = 0) -> list:
    """``count`` v3 authPriv traps of the bench user, each from its own engine ID
    (``spoofed_engine_id(first + i)``), correctly authenticated and encrypted for it: the
    worst case for a receiver with an any-engine user (every engine is accepted and learned)."""
    return [v3_authpriv_trap(1 + i, i, engine_id=spoofed_engine_id(first + i), boots=1,
                             engine_time=1000)
            for i in range(count)]
