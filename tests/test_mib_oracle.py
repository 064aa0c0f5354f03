"""net-snmp as the oracle: ``snmptranslate -M <pysmi's bundled texts> -m ALL -OS`` names what we name.

Both read the same 486 MIB texts (the ones the standard index is built from).  Every OID the
index defines is translated bare, and a seeded sample of 4,000 scalars and columns with an
instance suffix built from the row's INDEX syntax (integers, enumerations, IpAddress, strings of
every length rule, OIDs, the InetAddressType/InetAddress pairs).

Where the two differ, it is one of these documented cases, and nothing else:

- **OID defined by several modules** (1,133 of them, e.g. RFC1213-MIB and IF-MIB): no
  difference -- we follow net-snmp's rule: ``-m ALL`` loads the directory's files in reverse
  name order, each module's imports first (in IMPORTS order), and the first module loaded that
  defines the OID names it; two definitions in one module: the later one.
- **Texts net-snmp cannot parse** (DLSW-MIB: "Bad operator"): net-snmp prints the numbers under
  the nearest node it has; we print the names.
- **net-snmp's SMIv1 pseudo-nodes** ``bgp#`` (RFC1269-MIB) and ``frame-relay#`` (RFC1315-MIB),
  made for TRAP-TYPE's ``enterprise.0`` arc, and the node ``IANA-MAU-MIB::snmpDot3MauMgt`` it
  makes from ``{ mib-2 snmpDot3MauMgt(26) 4 }``: we name those OIDs by their real definitions.
- **Index values net-snmp leaves undecoded** (a few tables, e.g. MPLS-LSR-STD-MIB's
  MplsIndexType, PIM-STD-MIB's size-refined InetAddress, IEEE8021-EVB-MIB): net-snmp prints
  the rest of the instance as numbers from some index on; we decode it.  Up to that index the
  two agree.

``-Ir`` (no range checks on the OIDs given) makes snmptranslate print what snmptrapd prints for
a received OID; without it, it refuses an index value outside its syntax's range.  Even with it,
it refuses an odd one (MPLS-LSR-STD-MIB's MplsIndexType: "Index out of range"): skipped.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest

from snmptrapmgr import mib
from snmptrapmgr.mib import compiler

pytestmark = [pytest.mark.peer,
              pytest.mark.skipif(shutil.which("snmptranslate") is None, reason="net-snmp tools not installed")]

CHUNK = 3000
UNPARSED_BY_NETSNMP = ("DLSW-MIB",)
NETSNMP_PSEUDO = {"1.3.6.1.2.1.15.0": "RFC1269-MIB::bgp#", "1.3.6.1.2.1.10.32.0": "RFC1315-MIB::frame-relay#",
                  "1.3.6.1.2.1.26": "IANA-MAU-MIB::snmpDot3MauMgt"}


@pytest.fixture(scope="module")
def resolver():
    resolver = mib.load()
    if resolver.index.compilers[0] != compiler.compiler_name():
        pytest.fail(f"index built with {resolver.index.compilers[0]}, {compiler.compiler_name()} installed")
    return resolver


def snmptranslate(oids: list) -> dict:
    """OID -> net-snmp's -OS text ("" where it refuses one: it stops at the first it refuses)."""
    answers: dict = {}
    rest = list(oids)
    texts = compiler.bundled_dir()
    rounds = 0
    while rest and rounds < len(oids) + 10:
        rounds += 1
        chunk = rest[:CHUNK]
        run = subprocess.run(["snmptranslate", "-Ir", "-M", texts, "-m", "ALL", "-OS", *("." + o for o in chunk)],
                             capture_output=True, text=True, timeout=120)
        lines = [line for line in run.stdout.split("\n") if line]
        answers.update(zip(chunk, lines))
        if len(lines) < len(chunk):
            answers[chunk[len(lines)]] = ""
            rest = rest[len(lines) + 1:]
        else:
            rest = rest[len(chunk):]
    assert not rest
    return answers


def _module(text: str) -> str:
    return text.split("::", 1)[0] if "::" in text else ""


