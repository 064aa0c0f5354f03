"""The MIB resolver on the standard index: names, name -> OID, labels, display hints, the bounded cache.

net-snmp's ``snmptranslate -OS`` is the oracle for names (tests/test_mib_oracle.py runs it over
the whole index); the vectors here pin the rules one by one, with the value net-snmp printed
for the same OID where it has one.
"""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr import mib
from snmptrapmgr.mib import hints
from snmptrapmgr.mib.resolver import ENTRY_OVERHEAD, Resolver


@pytest.fixture(scope="module")
def resolver():
    return mib.load()


# (OID, what snmptranslate -M <pysmi's texts> -m ALL -OS printed for it)
NETSNMP = [
    ("1.3.6.1.6.3.1.1.5.3", "IF-MIB::linkDown"),
    ("1.3.6.1.6.3.1.1.5.1", "SNMPv2-MIB::coldStart"),
    ("1.3.6.1.2.1.2.2.1.7.3", "IF-MIB::ifAdminStatus.3"),
    ("1.3.6.1.2.1.1.3.0", "DISMAN-EXPRESSION-MIB::sysUpTimeInstance"),  # a node of its own there
    ("1.3.6.1.6.3.1.1.4.1.0", "SNMPv2-MIB::snmpTrapOID.0"),
    ("1.3.6.1.2.1.1.1.5.6", "SNMPv2-MIB::sysDescr.5.6"),
    ("1.3.6.1.2.1.2.2.1.7.3.4", "IF-MIB::ifAdminStatus.3.4"),
    ("1.3.6.1.2.1.4.20.1.1.127.0.0.1", "RFC1213-MIB::ipAdEntAddr.127.0.0.1"),  # RFC1213-MIB loads first
    ("1.3.6.1.2.1.4.20.1.1.1.2.3", "RFC1213-MIB::ipAdEntAddr.1.2.3"),  # too short for an IpAddress
    ("1.3.6.1.4.1.353", "PNNI-MIB::atmForum"),  # nine modules define it: the first net-snmp loads
    ("1.3.6.1.6.3.16.1.2.1.3.3.3.117.115.114", 'SNMP-VIEW-BASED-ACM-MIB::vacmGroupName.3."usr"'),
    ("1.3.6.1.6.3.16.1.2.1.3.3.3.117.0.114", 'SNMP-VIEW-BASED-ACM-MIB::vacmGroupName.3."u.r"'),
    ("1.3.6.1.6.3.16.1.2.1.3.3.3.117.115", "SNMP-VIEW-BASED-ACM-MIB::vacmGroupName.3.3.117.115"),
    ("1.3.6.1.2.1.4.34.1.3.1.4.127.0.0.1", 'IP-MIB::ipAddressIfIndex.ipv4."127.0.0.1"'),
    ("1.3.6.1.2.1.4.34.1.3.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1",
     'IP-MIB::ipAddressIfIndex.ipv6."fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:01"'),
    ("1.3.6.1.2.1.4.34.1.3.3.8.127.0.0.1.0.0.0.5", 'IP-MIB::ipAddressIfIndex.ipv4z."127.0.0.1%5"'),
    ("1.3.6.1.2.1.4.34.1.3.1.3.127.0.0", 'IP-MIB::ipAddressIfIndex.ipv4."..."'),
    ("1.3.6.1.2.1.4.34.1.3.16.3.97.98.99", 'IP-MIB::ipAddressIfIndex.dns."abc"'),
    ("1.3.6.1.2.1.4.34.1.3.1.9.1.2", "IP-MIB::ipAddressIfIndex.ipv4.9.1.2"),
    ("1.3.6.1.6.3.12.1.2.1.2.4.104.111.115.116", "SNMP-TARGET-MIB::snmpTargetAddrTDomain.'.host'"),
    ("1.3.6.1.2.1.17.4.3.1.2.0.17.34.51.68.85", "BRIDGE-MIB::dot1dTpFdbPort.'..\"3DU'"),
    ("1.3.6.1.6.3.16.1.5.2.1.4.3.97.98.99.3.1.2.3",
     'SNMP-VIEW-BASED-ACM-MIB::vacmViewTreeFamilyType."abc".3.1.2.3'),
    ("1.3.6.1.2.1.92.1.3.1.1.2.6.100.101.102.97.117.108.116", 'NOTIFICATION-LOG-MIB::nlmLogTime."defaul".116'),
    ("1.3.6.1.2.1.2.2.1.99.3", "IF-MIB::ifEntry.99.3"),
    ("1.3.6.1.4.1.99999.1.2", "SNMPv2-SMI::enterprises.99999.1.2"),
    ("0.0", "SNMPv2-SMI::zeroDotZero"),
    ("1", "iso"),
    ("0", "ccitt"),
    ("2.5", "joint-iso-ccitt.5"),
    ("1.3.6.1.2.1", "SNMPv2-SMI::mib-2"),  # pysmi writes mib_2
]


