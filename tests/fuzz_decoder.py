"""Bounded fuzz runner for the SNMP message decoder (not a pytest module).

    python tests/fuzz_decoder.py --count 2000000 --seconds 600 [--impl cython|python] [--seed N]

Builds valid v1 / v2c / inform / v3 (plaintext and encrypted) messages with the
``snmptrapmgr.codec.encode`` encoders, and one seed in eight with one hostile
field from ``tests/hostile.py`` (out-of-range unsigned values, zero-length
INTEGERs, 0x80-padded OID arcs, bad versions, bad v1 trap fields), mutates them (byte flips, interesting bytes,
truncation, insertion, deletion, duplication, splicing, length-field edits) and
feeds every datagram to ``decode_message`` of the chosen twin (and, for part of
them, the ScopedPDU inside to ``decode_scoped_pdu``), and to the receive path's
``CommunityDecoder.decode`` (datagram -> event) of the same twin; a compared event
also goes through both twins of the collector's JSON line (``collector.line``) and
of the object view's readers (``readers``), and every datagram through the compiled
one-pass wire -> JSON line (``collector.wire``), each line it writes compared with
the Python twin's.  Every outcome
must be a result or a ``DecodeError`` (an event, None for SNMPv3, or an
``SNMPTrapMgrError`` for the event path); a sample is also decoded by the
pure-Python twins, which must agree exactly (same result, or the same code).  A
crash of the compiled code kills the process (faulthandler prints where); the
run is reproducible from the printed seed.  Exit status is 1 on any mismatch
or unexpected exception.
"""

from __future__ import annotations

import argparse
import faulthandler
import random
import sys
import time
from collections import Counter
from pathlib import Path

try:
    import bench.traffic  # noqa: F401
    import snmptrapmgr  # noqa: F401
except ImportError:  # run from a checkout without installing: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.traffic import typical_v2c_trap  # noqa: E402  (the bench's typical trap is the first seed)

import hostile  # noqa: E402  (tests/hostile.py: the issue-12 encodings)

from snmptrapmgr.codec import _ber_py, _community_py
from snmptrapmgr.errors import DecodeError, SNMPTrapMgrError
from snmptrapmgr.codec.encode import (
    encode_community_message,
    encode_pdu,
    encode_scoped_pdu,
    encode_tlv,
    encode_v1_trap_pdu,
    encode_v3_message,
)

_INTERESTING = (0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x1F, 0x30, 0x40, 0x41, 0x46, 0x7F,
                0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0xA0, 0xA4, 0xA7, 0xA9, 0xFE, 0xFF)
_CONSTRUCTED = frozenset((0x30, *range(0xA0, 0xA9)))


# --------------------------------------------------------------------------- seeds

def _random_oid(rng: random.Random) -> str:
    first = rng.randrange(3)
    second = rng.randrange(40) if first < 2 else rng.choice((0, 1, 5, 100, 0xFFFFFFFF - 80))
    arcs = [first, second]
    for _ in range(rng.choice((0, 1, 3, 8, 12, 20, 140))):
        arcs.append(rng.choice((0, 1, 127, 128, 16383, 16384, 0xFFFFFFFF, rng.randrange(1 << 32))))
    return ".".join(map(str, arcs))


def _random_value(rng: random.Random):
    kind = rng.choice((0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                       0x80, 0x81, 0x82))
    if kind == 0x02:
        bits = rng.choice((7, 8, 31, 32, 63))
        return kind, rng.randrange(-(1 << bits), 1 << bits)
    if kind in (0x04, 0x44, 0x45):
        return kind, rng.randbytes(rng.choice((0, 1, 5, 18, 127, 128, 300)))
    if kind == 0x06:
        return kind, _random_oid(rng)
    if kind == 0x40:
        return kind, ".".join(str(rng.randrange(256)) for _ in range(4))
    if kind == 0x46:
        return kind, rng.choice((0, 1, (1 << 64) - 1, rng.randrange(1 << 64)))
    if kind in (0x41, 0x42, 0x43, 0x47):
        return kind, rng.choice((0, 0x7F, 0x80, 0xFFFFFFFF, rng.randrange(1 << 32)))
    return kind, None


