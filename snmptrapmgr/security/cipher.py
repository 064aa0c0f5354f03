"""USM block-cipher modes: the compiled ``_usmcipher_c`` when built, else ``_usmcipher_py``.

``aes_cfb_decrypt`` / ``aes_cfb_encrypt`` (AES-CFB128, RFC 3826),
``des_cbc_decrypt`` / ``des_cbc_encrypt`` (RFC 3414 8.1) and
``des3_cbc_decrypt`` / ``des3_cbc_encrypt`` (3DES-EDE), each
``(key, iv, data) -> bytes``; length errors raise
``SNMPTrapMgrError(ERR_DECRYPTION_FAILED)``.  ``snmptrapmgr._select.use()``
may rebind the names at run time, so callers look them up per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = [
    "aes_cfb_decrypt",
    "aes_cfb_encrypt",
    "des_cbc_decrypt",
    "des_cbc_encrypt",
    "des3_cbc_decrypt",
    "des3_cbc_encrypt",
    "USING_CYTHON",
]

if TYPE_CHECKING:
    from ._cipher_py import (
        aes_cfb_decrypt,
        aes_cfb_encrypt,
        des3_cbc_decrypt,
        des3_cbc_encrypt,
        des_cbc_decrypt,
        des_cbc_encrypt,
    )

    USING_CYTHON: bool
else:
    from .._select import bind

    bind(globals())
