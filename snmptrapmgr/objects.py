"""The reference's object arrays: ``obj_count``, ``get_obj_id(i)`` and friends.

During ``on_trap`` / ``on_inform_request`` they describe the received
varbinds; the list is the event's own until someone writes to it, when it
is copied (so reading costs nothing per trap).  Kept apart from the facade
because it is a self-contained part of the reference's surface.
"""

from __future__ import annotations

from typing import Any

from .errors import ERR_BAD_OBJECT_INDEX, ERR_INVALID_ARGUMENT, ERR_NO_SUCH_OID, SNMPTrapMgrError
from .events import TYPE_NAMES, object_value_bytes
from . import readers

__all__ = ["ObjectArrays"]


_READERS = ("get_obj_id", "get_obj_type", "get_obj_value")


class ObjectArrays:
    """Mixin of the facade: the current object list and its accessors."""

    _view: readers.ObjectView
    _objects_owned: bool

    def _init_objects(self) -> None:
        """A new object view, of the twin active now, with its readers bound to this object."""
        self._view = view = readers.ObjectView()
        self._objects_owned = True
        cls = type(self)
        for name in _READERS:
            if getattr(cls, name) is getattr(ObjectArrays, name):  # not overridden
                setattr(self, name, getattr(view, name))

    def _show_objects(self, varbinds: list) -> None:
        """Make ``varbinds`` (the event's own list) the current objects, copy-on-write."""
        self._view.items = varbinds
        self._objects_owned = False

    def _codec(self) -> str:
        raise NotImplementedError  # the facade: the CodePage codec

    def get_obj_count(self) -> int:
        return len(self._view.items)

    def set_obj_count(self, value: int) -> None:
        if value < 0:
            raise SNMPTrapMgrError(ERR_BAD_OBJECT_INDEX, f"bad object count {value}")
        self._own_objects()
        del self._objects[value:]
        self._objects.extend(("", 5, None) for _ in range(value - len(self._objects)))

    obj_count = property(get_obj_count, set_obj_count)

    # The three readers a handler calls for every varbind are the object view's (the
    # readers twins), bound to each object when it is built (_init_objects), so a call
    # goes straight to the view.  These methods are what a subclass overrides (then its
    # own method is kept) or reaches with super().

    def get_obj_id(self, obj_index: int) -> str:
        return self._view.get_obj_id(obj_index)

    def get_obj_type(self, obj_index: int) -> int:
        return self._view.get_obj_type(obj_index)

    def get_obj_value(self, obj_index: int) -> bytes:
        return self._view.get_obj_value(obj_index)

    @property
    def _objects(self) -> list:
        return self._view.items

    @_objects.setter
    def _objects(self, value: list) -> None:
        self._view.items = value

    def _object(self, index: int) -> tuple:
        if not 0 <= index < len(self._objects):
            raise readers.bad_index(index)
        return self._objects[index]

    def _own_objects(self) -> None:
        if not self._objects_owned:
            self._objects = list(self._objects)
            self._objects_owned = True

    def _set_object(self, index: int, position: int, value: Any) -> None:
        entry = list(self._object(index))
        entry[position] = value
        self._own_objects()
        self._objects[index] = tuple(entry)

    def set_obj_id(self, obj_index: int, value: str) -> None:
        self._set_object(obj_index, 0, value)

    def set_obj_type(self, obj_index: int, value: int) -> None:
        if value not in TYPE_NAMES:
            raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT, f"unknown object type {value}")
        self._set_object(obj_index, 1, value)

    def get_obj_type_string(self, obj_index: int) -> str:
        return TYPE_NAMES.get(self._object(obj_index)[1], "")

    def set_obj_value(self, obj_index: int, value: bytes) -> None:
        self._set_object(obj_index, 2, bytes(value))

    def value(self, oid: str) -> str:
        """The value of ``oid`` among the current objects, decoded with CodePage."""
        wanted = oid[1:] if oid.startswith(".") else oid
        for entry in self._objects:
            if entry[0] == wanted:
                return object_value_bytes(entry[2]).decode(self._codec(), "replace")
        raise SNMPTrapMgrError(ERR_NO_SUCH_OID, f"no such OID: {oid}")
