"""The usual SNMPv3 trap, datagram to event, or None; the twin of ``src/security/_fast_c.pyx``.

:meth:`~.usm.USMEngine.receive` asks :func:`receive_trap` first.  It takes
a message only when the whole pipeline would accept it with nothing left to
decide: no USM hooks and no decrypted copy kept (settings), a trap to an
engine that is not ours, from a user configured for exactly that engine at
the message's security level, with its keys already made (no key
extension), a MAC that verifies, an engine we know and a timely clock.  It
then gives what the pipeline gives: the same event and the same move of
the engine's clock.  Anything else -- a rejection included -- returns None
before any state has changed, and the pipeline runs from its first step,
so every refusal is still counted and answered in one place.
"""

from __future__ import annotations

import struct
from typing import Any, Optional

from ..codec import ber, community
from ..codec.encode import PDU_TRAP
from ..errors import SNMPTrapMgrError
from ..events import SNMPTrapMgrTrapEventParams
from . import cipher
from .crypto import NO_EXTENSION
from .records import MAX_TIME
from .reports import MAX_USER_NAME

__all__ = ["receive_trap"]

_MODE = NO_EXTENSION[0]
_IV = struct.Struct(">II")  # RFC 3826 3.1.2.1: boots, time, then the salt
_U32 = 0xFFFFFFFF


def receive_trap(settings: Any, cache: Any, msg: Any, data: bytes, addr: Any,
                 now: float) -> Optional[SNMPTrapMgrTrapEventParams]:
    """The trap event of ``msg`` (decoded from ``data``) if it is the usual case, else None."""
    hooks = settings.hooks
    if (hooks.check_engine is not None or hooks.get_user_password is not None
            or hooks.get_user_security_level is not None or settings.decrypt_log_packets):
        return None
    user = msg.user
    user_text = user.decode(settings.codec, "replace")
    flags = msg.flags & 3
    scoped = msg.scoped
    if flags == 3:
        if type(scoped) is not bytes:
            return None
        level = 2
    elif flags == 1 and type(scoped) is not bytes:
        level = 1
    else:
        return None
    engine_id = msg.engine_id
    if not engine_id or len(user) > MAX_USER_NAME:
        return None
    if engine_id == settings.local_engine_id:
        return None
    keys = cache.bound_users.get((user, engine_id))
    if keys is None or keys.record.level != level:
        return None
    auth_key = keys.auth_key
    if auth_key is None or not auth_key.verify(data, msg.auth_offset, msg.auth_params):
        return None
    rec = cache.engine(engine_id)
    if rec is None:
        return None
    boots = msg.boots
    etime = msg.time
    rec_boots = rec.boots
    if (rec_boots >= MAX_TIME or boots < rec_boots or (
            boots == rec_boots
            and etime < rec.time + int(now - rec.local_at) - settings.time_window)):
        return None
    if level == 2:
        if keys.extension or not keys.record.priv_algorithm:
            return None
        priv_key = getattr(keys, _MODE)
        if priv_key is None:
            return None
        salt = msg.priv_params
        cfb_key = priv_key.cfb_key
        try:
            if (cfb_key is not None and len(salt) == 8 and scoped
                    and 0 <= boots <= _U32 and 0 <= etime <= _U32):  # AES: PrivKey.decrypt's checks
                plaintext = cipher.aes_cfb_decrypt(cfb_key, _IV.pack(boots, etime) + salt, scoped)
            else:
                plaintext = priv_key.decrypt(scoped, salt, boots, etime)
            scoped = ber.decode_scoped_pdu(plaintext)
        except (SNMPTrapMgrError, ValueError, TypeError, OverflowError):
            return None
    pdu = scoped.pdu
    if pdu.tag != PDU_TRAP:
        return None
    if boots > rec_boots or (boots == rec_boots and etime > rec.latest):
        rec.boots, rec.time, rec.latest, rec.local_at = boots, etime, etime, now
    varbinds = pdu.varbinds
    trap_oid, uptime = community.trap_fields(varbinds)
    out = SNMPTrapMgrTrapEventParams(3, pdu.request_id, "", user_text, level, trap_oid, uptime,
                                     addr[0], addr[1], varbinds)
    out.engine_id = engine_id
    out.context_engine_id = scoped.context_engine_id
    out.context_name = scoped.context_name
    return out
