# cython: language_level=3, boundscheck=False, wraparound=False
# cython: annotation_typing=False, binding=True
"""USM block-cipher modes (AES-CFB128, DES-CBC, 3DES-EDE-CBC), compiled twin.

Same API, results and errors as ``snmptrapmgr.security._cipher_py``.  No cipher code
of our own: at import, pycryptodome's own raw C libraries are loaded (dlopen
through ctypes, on the files next to ``Crypto.Cipher``) and their exported
entry points -- the ones pycryptodome's Python layer declares and calls through
cffi -- are called here directly through C function pointers:

* block ciphers ``_raw_aesni`` (when the CPU has AES-NI, as pycryptodome
  decides) or ``_raw_aes``, ``_raw_des``, ``_raw_des3``:
  ``<X>_start_operation(key, key_len, &cipher)`` / ``<X>_stop_operation``;
* ``_raw_ecb``: ``ECB_start_operation(cipher, &state)``,
  ``ECB_encrypt/decrypt(state, in, out, len)``, ``ECB_stop_operation(state)``
  (the ECB state owns the cipher: stopping it frees both).

The CFB128 / CBC chaining is done here.  Decryption -- the per-packet work --
needs the block cipher only on data known up front (AES-CFB: E(IV || C[:-1]);
CBC: D(C)), so one ECB call covers every block (AES-NI pipelines them) and the
chaining is an XOR; encryption (replies) is sequential, one block per call.
The key schedule (an ECB state) is made once per key and kept in a small
bounded cache: ECB states are read-only once made, so sharing them is safe.

If any library or symbol cannot be loaded, ``NATIVE`` is False and every
function runs the pure-Python twin instead: correctness over speed.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint8_t, uintptr_t
from libc.string cimport memcpy

from snmptrapmgr.security import _cipher_py as _twin
from snmptrapmgr.errors import ERR_DECRYPTION_FAILED, SNMPTrapMgrError

__all__ = [
    "aes_cfb_decrypt",
    "aes_cfb_encrypt",
    "des_cbc_decrypt",
    "des_cbc_encrypt",
    "des3_cbc_decrypt",
    "des3_cbc_encrypt",
    "NATIVE",
]

ctypedef int (*cipher_start_fn)(const uint8_t *key, size_t key_len, void **cipher) noexcept nogil
ctypedef int (*stop_fn)(void *state) noexcept nogil
ctypedef int (*ecb_start_fn)(void *cipher, void **state) noexcept nogil
ctypedef int (*crypt_fn)(void *state, const uint8_t *src, uint8_t *dst,
                         size_t length) noexcept nogil

cdef struct BlockCipher:
    cipher_start_fn start
    stop_fn stop
    int ident        # cache key part: 0 AES, 1 DES, 2 3DES
    size_t block

cdef BlockCipher _AES
cdef BlockCipher _DES
cdef BlockCipher _DES3
cdef ecb_start_fn _ecb_start = NULL
cdef crypt_fn _ecb_encrypt = NULL
cdef crypt_fn _ecb_decrypt = NULL
cdef stop_fn _ecb_stop = NULL

cdef enum:
    _STACK = 2048          # octets of on-stack work buffer (typical traps fit)
    _CACHE_LIMIT = 1024    # key schedules kept (one per user and engine in practice)

#: the loaded libraries, kept referenced so they stay mapped
_libraries = []


def _library(name):
    """ctypes handle of pycryptodome's raw library ``name`` (dlopen of its file)."""
    import ctypes
    import importlib.machinery
    import os

    import Crypto.Cipher

    directory = os.path.dirname(Crypto.Cipher.__file__)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(directory, name + suffix)
        if os.path.isfile(path):
            return ctypes.CDLL(path)
    raise OSError(f"pycryptodome library {name} not found in {directory}")


def _address(lib, symbol):
    """The address of an exported symbol (dlsym), as an int."""
    import ctypes

    address = ctypes.cast(getattr(lib, symbol), ctypes.c_void_p).value
    if not address:
        raise OSError(f"{symbol}: no address")
    return address


