"""The sans-IO core: datagrams in, events out, no sockets and no clock.

``Receiver.receive_datagram(data, addr, now)`` decodes one datagram and
returns the events it produced (trap, inform, discovery, bad packet).  What
must be sent back depends on what the application decides in its handler
(``respond``, ``report``), so the replies are built afterwards by
:meth:`Receiver.reply`.  Malformed input never raises: it becomes a
:class:`SNMPTrapMgrBadPacketEventParams`, and so does a datagram longer than
``max_datagram`` (never decoded).  SNMPv3 is handed to
:mod:`snmptrapmgr.security.usm` with the receiver's :class:`USMSettings`; it
calls back into the application only through the plain callables in
:class:`Hooks`.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from .codec import ber, community
from .errors import ERR_INVALID_ARGUMENT, ERR_MESSAGE_TOO_LONG, SNMPTrapMgrError
from .events import (
    SNMPTrapMgrBadPacketEventParams,
    SNMPTrapMgrDiscoveryRequestEventParams,
    SNMPTrapMgrInformRequestEventParams,
)
from .codec.encode import (
    PDU_RESPONSE,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    encode_community_message,
    encode_pdu,
    v1_trap_oids,
)
from .security.interface import Hooks, Rejected, USMSettings

__all__ = ["Hooks", "InternalError", "Receiver", "USMSettings", "MAX_DATAGRAM", "SYS_UPTIME", "SNMP_TRAP_OID",
           "v1_trap_oids"]

Address = Any  # (host, port) or (host, port, flowinfo, scope_id)

#: the largest datagram a Receiver decodes by default (the MaxPacketSize default: UDP's limit)
MAX_DATAGRAM = 65535


def _setting(name: str, doc: str) -> property:
    """A Receiver attribute that is a view of the same field of its USMSettings."""

    def get(receiver: "Receiver") -> Any:
        return getattr(receiver.settings, name)

    def set_(receiver: "Receiver", value: Any) -> None:
        setattr(receiver.settings, name, value)

    return property(get, set_, doc=doc)



class InternalError(NamedTuple):
    """A bug met while decoding a datagram (not the sender's fault): what the receiver returns
    instead of a bad-packet event, so the owner logs it with its traceback and reports it
    (the facade: ``on_error``), and the next datagram is handled as usual."""

    exception: BaseException
    packet: bytes
    source_address: str
    source_port: int

class Receiver:
    """Protocol state of one listening point (auth cache, engine, settings).

    ``max_datagram`` bounds what :meth:`receive_datagram` decodes, for callers
    that do not go through a transport that already enforces MaxPacketSize.
    """

    def __init__(self, hooks: Optional[Hooks] = None, *, codec: str = "utf-8",
                 communities: Optional[set[bytes]] = None,
                 max_datagram: int = MAX_DATAGRAM) -> None:
        #: the SNMPv3 settings, handed to the USM engine (the attributes below are views of it)
        self.settings = USMSettings(hooks or Hooks(), codec=codec)
        self._decode = ber.decode_message
        self._community = community.CommunityDecoder(communities, codec)
        self._usm: Any = None
        self._max_datagram = MAX_DATAGRAM
        self.max_datagram = max_datagram
        self.counters = {"received": 0, "notifications": 0, "bad_packets": 0, "internal_errors": 0}

    @property
    def max_datagram(self) -> int:
        """Longest datagram decoded (1..65535, like MaxPacketSize); longer ones are bad packets."""
        return self._max_datagram

    @max_datagram.setter
    def max_datagram(self, value: int) -> None:
        if type(value) is not int or not 1 <= value <= MAX_DATAGRAM:
            raise SNMPTrapMgrError(ERR_INVALID_ARGUMENT,
                                   f"max_datagram must be an int from 1 to {MAX_DATAGRAM}, not {value!r}")
        self._max_datagram = value

    # ------------------------------------------------------------- settings (views)

    hooks = _setting("hooks", "The USM hooks (on_get_user_security_level, ...), shared with the USM engine.")
    local_engine_id = _setting("local_engine_id",
                               "Our SNMPv3 engine ID (LocalEngineId); empty until set or generated.")
    time_window = _setting("time_window", "Seconds a v3 message's engine time may lag (TimeWindow).")
    compatibility_mode = _setting("compatibility_mode", "AES-192/256 key extension: 0 Reeder, "
                                  "1 Blumenthal, 2 both (CompatibilityMode).")
    decrypt_log_packets = _setting("decrypt_log_packets", "Keep the last v3 message with its "
                                   "ScopedPDU in clear (DecryptLogPackets).")

    @property
    def codec(self) -> str:
        """The codec of community and user text (CodePage)."""
        return self._community.codec

    @codec.setter
    def codec(self, value: str) -> None:
        self._community.codec = value
        self.settings.codec = value

    @property
    def communities(self) -> Optional[set[bytes]]:
        """The v1/v2c communities accepted (None: any)."""
        return self._community.communities

    @communities.setter
    def communities(self, value: Optional[set[bytes]]) -> None:
        self._community.communities = value

    # ------------------------------------------------------------- SNMPv3 state

    @property
    def usm(self) -> Any:
        """The SNMPv3 engine (auth cache, USM), created on first use."""
        if self._usm is None:
            from .security.usm import USMEngine  # the crypto stack only once v3 is used

            self._usm = USMEngine(self.settings)
        return self._usm

    @property
    def cache(self) -> Any:
        """The SNMPv3 auth cache (engines, users, keys)."""
        return self.usm.cache

    @property
    def last_decrypted(self) -> Optional[bytes]:
        """The last SNMPv3 message with its ScopedPDU in clear (DecryptLogPackets)."""
        return self._usm.last_decrypted if self._usm is not None else None

    # ---------------------------------------------------------------- receive

    @property
    def decode_usual(self) -> Any:
        """``decode(data, address)``: the event of a v1/v2c notification, None for SNMPv3, and
        an exception for anything in error (then :meth:`receive_datagram` says what it is).

        Why public: the facade's hot loop calls it (one C call) for each datagram of a batch
        and counts those once per batch with :meth:`count_usual`, with no Python frame or
        list per notification; everything else still goes through :meth:`receive_datagram`.
        """
        return self._community.decode

    def count_usual(self, count: int) -> None:
        """Count ``count`` notifications that decode_usual took (received and notifications)."""
        counters = self.counters
        counters["received"] += count
        counters["notifications"] += count

    def too_long(self, data: bytes, addr: Address) -> SNMPTrapMgrBadPacketEventParams:
        """The bad packet of a datagram over MaxPacketSize (or cut by the receive buffer)."""
        return self.bad_packet(data, addr, ERR_MESSAGE_TOO_LONG, "message can't be longer than MaxPacketSize")

    def receive_datagram(self, data: bytes, addr: Address, now: float) -> list:
        """Decode one datagram; return the events it produced."""
        if len(data) > self._max_datagram:
            return [self.too_long(data, addr)]
        counters = self.counters
        counters["received"] += 1
        try:
            event = self._community.decode(data, addr)
            if event is None:
                usm = self._usm if self._usm is not None else self.usm
                msg = self._decode(data)
                event = usm.receive_usual(msg, data, addr, now)  # the usual trap, in one call
                if event is None:
                    event = usm.receive(msg, data, addr, now)
                    if type(event) is SNMPTrapMgrDiscoveryRequestEventParams:
                        return [event]
            counters["notifications"] += 1
            return [event]
        except Rejected as rej:
            return [self.bad_packet(data, addr, rej.code, rej.message, rej.reply_context)]
        except SNMPTrapMgrError as exc:
            return [self.bad_packet(data, addr, exc.code, exc.message)]
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the receiver
            self.counters["internal_errors"] += 1
            return [InternalError(exc, bytes(data), addr[0], addr[1])]

    def bad_packet(self, data: bytes, addr: Address, code: int, why: str,
                   reply_context: Any = None) -> SNMPTrapMgrBadPacketEventParams:
        """The on_bad_packet event of a datagram (counted); ``reply_context``: its Report."""
        self.counters["bad_packets"] += 1
        return SNMPTrapMgrBadPacketEventParams(bytes(data), addr[0], addr[1], code, why, reply_context)

    def reply(self, event: Any, addr: Address) -> Optional[bytes]:
        """The datagram an event calls for once its handler has run, if any.

        An inform with ``respond`` gets a Response; a discovery with
        ``respond`` and a bad packet with ``report`` get a Report (SNMPv3).
        """
        if isinstance(event, SNMPTrapMgrInformRequestEventParams):
            if not event.respond:
                return None
            if event.snmp_version == 3:
                return self.usm.inform_response(event)  # from its reply_context (a usm ReplyContext)
            pdu = encode_pdu(PDU_RESPONSE, event.request_id, event.error_status, event.error_index,
                             event.varbinds)
            # v2c (v1 has no informs): answered with the community's octets as received
            return encode_community_message(1, event.community_bytes, pdu)
        if isinstance(event, SNMPTrapMgrBadPacketEventParams):
            if not event.report or event.reply_context is None:
                return None
            return self.usm.report(event)
        if getattr(event, "respond", False):  # discovery
            return self.usm.discovery_report(event)
        return None
