"""The common case is the same pipeline: a receiver without USM hooks decides exactly as one
whose hooks are asked at every step and leave every default as it is.

Two receivers get the same random sequence of v3 datagrams (good traps and
informs for several users / protocols / engines, replays, clock jumps, wrong
passwords, flipped bytes, wrong PDUs...); one has no hooks (the branches a
plain receiver takes), the other has on_get_user_security_level and
on_check_engine hooks that change nothing.  After every datagram their events
(every slot, reply contexts included) and their state (usmStats, counters,
engine clocks, learned users, decrypted copy) must be equal.  Counters prove
the common case accepted messages and the hooks were really asked.

The plain receiver takes the usual trap through ``security.fast`` (the
compiled twin or the Python one, by ``impl``) and everything else through
the pipeline, so this is also the proof that the fast path decides exactly
as the pipeline does; a counter proves it really took messages.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snmptrapmgr.codec.encode import PDU_GET, PDU_INFORM, PDU_TRAP
from snmptrapmgr.receiver import Hooks, Receiver
from snmptrapmgr.security.reports import ReplyContext

from v3_support import build_v3, keys_for

ADDR = ("192.0.2.9", 161)
NOW = 1_700_000_000.0
REMOTE = b"\x80\x00\x1f\x88\x04remote"
OTHER = b"\x80\x00\x1f\x88\x04other-engine"
LOCAL = b"\x80\x00\x1f\x88\x04local-engine"

#: user name -> (auth, auth password, priv, priv password, engine the user is configured for)
USERS = {
    b"sha-aes": (2, "sha-aes-auth", 2, "sha-aes-priv", REMOTE),
    b"md5-des": (1, "md5-des-auth", 1, "md5-des-priv", REMOTE),
    b"sha256-3des": (3, "s256-3des-auth", 3, "s256-3des-priv", REMOTE),
    b"sha1-aes256": (2, "sha1-aes256-auth", 5, "sha1-aes256-priv", REMOTE),  # needs extension
    b"sha512-aes192": (4, "s512-aes192-auth", 4, "s512-aes192-priv", REMOTE),
    b"auth-only": (5, "auth-only-pass", 0, "", REMOTE),
    b"anyone": (2, "anyone-auth", 2, "anyone-priv", b""),  # any engine
    b"local-user": (2, "local-user-auth", 2, "local-user-priv", LOCAL),
}


def _keys(user: bytes, engine: bytes, mode: str = "reeder", wrong: str = ""):
    auth, apw, priv, ppw, _ = USERS[user]
    akey, pkey = keys_for(auth, apw + ("x" if wrong == "auth" else ""), priv,
                          ppw + ("x" if wrong == "priv" else ""), engine, mode)
    return akey, pkey


def _datagrams() -> list:
    """A pool of datagrams; a test sends a random sequence of them."""
    pool = []
    for user, (_, _, _, _, configured) in USERS.items():
        engines = [configured] if configured else [REMOTE, OTHER]
        for engine in engines:
            akey, pkey = _keys(user, engine)
            for boots, etime in ((1, 100), (1, 400), (2, 5), (0, 100)):
                pool.append(build_v3(user=user, engine_id=engine, boots=boots, etime=etime,
                                     akey=akey, pkey=pkey))
            pool.append(build_v3(user=user, engine_id=engine, akey=akey, pkey=pkey,
                                 pdu_tag=PDU_INFORM, request_id=11))
            pool.append(build_v3(user=user, engine_id=engine, akey=akey, pkey=pkey,
                                 pdu_tag=PDU_GET, request_id=12))
            pool.append(build_v3(user=user, engine_id=engine, akey=akey, pkey=pkey,
                                 reportable=True, context_name=b"ctx"))
            for wrong in ("auth", "priv"):
                bad_a, bad_p = _keys(user, engine, wrong=wrong)
                if wrong == "priv" and bad_p is None:
                    continue
                pool.append(build_v3(user=user, engine_id=engine, akey=bad_a, pkey=bad_p))
            if pkey is not None:
                pool.append(build_v3(user=user, engine_id=engine, akey=akey, pkey=None))
                pool.append(build_v3(user=user, engine_id=engine, akey=akey, pkey=pkey,
                                     flags=7))
            else:
                pool.append(build_v3(user=user, engine_id=engine, akey=akey, pkey=pkey,
                                     flags=3))
            if user == b"sha1-aes256":
                bakey, bpkey = _keys(user, engine, mode="blumenthal")
                pool.append(build_v3(user=user, engine_id=engine, akey=bakey, pkey=bpkey))
    # informs to us at our own clock (boots 0, time = now)
    for user in (b"local-user", b"anyone", b"sha-aes"):
        akey, pkey = _keys(user, LOCAL)
        for etime in (int(NOW), int(NOW) + 1000):
            pool.append(build_v3(user=user, engine_id=LOCAL, boots=0, etime=etime, akey=akey,
                                 pkey=pkey, pdu_tag=PDU_INFORM, request_id=21))
            pool.append(build_v3(user=user, engine_id=LOCAL, boots=0, etime=etime, akey=akey,
                                 pkey=pkey, pdu_tag=PDU_TRAP))
    # flipped octets of a good trap
    good = pool[0]
    for i in range(0, len(good), 7):
        pool.append(good[:i] + bytes((good[i] ^ 0x01,)) + good[i + 1:])
    pool.append(build_v3(user=b"nobody", engine_id=REMOTE, akey=_keys(b"sha-aes", REMOTE)[0]))
    pool.append(build_v3(user=b"sha-aes", engine_id=b"", akey=None, pkey=None, reportable=True))
    return pool


POOL = _datagrams()


def _receivers(compat: int, log: bool, pin_engine: bool):
    """(plain receiver, receiver with pass-through hooks, hook call counts)."""
    calls = {"level": 0, "engine": 0}

    def level_hook(event):
        calls["level"] += 1

    def engine_hook(event):
        calls["engine"] += 1

    pair = []
    for hooks in (Hooks(), Hooks(get_user_security_level=level_hook, check_engine=engine_hook)):
        r = Receiver(hooks)
        r.local_engine_id = LOCAL
        r.compatibility_mode = compat
        r.decrypt_log_packets = log
        for user, (auth, apw, priv, ppw, engine) in USERS.items():
            r.cache.add_user(user.decode(), engine, auth, apw, priv, ppw)
        if pin_engine:
            r.cache.add_engine(REMOTE, 1, 100, NOW)
        pair.append(r)
    return pair[0], pair[1], calls


def _plain(value):
    if isinstance(value, ReplyContext):
        return {k: _plain(getattr(value, k)) for k in ReplyContext.__slots__}
    if hasattr(value, "protocol") and hasattr(value, "decrypt"):  # PrivKey
        return ("PrivKey", value.protocol)
    if hasattr(value, "protocol") and hasattr(value, "verify"):  # AuthKey
        return ("AuthKey", value.protocol)
    return value


def _event(event) -> tuple:
    slots = []
    for cls in type(event).__mro__:
        slots.extend(getattr(cls, "__slots__", ()))
    return (type(event).__name__,
            {k: _plain(getattr(event, k, None)) for k in slots if k != "_objects"})


def _state(r: Receiver) -> tuple:
    usm, cache = r.usm, r.cache
    engines = [(e.engine_id, e.boots, e.time, e.latest, e.local_at, e.pinned)
               for table in (cache.engines, cache.learned_engines) for e in table.values()]
    return (dict(usm.stats), dict(r.counters), engines, list(cache.learned_users),
            usm.last_decrypted)


def _run(indices, times, compat, log, pin_engine):
    plain_r, hooked_r, calls = _receivers(compat, log, pin_engine)
    for i, dt in zip(indices, times):
        data = POOL[i % len(POOL)]
        now = NOW + dt
        got = [_event(e) for e in plain_r.receive_datagram(data, ADDR, now)]
        want = [_event(e) for e in hooked_r.receive_datagram(data, ADDR, now)]
        assert got == want, i
        assert _state(plain_r) == _state(hooked_r), i
    return plain_r.counters["notifications"], calls


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(indices=st.lists(st.integers(0, 10_000), min_size=1, max_size=40),
       times=st.lists(st.sampled_from([0, 1, 30, 149, 151, 400, 10_000, -200]), min_size=40,
                      max_size=40),
       compat=st.sampled_from([0, 1, 2]), log=st.booleans(), pin_engine=st.booleans())
def test_common_case_equals_pass_through_hooks(impl, indices, times, compat, log, pin_engine):
    _run(indices, times, compat, log, pin_engine)


@pytest.mark.parametrize("log", [True, False])
@pytest.mark.parametrize("compat", [0, 1, 2])
def test_every_datagram_in_order_twice(impl, compat, log, monkeypatch):
    from snmptrapmgr.security import fast

    taken = []
    real = fast.receive_trap

    def counted(*args):
        event = real(*args)
        taken.append(event is not None)
        return event

    monkeypatch.setattr(fast, "receive_trap", counted)
    n = len(POOL)
    served, calls = _run(list(range(n)) * 2, [0] * n + [60] * n, compat, log, False)
    assert served > 10  # the common case really accepted notifications
    assert calls["level"] > 10 and calls["engine"] > 10  # and the hooks were asked
    if log:  # a decrypted copy is kept: the pipeline's work, never the fast path's
        assert not any(taken)
    else:
        assert sum(taken) >= 5, sum(taken)  # the fast path took the usual traps
        assert sum(taken) < served  # and left the rest (new engines, informs...) to the pipeline


def test_hooks_are_asked_for_every_message(impl):
    """Cached user and engine: the hooks are still asked each time (no step skipped)."""
    akey, pkey = _keys(b"sha-aes", REMOTE)
    data = build_v3(user=b"sha-aes", engine_id=REMOTE, akey=akey, pkey=pkey)
    seen = []
    r = Receiver(Hooks(check_engine=lambda event: seen.append(event.accept)))
    r.cache.add_user("sha-aes", REMOTE, *USERS[b"sha-aes"][:4])
    for _ in range(3):
        assert type(r.receive_datagram(data, ADDR, NOW)[0]).__name__ == "SNMPTrapMgrTrapEventParams"
    assert seen == [True, True, True]
