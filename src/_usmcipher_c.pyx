# cython: language_level=3, boundscheck=False, wraparound=False
# cython: annotation_typing=False, binding=True
"""USM block-cipher modes (AES-CFB128, DES-CBC, 3DES-EDE-CBC), compiled twin.

Same API, results and errors as ``snmptrapmgr._usmcipher_py``.  No cipher code
of our own: at import, pycryptodome's own raw C libraries are loaded (dlopen
through ctypes, on the files next to ``Crypto.Cipher``) and their exported
entry points -- the ones pycryptodome's Python layer declares and calls through
cffi -- are called here directly through C function pointers:

* block ciphers ``_raw_aesni`` (when the CPU has AES-NI, as pycryptodome
  decides) or ``_raw_aes``, ``_raw_des``, ``_raw_des3``:
  ``<X>_start_operation(key, key_len, &cipher)`` / ``<X>_stop_operation``;
* chaining modes ``_raw_cfb`` (``CFB_start_operation(cipher, iv, 16, 16,
  &state)``, ``CFB_encrypt/decrypt``) and ``_raw_cbc`` (``CBC_...``); the mode
  state owns the cipher, so ``<MODE>_stop_operation`` frees both.

A key schedule per call (well under a microsecond) replaces pycryptodome's
Python cipher objects, cffi argument conversion and SmartPointers (~15-20 us).
If any library or symbol cannot be loaded, ``NATIVE`` is False and every
function runs the pure-Python twin instead: correctness over speed.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uintptr_t

from snmptrapmgr import _usmcipher_py as _twin
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
ctypedef int (*cfb_start_fn)(void *cipher, const uint8_t *iv, size_t iv_len, size_t segment_len,
                             void **state) noexcept nogil
ctypedef int (*cbc_start_fn)(void *cipher, const uint8_t *iv, size_t iv_len,
                             void **state) noexcept nogil
ctypedef int (*crypt_fn)(void *state, const uint8_t *src, uint8_t *dst,
                         size_t length) noexcept nogil

cdef struct BlockCipher:
    cipher_start_fn start
    stop_fn stop

cdef BlockCipher _AES
cdef BlockCipher _DES
cdef BlockCipher _DES3
cdef cfb_start_fn _cfb_start = NULL
cdef crypt_fn _cfb_encrypt = NULL
cdef crypt_fn _cfb_decrypt = NULL
cdef stop_fn _cfb_stop = NULL
cdef cbc_start_fn _cbc_start = NULL
cdef crypt_fn _cbc_encrypt = NULL
cdef crypt_fn _cbc_decrypt = NULL
cdef stop_fn _cbc_stop = NULL

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
    global _AES, _DES, _DES3
    global _cfb_start, _cfb_encrypt, _cfb_decrypt, _cfb_stop
    global _cbc_start, _cbc_encrypt, _cbc_decrypt, _cbc_stop
    try:
        aes_lib, prefix = _aes_library()
        libs = {"aes": aes_lib, "des": _library("_raw_des"), "des3": _library("_raw_des3"),
                "cfb": _library("_raw_cfb"), "cbc": _library("_raw_cbc")}
        a = {
            "aes_start": _address(aes_lib, prefix + "_start_operation"),
            "aes_stop": _address(aes_lib, prefix + "_stop_operation"),
            "des_start": _address(libs["des"], "DES_start_operation"),
            "des_stop": _address(libs["des"], "DES_stop_operation"),
            "des3_start": _address(libs["des3"], "DES3_start_operation"),
            "des3_stop": _address(libs["des3"], "DES3_stop_operation"),
        }
        for mode in ("CFB", "CBC"):
            for op in ("start_operation", "encrypt", "decrypt", "stop_operation"):
                a[f"{mode}_{op}"] = _address(libs[mode.lower()], f"{mode}_{op}")
    except (ImportError, OSError, AttributeError, TypeError, ValueError):
        return False
    _AES.start = <cipher_start_fn><uintptr_t>a["aes_start"]
    _AES.stop = <stop_fn><uintptr_t>a["aes_stop"]
    _DES.start = <cipher_start_fn><uintptr_t>a["des_start"]
    _DES.stop = <stop_fn><uintptr_t>a["des_stop"]
    _DES3.start = <cipher_start_fn><uintptr_t>a["des3_start"]
    _DES3.stop = <stop_fn><uintptr_t>a["des3_stop"]
    _cfb_start = <cfb_start_fn><uintptr_t>a["CFB_start_operation"]
    _cfb_encrypt = <crypt_fn><uintptr_t>a["CFB_encrypt"]
    _cfb_decrypt = <crypt_fn><uintptr_t>a["CFB_decrypt"]
    _cfb_stop = <stop_fn><uintptr_t>a["CFB_stop_operation"]
    _cbc_start = <cbc_start_fn><uintptr_t>a["CBC_start_operation"]
    _cbc_encrypt = <crypt_fn><uintptr_t>a["CBC_encrypt"]
    _cbc_decrypt = <crypt_fn><uintptr_t>a["CBC_decrypt"]
    _cbc_stop = <stop_fn><uintptr_t>a["CBC_stop_operation"]
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


cdef bytes _run(const BlockCipher *cipher, _Buffers b, bint cfb, bint encrypt):
    """Key schedule, mode state over it, one pass over the data, both freed."""
    cdef Py_ssize_t n = b.data.len
    if n == 0:
        return b""
    cdef bytes out = PyBytes_FromStringAndSize(NULL, n)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    cdef const uint8_t *src = <const uint8_t *>b.data.buf
    cdef void *base = NULL
    cdef void *state = NULL
    cdef int err = cipher.start(<const uint8_t *>b.key.buf, <size_t>b.key.len, &base)
    if err or base == NULL:
        raise _fail(f"cipher setup failed (error {err})")
    if cfb:
        err = _cfb_start(base, <const uint8_t *>b.iv.buf, <size_t>b.iv.len, 16, &state)
    else:
        err = _cbc_start(base, <const uint8_t *>b.iv.buf, <size_t>b.iv.len, &state)
    if err or state == NULL:
        cipher.stop(base)  # the mode did not take it over
        raise _fail(f"cipher mode setup failed (error {err})")
    if cfb:
        err = (_cfb_encrypt if encrypt else _cfb_decrypt)(state, src, dst, <size_t>n)
        _cfb_stop(state)  # frees the cipher too
    else:
        err = (_cbc_encrypt if encrypt else _cbc_decrypt)(state, src, dst, <size_t>n)
        _cbc_stop(state)
    if err:
        raise _fail(f"cipher failed (error {err})")
    return out


# ------------------------------------------------------------------------ API


def aes_cfb_decrypt(key, iv, data):
    """AES-CFB128 decryption (RFC 3826): any length, no padding."""
    if not _native:
        return _twin.aes_cfb_decrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_aes(b)
    return _run(&_AES, b, True, False)


def aes_cfb_encrypt(key, iv, data):
    """AES-CFB128 encryption (RFC 3826): any length, no padding."""
    if not _native:
        return _twin.aes_cfb_encrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_aes(b)
    return _run(&_AES, b, True, True)


def des_cbc_decrypt(key, iv, data):
    """DES-CBC decryption (RFC 3414 8.1): 8-octet key, whole blocks."""
    if not _native:
        return _twin.des_cbc_decrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_des(b, 8)
    return _run(&_DES, b, False, False)


def des_cbc_encrypt(key, iv, data):
    """DES-CBC encryption: the caller pads to whole blocks."""
    if not _native:
        return _twin.des_cbc_encrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_des(b, 8)
    return _run(&_DES, b, False, True)


def des3_cbc_decrypt(key, iv, data):
    """3DES-EDE-CBC decryption: 24-octet key (K1 K2 K3, not degenerate), whole blocks."""
    if not _native:
        return _twin.des3_cbc_decrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_des(b, 24)
    return _run(&_DES3, b, False, False)


def des3_cbc_encrypt(key, iv, data):
    """3DES-EDE-CBC encryption: the caller pads to whole blocks."""
    if not _native:
        return _twin.des3_cbc_encrypt(key, iv, data)
    cdef _Buffers b = _Buffers()
    b.get(key, iv, data)
    _check_des(b, 24)
    return _run(&_DES3, b, False, True)
