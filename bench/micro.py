"""Micro rows: the compiled modules vs the pure-Python fallback (vs pysnmp where installed), in one process.

Each row is a list of candidates measured interleaved by :mod:`bench.timing`.
Before timing, every candidate's result is checked against the others (same
decode, same key), so a row never times an error path.
"""

from __future__ import annotations

import hashlib
import importlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from snmptrapmgr import _select

from . import traffic
from .timing import Candidate, measure

ADDR = ("192.0.2.1", 50162)
P2K_PASSWORD = b"maplesyrup"  # RFC 3414 A.3
P2K_HASHES = ("md5", "sha1", "sha256", "sha512")
OID_TEXT = "1.3.6.1.2.1.31.1.1.1.6.3"  # ifHCInOctets.3
REPEATS_SCALE = 5


@dataclass
class Row:
    key: str
    title: str
    candidates: list = field(default_factory=list)
    unavailable: dict = field(default_factory=dict)   # implementation -> reason
    note: str = ""
    #: ms-long operations: one call per chunk and REPEATS_SCALE x the rounds, so the
    #: candidates alternate call by call and a burst of load cannot favour one of them
    single_calls: bool = False


def _twin(kind: str, name: str):
    return importlib.import_module(_select.twin_name(name, kind))


def _activator(kind: str) -> Callable[[], None]:
    def activate() -> None:
        if _select.current() != kind:
            _select.use(kind)
    return activate


def _pysnmp() -> Optional[dict]:
    try:
        from pyasn1.codec.ber import decoder, encoder
        from pyasn1.type import univ
        from pysnmp.proto import api
    except ImportError:
        return None
    return {"decoder": decoder, "encoder": encoder, "univ": univ, "api": api}


# ----------------------------------------------------------------------------- rows


def _decode_row(key: str, title: str, data: bytes, kinds: list, pys: Optional[dict],
                pysnmp_version: Any) -> Row:
    row = Row(key, title)
    results = {}
    for kind in kinds:
        f = _twin(kind, "codec.ber").decode_message
        results[kind] = f(data)
        row.candidates.append(Candidate(kind, f, (data,)))
    if len(set(map(repr, results.values()))) > 1:
        raise AssertionError(f"{key}: the compiled and pure-Python decoders disagree: {results}")
    if pys is not None:
        decode = pys["decoder"].decode
        spec = pys["api"].PROTOCOL_MODULES[pysnmp_version].Message()
        msg, rest = decode(data, asn1Spec=spec)
        if rest:
            raise AssertionError(f"{key}: pysnmp left {len(rest)} octets")
        row.candidates.append(Candidate("pysnmp", decode, (data, spec)))
    else:
        row.unavailable["pysnmp"] = "pysnmp not importable"
    return row


def _check_trap(events: list, want_varbinds: int, version: int) -> None:
    from snmptrapmgr.events import SNMPTrapMgrTrapEventParams

    if len(events) != 1 or type(events[0]) is not SNMPTrapMgrTrapEventParams:
        detail = [getattr(e, "description", None) or repr(e) for e in events]
        raise RuntimeError(f"expected one trap event, got {detail}")
    event = events[0]
    if event.snmp_version != version or len(event.varbinds) != want_varbinds:
        raise RuntimeError(f"unexpected event: version {event.snmp_version}, "
                           f"{len(event.varbinds)} varbinds")


def _receive_v2c_row(data: bytes, kinds: list, now: float) -> Row:
    from snmptrapmgr.receiver import Receiver

    row = Row("receive_v2c", "v2c trap via Receiver.receive_datagram",
              note="decode + event object; no sockets")
    for kind in kinds:
        _select.use(kind)
        receiver = Receiver()
        _check_trap(receiver.receive_datagram(data, ADDR, now), 7, 2)
        row.candidates.append(Candidate(kind, receiver.receive_datagram, (data, ADDR, now),
                                        activate=_activator(kind)))
    row.unavailable["pysnmp"] = "not measured (its engine has no sans-IO entry point)"
    return row


def _v3_receiver(kind: str):
    from snmptrapmgr.receiver import Receiver

    _select.use(kind)
    receiver = Receiver()
    receiver.cache.add_user(traffic.V3_USER, traffic.V3_ENGINE_ID, traffic.V3_AUTH_PROTOCOL,
                            traffic.V3_AUTH_PASSWORD, traffic.V3_PRIV_ALGORITHM,
                            traffic.V3_PRIV_PASSWORD)
    return receiver