def _random_varbinds(rng: random.Random) -> list:
    return [(_random_oid(rng), *_random_value(rng)) for _ in range(rng.choice((0, 1, 2, 4, 7, 12)))]


def hostile_seed(rng: random.Random) -> bytes:
    """A well-framed datagram with one hostile field (issue 12), or its in-range control."""
    kind = rng.choice(hostile.KINDS)
    numbers = [rng.choice((rng.randrange(300), rng.randrange(1 << 32))) for _ in range(3)]
    return hostile.hostile_message(kind, *numbers, valid=rng.randrange(4) == 0)[0]


def random_message(rng: random.Random) -> bytes:
    """One valid datagram of a random kind (for v3 sometimes encrypted), or now and then a hostile one."""
    if rng.randrange(8) == 0:
        return hostile_seed(rng)
    kind = rng.randrange(5)
    varbinds = _random_varbinds(rng)
    if kind == 0:
        pdu = encode_v1_trap_pdu(_random_oid(rng), ".".join(str(rng.randrange(256)) for _ in range(4)),
                                 rng.randrange(7), rng.randrange(1 << 31), rng.randrange(1 << 32), varbinds)
        return encode_community_message(0, rng.randbytes(rng.randrange(12)), pdu)
    tag = rng.choice((0xA7, 0xA6, 0xA2, 0xA8, 0xA0))
    if tag in (0xA7, 0xA6) and rng.randrange(3):  # shaped as RFC 3416 says: sysUpTime.0, snmpTrapOID.0
        varbinds[:0] = [("1.3.6.1.2.1.1.3.0", 0x43, rng.randrange(1 << 32)),
                        ("1.3.6.1.6.3.1.1.4.1.0", 0x06, _random_oid(rng))]
    pdu = encode_pdu(tag, rng.randrange(-(1 << 31), 1 << 31), rng.randrange(20), rng.randrange(20), varbinds)
    if kind in (1, 2):
        return encode_community_message(1, rng.randbytes(rng.randrange(12)), pdu)
    scoped = encode_scoped_pdu(rng.randbytes(rng.randrange(32)), rng.randbytes(rng.randrange(8)), pdu)
    flags = rng.choice((0, 1, 3, 4, 5, 7))
    if kind == 4:
        scoped = encode_tlv(0x04, rng.randbytes(rng.randrange(0, 300)))
    message, _ = encode_v3_message(rng.randrange(1 << 31), rng.choice((484, 1500, 65507)), flags,
                                   rng.randbytes(rng.choice((0, 5, 12, 32))), rng.randrange(1 << 31),
                                   rng.randrange(1 << 31), rng.randbytes(rng.randrange(32)),
                                   rng.randbytes(rng.choice((0, 12, 16, 24, 32, 48))),
                                   rng.randbytes(rng.choice((0, 8))), scoped)
    return message


def random_notification(rng: random.Random) -> bytes:
    """A valid v2c trap shaped as RFC 3416 says (sysUpTime.0, snmpTrapOID.0, then random
    varbinds), now and then with one octet changed: the usual input of the wire walk."""
    varbinds = [("1.3.6.1.2.1.1.3.0", 0x43, rng.randrange(1 << 32)),
                ("1.3.6.1.6.3.1.1.4.1.0", 0x06, _random_oid(rng))] + _random_varbinds(rng)
    pdu = encode_pdu(0xA7, rng.randrange(-(1 << 31), 1 << 31), 0, 0, varbinds)
    data = bytearray(encode_community_message(1, rng.randbytes(rng.randrange(12)), pdu))
    if rng.randrange(2):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def length_fields(data: bytes) -> list:
    """(offset, size, length) of every length field reachable through constructed TLVs."""
    found = []
    stack = [(0, len(data))]
    while stack:
        pos, end = stack.pop()
        while pos + 2 <= end:
            tag = data[pos]
            first = data[pos + 1]
            if first < 0x80:
                size, length = 1, first
            else:
                count = first & 0x7F
                if count == 0 or count > 4 or pos + 2 + count > end:
                    break
                size, length = 1 + count, int.from_bytes(data[pos + 2:pos + 2 + count], "big")
            found.append((pos + 1, size, length))
            start = pos + 1 + size
            stop = start + length
            if stop > end:
                break
            if tag in _CONSTRUCTED or (tag == 0x04 and start < stop and data[start] == 0x30):
                stack.append((start, stop))
            pos = stop
    return found


