"""A long-running collector keeps flat memory under a flood of spoofed engine IDs.

Through the public API only: an any-engine user (engine ID b""), MaxEngines
set small, then thousands of v3 traps over loopback, each from a different
(spoofed) authoritative engine ID -- half correctly signed (an attacker who
knows the pass phrase), half with a wrong MAC.  The cache (show_cache) stays
within the cap and traced memory stops growing once the caps are reached.
"""

from __future__ import annotations

import gc
import socket
import tracemalloc

from snmptrapmgr import SNMPTrapMgr
from snmptrapmgr.security import keys
from snmptrapmgr.codec.encode import PDU_TRAP, encode_pdu, encode_scoped_pdu, encode_v3_message
from snmptrapmgr.security.crypto import AuthKey

CAP = 64
#: the auth cache's key caches (any-engine localizations, localized keys) hold up to
#: AuthCache.max_keys = 10000 entries whatever MaxEngines says: warm up past that
WARM_UP = 21_000
PASSWORD = "flood-auth-pass"


def _traps(ku: bytes, first: int, count: int) -> list:
    out = []
    varbinds = [("1.3.6.1.2.1.1.3.0", 0x43, 1), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.6.3.1.1.5.1")]
    for i in range(first, first + count):
        engine_id = b"\x80\x00\x1f\x88\x04" + b"spoof%08d" % i
        akey = AuthKey(keys.localize_key(ku, engine_id, "sha1"), 2)
        scoped = encode_scoped_pdu(engine_id, b"", encode_pdu(PDU_TRAP, i, 0, 0, varbinds))
        message, offset = encode_v3_message(i, 65507, 1, engine_id, 1, 100, b"flood", bytes(12), b"", scoped)
        mac = akey.sign(message) if i % 2 == 0 else b"\x00" * 12
        out.append(message[:offset] + mac + message[offset + 12:])
    return out


def _flood(mgr: SNMPTrapMgr, datagrams: list) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for start in range(0, len(datagrams), 200):
            for data in datagrams[start:start + 200]:
                tx.sendto(data, ("127.0.0.1", mgr.local_port))
            while mgr.process_waiting():
                pass


def _cache_size(mgr: SNMPTrapMgr) -> int:
    entries = []
    mgr.on_cache_entry = entries.append
    mgr.show_cache()
    return len(entries)


def test_spoofed_engine_flood_keeps_cache_and_memory_bounded(impl):
    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    mgr.config("InBufferSize=16777216")
    mgr.config(f"MaxEngines={CAP}")
    mgr.add_user("flood", b"", 2, PASSWORD, 0, "")
    counts = {"trap": 0, "bad": 0}

    def on_trap(event):
        counts["trap"] += 1

    def on_bad(event):
        counts["bad"] += 1

    mgr.on_trap = on_trap
    mgr.on_bad_packet = on_bad
    ku = keys.password_to_key(PASSWORD.encode(), "sha1")
    with mgr:
        first = _traps(ku, 100_000, 2000)
        second = _traps(ku, 200_000, 4000)
        # traced from the start, so entries evicted later are subtracted again
        tracemalloc.start()
        _flood(mgr, _traps(ku, 0, WARM_UP))  # warm up: every cap reached
        _flood(mgr, first)
        gc.collect()
        middle = tracemalloc.get_traced_memory()[0]
        _flood(mgr, second)
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        size = _cache_size(mgr)
    # the any-engine user was usable from every signed spoofed engine ...
    assert counts["trap"] == (WARM_UP + 2000 + 4000) // 2
    assert counts["bad"] == counts["trap"]
    # ... but the cache holds at most MaxEngines learned engines (+ the configured any-engine user)
    assert size <= CAP + 1, size
    # and memory does not grow with the number of spoofed engines (4000 more -> well under 1 MB)
    assert end - middle < 1_000_000, (middle, end)