def _pysnmp_v3(data: bytes, pys: dict) -> Callable[[bytes], Any]:
    """pysnmp's own pieces of the same work: decode message + USM params, HMAC, AES, scopedPDU.

    Not its whole engine (no engine/time bookkeeping, no dispatch): a lower bound.
    """
    from pysnmp.proto.mpmod.rfc3412 import ScopedPDU, SNMPv3Message
    from pysnmp.proto.secmod.rfc3414.auth.hmacsha import HmacSha
    from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters
    from pysnmp.proto.secmod.rfc3826.priv.aes import Aes

    decode = pys["decoder"].decode
    univ = pys["univ"]
    _, _, auth_kul, priv_kul = traffic.v3_keys()
    auth_key = univ.OctetString(auth_kul)
    priv_key = univ.OctetString(priv_kul)
    hmac_sha, aes = HmacSha(), Aes()
    msg_spec, usm_spec, scoped_spec = SNMPv3Message(), UsmSecurityParameters(), ScopedPDU()

    def receive(whole: bytes) -> Any:
        msg, _ = decode(whole, asn1Spec=msg_spec)
        usm, _ = decode(msg["msgSecurityParameters"], asn1Spec=usm_spec)
        hmac_sha.authenticate_incoming_message(auth_key, usm["msgAuthenticationParameters"], whole)
        plain = aes.decrypt_data(priv_key, (usm["msgAuthoritativeEngineBoots"],
                                            usm["msgAuthoritativeEngineTime"],
                                            usm["msgPrivacyParameters"]),
                                 msg["msgData"]["encryptedPDU"])
        scoped, _ = decode(plain, asn1Spec=scoped_spec)
        return scoped

    scoped = receive(data)
    if len(scoped["data"]["snmpV2-trap"]["variable-bindings"]) != 7:
        raise RuntimeError("pysnmp decoded the v3 trap wrongly")
    return receive


def _receive_v3_row(data: bytes, kinds: list, now: float, pys: Optional[dict]) -> Row:
    row = Row("receive_v3", "v3 authPriv SHA-1/AES-128 trap via receive_datagram",
              note="user cached; HMAC check + AES-CFB decrypt + decode + event")
    try:
        importlib.import_module("snmptrapmgr.security.usm")
    except ImportError as exc:
        for kind in kinds:
            row.unavailable[kind] = f"snmptrapmgr.security.usm not importable yet ({exc})"
    else:
        for kind in kinds:
            try:
                receiver = _v3_receiver(kind)
                _check_trap(receiver.receive_datagram(data, ADDR, now), 7, 3)
            except Exception as exc:  # noqa: BLE001 - report, do not abort the bench
                row.unavailable[kind] = f"v3 path failed: {exc!r}"
                continue
            row.candidates.append(Candidate(kind, receiver.receive_datagram, (data, ADDR, now),
                                            activate=_activator(kind)))
    if pys is None:
        row.unavailable["pysnmp"] = "pysnmp not importable"
    else:
        try:
            row.candidates.append(Candidate("pysnmp", _pysnmp_v3(data, pys), (data,)))
            row.note += "; pysnmp = its decode+HMAC+AES pieces, not its whole engine"
        except Exception as exc:  # noqa: BLE001
            row.unavailable["pysnmp"] = f"pysnmp pieces failed: {exc!r}"
    return row


