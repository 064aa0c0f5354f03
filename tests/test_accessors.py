"""Every get_x / set_x pair the reference documents exists and behaves as its property.

The list comes from the reference itself (``def get_x(...)`` lines), so a
property added there without its pair here fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr import SNMPTrapMgr, SNMPTrapMgrError

# shared/ lies beside the checkout (here and in CI)
SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "SNMPTrapMgr-reference.txt"
TEXT = SPEC.read_text(encoding="utf-8", errors="replace")
# properties: "x = property(get_x, set_x)" or "x = property(get_x)"
PROPERTIES = re.findall(r"^(\w+) = property\(get_(\w+)(?:, set_(\w+))?\)", TEXT, re.M)
INDEXED = sorted(set(re.findall(r"^def get_(obj_\w+)\(obj_index", TEXT, re.M)))
SAMPLES = {"accept_data": False, "local_engine_id": b"\x80\x00\x1f\x88\x04test", "local_host": "127.0.0.1",
           "local_port": 0, "obj_count": 3, "request_id": 4242}


def test_the_reference_lists_properties():
    assert len(PROPERTIES) >= 7, PROPERTIES
    assert {"get_obj_id", "get_obj_value"} <= {f"get_{n}" for n in INDEXED}


@pytest.mark.parametrize("name, getter, setter", PROPERTIES, ids=[p[0] for p in PROPERTIES])
def test_property_pair_exists_and_agrees(impl, name, getter, setter):
    mgr = SNMPTrapMgr()
    assert isinstance(getattr(type(mgr), name), property), name
    get = getattr(mgr, f"get_{getter}")
    assert get() == getattr(mgr, name)
    if not setter:
        assert not hasattr(mgr, f"set_{name}")
        return
    set_ = getattr(mgr, f"set_{setter}")
    if name == "active":  # set_active(True) binds, as the property does
        mgr.set_local_port(0)
        mgr.set_local_host("127.0.0.1")
        set_(True)
        try:
            assert mgr.active and get() is True and mgr.local_port != 0
        finally:
            set_(False)
        assert mgr.active is False
        return
    set_(SAMPLES[name])
    assert get() == getattr(mgr, name) == SAMPLES[name]
    setattr(mgr, name, get())  # the property's setter takes what the getter gives


@pytest.mark.parametrize("name", INDEXED)
def test_indexed_accessors_exist(impl, name):
    mgr = SNMPTrapMgr()
    mgr.set_obj_count(1)
    assert callable(getattr(mgr, f"get_{name}"))
    with pytest.raises(SNMPTrapMgrError) as err:
        getattr(mgr, f"get_{name}")(5)
    assert err.value.code == 301


def test_setters_reject_as_the_property_does(impl):
    mgr = SNMPTrapMgr()
    with pytest.raises(SNMPTrapMgrError) as err:
        mgr.set_local_port(70000)
    assert err.value.code == 10022
    mgr.set_local_host("127.0.0.1")
    mgr.set_local_port(0)
    mgr.set_active(True)
    try:
        with pytest.raises(SNMPTrapMgrError) as err:
            mgr.set_local_port(1)
        assert err.value.code == 106
        with pytest.raises(SNMPTrapMgrError) as err:
            mgr.set_local_host("::1")
        assert err.value.code == 107
    finally:
        mgr.set_active(False)


@pytest.mark.parametrize("getter", ["get_obj_id", "get_obj_type", "get_obj_type_string", "get_obj_value"])
@pytest.mark.parametrize("index", [-1, 2, 10**30])
def test_object_readers_refuse_an_index_outside_the_list(impl, getter, index):
    from snmptrapmgr.errors import ERR_BAD_OBJECT_INDEX

    mgr = SNMPTrapMgr()
    mgr.obj_count = 2
    mgr.set_obj_id(1, "1.3.6.1.2.1.1.5.0")
    mgr.set_obj_value(1, b"router")
    assert (mgr.get_obj_id(1), mgr.get_obj_value(1)) == ("1.3.6.1.2.1.1.5.0", b"router")
    with pytest.raises(SNMPTrapMgrError) as raised:
        getattr(mgr, getter)(index)
    assert raised.value.code == ERR_BAD_OBJECT_INDEX and str(index) in str(raised.value)


# ----------------------------------------------------------- the object view's twins

def _outcome(call):
    try:
        return ("ok", call())
    except Exception as exc:  # noqa: BLE001 - the twins must fail alike
        return ("raised", type(exc).__name__, getattr(exc, "code", None), str(exc))


_ENTRY = st.one_of(
    st.tuples(st.text(max_size=8), st.integers(0, 130),
              st.one_of(st.none(), st.integers(-2**70, 2**70), st.binary(max_size=6), st.text(max_size=6),
                        st.booleans())),
    st.lists(st.integers(), max_size=4),  # not the decoders' shape: the generic path
    st.tuples(st.integers()),
)
_INDEX = st.one_of(st.integers(-3, 8), st.integers(-2**80, 2**80), st.booleans(), st.floats(-2, 5),
                   st.text(max_size=2), st.none())


@settings(max_examples=400, deadline=None)
@given(items=st.one_of(st.lists(_ENTRY, max_size=6), st.lists(_ENTRY, max_size=6).map(tuple)),
       index=_INDEX)
def test_object_view_twins_agree(items, index):
    """The compiled view reads an int index into a list of 3-tuples in C; for every other
    index or shape it must still give exactly what the Python twin gives."""
    from snmptrapmgr import _readers_py

    try:
        from snmptrapmgr import _readers_c
    except ImportError:
        pytest.skip("Cython extensions not built")
    views = []
    for twin in (_readers_py, _readers_c):
        view = twin.ObjectView()
        view.items = items
        views.append(view)
    for name in ("get_obj_id", "get_obj_type", "get_obj_value"):
        py, c = (_outcome(lambda v=v: getattr(v, name)(index)) for v in views)
        assert c == py, name


def test_a_subclass_override_of_a_reader_is_kept(impl):
    class Mine(SNMPTrapMgr):
        def get_obj_value(self, obj_index):
            return b"mine:" + super().get_obj_value(obj_index)

    mgr = Mine()
    mgr.obj_count = 1
    mgr.set_obj_value(0, b"x")
    assert mgr.get_obj_value(0) == b"mine:x"
    assert mgr.get_obj_id(0) == ""  # the others still come from the view


def test_the_readers_are_the_active_twins(impl):
    import snmptrapmgr

    mgr = SNMPTrapMgr()
    module = type(mgr.get_obj_id.__self__).__module__
    assert module == ("snmptrapmgr._readers_c" if snmptrapmgr.implementation == "cython"
                      else "snmptrapmgr._readers_py")
