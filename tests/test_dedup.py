"""InformDedup: a retransmitted inform is recognised within the window, and only then."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.collector.dedup import InformDedup, inform_key
from snmptrapmgr.events import SNMPTrapMgrInformRequestEventParams

VARBINDS = [("1.3.6.1.2.1.1.3.0", 0x43, 1234), ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.6.3.1.1.5.3"),
            ("1.3.6.1.2.1.2.2.1.1.3", 0x02, 3)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def inform(request_id: int = 7, varbinds: list = VARBINDS, port: int = 5000, community: bytes = b"public",
           version: int = 2, engine: bytes = b"", user: str = "") -> SNMPTrapMgrInformRequestEventParams:
    return SNMPTrapMgrInformRequestEventParams(
        version, request_id, community.decode(), user, 0, "1.3.6.1.6.3.1.1.5.3", 1234, "127.0.0.1", port,
        list(varbinds), community, context_engine_id=engine)


def test_same_inform_three_times_is_taken_once() -> None:
    clock = Clock()
    dedup = InformDedup(clock=clock)
    assert dedup.check(inform()) is False
    clock.now += 1
    assert dedup.check(inform()) is True
    clock.now += 5
    assert dedup.check(inform()) is True
    assert dedup.duplicates == 2
    assert len(dedup) == 1


def test_window_expiry_default_30s() -> None:
    clock = Clock()
    dedup = InformDedup(clock=clock)
    assert dedup.window == 30.0
    dedup.check(inform())
    clock.now += 30.5
    assert dedup.check(inform()) is False  # outside the window: a new notification
    assert dedup.duplicates == 0


def test_any_difference_makes_a_new_inform() -> None:
    dedup = InformDedup(clock=Clock())
    assert not dedup.check(inform())
    assert not dedup.check(inform(request_id=8))
    assert not dedup.check(inform(port=5001))
    assert not dedup.check(inform(community=b"private"))
    assert not dedup.check(inform(varbinds=VARBINDS[:2]))
    assert not dedup.check(inform(varbinds=VARBINDS[:2] + [("1.3.6.1.2.1.2.2.1.1.3", 0x02, 4)]))
    assert not dedup.check(inform(version=3, engine=b"\x80\x00\x01", user="alice"))
    assert not dedup.check(inform(version=3, engine=b"\x80\x00\x02", user="alice"))
    assert not dedup.check(inform(version=3, engine=b"\x80\x00\x02", user="bob"))
    assert dedup.check(inform(version=3, engine=b"\x80\x00\x02", user="bob"))
    assert dedup.duplicates == 1


def test_forget_lets_the_retransmission_be_stored() -> None:
    dedup = InformDedup(clock=Clock())
    dedup.check(inform())
    dedup.forget(inform())
    assert dedup.check(inform()) is False


def test_memory_is_bounded_oldest_forgotten_first() -> None:
    clock = Clock()
    dedup = InformDedup(clock=clock, max_entries=100)
    for rid in range(1000):
        assert dedup.check(inform(request_id=rid)) is False
    assert len(dedup) == 100
    assert dedup.evicted == 900
    assert dedup.check(inform(request_id=999)) is True
    assert dedup.check(inform(request_id=0)) is False


def test_old_entries_leave_as_time_passes() -> None:
    clock = Clock()
    dedup = InformDedup(window=10, clock=clock)
    for rid in range(50):
        dedup.check(inform(request_id=rid))
    clock.now += 11
    dedup.check(inform(request_id=1000))
    assert len(dedup) == 1


def test_bad_parameters_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        InformDedup(window=-1)
    with pytest.raises(ValueError):
        InformDedup(max_entries=0)


values = st.one_of(st.integers(0, 2**32 - 1), st.binary(max_size=20), st.text(max_size=10))
varbind_lists = st.lists(st.tuples(st.sampled_from(["1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.9.9.1"]),
                                   st.sampled_from([0x02, 0x04, 0x43]), values), max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), varbind_lists, st.floats(0, 20)), max_size=40))
def test_matches_a_plain_model(stream: list) -> None:
    """Duplicate iff the same key was taken (not as a duplicate) at most `window` seconds before."""
    clock = Clock()
    dedup = InformDedup(window=10, clock=clock)
    taken: dict = {}
    for request_id, varbinds, step in stream:
        clock.now += step
        event = inform(request_id=request_id, varbinds=varbinds)
        key = inform_key(event)
        expected = key in taken and clock.now - taken[key] <= 10
        assert dedup.check(event) is expected
        if not expected:
            taken[key] = clock.now