def _encode_length(length: int, long_bytes: int) -> bytes:
    if long_bytes == 0 and length < 0x80:
        return bytes((length,))
    long_bytes = max(long_bytes, (length.bit_length() + 7) // 8, 1)
    return bytes((0x80 | long_bytes,)) + length.to_bytes(long_bytes, "big")


# --------------------------------------------------------------------------- mutation

def mutate(rng: random.Random, data: bytes, seeds: list) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        op = rng.randrange(10)
        n = len(buf)
        if op == 0 and n:                                   # bit flip
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 1 and n:                                 # random byte
            buf[rng.randrange(n)] = rng.randrange(256)
        elif op == 2 and n:                                 # interesting byte
            buf[rng.randrange(n)] = rng.choice(_INTERESTING)
        elif op == 3:                                       # truncate
            del buf[rng.randrange(n + 1):]
        elif op == 4:                                       # insert
            at = rng.randrange(n + 1)
            buf[at:at] = rng.randbytes(rng.choice((1, 1, 2, 4, 9)))
        elif op == 5 and n:                                 # delete a run
            at = rng.randrange(n)
            del buf[at:at + rng.choice((1, 1, 2, 4, 16))]
        elif op == 6 and n:                                 # duplicate a slice
            at = rng.randrange(n)
            piece = buf[at:at + rng.randrange(1, 24)]
            to = rng.randrange(n + 1)
            buf[to:to] = piece
        elif op == 7:                                       # splice with another seed
            other = rng.choice(seeds)
            cut = rng.randrange(n + 1)
            buf[cut:] = other[rng.randrange(len(other) + 1):]
        else:                                               # length-field edit
            fields = length_fields(bytes(buf))
            if not fields:
                continue
            at, size, old = rng.choice(fields)
            choice = rng.randrange(6)
            if choice == 0:
                new = _encode_length(max(0, old + rng.choice((-2, -1, 1, 2, 128))), 0)
            elif choice == 1:                               # non-minimal long form, same value
                new = _encode_length(old, rng.randrange(1, 5))
            elif choice == 2:
                new = b"\x80"                               # indefinite
            elif choice == 3:
                new = bytes((rng.choice((0x85, 0x88, 0xFF)),)) + rng.randbytes(rng.randrange(9))
            elif choice == 4:
                new = _encode_length(rng.choice((0, 0x7F, 0x80, 0xFFFF, 0xFFFFFFFF)), rng.randrange(0, 5))
            else:
                new = _encode_length(rng.randrange(1 << 32), rng.randrange(0, 5))
            buf[at:at + size] = new
    return bytes(buf)


# --------------------------------------------------------------------------- running

def _outcome(fn, data):
    try:
        return "ok", fn(data)
    except DecodeError as exc:
        return "err", exc.code


_EVENT_FIELDS = ("snmp_version", "request_id", "community", "community_bytes", "trap_oid", "time_stamp", "source_address",
                 "source_port", "varbinds", "agent_address", "enterprise", "generic_trap", "specific_trap",
                 "rfc3584_trap_oid", "reply_context")
_ADDR = ("127.0.0.1", 16200)


def _event_outcome(decoder, data):
    """("event", class, fields), ("v3",) or ("err", code) of the datagram -> event path."""
    try:
        event = decoder.decode(data, _ADDR)
    except SNMPTrapMgrError as exc:
        return "err", exc.code
    if event is None:
        return ("v3",)
    return "event", type(event).__name__, tuple(getattr(event, f, None) for f in _EVENT_FIELDS)


def _outcome_of(call):
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - the twins must fail alike
        return ("raised", type(exc).__name__, str(exc))


def _event_twins():
    """The checks run on a decoded event: the JSON line (collector.line, names on and off, a
    received time that crosses seconds) and the object view's readers (every index and two
    outside), the compiled twin against the Python one; yields (where, what) per mismatch."""
    from snmptrapmgr import _readers_c, _readers_py, mib
    from snmptrapmgr.collector import _line_c, _line_py

    names = mib.load()

    def check(event, i: int):
        stamp = 1_700_000_000.0 + (i % 5000) * 0.000377
        resolver = names if i % 3 else None
        got = _outcome_of(lambda: _line_c.format_line(event, stamp, resolver))
        want = _outcome_of(lambda: _line_py.format_line(event, stamp, resolver))
        if got != want:
            yield "format_line", f"cython={got!r} python={want!r}"
        views = []
        for twin in (_readers_c, _readers_py):
            view = twin.ObjectView()
            view.items = event.varbinds
            views.append(view)
        for index in range(-1, len(event.varbinds) + 1):
            for reader in ("get_obj_id", "get_obj_type", "get_obj_value"):
                got, want = (_outcome_of(lambda v=v: getattr(v, reader)(index)) for v in views)
                if got != want:
                    yield reader, f"index {index}: cython={got!r} python={want!r}"

    return check


def _wire_twins():
    """The collector's one-pass wire -> JSON line (collector.wire), names off and on: the
    compiled walk on every datagram (it must never crash), and each line it writes against
    the Python twin's (decoder + schema); yields (where, what) per mismatch, then counts."""
    from snmptrapmgr import mib
    from snmptrapmgr.collector import _wire_c, _wire_py

    names = mib.load()
    pairs = [(_wire_c.WireLines(None), _wire_py.WireLines(None)),
             (_wire_c.WireLines(names), _wire_py.WireLines(names))]

    def check(data: bytes, i: int, stats: dict):
        stamp = 1_700_000_000.0 + (i % 5000) * 0.000377
        c, py = pairs[i % 2]
        got = _outcome_of(lambda: c.line(data, _ADDR, stamp))
        if got == ("ok", None):
            return
        stats["wire_lines"] += 1
        want = _outcome_of(lambda: py.line(data, _ADDR, stamp))
        if got != want:
            yield "WireLines.line", f"cython={got!r} python={want!r}"

    return check


def _scoped_part(data: bytes):
    """The bytes from the first 0x30 after the USM parameters of a v3-looking message."""
    at = data.find(b"\x30", 20)
    return data[at:] if at > 0 else None


def run(count: int = 20000, seconds: float = 600.0, seed: int | None = None, impl: str = "cython",
        compare_every: int = 10, out=sys.stdout) -> dict:
    """Fuzz ``count`` datagrams (or until ``seconds`` pass); return the statistics."""
    if impl == "cython":
        from snmptrapmgr.codec import _ber_c as target
        from snmptrapmgr.codec import _community_c as target_notify
    else:
        target, target_notify = _ber_py, _community_py
    events = target_notify.CommunityDecoder()
    events_py = _community_py.CommunityDecoder()
    if seed is None:
        seed = random.SystemRandom().randrange(1 << 32)
    rng = random.Random(seed)
    seeds = [typical_v2c_trap()] + [random_message(rng) for _ in range(300)]
    stats = {"impl": impl, "seed": seed, "datagrams": 0, "results": 0, "errors": Counter(),
             "scoped": 0, "events": 0, "compared": 0, "lines": 0, "mismatches": 0, "unexpected": 0,
             "crashes": 0, "wire_lines": 0}
    after_event = _event_twins() if impl == "cython" else None
    wire = _wire_twins() if impl == "cython" else None
    failures = []
    deadline = time.monotonic() + seconds
    decode = target.decode_message
    decode_scoped = target.decode_scoped_pdu
    for i in range(count):
        if i % 2048 == 0:
            if time.monotonic() > deadline:
                break
            if i:
                seeds[rng.randrange(1, len(seeds))] = random_message(rng)
        data = mutate(rng, rng.choice(seeds), seeds)
        kind = rng.randrange(20)
        if kind == 0:
            data = bytearray(data)
        elif kind == 1:
            data = memoryview(data)
        stats["datagrams"] += 1
        if wire is not None:
            for sample in (bytes(data), random_notification(rng)) if i % 4 == 0 else (bytes(data),):
                for where, what in wire(sample, i, stats):
                    stats["mismatches"] += 1
                    failures.append((where, sample, what))
        try:
            got = _outcome(decode, data)
        except Exception as exc:  # noqa: BLE001 - the point of the exercise
            stats["unexpected"] += 1
            failures.append(("decode_message", bytes(data), repr(exc)))
            continue
        if got[0] == "ok":
            stats["results"] += 1
        else:
            stats["errors"][got[1]] += 1
        if i % compare_every == 0:
            stats["compared"] += 1
            try:
                want = _outcome(_ber_py.decode_message, data)
            except Exception as exc:  # noqa: BLE001
                want = ("python raised", repr(exc))
            if got != want:
                stats["mismatches"] += 1
                failures.append(("decode_message", bytes(data), f"{impl}={got!r} python={want!r}"))
        try:
            got = _event_outcome(events, data)
        except Exception as exc:  # noqa: BLE001
            stats["unexpected"] += 1
            failures.append(("CommunityDecoder.decode", bytes(data), repr(exc)))
            continue
        stats["events"] += got[0] == "event"
        if i % compare_every == 0:
            try:
                want = _event_outcome(events_py, data)
            except Exception as exc:  # noqa: BLE001
                want = ("python raised", repr(exc))
            if got != want:
                stats["mismatches"] += 1
                failures.append(("CommunityDecoder.decode", bytes(data), f"{impl}={got!r} python={want!r}"))
            elif got[0] == "event" and after_event is not None:
                stats["lines"] += 1
                for where, what in after_event(events.decode(data, _ADDR), i):
                    stats["mismatches"] += 1
                    failures.append((where, bytes(data), what))
        if kind == 2:
            part = _scoped_part(bytes(data))
            if part is not None:
                stats["scoped"] += 1
                try:
                    got = _outcome(decode_scoped, part)
                    want = _outcome(_ber_py.decode_scoped_pdu, part)
                except Exception as exc:  # noqa: BLE001
                    stats["unexpected"] += 1
                    failures.append(("decode_scoped_pdu", part, repr(exc)))
                    continue
                if got != want:
                    stats["mismatches"] += 1
                    failures.append(("decode_scoped_pdu", part, f"{impl}={got!r} python={want!r}"))
    stats["failures"] = failures[:20]
    return stats


def report(stats: dict, elapsed: float, out=sys.stdout) -> None:
    errors = ", ".join(f"{code}: {n}" for code, n in sorted(stats["errors"].items()))
    print(f"impl={stats['impl']} seed={stats['seed']} elapsed={elapsed:.1f}s", file=out)
    print(f"datagrams={stats['datagrams']} results={stats['results']} "
          f"errors={sum(stats['errors'].values())} ({errors})", file=out)
    print(f"scoped_pdus={stats['scoped']} events={stats['events']} compared_with_python={stats['compared']} "
          f"lines_and_readers_compared={stats['lines']} wire_lines_compared={stats['wire_lines']} "
          f"mismatches={stats['mismatches']} unexpected_exceptions={stats['unexpected']} "
          f"crashes={stats['crashes']}", file=out)
    for where, data, what in stats["failures"]:
        print(f"FAIL {where} {data.hex()} -> {what}", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200000)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--impl", choices=("cython", "python"), default="cython")
    parser.add_argument("--compare-every", type=int, default=10,
                        help="decode every Nth datagram with the Python twin too")
    args = parser.parse_args(argv)
    faulthandler.enable()
    started = time.monotonic()
    stats = run(args.count, args.seconds, args.seed, args.impl, args.compare_every)
    report(stats, time.monotonic() - started)
    return 1 if stats["mismatches"] or stats["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