def _aes_library():
    """(library, prefix): AES-NI when the CPU has it (as pycryptodome decides), else portable."""
    try:
        from Crypto.Util import _cpu_features

        if _cpu_features.have_aes_ni():
            return _library("_raw_aesni"), "AESNI"
    except (ImportError, OSError, AttributeError):
        pass
    return _library("_raw_aes"), "AES"


cdef bint _load() except -1:
    global _AES, _DES, _DES3, _ecb_start, _ecb_encrypt, _ecb_decrypt, _ecb_stop
    try:
        aes_lib, prefix = _aes_library()
        libs = {"aes": aes_lib, "des": _library("_raw_des"), "des3": _library("_raw_des3"),
                "ecb": _library("_raw_ecb")}
        a = {
            "aes_start": _address(aes_lib, prefix + "_start_operation"),
            "aes_stop": _address(aes_lib, prefix + "_stop_operation"),
            "des_start": _address(libs["des"], "DES_start_operation"),
            "des_stop": _address(libs["des"], "DES_stop_operation"),
            "des3_start": _address(libs["des3"], "DES3_start_operation"),
            "des3_stop": _address(libs["des3"], "DES3_stop_operation"),
        }
        for op in ("start_operation", "encrypt", "decrypt", "stop_operation"):
            a[f"ECB_{op}"] = _address(libs["ecb"], f"ECB_{op}")
    except (ImportError, OSError, AttributeError, TypeError, ValueError):
        return False
    _AES.start = <cipher_start_fn><uintptr_t>a["aes_start"]
    _AES.stop = <stop_fn><uintptr_t>a["aes_stop"]
    _AES.ident = 0
    _AES.block = 16
    _DES.start = <cipher_start_fn><uintptr_t>a["des_start"]
    _DES.stop = <stop_fn><uintptr_t>a["des_stop"]
    _DES.ident = 1
    _DES.block = 8
    _DES3.start = <cipher_start_fn><uintptr_t>a["des3_start"]
    _DES3.stop = <stop_fn><uintptr_t>a["des3_stop"]
    _DES3.ident = 2
    _DES3.block = 8
    _ecb_start = <ecb_start_fn><uintptr_t>a["ECB_start_operation"]
    _ecb_encrypt = <crypt_fn><uintptr_t>a["ECB_encrypt"]
    _ecb_decrypt = <crypt_fn><uintptr_t>a["ECB_decrypt"]
    _ecb_stop = <stop_fn><uintptr_t>a["ECB_stop_operation"]
    _libraries.extend(libs.values())
    return True


#: True when pycryptodome's C ciphers are driven directly (else the Python twin runs)
NATIVE = bool(_load())
cdef bint _native = NATIVE


# ------------------------------------------------------------------------ helpers


cdef inline object _fail(str why):
    return SNMPTrapMgrError(ERR_DECRYPTION_FAILED, why)


cdef inline bint _degenerate(const uint8_t *k) noexcept:
    """K1 == K2 or K2 == K3, parity bits (the low bit of each octet) ignored."""
    cdef int i
    cdef bint same12 = True, same23 = True
    for i in range(8):
        if (k[i] ^ k[8 + i]) & 0xFE:
            same12 = False
        if (k[8 + i] ^ k[16 + i]) & 0xFE:
            same23 = False
    return same12 or same23


cdef class _Buffers:
    """The three arguments as simple buffers, released together."""

    cdef Py_buffer key, iv, data
    cdef int held

    def __dealloc__(self):
        if self.held >= 3:
            PyBuffer_Release(&self.data)
        if self.held >= 2:
            PyBuffer_Release(&self.iv)
        if self.held >= 1:
            PyBuffer_Release(&self.key)

    cdef int get(self, key, iv, data) except -1:
        PyObject_GetBuffer(key, &self.key, PyBUF_SIMPLE)
        self.held = 1
        PyObject_GetBuffer(iv, &self.iv, PyBUF_SIMPLE)
        self.held = 2
        PyObject_GetBuffer(data, &self.data, PyBUF_SIMPLE)
        self.held = 3
        return 0


