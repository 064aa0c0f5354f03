"""One error type for the whole package, with the reference's numeric codes.

Both twins of every accelerated module raise these, so a caller (and the test
suite) can compare the Cython and the pure-Python implementation by ``.code``.
"""

from __future__ import annotations

# SNMPTrapMgr errors (reference, "SNMPTrapMgr Errors")
ERR_BAD_OBJECT_INDEX = 301
ERR_TOO_MANY_OBJECTS = 302
ERR_NOT_IP_ADDRESS = 303
ERR_UNSUPPORTED_VERSION = 305
ERR_UNKNOWN_PDU = 306
ERR_BUSY = 307
ERR_VERIFICATION_FAILED = 308
ERR_MISSING_AUTH_PASSWORD = 309
ERR_MISSING_SIGNATURE = 310
ERR_MISSING_REMOTE_TIME = 311
ERR_MISSING_TIMEOUT = 312
ERR_DECRYPTION_FAILED = 313
ERR_MISSING_PRIV_PASSWORD = 314
ERR_NOT_ENCRYPTED = 315
ERR_SECURITY_MODEL = 316
ERR_DEFECTIVE_PACKET = 317
ERR_NOT_FROM_BOUND_POINT = 318
ERR_NOT_PERMITTED = 319
ERR_BAD_PACKET = 320
ERR_NOT_AUTHENTICATED = 321
ERR_NO_SUCH_OID = 322
ERR_MISSING_PRIV_PARAMETER = 323
ERR_BAD_ENGINE_ID = 324
ERR_BAD_TIME_FRAME = 325
ERR_BAD_USER_NAME = 326
ERR_SECURITY_LEVEL = 327
ERR_DISCOVERY_FAILED = 328
ERR_KEY_LENGTH = 329

# UDP errors
ERR_ALREADY_ACTIVE = 104
ERR_LOCAL_PORT_ACTIVE = 106
ERR_LOCAL_HOST_ACTIVE = 107
ERR_NOT_ACTIVE = 109
ERR_MAX_PACKET_SIZE_ACTIVE = 112
ERR_SHARE_PORT_ACTIVE = 113
ERR_USE_CONNECTION_ACTIVE = 117
ERR_MESSAGE_TOO_LONG = 118
ERR_MESSAGE_TOO_SHORT = 119
ERR_CODE_PAGE = 434

# TCP/IP errors used by the transport (reference numbering, 10000 + errno-ish)
ERR_WOULD_BLOCK = 10035
ERR_ADDRESS_IN_USE = 10048
ERR_CANNOT_ASSIGN_ADDRESS = 10049
ERR_ACCESS_DENIED = 10013
ERR_INVALID_ARGUMENT = 10022


class SNMPTrapMgrError(Exception):
    """The error every public call raises; ``code`` is the reference's number."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class DecodeError(SNMPTrapMgrError, ValueError):
    """Malformed input: the receiver turns it into an on_bad_packet event."""