def _oid_rows(kinds: list, pys: Optional[dict]) -> list:
    to_row = Row("oid_to_ber", f"OID text -> BER ({OID_TEXT})")
    from_row = Row("oid_from_ber", "OID BER -> text (same OID)")
    ber = {}
    for kind in kinds:
        mod = _twin(kind, "codec.oid")
        ber[kind] = mod.oid_to_ber(OID_TEXT)
        if mod.oid_from_ber(ber[kind]) != OID_TEXT:
            raise AssertionError(f"{kind} OID round trip failed")
        to_row.candidates.append(Candidate(kind, mod.oid_to_ber, (OID_TEXT,)))
        from_row.candidates.append(Candidate(kind, mod.oid_from_ber, (ber[kind],)))
    if len(set(ber.values())) > 1:
        raise AssertionError(f"the compiled and pure-Python OID encoders disagree: {ber}")
    content = next(iter(ber.values()))
    if pys is not None:
        univ, encode, decode = pys["univ"], pys["encoder"].encode, pys["decoder"].decode
        tlv = bytes((6, len(content))) + content
        spec = univ.ObjectIdentifier()

        def pyasn1_to_ber(text: str) -> bytes:
            return encode(univ.ObjectIdentifier(text))

        def pyasn1_from_ber(data: bytes) -> str:
            return str(decode(data, asn1Spec=spec)[0])

        if pyasn1_to_ber(OID_TEXT) != tlv or pyasn1_from_ber(tlv) != OID_TEXT:
            raise AssertionError("pyasn1 OID round trip differs")
        to_row.candidates.append(Candidate("pysnmp", pyasn1_to_ber, (OID_TEXT,)))
        from_row.candidates.append(Candidate("pysnmp", pyasn1_from_ber, (tlv,)))
        to_row.note = from_row.note = "pysnmp = pyasn1 ObjectIdentifier encode/decode (with tag+length)"
    else:
        to_row.unavailable["pysnmp"] = from_row.unavailable["pysnmp"] = "pysnmp not importable"
    return [to_row, from_row]


def _p2k_rows(kinds: list, pys: Optional[dict]) -> list:
    rows = []
    try:
        from pysnmp.proto.secmod.rfc3414.localkey import hash_passphrase
    except ImportError:
        hash_passphrase = None
    stream_len = 1048576
    buf = (P2K_PASSWORD * (stream_len // len(P2K_PASSWORD) + 1))[:stream_len]
    for name in P2K_HASHES:
        new = getattr(hashlib, name)
        row = Row(f"p2k_{name}", f"password-to-key {name.upper().replace('SHA', 'SHA-')}",
                  note="Ku only (no localization); lower bound = one hashlib call over 1 MiB (the password "
                       f"repeated, built beforehand); single calls alternated, {REPEATS_SCALE}x the rounds",
                  single_calls=True)
        want = new(buf).digest()
        for kind in kinds:
            f = _twin(kind, "security.keys").password_to_key
            if f(P2K_PASSWORD, name) != want:
                raise AssertionError(f"{kind} password_to_key {name} is wrong")
            row.candidates.append(Candidate(kind, f, (P2K_PASSWORD, name)))
        if hash_passphrase is not None:
            if bytes(hash_passphrase(P2K_PASSWORD, new)) != want:
                raise AssertionError(f"pysnmp hash_passphrase {name} differs")
            row.candidates.append(Candidate("pysnmp", hash_passphrase, (P2K_PASSWORD, new)))
        else:
            row.unavailable["pysnmp"] = "pysnmp not importable"

        def floor(new=new, buf=buf) -> bytes:
            return new(buf).digest()

        row.candidates.append(Candidate("floor", floor))
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- driver


def build_rows(kinds: list) -> list:
    pys = _pysnmp()
    api = pys["api"] if pys else None
    v2c = traffic.typical_v2c_trap()
    v1 = traffic.v1_trap()
    v3 = traffic.v3_authpriv_trap()
    now = time.time()
    rows = [
        _decode_row("decode_v2c", f"decode typical v2c trap ({len(v2c)} B)", v2c, kinds, pys,
                    api.SNMP_VERSION_2C if api else None),
        _decode_row("decode_v1", f"decode v1 trap ({len(v1)} B)", v1, kinds, pys,
                    api.SNMP_VERSION_1 if api else None),
        _receive_v2c_row(v2c, kinds, now),
        _receive_v3_row(v3, kinds, now, pys),
        *_oid_rows(kinds, pys),
        *_p2k_rows(kinds, pys),
    ]
    return rows


def run(kinds: list, *, repeats: int, chunk_s: float, row_deadline_s: float,
        progress: Callable[[str], None] = lambda s: None) -> list:
    """Build and measure every micro row; returns the rows with their samples."""
    previous = _select.current()
    try:
        rows = build_rows(kinds)
        for row in rows:
            progress(row.title)
            if row.candidates and row.single_calls:
                measure(row.candidates, repeats * REPEATS_SCALE, 0.0, row_deadline_s)
            elif row.candidates:
                measure(row.candidates, repeats, chunk_s, row_deadline_s)
    finally:
        _select.use(previous)
    return rows
