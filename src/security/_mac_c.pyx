# cython: language_level=3, boundscheck=False, wraparound=False
# cython: annotation_typing=False, binding=True
"""HMAC key objects for USM authentication, compiled twin.

Same API, results and errors as ``snmptrapmgr.security._mac_py``.  No hash code
of our own: the libcrypto that Python's ``_hashlib`` is linked against (found in
this process's memory map once hashlib is imported, then dlopen'ed through ctypes,
which returns the copy already loaded) provides ``<HASH>_Init / _Update / _Final``
on plain, pointer-free state structs.  The two HMAC pad states are made once per
key; a message then costs two struct copies and the hashing, with no allocation.

If libcrypto or a symbol cannot be found, ``NATIVE`` is False and ``MacKey`` is the
Python twin's class: correctness over speed.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uintptr_t
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memcpy, memset

from snmptrapmgr.security import _mac_py as _twin

__all__ = ["MacKey", "NATIVE"]

ctypedef int (*init_fn)(void *ctx) noexcept nogil
ctypedef int (*update_fn)(void *ctx, const void *data, size_t length) noexcept nogil
ctypedef int (*final_fn)(unsigned char *md, void *ctx) noexcept nogil

# Room for a state struct, with margin: OpenSSL's MD5_CTX, SHA_CTX and SHA256_CTX
# are 92, 96 and 112 octets, SHA512_CTX (SHA-384/512) 216.  A key keeps two
# states of its hash's size (the cache holds up to 10,000 keys per kind);
# they are only ever copied whole between our own buffers.
cdef enum:
    STATE_SMALL = 128
    STATE_MAX = 256
    BLOCK_MAX = 128
    DIGEST_MAX = 64

cdef struct Hash:
    init_fn init
    update_fn update
    final_fn final
    size_t block
    size_t digest
    size_t state

# hash_name -> (OpenSSL symbol prefix, block size, digest size)
_SPECS = {
    "md5": ("MD5", 64, 16),
    "sha1": ("SHA1", 64, 20),
    "sha224": ("SHA224", 64, 28),
    "sha256": ("SHA256", 64, 32),
    "sha384": ("SHA384", 128, 48),
    "sha512": ("SHA512", 128, 64),
}
_NAMES = tuple(_SPECS)
cdef Hash _HASHES[6]


def _libcrypto():
    """ctypes handle of the libcrypto hashlib uses (the one mapped into this process)."""
    import ctypes
    import _hashlib  # noqa: F401 - maps libcrypto into the process

    paths = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rpartition(" ")[2].strip()
                if "/libcrypto.so" in path and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    for path in paths + ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"]:
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    raise OSError("libcrypto not found")


cdef bint _load() except -1:
    import ctypes

    try:
        lib = _libcrypto()
        addresses = []
        for name in _NAMES:
            prefix = _SPECS[name][0]
            addresses.append([ctypes.cast(getattr(lib, prefix + suffix), ctypes.c_void_p).value
                              for suffix in ("_Init", "_Update", "_Final")])
    except (OSError, AttributeError):
        return False
    cdef int i
    cdef uintptr_t a
    for i, name in enumerate(_NAMES):
        if not all(addresses[i]):
            return False
        a = addresses[i][0]
        _HASHES[i].init = <init_fn>a
        a = addresses[i][1]
        _HASHES[i].update = <update_fn>a
        a = addresses[i][2]
        _HASHES[i].final = <final_fn>a
        _HASHES[i].block = _SPECS[name][1]
        _HASHES[i].digest = _SPECS[name][2]
        _HASHES[i].state = STATE_SMALL if _SPECS[name][1] == 64 else STATE_MAX
    return True


NATIVE = bool(_load())


cdef bytes _as_bytes(object data):
    return data if type(data) is bytes else bytes(data)


cdef class _NativeMacKey:
    """One localized key's HMAC on libcrypto's digest functions (see the module docstring)."""

    cdef const Hash *hash
    cdef unsigned char *inner   # the two pad states, one allocation of 2 x hash.state
    cdef unsigned char *outer
    cdef readonly Py_ssize_t mac_length

    def __dealloc__(self):
        PyMem_Free(self.inner)

    def __init__(self, hash_name, key, Py_ssize_t mac_length):
        if type(hash_name) is not str or hash_name not in _SPECS:
            raise _twin.unknown_hash(hash_name)
        self.hash = &_HASHES[_NAMES.index(hash_name)]
        cdef bytes k = _as_bytes(key)
        PyMem_Free(self.inner)  # a second __init__ may be for another hash
        self.inner = <unsigned char *>PyMem_Malloc(2 * self.hash.state)
        if self.inner == NULL:
            raise MemoryError()
        self.outer = self.inner + self.hash.state
        cdef unsigned char pad[BLOCK_MAX]
        cdef unsigned char state[STATE_MAX]
        cdef Py_ssize_t n = PyBytes_GET_SIZE(k)
        cdef size_t block = self.hash.block
        cdef size_t i
        memset(pad, 0, BLOCK_MAX)
        if <size_t>n > block:
            self.hash.init(state)
            self.hash.update(state, PyBytes_AS_STRING(k), n)
            self.hash.final(pad, state)
        else:
            memcpy(pad, PyBytes_AS_STRING(k), n)
        for i in range(block):
            pad[i] ^= 0x36
        self.hash.init(self.inner)
        self.hash.update(self.inner, pad, block)
        for i in range(block):
            pad[i] ^= 0x36 ^ 0x5C
        self.hash.init(self.outer)
        self.hash.update(self.outer, pad, block)
        self.mac_length = mac_length

    cdef void _finish(self, unsigned char *state, unsigned char *md) noexcept:
        """The inner state in ``state`` -> the whole HMAC in ``md``."""
        self.hash.final(md, state)
        memcpy(state, self.outer, self.hash.state)
        self.hash.update(state, md, self.hash.digest)
        self.hash.final(md, state)

    def sign(self, message):
        cdef bytes m = _as_bytes(message)
        cdef unsigned char state[STATE_MAX]
        cdef unsigned char md[DIGEST_MAX]
        memcpy(state, self.inner, self.hash.state)
        self.hash.update(state, PyBytes_AS_STRING(m), PyBytes_GET_SIZE(m))
        self._finish(state, md)
        return PyBytes_FromStringAndSize(<char *>md, min(self.mac_length, <Py_ssize_t>self.hash.digest))

    def verify(self, message, Py_ssize_t offset, mac):
        cdef bytes m = _as_bytes(message)
        cdef bytes expected = _as_bytes(mac)
        cdef Py_ssize_t n = self.mac_length
        cdef Py_ssize_t size = PyBytes_GET_SIZE(m)
        if PyBytes_GET_SIZE(expected) != n or offset < 0 or offset + n > size \
                or n > <Py_ssize_t>self.hash.digest:
            return False
        cdef const unsigned char *p = <const unsigned char *>PyBytes_AS_STRING(m)
        cdef const unsigned char *e = <const unsigned char *>PyBytes_AS_STRING(expected)
        cdef unsigned char state[STATE_MAX]
        cdef unsigned char md[DIGEST_MAX]
        cdef unsigned char zeros[DIGEST_MAX]
        cdef unsigned char diff = 0
        cdef Py_ssize_t i
        memset(zeros, 0, DIGEST_MAX)
        memcpy(state, self.inner, self.hash.state)
        self.hash.update(state, p, offset)
        self.hash.update(state, zeros, n)
        self.hash.update(state, p + offset + n, size - offset - n)
        self._finish(state, md)
        for i in range(n):  # every octet compared: the time does not tell where they differ
            diff |= md[i] ^ e[i]
        return diff == 0


MacKey = _NativeMacKey if NATIVE else _twin.MacKey
