"""The SNMPv3 auth cache: methods, entries, key caching (never per packet), bounds."""

from __future__ import annotations

import pytest

from snmptrapmgr.errors import SNMPTrapMgrError
from snmptrapmgr.events import SNMPTrapMgrTrapEventParams
from snmptrapmgr.receiver import Hooks, Receiver

from v3_support import build_v3, keys_for

RFC_ENGINE = bytes.fromhex("000000000000000000000002")
NOW = 1_700_000_000.0
ADDR = ("192.0.2.1", 162)


def test_rfc3414_a3_localized_vectors(impl):
    cache = Receiver(Hooks()).cache
    assert cache.localized(1, RFC_ENGINE, "maplesyrup").hex() == "526f5eed9fcce26f8964c2930787d82b"
    assert cache.localized(2, RFC_ENGINE, "maplesyrup").hex() == \
        "6695febc9288e36282235fc7151f128497b38f3f"
    # Ku is cached: asking again does not hash the 1 MiB stream again
    before = cache.derivations
    cache.localized(1, b"\x80\x00\x00\x00\x01other", "maplesyrup")
    assert cache.derivations == before


def test_add_remove_show(impl):
    cache = Receiver(Hooks()).cache
    cache.add_engine(b"E1", 3, 1000)
    cache.add_engine(b"E2", 1, 5)
    cache.add_user("alice", b"E1", 2, "authpass1", 2, "privpass1")
    cache.add_user("bob", b"E1", 1, "authpass2", 0, "")
    cache.add_user("carol", b"", 4, "authpass3", 5, "privpass3")
    rows = [(e.engine_id, e.engine_boots, e.user, e.authentication_protocol,
             e.authentication_password, e.encryption_algorithm, e.encryption_password)
            for e in cache.entries(now=cache.engines[b"E1"].local_at)]
    assert rows == [
        (b"E1", 3, "alice", "2", "authpass1", "2", "privpass1"),
        (b"E1", 3, "bob", "1", "authpass2", "", ""),
        (b"E2", 1, "", "", "", "", ""),  # an engine without users: one entry, empty user fields
        (b"", 0, "carol", "4", "authpass3", "5", "privpass3"),
    ]
    assert [e.user for e in cache.entries(user="bob")] == ["bob"]  # ShowCacheForUser
    assert cache.user_level(b"alice", b"E1") == 2
    assert cache.user_level(b"bob", b"E1") == 1
    assert cache.user_level(b"carol", b"anything") == 2
    assert cache.user_level(b"alice", b"E2") == -1
    cache.remove_user("bob", b"E1")
    assert cache.user_level(b"bob", b"E1") == -1
    cache.remove_engine(b"E1")
    assert cache.user_level(b"alice", b"E1") == -1
    assert [e.engine_id for e in cache.entries()] == [b"E2", b""]
    cache.clear_cache()
    assert list(cache.entries()) == []


def test_add_user_validation(impl):
    cache = Receiver(Hooks()).cache
    with pytest.raises(SNMPTrapMgrError):
        cache.add_user("x", b"", 9, "pw123456", 0, "")
    with pytest.raises(SNMPTrapMgrError):
        cache.add_user("x", b"", 2, "pw123456", 9, "pw123456")
    with pytest.raises(SNMPTrapMgrError):
        cache.add_user("x", b"", 0, "", 2, "pw123456")
    with pytest.raises(SNMPTrapMgrError):
        cache.add_user("x", b"", 2, "", 0, "")
    with pytest.raises(SNMPTrapMgrError):
        cache.add_engine(b"", 0, 0)