@pytest.mark.parametrize("oid,want", NETSNMP)
def test_translate_prints_what_snmptranslate_prints(resolver, oid, want):
    assert resolver.translate(oid) == want
    assert resolver.translate("." + oid) == want


@pytest.mark.parametrize("oid,want", [
    ("1.3.6.1.6.3.1.1.5.3", "IF-MIB::linkDown"),
    ("1.3.6.1.2.1.2.2.1.7.3", "IF-MIB::ifAdminStatus.3"),
    ("1.3.6.1.2.1.1.1.5.6", "SNMPv2-MIB::sysDescr.5.6"),  # an instance of a scalar, however odd
    ("1.3.6.1.2.1.2.2.1.99.3", None),  # under a row, but no MIB defines column 99
    ("1.3.6.1.4.1.99999.1.2", None),  # only a generic prefix (enterprises) is known
    ("1.3.6.1.4.1.99999.0.5", None),  # an unknown enterprise's v1 trap
    ("3.1", None),
    ("1.3.6.1.2.1.2.2.1.7.x", None),
    ("", None),
])
def test_name_only_for_what_a_mib_defines(resolver, oid, want):
    assert resolver.name(oid) == want
    assert resolver.names([oid, oid]) == [want, want]


def test_name_to_oid(resolver):
    assert resolver.oid("IF-MIB::ifAdminStatus") == "1.3.6.1.2.1.2.2.1.7"
    assert resolver.oid("IF-MIB::ifAdminStatus.3") == "1.3.6.1.2.1.2.2.1.7.3"
    assert resolver.oid("ifAdminStatus.3") == "1.3.6.1.2.1.2.2.1.7.3"
    assert resolver.oid("linkDown") == "1.3.6.1.6.3.1.1.5.3"
    assert resolver.oid("RFC1213-MIB::ifIndex") == resolver.oid("IF-MIB::ifIndex")  # an alias still names it
    assert resolver.oid("SNMPv2-SMI::mib-2") == "1.3.6.1.2.1"
    assert resolver.oid('SNMP-VIEW-BASED-ACM-MIB::vacmGroupName.3."usr"') == \
        "1.3.6.1.6.3.16.1.2.1.3.3.3.117.115.114"
    assert resolver.oid("SNMP-TARGET-MIB::snmpTargetAddrTDomain.'host'") == \
        "1.3.6.1.6.3.12.1.2.1.2.104.111.115.116"
    for bad in ("NO-SUCH-MIB::ifIndex", "noSuchObject", "IF-MIB::ifIndex.x", 'IF-MIB::ifIndex."open', ""):
        assert resolver.oid(bad) is None


def test_every_primary_name_round_trips(resolver):
    """name(oid) -> oid(name) gives the OID back, for every definition of the standard index."""
    for oid, node in resolver.index.nodes.items():
        name = resolver.translate(oid)
        assert resolver.oid(name) == oid, (oid, name)


def test_labels(resolver):
    assert resolver.label("1.3.6.1.2.1.2.2.1.7.3", 2) == "down"
    assert resolver.label("1.3.6.1.2.1.2.2.1.8.3", 1) == "up"
    assert resolver.label("1.3.6.1.2.1.2.2.1.7.3", 99) is None        # not in the enumeration
    assert resolver.label("1.3.6.1.2.1.2.2.1.7.3", b"\x02") is None   # not an integer
    assert resolver.label("1.3.6.1.2.1.2.2.1.1.3", 3) is None         # ifIndex: no enumeration
    assert resolver.label("1.3.6.1.4.1.99999.1", 1) is None


