"""Regenerate the captured datagrams in this directory and their manifests.

    python tests/data/make_captures.py            # all captures
    python tests/data/make_captures.py v1_        # only names starting with v1_

Every capture is a real datagram from a real sender (net-snmp's snmptrap /
snmpinform, and pysnmp when installed), received on a plain UDP socket by
``tests/capture.py``.  Next to each ``NAME.bin`` goes ``NAME.json``: the
command line the sender ran (``{target}`` for the address) and what it was
asked to send, written out as the fields a decoder must produce.  The
expectations are derived from the *request* (type letter and value text, see
:func:`expected_value`), never from a decoder, so the tests check the decoder
against the peer and not against itself.
"""

from __future__ import annotations

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for capture.py

import capture  # noqa: E402

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
ENT = "1.3.6.1.4.1.99999"
ANY = {"any": "int"}
NONZERO = {"nonzero": "int"}
NONEMPTY = {"nonempty": "bytes"}

# Every type letter snmptrap 5.9.3 accepts (snmp_add_var; '=' needs a MIB
# definition for the OID, which numeric OIDs without MIBs don't have), with
# values at the edges of each type.
ALL_TYPES = [
    (ENT + ".1.1", "i", "-2147483648"),
    (ENT + ".1.2", "i", "2147483647"),
    (ENT + ".1.3", "u", "4294967295"),
    (ENT + ".1.4", "3", "1234567"),
    (ENT + ".1.5", "c", "4294967295"),
    (ENT + ".1.6", "C", "18446744073709551615"),
    (ENT + ".1.7", "t", "4294967295"),
    (ENT + ".1.8", "a", "192.168.1.254"),
    (ENT + ".1.9", "o", "1.3.6.1.4.1.99999.42.4294967295"),
    (ENT + ".1.10", "s", "hello world"),
    (ENT + ".1.11", "s", ""),
    (ENT + ".1.12", "x", "00 01 fe FF 80"),
    (ENT + ".1.13", "d", "0.1.127.128.255"),
    (ENT + ".1.14", "b", "0 7 8 15"),
    (ENT + ".1.15", "n", ""),
    (ENT + ".1.16", "U", "18446744073709551615"),
    (ENT + ".1.17", "U", "0"),
    (ENT + ".1.18", "I", "-9223372036854775808"),
    (ENT + ".1.19", "I", "9223372036854775807"),
    (ENT + ".1.20", "F", "1.5"),
    (ENT + ".1.21", "D", "-2.25"),
    (ENT + ".4294967295", "i", "0"),
]
TYPE_LETTERS = sorted({letter for _oid, letter, _text in ALL_TYPES})


def _opaque(inner_type: int, content: bytes) -> bytes:
    # net-snmp's Opaque-wrapped extension types: 0x9f (context, extended tag),
    # 0x30 + base tag, a one-byte length, the content.
    return bytes((0x9F, inner_type, len(content))) + content


