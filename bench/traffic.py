"""The datagrams the bench feeds to every implementation (built once, identical for all).

- the "typical v2c trap" of issue 4 (182 bytes: linkDown with six ifTable objects),
- a v1 trap carrying the same objects,
- the same notification as an SNMPv3 authPriv message (HMAC-SHA-96 + AES-128-CFB), built
  with ``message.encode_v3_message`` and the ``usmcrypto`` key objects.
"""

from __future__ import annotations

from snmptrapmgr.message import (
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


def typical_v2c_trap(request_id: int = 1234567890) -> bytes:
    # a 4-octet request-id, as net-snmp sends it: 182 bytes in all
    data = encode_community_message(1, b"public", encode_pdu(PDU_TRAP, request_id, 0, 0, TYPICAL_VARBINDS))
    if len(data) != TYPICAL_V2C_LENGTH:
        raise AssertionError(f"typical v2c trap is {len(data)} bytes, expected {TYPICAL_V2C_LENGTH}")
    return data


def v1_trap() -> bytes:
    pdu = encode_v1_trap_pdu("1.3.6.1.4.1.9.1.1208", "192.0.2.17", 2, 0, 123456, V1_VARBINDS)
    return encode_community_message(0, b"public", pdu)


def v3_keys():
    """(AuthKey, PrivKey, localized auth key, localized priv key) of the bench user."""
    from snmptrapmgr import usmkey
    from snmptrapmgr.usmcrypto import AuthKey, PrivKey

    auth_kul = usmkey.localize_key(usmkey.password_to_key(V3_AUTH_PASSWORD.encode(), "sha1"),
                                   V3_ENGINE_ID, "sha1")
    priv_kul = usmkey.localize_key(usmkey.password_to_key(V3_PRIV_PASSWORD.encode(), "sha1"),
                                   V3_ENGINE_ID, "sha1")
    return AuthKey(auth_kul, V3_AUTH_PROTOCOL), PrivKey(priv_kul[:16], V3_PRIV_ALGORITHM), auth_kul, priv_kul


def v3_authpriv_trap(msg_id: int = 4321, salt_counter: int = 0x0123456789ABCDEF) -> bytes:
    """The typical trap's PDU as an SNMPv3 authPriv (SHA-1 / AES-128) message."""
    auth, priv, _, _ = v3_keys()
    pdu = encode_pdu(PDU_TRAP, 1234567890, 0, 0, TYPICAL_VARBINDS)
    scoped = encode_scoped_pdu(V3_ENGINE_ID, b"", pdu)
    ciphertext, salt = priv.encrypt(scoped, V3_BOOTS, V3_TIME, salt_counter)
    zeros = bytes(auth.mac_length)
    message, offset = encode_v3_message(msg_id, 65507, 0x03, V3_ENGINE_ID, V3_BOOTS, V3_TIME,
                                        V3_USER.encode(), zeros, salt, encode_tlv(0x04, ciphertext))
    mac = auth.sign(message)
    return message[:offset] + mac + message[offset + len(mac):]