cdef int _check_aes(_Buffers b) except -1:
    if b.key.len != 16 and b.key.len != 24 and b.key.len != 32:
        raise _fail("AES key must be 16, 24 or 32 octets")
    if b.iv.len != 16:
        raise _fail("AES IV must be 16 octets")
    return 0


cdef int _check_des(_Buffers b, Py_ssize_t key_length) except -1:
    if b.key.len != key_length:
        if key_length == 8:
            raise _fail("DES key must be 8 octets")
        raise _fail("3DES key must be 24 octets")
    if b.iv.len != 8:
        raise _fail("DES IV must be 8 octets")
    if b.data.len % 8:
        raise _fail("data is not a multiple of 8 octets")
    if key_length == 24 and _degenerate(<const uint8_t *>b.key.buf):
        raise _fail("Triple DES key degenerates to single DES")
    return 0


cdef class _Schedule:
    """One key's ECB state (key schedule included), freed with the object."""

    cdef void *state

    def __dealloc__(self):
        if self.state != NULL:
            _ecb_stop(self.state)  # frees the block cipher too
            self.state = NULL


#: (cipher ident, key) -> _Schedule
cdef dict _schedules = {}


cdef _Schedule _schedule(const BlockCipher *cipher, _Buffers b, object key):
    cdef bytes raw = key if type(key) is bytes else PyBytes_FromStringAndSize(
        <const char *>b.key.buf, b.key.len)
    cdef tuple cache_key = (cipher.ident, raw)
    cdef _Schedule sched = _schedules.get(cache_key)
    if sched is not None:
        return sched
    cdef void *base = NULL
    cdef void *state = NULL
    cdef int err = cipher.start(<const uint8_t *>b.key.buf, <size_t>b.key.len, &base)
    if err or base == NULL:
        raise _fail(f"cipher setup failed (error {err})")
    err = _ecb_start(base, &state)
    if err or state == NULL:
        cipher.stop(base)  # ECB did not take it over
        raise _fail(f"cipher mode setup failed (error {err})")
    sched = _Schedule.__new__(_Schedule)
    sched.state = state
    if len(_schedules) >= _CACHE_LIMIT:
        _schedules.clear()
    _schedules[cache_key] = sched
    return sched


cdef int _crypt_failed(int err) except -1:
    raise _fail(f"cipher failed (error {err})")


cdef inline void _xor(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n) noexcept nogil:
    cdef size_t i
    for i in range(n):
        dst[i] = a[i] ^ b[i]


cdef bytes _cfb_decrypt(_Buffers b, object key):
    cdef size_t n = <size_t>b.data.len
    if n == 0:
        return b""
    cdef _Schedule sched = _schedule(&_AES, b, key)
    cdef const uint8_t *src = <const uint8_t *>b.data.buf
    cdef size_t span = (n + 15) // 16 * 16
    cdef uint8_t stack[2 * _STACK]
    cdef uint8_t *work = stack
    cdef int err
    cdef bytes out
    if span > _STACK:
        work = <uint8_t *>PyMem_Malloc(2 * span)
        if work == NULL:
            raise MemoryError()
    try:
        # keystream = E(IV || C[0 .. blocks-2]): every input block is known
        memcpy(work, b.iv.buf, 16)
        memcpy(work + 16, src, span - 16)
        err = _ecb_encrypt(sched.state, work, work + span, span)
        if err:
            _crypt_failed(err)
        out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
        _xor(<uint8_t *>PyBytes_AS_STRING(out), work + span, src, n)
        return out
    finally:
        if work != stack:
            PyMem_Free(work)


