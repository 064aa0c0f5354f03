# cython: language_level=3, boundscheck=False, wraparound=False
# cython: annotation_typing=False, binding=True
"""USM password-to-key and key localization (RFC 3414 A.2), compiled twin.

Same API, results and errors as ``snmptrapmgr.security._keys_py``.  Instead of a fresh
1 MiB buffer (whose page faults cost ~5-10% of a SHA-1 over it), a ~64 KiB chunk
of whole password repetitions is filled by doubling memcpy and fed to one
hashlib object 16 times: the same stream, at the one-call hashlib floor.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcpy

from snmptrapmgr.errors import ERR_KEY_LENGTH, ERR_SECURITY_MODEL, SNMPTrapMgrError
from snmptrapmgr.security.hashes import HASHES

__all__ = ["password_to_key", "localize_key"]

cdef enum:
    _STREAM_LENGTH = 1048576
    _CHUNK = 65536

cdef dict _HASHES = HASHES  # the one table (security.hashes), read at C speed


cdef object _hash(object hash_name):
    try:
        return _HASHES[hash_name]
    except (KeyError, TypeError):
        raise SNMPTrapMgrError(
            ERR_SECURITY_MODEL, f"unsupported hash for USM keys: {hash_name!r}"
        ) from None


def password_to_key(password: bytes, hash_name: str) -> bytes:
    """Return Ku = H(password repeated to 1 MiB), the engine-independent master key."""
    new = _hash(hash_name)
    cdef bytes pw = bytes(memoryview(password))  # any bytes-like; TypeError for str/int
    cdef Py_ssize_t n = len(pw)
    if n == 0:
        raise SNMPTrapMgrError(ERR_KEY_LENGTH, "empty password")
    # The stream is periodic with period n, so a chunk holding a whole number of
    # passwords, fed repeatedly, continues it exactly.  A ~64 KiB chunk stays in
    # cache and needs no fresh 1 MiB allocation (page faults cost more than the
    # 16 extra update calls); it is local, so concurrent calls cannot clash.
    cdef Py_ssize_t chunk_len = n * (_CHUNK // n) if n < _CHUNK else n
    if chunk_len > _STREAM_LENGTH:
        chunk_len = _STREAM_LENGTH
    cdef bytes chunk = PyBytes_FromStringAndSize(NULL, chunk_len)
    cdef char *buf = PyBytes_AS_STRING(chunk)
    cdef Py_ssize_t filled = n if n < chunk_len else chunk_len
    cdef Py_ssize_t step
    memcpy(buf, PyBytes_AS_STRING(pw), filled)
    while filled < chunk_len:
        step = filled if filled < chunk_len - filled else chunk_len - filled
        memcpy(buf + filled, buf, step)
        filled += step
    h = new()
    update = h.update
    cdef Py_ssize_t remaining = _STREAM_LENGTH
    view = memoryview(chunk)
    while remaining >= chunk_len:
        update(view)
        remaining -= chunk_len
    if remaining:
        update(view[:remaining])
    return h.digest()


def localize_key(key: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Return Kul = H(Ku || engineID || Ku): the key bound to one authoritative engine."""
    new = _hash(hash_name)
    cdef bytes k = bytes(memoryview(key))
    return new(k + bytes(memoryview(engine_id)) + k).digest()
