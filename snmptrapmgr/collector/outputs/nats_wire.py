"""The NATS client protocol, the part the publishing link needs: bytes in, events out.

Why a second client beside nats-py: its ``publish`` builds and checks the
headers of every message in Python (~12 µs each here), which caps the
output far below line rate.  Publishing needs three frames (``CONNECT``,
``SUB``, ``HPUB``) and reading four (``INFO``, ``PING``, ``MSG``/``HMSG``,
``-ERR``); this module builds and parses them, with no socket inside
(:mod:`.nats_link` does the I/O).  Facts from the protocol documentation:
frames end with CRLF, a message frame says its sizes, ``HPUB subject reply
header-size total-size``, a header block starts ``NATS/1.0`` and ends with
an empty line.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, NamedTuple

__all__ = ["Parser", "Frame", "Run", "connect_frame", "publish_frames", "ProtocolError", "MAX_CONTROL"]

MAX_CONTROL = 4096        # the server's own limit on a control line
_HEAD = b"NATS/1.0\r\nNats-Msg-Id: "
_TAIL = b"\r\n\r\n"
_FIXED = len(_HEAD) + len(_TAIL)


class ProtocolError(ValueError):
    """The server sent something this client does not understand (the link is closed)."""


class Frame(NamedTuple):
    op: str          # "INFO", "PING", "PONG", "OK", "ERR"
    data: bytes = b""


def connect_frame(options: Mapping[str, Any]) -> bytes:
    """CONNECT for a publishing client: headers on, no echo, no +OK per frame."""
    fields = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True, "protocol": 1,
              "echo": False, "lang": "python", "version": "snmptrapmgr", "name": "snmptrapmgr-publish"}
    for key, name in (("user", "user"), ("password", "pass"), ("token", "auth_token")):
        if options.get(key):
            fields[name] = options[key]
    return b"CONNECT " + json.dumps(fields, separators=(",", ":")).encode() + b"\r\n"


def publish_frames(records: list, reply_prefix: bytes) -> bytes:
    """One HPUB per record ``(msg_id, subject, data)``, the reply ``<prefix>.<index>``; the
    message id is the JetStream ``Nats-Msg-Id`` (duplicates within the window stored once)."""
    parts = []
    append = parts.append
    subjects: dict = {}
    for index, (msg_id, subject, data) in enumerate(records):
        encoded = subjects.get(subject)
        if encoded is None:
            encoded = subjects[subject] = subject.encode()
        header = _FIXED + len(msg_id)  # ASCII hex (msgid.message_id)
        append(b"HPUB %s %s.%d %d %d\r\n%s%s%s%s\r\n" % (
            encoded, reply_prefix, index, header, header + len(data), _HEAD, msg_id.encode(), _TAIL, data))
    return b"".join(parts)


class Run(NamedTuple):
    """Plain PubAcks counted, not split (the reader checks them against what it sent, in
    order, and asks for :meth:`messages` when they do not fit)."""

    count: int            # MSG frames in the run, none an error, none with headers
    last_subject: bytes   # the subject of the last one
    region: bytes         # the frames themselves

    def messages(self) -> list:
        """The run's frames one by one, as :meth:`Parser.feed` gives messages."""
        out: list = []
        at, size = 0, len(self.region)
        while at < size:
            end = self.region.find(b"\r\n", at)
            message, at = _message(self.region, at, end, self.region[at:end], size)
            if message is None:
                raise ProtocolError("a counted run of messages ends inside a frame")
            out.append(message)
        return out


class Parser:
    """Frames from the server, fed as bytes arrive; partial frames wait for the rest."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> tuple:
        """(control frames, messages) complete in what arrived so far.  A message is
        ``(subject, payload, status)`` (status: an HMSG's, e.g. b"503"; b"" for MSG) or a
        :class:`Run` of plain PubAcks.  Raises ProtocolError on garbage."""
        buffer = self.buffer
        buffer += data
        frames: list = []
        messages: list = []
        at = 0
        size = len(buffer)
        single_until = 0  # frame by frame up to here (what a failed run covered)
        while at < size:
            if at >= single_until and buffer.startswith(b"MSG ", at):
                run, single_until = _run(buffer, at, size)
                if run is not None:
                    messages.append(run)
                    at += len(run.region)
                    continue
            end = buffer.find(b"\r\n", at, at + MAX_CONTROL)
            if end < 0:
                if size - at >= MAX_CONTROL:
                    raise ProtocolError(f"a control line longer than {MAX_CONTROL} bytes")
                break
            line = bytes(buffer[at:end])
            op = line[:4].upper()
            if op == b"MSG " or op == b"HMSG":
                message, used = _message(buffer, at, end, line, size)
                if message is None:
                    break
                messages.append(message)
                at = used
                continue
            at = end + 2
            if op == b"PING":
                frames.append(Frame("PING"))
            elif op == b"PONG":
                frames.append(Frame("PONG"))
            elif op == b"+OK":
                frames.append(Frame("OK"))
            elif op == b"-ERR":
                frames.append(Frame("ERR", data=line[4:].strip().strip(b"'")))
            elif op == b"INFO":
                frames.append(Frame("INFO", data=line[5:]))
            else:
                raise ProtocolError(f"unknown frame {line[:40]!r}")
        del buffer[:at]
        return frames, messages


def _run(buffer: bytearray, at: int, size: int) -> tuple:
    """(Run, 0): the complete MSG frames from ``at`` on, counted with C-speed searches; or
    (None, offset) when there are fewer than two or anything else is among them: the
    frame-by-frame path up to that offset (just past an error PubAck, else the run's end)."""
    last = buffer.rfind(b"MSG ", at)
    end = buffer.find(b"\r\n", last)
    message, stop = (None, last) if end < 0 else _message(buffer, last, end, bytes(buffer[last:end]), size)
    if message is None:  # the last frame is still arriving: the run ends before it
        stop = last
        last = buffer.rfind(b"MSG ", at, stop)
        if last <= at:
            return None, stop
        end = buffer.find(b"\r\n", last, stop)
        message, _ = _message(buffer, last, end, bytes(buffer[last:end]), stop)
        if message is None:
            return None, stop
    region = bytes(buffer[at:stop])
    count = region.count(b"MSG ")
    # two CRLFs a frame: anything else among them (PING, +OK, an HMSG's header lines, a payload
    # of several lines) shows as more; an error PubAck is the one success does not look like
    error = region.find(b'"error"')
    if error >= 0:
        return None, at + error + 1
    if count < 2 or region.count(b"\r\n") != 2 * count:
        return None, stop
    return Run(count, message[0], region), 0


def _message(buffer: Any, at: int, end: int, line: bytes, size: int) -> tuple:
    """(message, offset after it) of a MSG/HMSG whose control line ends at ``end``, or
    (None, at) until its payload is all there."""
    fields = line.split()
    try:
        total = int(fields[-1])
        header = int(fields[-2]) if fields[0].upper() == b"HMSG" else 0
    except (ValueError, IndexError):
        raise ProtocolError(f"bad message frame {line[:80]!r}") from None
    if len(fields) < 4 or total < header or header < 0 or fields[0].upper() not in (b"MSG", b"HMSG"):
        raise ProtocolError(f"bad message frame {line[:80]!r}")
    start = end + 2
    stop = start + total
    if stop + 2 > size:
        return None, at
    status = b""
    if header:
        first = bytes(buffer[start:start + min(header, 64)]).split(b"\r\n", 1)[0]
        status = first[9:12] if first.startswith(b"NATS/1.0 ") else b""
    return (fields[1], bytes(buffer[start + header:stop]), status), stop + 2