cdef bytes _cfb_encrypt(_Buffers b, object key):
    cdef size_t n = <size_t>b.data.len
    if n == 0:
        return b""
    cdef _Schedule sched = _schedule(&_AES, b, key)
    cdef const uint8_t *src = <const uint8_t *>b.data.buf
    cdef bytes out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    cdef uint8_t feedback[16]
    cdef uint8_t keystream[16]
    cdef size_t pos = 0, step
    cdef int err
    memcpy(feedback, b.iv.buf, 16)
    while pos < n:
        err = _ecb_encrypt(sched.state, feedback, keystream, 16)
        if err:
            _crypt_failed(err)
        step = n - pos if n - pos < 16 else 16
        _xor(dst + pos, src + pos, keystream, step)
        if step == 16:
            memcpy(feedback, dst + pos, 16)
        pos += step
    return out


cdef bytes _cbc_decrypt(const BlockCipher *cipher, _Buffers b, object key):
    cdef size_t n = <size_t>b.data.len
    if n == 0:
        return b""
    cdef _Schedule sched = _schedule(cipher, b, key)
    cdef const uint8_t *src = <const uint8_t *>b.data.buf
    cdef bytes out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    cdef int err = _ecb_decrypt(sched.state, src, dst, n)
    if err:
        _crypt_failed(err)
    # P[i] = D(C[i]) ^ C[i-1], C[-1] = IV
    _xor(dst, dst, <const uint8_t *>b.iv.buf, 8)
    _xor(dst + 8, dst + 8, src, n - 8)
    return out


cdef bytes _cbc_encrypt(const BlockCipher *cipher, _Buffers b, object key):
    cdef size_t n = <size_t>b.data.len
    if n == 0:
        return b""
    cdef _Schedule sched = _schedule(cipher, b, key)
    cdef const uint8_t *src = <const uint8_t *>b.data.buf
    cdef bytes out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    cdef uint8_t block[8]
    cdef const uint8_t *previous = <const uint8_t *>b.iv.buf
    cdef size_t pos = 0
    cdef int err
    while pos < n:
        _xor(block, src + pos, previous, 8)
        err = _ecb_encrypt(sched.state, block, dst + pos, 8)
        if err:
            _crypt_failed(err)
        previous = dst + pos
        pos += 8
    return out


# ------------------------------------------------------------------------ API


def aes_cfb_decrypt(key, iv, data):
    """AES-CFB128 decryption (RFC 3826): any length, no padding."""
    if not _native:
        return _twin.aes_cfb_decrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_aes(b)
    return _cfb_decrypt(b, key)


def aes_cfb_encrypt(key, iv, data):
    """AES-CFB128 encryption (RFC 3826): any length, no padding."""
    if not _native:
        return _twin.aes_cfb_encrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_aes(b)
    return _cfb_encrypt(b, key)


cdef bytes _des_call(const BlockCipher *cipher, Py_ssize_t key_length, bint encrypt, key, iv, data):
    """The four DES / 3DES entry points: check, then one CBC pass."""
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_des(b, key_length)
    if encrypt:
        return _cbc_encrypt(cipher, b, key)
    return _cbc_decrypt(cipher, b, key)


def des_cbc_decrypt(key, iv, data):
    """DES-CBC decryption (RFC 3414 8.1): 8-octet key, whole blocks."""
    if not _native:
        return _twin.des_cbc_decrypt(key, iv, data)
    return _des_call(&_DES, 8, False, key, iv, data)


def des_cbc_encrypt(key, iv, data):
    """DES-CBC encryption: the caller pads to whole blocks."""
    if not _native:
        return _twin.des_cbc_encrypt(key, iv, data)
    return _des_call(&_DES, 8, True, key, iv, data)


def des3_cbc_decrypt(key, iv, data):
    """3DES-EDE-CBC decryption: 24-octet key (K1 K2 K3, not degenerate), whole blocks."""
    if not _native:
        return _twin.des3_cbc_decrypt(key, iv, data)
    return _des_call(&_DES3, 24, False, key, iv, data)


def des3_cbc_encrypt(key, iv, data):
    """3DES-EDE-CBC encryption: the caller pads to whole blocks."""
    if not _native:
        return _twin.des3_cbc_encrypt(key, iv, data)
    return _des_call(&_DES3, 24, True, key, iv, data)