def _undecoded_tail(oid: str, want: str, got: str) -> bool:
    """net-snmp printed the instance as numbers from some index on, where we decoded: same up to there."""
    parts = oid.split(".")
    for k in range(1, len(parts)):
        tail = "." + ".".join(parts[-k:])
        if want.endswith(tail) and got.startswith(want[:-len(tail)] + "."):
            return True
    return False


def test_every_defined_oid_names_like_net_snmp(resolver):
    oids = sorted(set(resolver.index.nodes) | {a[0] for a in resolver.index.aliases})
    assert len(oids) > 38000
    want = snmptranslate(oids)
    unparsed = []
    for oid in oids:
        got = resolver.translate(oid)
        if got == want[oid]:
            continue
        if oid in NETSNMP_PSEUDO and want[oid] == NETSNMP_PSEUDO[oid]:
            continue
        if _module(got) in UNPARSED_BY_NETSNMP and re.fullmatch(r"SNMPv2-SMI::mib-2(\.\d+)+", want[oid]):
            unparsed.append(oid)
            continue
        pytest.fail(f"{oid}: net-snmp {want[oid]!r}, we {got!r}")
    assert len(unparsed) < 250  # DLSW-MIB's definitions, nothing more


def _instance(resolver, node, rnd: random.Random) -> str:
    """An instance suffix for a scalar or column, built from its row's INDEX syntaxes."""
    if node[3] == "s":
        return ".0"
    spec = resolver.index.indexes[node[5]] if node[5] >= 0 else []
    parts: list = []
    for j in range(0, len(spec), 2):
        index_node = resolver.index.nodes.get(spec[j])
        syntax = resolver.index.syntaxes[index_node[4]] if index_node and index_node[4] >= 0 else None
        implied = spec[j + 1] and j == len(spec) - 2
        base = syntax[0] if syntax else "int"
        if base == "int":
            enum = resolver.index.enum(syntax[2]) if syntax and syntax[2] >= 0 else None
            parts.append(rnd.choice(sorted(enum)) if enum and rnd.random() < 0.9 else rnd.randint(1, 60))
        elif base == "ip":
            parts += [rnd.randint(0, 255) for _ in range(4)]
        elif base == "oid":
            count = rnd.randint(1, 4)
            parts += ([] if implied else [count]) + [rnd.randint(0, 9) for _ in range(count)]
        else:
            sizes = syntax[4]
            fixed = sizes is not None and len(sizes) == 2 and sizes[0] == sizes[1]
            if fixed:
                count = sizes[0]
            elif sizes and rnd.random() < 0.7:
                k = rnd.randrange(0, len(sizes), 2)
                count = rnd.randint(sizes[k], min(sizes[k + 1], sizes[k] + 6))
            else:
                count = rnd.randint(1, 6)
            octets = [rnd.choice((rnd.randint(97, 122), rnd.randint(0, 255))) for _ in range(count)]
            parts += ([] if implied or fixed else [count]) + octets
    if rnd.random() < 0.1:
        parts.append(rnd.randint(0, 9))  # a sub-identifier beyond the INDEX
    return "".join(f".{p}" for p in parts)


def test_instances_name_like_net_snmp(resolver):
    rnd = random.Random(20261203)
    objects = [node for oid, node in sorted(resolver.index.nodes.items()) if node[3] in ("s", "c")]
    sample = rnd.sample(objects, 4000)
    oids = [node[0] + _instance(resolver, node, rnd) for node in sample]
    want = snmptranslate(oids)
    refused = undecoded = 0
    for oid in oids:
        got = resolver.translate(oid)
        assert resolver.name(oid) == got  # an instance of a scalar or column always has a name
        if got == want[oid]:
            continue
        if want[oid] == "":
            refused += 1
            continue
        if _module(got) in UNPARSED_BY_NETSNMP:
            continue
        if _undecoded_tail(oid, want[oid], got):
            undecoded += 1
            continue
        pytest.fail(f"{oid}: net-snmp {want[oid]!r}, we {got!r}")
    assert refused < 20 and undecoded < 80, (refused, undecoded)
