"""The varbind list a handler reads and its three readers; the twin of
``src/facade/_readers_c.pyx``.

``ObjectView.items`` is the facade's current object list (the event's own until
someone writes to it).  The facade binds ``get_obj_id``, ``get_obj_type`` and
``get_obj_value`` of its view to itself once, when it is built, so that a
handler's ``mgr.get_obj_id(i)`` is one call straight to the view: a handler
reading a six-varbind trap makes nineteen such calls, and with the compiled view
each costs about what a list lookup does.  Each reader does its own bounds check
(a negative index is refused, a too-large one is IndexError).
"""

from __future__ import annotations

from typing import Any

from .errors import ERR_BAD_OBJECT_INDEX, SNMPTrapMgrError
from .events import object_value_bytes

__all__ = ["ObjectView", "bad_index"]


def bad_index(index: object) -> SNMPTrapMgrError:
    return SNMPTrapMgrError(ERR_BAD_OBJECT_INDEX, f"bad object index {index}")


class ObjectView:
    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: Any = []

    def get_obj_id(self, obj_index: int) -> str:
        if obj_index < 0:
            raise bad_index(obj_index)
        try:
            return self.items[obj_index][0]
        except IndexError:
            raise bad_index(obj_index) from None

    def get_obj_type(self, obj_index: int) -> int:
        if obj_index < 0:
            raise bad_index(obj_index)
        try:
            return self.items[obj_index][1]
        except IndexError:
            raise bad_index(obj_index) from None

    def get_obj_value(self, obj_index: int) -> bytes:
        if obj_index < 0:
            raise bad_index(obj_index)
        try:
            value = self.items[obj_index][2]
        except IndexError:
            raise bad_index(obj_index) from None
        cls = value.__class__
        if cls is bytes:
            return value
        if cls is int:  # object_value_bytes' most common case, without its call
            return b"%d" % value
        return object_value_bytes(value)