@pytest.mark.parametrize("oid,obj_type,value,want", [
    ("1.3.6.1.2.1.2.2.1.6.3", 4, b"\x00\x1a\x2b\x3c\x4d\x5e", "00:1a:2b:3c:4d:5e"),  # PhysAddress 1x:
    ("1.3.6.1.2.1.1.1.0", 4, b"Linux box", None),                   # DisplayString: reads the same
    ("1.3.6.1.2.1.25.1.2.0", 4, bytes([7, 234, 10, 15, 13, 30, 15, 0, 43, 2, 0]),
     "2026-10-15,13:30:15.0,+2:0"),                                  # hrSystemDate, DateAndTime
    ("1.3.6.1.2.1.25.1.2.0", 4, bytes([7, 234, 10, 15, 13, 30, 15, 0]), "2026-10-15,13:30:15.0"),
    ("1.3.6.1.2.1.4.34.1.5.1.4.10.0.0.1", 4, b"\x0a\x00\x00\x01", None),  # not an InetAddress column
    ("1.3.6.1.6.3.1.1.4.1.0", 6, "1.3.6.1.6.3.1.1.5.3", "IF-MIB::linkDown"),  # an OID value's name
    ("1.3.6.1.6.3.1.1.4.1.0", 6, "1.3.6.1.4.1.99999", None),
    ("1.3.6.1.2.1.2.2.1.7.3", 2, 2, None),                           # an enum: that is the label
    ("1.3.6.1.4.1.99999.1.0", 4, b"\x00\x01", None),                # no MIB: nothing to say
])
def test_display(resolver, oid, obj_type, value, want):
    assert resolver.display(oid, obj_type, value) == want


def test_display_inet_address_and_integer_hints(resolver):
    # TRANSPORT/INET: a column whose syntax is InetAddress (read by its length)
    inet = next(oid for oid, node in resolver.index.nodes.items()
                if node[3] == "c" and node[4] >= 0 and resolver.index.syntaxes[node[4]][3]
                == "INET-ADDRESS-MIB::InetAddress")
    assert resolver.display(inet + ".1", 4, b"\x7f\x00\x00\x01") == "127.0.0.1"
    assert resolver.display(inet + ".1", 4, bytes(15) + b"\x01") == "::1"
    assert resolver.display(inet + ".1", 4, b"\x7f\x00\x00\x01\x00\x00\x00\x05") == "127.0.0.1%5"
    assert resolver.display(inet + ".1", 4, b"host.example") is None
    power = "1.3.6.1.2.1.10.127.1.1.1.1.6.3"  # DOCS-IF-MIB docsIfDownChannelPower: TenthdBmV, "d-1"
    assert resolver.display(power, 2, 123) == "12.3"
    assert resolver.display(power, 2, -5) == "-0.5"
    assert resolver.display("1.3.6.1.2.1.14.1.13.0", 2, 40) is None  # "d-0" reads as the number


def test_describe_is_name_label_display(resolver):
    assert resolver.describe("1.3.6.1.2.1.2.2.1.7.3", 2, 2) == ("IF-MIB::ifAdminStatus.3", "down", None)
    assert resolver.describe("1.3.6.1.4.1.99999.1.0", 2, 2) == (None, None, None)
    assert resolver.describe("1.3.6.1.6.3.1.1.4.1.0", 6, "1.3.6.1.6.3.1.1.5.3") == \
        ("SNMPv2-MIB::snmpTrapOID.0", None, "IF-MIB::linkDown")


# RFC 2579 octet-string hints, one rule each
@pytest.mark.parametrize("hint,data,want", [
    ("255a", b"hello", "hello"),
    ("1x:", b"\x00\x1a\xff", "00:1a:ff"),
    ("1x", b"\x01\x02", "0102"),
    ("2x:", b"\x12\x34\x56", "1234:56"),                   # the last application gets what is left
    ("1d.1d.1d.1d", b"\x0a\x00\x00\x01", "10.0.0.1"),
    ("1d.1d.1d.1d/2d", b"\x0a\x00\x00\x00\x00\x18", "10.0.0.0/24"),
    ("4d", b"\x00\x01\x00\x00", "65536"),                  # big-endian
    ("1o", b"\x08", "10"),
    ("*1x:/1x:", b"\x02\xaa\xbb\xcc", "aa:bb/cc"),          # repeat count, separator, terminator
    ("*1d.", b"\x03\x01\x02\x03", "1.2.3"),                # a trailing separator is left out
    ("2d-1d-1d,1d:1d:1d.1d,1a1d:1d", bytes([7, 234, 1, 2, 3, 4, 5, 6, 45, 5, 30]), "2026-1-2,3:4:5.6,-5:30"),
    ("2t", "é".encode(), "é"),
    ("1t", "é".encode(), ""),                              # one octet at a time: never a whole character
    ("3t", b"ab\xff", "ab"),                               # invalid UTF-8 octets are dropped
    ("0a[2x:2x]0a:2d", b"\x20\x01\x0d\xb8\x00\x50", "[2001:0db8]:80"),
])
def test_octet_hint_rules(hint, data, want):
    assert hints.octet_hint(hint, data) == want