def expected_value(letter: str, text: str):
    """(BER tag, native value) that ``snmptrap`` must send for ``TYPE VALUE``."""
    if letter == "i":
        return 0x02, int(text)
    if letter == "u":
        return 0x42, int(text)          # Gauge32 / Unsigned32 (same tag)
    if letter == "3":
        return 0x47, int(text)          # net-snmp's ASN_UINTEGER (obsolete UInteger32)
    if letter == "c":
        return 0x41, int(text)
    if letter == "C":
        return 0x46, int(text)
    if letter == "t":
        return 0x43, int(text)
    if letter == "a":
        return 0x40, text
    if letter == "o":
        return 0x06, text
    if letter == "s":
        return 0x04, text.encode()
    if letter == "x":
        return 0x04, bytes.fromhex(text.replace(" ", ""))
    if letter == "d":
        return 0x04, bytes(int(p) for p in text.split("."))
    if letter == "b":
        bits = [int(b) for b in text.split()]
        out = bytearray(max(bits) // 8 + 1)
        for bit in bits:
            out[bit // 8] |= 0x80 >> (bit % 8)
        return 0x04, bytes(out)
    if letter == "n":
        return 0x05, None
    if letter == "U":
        v = int(text)
        return 0x44, _opaque(0x7B, v.to_bytes(v.bit_length() // 8 + 1, "big"))
    if letter == "I":
        v = int(text)
        size = (v if v >= 0 else ~v).bit_length() // 8 + 1  # minimal two's complement
        return 0x44, _opaque(0x7A, v.to_bytes(size, "big", signed=True))
    if letter == "F":
        return 0x44, _opaque(0x78, struct.pack(">f", float(text)))
    if letter == "D":
        return 0x44, _opaque(0x79, struct.pack(">d", float(text)))
    raise ValueError(f"no expectation for type letter {letter!r}")


def _args(varbinds) -> list:
    out = []
    for oid, letter, text in varbinds:
        out += [oid, letter, text]
    return out


def _expect_varbinds(varbinds) -> list:
    return [[oid, *expected_value(letter, text)] for oid, letter, text in varbinds]


def v2c_case(name, varbinds, uptime="4242", trap_oid=ENT + ".0.1", inform=False, community="public"):
    tool = "snmpinform" if inform else "snmptrap"
    return name, {
        "sender": "net-snmp",
        "command": [tool, "-v", "2c", "-c", community, "{target}", uptime, trap_oid, *_args(varbinds)],
        "asked": [list(v) for v in varbinds],
        "expect": {
            "version": 1, "community": community.encode(), "pdu_tag": 0xA6 if inform else 0xA7,
            "request_id": NONZERO, "error_status": 0, "error_index": 0,
            "varbinds": [[SYS_UPTIME, 0x43, int(uptime)], [TRAP_OID, 0x06, trap_oid]]
            + _expect_varbinds(varbinds),
        },
    }


def v1_case(name, generic, specific, varbinds, uptime="1234", agent="10.1.2.3", enterprise=ENT):
    return name, {
        "sender": "net-snmp",
        "command": ["snmptrap", "-v", "1", "-c", "public", "{target}", enterprise, agent,
                    str(generic), str(specific), uptime, *_args(varbinds)],
        "asked": [list(v) for v in varbinds],
        "expect": {
            "version": 0, "community": b"public", "pdu_tag": 0xA4, "enterprise": enterprise,
            "agent_address": agent, "generic": generic, "specific": specific,
            "time_stamp": int(uptime), "varbinds": _expect_varbinds(varbinds),
        },
    }


def v3_noauth_case():
    varbinds = [(ENT + ".3.1", "s", "v3 hello"), (ENT + ".3.2", "i", "-3")]
    return "v3_noauth_trap", {
        "sender": "net-snmp",
        "command": ["snmptrap", "-v", "3", "-l", "noAuthNoPriv", "-u", "user",
                    "-e", "0x8000000001020304", "{target}", "777", ENT + ".0.3", *_args(varbinds)],
        "asked": [list(v) for v in varbinds],
        "expect": {
            "version": 3, "msg_id": NONZERO, "max_size": ANY, "flags": 0, "security_model": 3,
            "engine_id": bytes.fromhex("8000000001020304"), "boots": ANY, "time": ANY,
            "user": b"user", "auth_params": b"", "priv_params": b"",
            # net-snmp puts its own engine ID in contextEngineID (DESIGN.md)
            "context_engine_id": NONEMPTY, "context_name": b"",
            "pdu_tag": 0xA7, "request_id": NONZERO, "error_status": 0, "error_index": 0,
            "varbinds": [[SYS_UPTIME, 0x43, 777], [TRAP_OID, 0x06, ENT + ".0.3"]]
            + _expect_varbinds(varbinds),
        },
    }


GENERIC_NAMES = ["coldStart", "warmStart", "linkDown", "linkUp", "authenticationFailure",
                 "egpNeighborLoss", "enterpriseSpecific"]


def net_snmp_cases() -> list:
    cases = [
        v2c_case("v2c_trap_all_types", ALL_TYPES),
        v2c_case("v2c_trap_no_varbinds", [], uptime="0", trap_oid="1.3.6.1.6.3.1.1.5.1"),
        v2c_case("v2c_trap_long_string", [(ENT + ".2.1", "s", "x" * 1400)], community="c" * 40),
        v2c_case("v2c_inform", [(ENT + ".2.2", "s", "inform me"), (ENT + ".2.3", "c", "7")],
                 trap_oid=ENT + ".0.2", inform=True),
        v1_case("v1_trap_all_types", 6, 99, ALL_TYPES, uptime="4294967295"),
        v3_noauth_case(),
    ]
    for generic in range(7):
        specific = 42 if generic == 6 else 0
        varbinds = [("1.3.6.1.2.1.2.2.1.1.%d" % (generic + 1), "i", str(generic + 1)),
                    (ENT + ".5.1", "s", GENERIC_NAMES[generic])]
        cases.append(v1_case(f"v1_trap_generic_{generic}", generic, specific, varbinds,
                             uptime=str(1000 + generic)))
    return cases


def pysnmp_cases() -> list:
    c64 = 18446744073709551615
    opaque = bytes.fromhex("9f78043fc00000")  # Opaque-wrapped float 1.5, as net-snmp sends it
    v2c = {
        "mp_model": 1, "community": "public", "trap_oid": ENT + ".0.7",
        "varbinds": [[ENT + ".6.1", "Counter64", c64], [ENT + ".6.2", "Counter64", 0],
                     [ENT + ".6.3", "Opaque", {"hex": opaque.hex()}],
                     [ENT + ".6.4", "Opaque", {"hex": ""}],
                     [ENT + ".6.5", "Unsigned32", 4294967295],
                     [ENT + ".6.6", "Bits", {"hex": "a5"}]],
    }
    v1 = {
        "mp_model": 0, "community": "public", "trap_oid": ENT + ".0.7",
        "varbinds": [[ENT + ".6.7", "Integer32", -42],
                     # RFC 3584 3.2: snmpTrapEnterprise.0 / snmpTrapAddress.0 become
                     # the v1 enterprise and agent-addr fields and are not sent as varbinds
                     ["1.3.6.1.6.3.1.1.4.3.0", "ObjectIdentifier", ENT],
                     ["1.3.6.1.6.3.18.1.3.0", "IpAddress", "10.9.8.7"]],
    }
    return [
        ("pysnmp_v2c_trap_c64_opaque", {
            "sender": "pysnmp", "pysnmp": v2c,
            "expect": {
                "version": 1, "community": b"public", "pdu_tag": 0xA7, "request_id": NONZERO,
                "error_status": 0, "error_index": 0,
                "varbinds": [[SYS_UPTIME, 0x43, ANY], [TRAP_OID, 0x06, ENT + ".0.7"],
                             [ENT + ".6.1", 0x46, c64], [ENT + ".6.2", 0x46, 0],
                             [ENT + ".6.3", 0x44, opaque], [ENT + ".6.4", 0x44, b""],
                             [ENT + ".6.5", 0x42, 4294967295],  # SMIv2 Unsigned32 == Gauge32 tag
                             [ENT + ".6.6", 0x04, b"\xa5"]],
            },
        }),
        ("pysnmp_v1_trap", {
            "sender": "pysnmp", "pysnmp": v1,
            "expect": {
                "version": 0, "community": b"public", "pdu_tag": 0xA4, "enterprise": ENT,
                "agent_address": "10.9.8.7", "generic": 6, "specific": 7, "time_stamp": ANY,
                "varbinds": [[ENT + ".6.7", 0x02, -42]],
            },
        }),
    ]


def run_case(name: str, manifest: dict) -> bytes:
    if manifest["sender"] == "pysnmp":
        return capture.capture_call(capture.pysnmp_sender(manifest["pysnmp"])).first
    return capture.capture(manifest["command"]).first


def main(argv) -> int:
    prefix = argv[1] if len(argv) > 1 else ""
    cases = net_snmp_cases()
    if capture.have_pysnmp():
        cases += pysnmp_cases()
    else:
        print("pysnmp not installed: skipping the pysnmp captures", file=sys.stderr)
    for name, manifest in cases:
        if not name.startswith(prefix):
            continue
        data = run_case(name, manifest)
        with open(os.path.join(HERE, name + ".bin"), "wb") as fh:
            fh.write(data)
        with open(os.path.join(HERE, name + ".json"), "w") as fh:
            json.dump(capture.to_json(manifest), fh, indent=1)
            fh.write("\n")
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
