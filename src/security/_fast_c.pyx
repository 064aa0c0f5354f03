# cython: language_level=3, boundscheck=True, wraparound=True
"""The usual SNMPv3 trap, datagram to event, or None; the compiled twin of
``snmptrapmgr/security/_fast_py.py`` (its docstring says which messages it
takes and why everything else returns None before any state changes).

The same steps, with the message's fields read by position from the decoder's
named tuple and the integers in C: the interpreter's share of the v3 receive
path was most of it once HMAC and AES were native.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.string cimport memcpy

from snmptrapmgr.codec import ber, community
from snmptrapmgr.security import cipher
from snmptrapmgr.codec.encode import PDU_TRAP
from snmptrapmgr.errors import SNMPTrapMgrError
from snmptrapmgr.events import SNMPTrapMgrTrapEventParams
from snmptrapmgr.security.crypto import NO_EXTENSION
from snmptrapmgr.security.records import MAX_TIME
from snmptrapmgr.security.reports import MAX_USER_NAME

__all__ = ["receive_trap"]

# V3Message's fields, by position (codec/shapes.py)
cdef enum:
    M_FLAGS = 3
    M_ENGINE_ID = 5
    M_BOOTS = 6
    M_TIME = 7
    M_USER = 8
    M_AUTH_PARAMS = 9
    M_AUTH_OFFSET = 10
    M_PRIV_PARAMS = 11
    M_SCOPED = 12

cdef str _MODE = NO_EXTENSION[0]
cdef object _MAX_TIME = MAX_TIME
cdef Py_ssize_t _MAX_USER = MAX_USER_NAME
cdef int _TRAP = PDU_TRAP
cdef object _Trap = SNMPTrapMgrTrapEventParams
cdef object _U32 = 0xFFFFFFFF


cdef bytes _iv(object boots, object etime, bytes salt):
    """RFC 3826 3.1.2.1: boots and time (32 bits each, big-endian), then the 8-octet salt."""
    cdef unsigned long b = boots, t = etime
    cdef unsigned char buf[16]
    cdef int i
    for i in range(4):
        buf[3 - i] = (b >> (8 * i)) & 0xFF
        buf[7 - i] = (t >> (8 * i)) & 0xFF
    memcpy(&buf[8], PyBytes_AS_STRING(salt), 8)
    return PyBytes_FromStringAndSize(<char *>buf, 16)


def receive_trap(settings, cache, msg, data, addr, now):
    """The trap event of ``msg`` (decoded from ``data``) if it is the usual case, else None."""
    if not isinstance(msg, tuple) or len(<tuple>msg) != 13:  # a V3Message, or not ours to take
        return None
    cdef tuple m = <tuple>msg  # a V3Message: a tuple subclass, read by position
    cdef int flags, level
    hooks = settings.hooks
    if (hooks.check_engine is not None or hooks.get_user_password is not None
            or hooks.get_user_security_level is not None or settings.decrypt_log_packets):
        return None
    cdef bytes user = m[M_USER]
    user_text = user.decode(settings.codec, "replace")
    flags = m[M_FLAGS] & 3
    scoped = m[M_SCOPED]
    if flags == 3:
        if type(scoped) is not bytes:
            return None
        level = 2
    elif flags == 1 and type(scoped) is not bytes:
        level = 1
    else:
        return None
    cdef bytes engine_id = m[M_ENGINE_ID]
    if not engine_id or len(user) > _MAX_USER:
        return None
    if engine_id == settings.local_engine_id:
        return None
    keys = cache.bound_users.get((user, engine_id))
    if keys is None or keys.record.level != level:
        return None
    auth_key = keys.auth_key
    if auth_key is None or not auth_key.verify(data, m[M_AUTH_OFFSET], m[M_AUTH_PARAMS]):
        return None
    rec = cache.engines.get(engine_id)  # cache.engine(), inline: a pinned engine, else a learned one
    if rec is None:
        learned = cache.learned_engines
        rec = learned.get(engine_id)
        if rec is None:
            return None
        learned.move_to_end(engine_id)
    # the clock arithmetic stays on Python ints, exactly as the pipeline's (no C overflow)
    boots = m[M_BOOTS]
    etime = m[M_TIME]
    rec_boots = rec.boots
    if (rec_boots >= _MAX_TIME or boots < rec_boots or (
            boots == rec_boots
            and etime < rec.time + int(now - rec.local_at) - settings.time_window)):
        return None
    if level == 2:
        if keys.extension or not keys.record.priv_algorithm:
            return None
        priv_key = getattr(keys, _MODE)
        if priv_key is None:
            return None
        salt = m[M_PRIV_PARAMS]
        cfb_key = priv_key.cfb_key
        try:
            if (cfb_key is not None and type(salt) is bytes and len(<bytes>salt) == 8 and scoped
                    and 0 <= boots <= _U32 and 0 <= etime <= _U32):  # AES: PrivKey.decrypt's checks
                plaintext = cipher.aes_cfb_decrypt(cfb_key, _iv(boots, etime, salt), scoped)
            else:
                plaintext = priv_key.decrypt(scoped, salt, boots, etime)
            scoped = ber.decode_scoped_pdu(plaintext)
        except (SNMPTrapMgrError, ValueError, TypeError, OverflowError):
            return None
    pdu = scoped.pdu
    if pdu.tag != _TRAP:
        return None
    if boots > rec_boots or (boots == rec_boots and etime > rec.latest):
        rec.boots = boots
        rec.time = etime
        rec.latest = etime
        rec.local_at = now
    varbinds = pdu.varbinds
    trap_oid, uptime = community.trap_fields(varbinds)
    out = _Trap(3, pdu.request_id, "", user_text, level, trap_oid, uptime, addr[0], addr[1],
                varbinds)
    out.engine_id = engine_id
    out.context_engine_id = scoped.context_engine_id
    out.context_name = scoped.context_name
    return out