@pytest.mark.parametrize("hint", ["", "x", "1", "1q", "*", "0a"])
def test_octet_hint_malformed_or_endless_gives_none(hint):
    assert hints.octet_hint(hint, b"abc") is None


@pytest.mark.parametrize("hint,value,want", [
    ("d", 5, "5"), ("d-2", 1234, "12.34"), ("d-2", 5, "0.05"), ("d-2", -5, "-0.05"), ("d-0", 7, "7"),
    ("x", 255, "ff"), ("x", -255, "-ff"), ("o", 8, "10"), ("b", 5, "101"), ("q", 5, None), ("d-x", 5, None),
])
def test_integer_hint_rules(hint, value, want):
    assert hints.integer_hint(hint, value) == want


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789*xdoat:.-,/[]% ", max_size=12), st.binary(max_size=40))
def test_octet_hint_never_raises(hint, data):
    shown = hints.octet_hint(hint, data)
    assert shown is None or isinstance(shown, str)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2 ** 32 - 1), max_size=24))
def test_any_instance_of_a_column_gets_a_name(resolver, parts):
    """Whatever follows ifAdminStatus or vacmGroupName, a name comes back, never an exception."""
    suffix = "".join(f".{p}" for p in parts)
    for column in ("1.3.6.1.2.1.2.2.1.7", "1.3.6.1.6.3.16.1.2.1.3", "1.3.6.1.2.1.4.34.1.3"):
        name = resolver.name(column + suffix)
        assert name is not None and name.count("::") == 1


def test_cache_is_bounded_by_entries_and_bytes():
    small = Resolver(mib.active().index, max_entries=100, max_bytes=1 << 30)
    for i in range(1000):
        small.name(f"1.3.6.1.2.1.2.2.1.7.{i}")
        assert small.cache_size()[0] <= 100
    by_bytes = Resolver(mib.active().index, max_entries=1 << 30, max_bytes=20_000)
    for i in range(1000):
        by_bytes.name(f"1.3.6.1.2.1.2.2.1.7.{i}")
        assert by_bytes.cache_size()[1] <= 20_000
    long_oid = "1.3.6.1.2.1.2.2.1.7" + ".1" * 300
    by_bytes.clear_cache()
    assert by_bytes.name(long_oid).startswith("IF-MIB::ifAdminStatus.")
    assert by_bytes.cache_size() == (0, 0)  # answered, not kept


def test_cache_counts_at_least_what_it_holds():
    """A flood of distinct OIDs: the counted bytes cover what tracemalloc sees the cache hold."""
    resolver = Resolver(mib.active().index, max_entries=1 << 30, max_bytes=1 << 30)
    resolver.name("1.3.6.1.2.1.2.2.1.7.1")  # warm: enum and syntax tables built
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(20000):
            resolver.name(f"1.3.6.1.2.1.2.2.1.7.{i + 100000}")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    entries, counted = resolver.cache_size()
    assert entries == 20001
    assert counted >= held, (counted, held, ENTRY_OVERHEAD)


def test_active_resolver_is_shared_and_replaceable():
    first = mib.active()
    assert mib.active() is first
    assert mib.name("1.3.6.1.6.3.1.1.5.3") == "IF-MIB::linkDown"
    assert mib.label("1.3.6.1.2.1.2.2.1.7.3", 1) == "up"
    assert mib.display("1.3.6.1.2.1.2.2.1.6.1", 4, b"\x01\x02") == "01:02"
    other = mib.load()
    mib.set_active(other)
    try:
        assert mib.active() is other
    finally:
        mib.set_active(None)
    assert mib.active() is not other
