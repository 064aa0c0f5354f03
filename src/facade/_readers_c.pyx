# cython: language_level=3, binding=False, boundscheck=True, wraparound=True
"""The varbind list a handler reads and its three readers, compiled twin of
``snmptrapmgr/_readers_py.py`` (see there): the same results and errors for any
index a caller passes.  An int index into a list of 3-tuples (the decoders' shape)
is read in C; anything else takes the Python twin's steps, bounds and negative indices
checked as Python does (this module turns the package's boundscheck=False off).
``binding=False``: bound to the facade, each reader is a built-in method, the cheapest
call Python makes.
"""

from snmptrapmgr._readers_py import bad_index
from snmptrapmgr.events import object_value_bytes

__all__ = ["ObjectView", "bad_index"]


cdef class ObjectView:
    cdef public object items

    def __init__(self):
        self.items = []

    cdef object _field(self, object obj_index, Py_ssize_t field):
        cdef Py_ssize_t i
        items = self.items
        if type(obj_index) is int and type(items) is list:
            if obj_index < 0:
                raise bad_index(obj_index)
            if obj_index < len(<list>items):
                i = obj_index
                entry = (<list>items)[i]
                if type(entry) is tuple and len(<tuple>entry) == 3:
                    return (<tuple>entry)[field]
        elif obj_index < 0:
            raise bad_index(obj_index)
        try:
            return items[obj_index][field]
        except IndexError:
            raise bad_index(obj_index) from None

    def get_obj_id(self, obj_index):
        return self._field(obj_index, 0)

    def get_obj_type(self, obj_index):
        return self._field(obj_index, 1)

    def get_obj_value(self, obj_index):
        value = self._field(obj_index, 2)
        cls = type(value)
        if cls is bytes:
            return value
        if cls is int:
            return b"%d" % value
        return object_value_bytes(value)