def test_keys_never_derived_per_packet(impl, monkeypatch):
    from snmptrapmgr.security import keys  # usmcrypto and authcache look it up per call

    calls = []
    original = keys.password_to_key
    monkeypatch.setattr(keys, "password_to_key",
                        lambda pw, h: calls.append(h) or original(pw, h))
    r = Receiver(Hooks())
    r.cache.add_user("alice", b"", 2, "authpass1", 4, "privpass1")  # AES-192: Reeder extension
    engines = [b"\x80\x00\x00\x01\x04eng%d" % i for i in range(3)]
    messages = []
    for engine in engines:
        akey, pkey = keys_for(2, "authpass1", 4, "privpass1", engine)
        messages.append([build_v3(engine_id=engine, akey=akey, pkey=pkey, etime=100 + i)
                         for i in range(20)])
    calls.clear()  # building the messages derived keys too
    for engine_msgs in messages:
        assert isinstance(r.receive_datagram(engine_msgs[0], ADDR, NOW)[0], SNMPTrapMgrTrapEventParams)
    # two passwords once, plus one Reeder extension step per engine
    assert r.cache.derivations == 2
    assert len(calls) == 2 + len(engines)
    for engine_msgs in messages:
        for msg in engine_msgs[1:]:
            assert isinstance(r.receive_datagram(msg, ADDR, NOW)[0], SNMPTrapMgrTrapEventParams)
    assert len(calls) == 2 + len(engines)


def test_password_hook_keys_are_cached_too(impl):
    r = Receiver(Hooks(get_user_password=lambda ev: setattr(
        ev, "password", "authpass1" if ev.password_type == 1 else "privpass1") or setattr(
        ev, "algorithm", 2)))
    akey, pkey = keys_for(2, "authpass1", 2, "privpass1", b"\x80\x00\x00\x01\x04E")
    for i in range(10):
        msg = build_v3(engine_id=b"\x80\x00\x00\x01\x04E", akey=akey, pkey=pkey, etime=100 + i)
        assert isinstance(r.receive_datagram(msg, ADDR, NOW)[0], SNMPTrapMgrTrapEventParams)
    assert r.cache.derivations == 2


def test_spoofed_engines_are_bounded(impl):
    r = Receiver(Hooks())
    r.cache.max_keys = 8
    r.cache.max_engines = 4
    r.cache.add_user("alice", b"", 2, "authpass1", 0, "")
    for i in range(40):
        engine = b"\x80\x00\x00\x01\x04spoof%d" % i
        akey, _ = keys_for(2, "authpass1", 0, "", engine)
        good = build_v3(engine_id=engine, akey=akey)
        assert isinstance(r.receive_datagram(good, ADDR, NOW)[0], SNMPTrapMgrTrapEventParams)
        spoof = build_v3(engine_id=engine + b"x", akey=akey)  # wrong MAC for that engine
        r.receive_datagram(spoof, ADDR, NOW)
    cache = r.cache
    assert len(cache.learned_engines) <= 4
    sizes = cache.sizes()
    assert sizes["any_engine_keys"] <= 8 and sizes["auth_keys"] <= 8
    assert cache.derivations == 1


def test_hash_passwords_and_on_hash_password(impl):
    seen = []
    r = Receiver(Hooks(hash_password=lambda ev: seen.append((ev.password, ev.auth_algorithm,
                                                             ev.hash))))
    r.cache.add_user("alice", b"E1", 1, "maplesyrup", 2, "privpass1")
    r.cache.hash_passwords()
    assert ("maplesyrup", 1, "") in seen
    assert ("maplesyrup", 1, "9faf3283884e92834ebc9847d8edd963") in seen  # RFC 3414 A.3.1 Ku
    assert ("privpass1", 1, "") in seen
    assert r.cache.derivations == 2
    # a hash supplied by the application replaces the computation
    supplied = []

    def supply(ev):
        supplied.append(ev.hash)
        if not ev.hash:
            ev.hash = "9faf3283884e92834ebc9847d8edd963"

    r2 = Receiver(Hooks(hash_password=supply))
    r2.cache.add_user("bob", b"", 1, "maplesyrup", 0, "")
    assert r2.cache.localized(1, RFC_ENGINE, "maplesyrup").hex() == \
        "526f5eed9fcce26f8964c2930787d82b"
    assert supplied == [""] and r2.cache.derivations == 0
