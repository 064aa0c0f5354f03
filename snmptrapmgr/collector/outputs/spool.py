"""The disk spool of a bus output: what the broker did not acknowledge, kept in order on disk.

Why: an inform is answered once the notification is durable, and a bus
that is away must not make the collector hold memory without bound or
drop silently.  Notifications the bus did not acknowledge go here, are
taken as durable once the batch is fsynced, and are replayed in order when
the bus is back -- also on the next start after a crash or SIGKILL.

Layout: append-only segment files ``<spool_dir>/<16 digits>.spool``; a
segment is closed at ``segment_bytes`` and deleted once every record in it
was replayed and acknowledged.  The total on disk is bounded by
``max_bytes``: :meth:`Spool.append` stores what fits and says how many it
stored (the caller counts and logs the rest as dropped).

Record: ``crc32 (4 bytes LE) | data_len (4) | id_len (2) | key_len (2) |
id | key | data``; the CRC covers everything after itself, so a torn
tail (a write cut by a crash) and a flipped byte are both detected.  On
open, each segment is checked: from its first bad record on it is
truncated away (counted in ``corrupt_bytes``, one log line), never
replayed as garbage.

Replay position lives in memory: after a crash the oldest segment is
replayed from its start, so a consumer may see some messages twice -- with
the same message id, which the broker's duplicate detection removes.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import Callable, Iterable, NamedTuple, Optional

__all__ = ["Record", "Spool", "encode_record", "decode_records", "SEGMENT_BYTES", "MAX_BYTES"]

SEGMENT_BYTES = 8 << 20
MAX_BYTES = 1 << 30
READ_BYTES = 1 << 20
_CRC = struct.Struct("<I")
_HEAD = struct.Struct("<IHH")
_HEADER = _CRC.size + _HEAD.size
_SUFFIX = ".spool"


class Record(NamedTuple):
    msg_id: str
    key: str     # the subject (NATS) or the partition key (Kafka)
    data: bytes  # the JSON object, UTF-8, no newline


def encode_record(msg_id: str, key: str, data: bytes) -> bytes:
    """One record's bytes (see the module docstring)."""
    mid = msg_id.encode("utf-8", "surrogateescape")
    k = key.encode("utf-8", "surrogateescape")
    body = _HEAD.pack(len(data), len(mid), len(k)) + mid + k + data
    return _CRC.pack(zlib.crc32(body)) + body


def decode_records(buf: bytes, limit: int = -1) -> tuple:
    """(records, end, problem): the good records at the start of ``buf`` (at most ``limit``),
    the offset after the last of them, and "" / "torn" (cut short) / "corrupt" (CRC mismatch)
    for what stopped the reading before the end of ``buf``."""
    view = memoryview(buf)
    records: list = []
    at = 0
    size = len(buf)
    while at < size and limit != len(records):
        if size - at < _HEADER:
            return records, at, "torn"
        (crc,) = _CRC.unpack_from(view, at)
        data_len, id_len, key_len = _HEAD.unpack_from(view, at + _CRC.size)
        end = at + _HEADER + id_len + key_len + data_len
        if end > size:
            return records, at, "torn"
        if zlib.crc32(view[at + _CRC.size:end]) != crc:
            return records, at, "corrupt"
        p = at + _HEADER
        records.append(Record(bytes(view[p:p + id_len]).decode("utf-8", "surrogateescape"),
                              bytes(view[p + id_len:p + id_len + key_len]).decode("utf-8", "surrogateescape"),
                              bytes(view[p + id_len + key_len:end])))
        at = end
    return records, at, ""


class Spool:
    """Bounded, ordered, crash-safe queue of records on disk (one thread uses it)."""

    def __init__(self, directory: str, max_bytes: int = MAX_BYTES, segment_bytes: int = SEGMENT_BYTES,
                 log: Callable[[str], None] = lambda text: None) -> None:
        """Open (create) ``directory`` and check what a previous run left (OSError if unusable)."""
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.log = log
        os.makedirs(directory, exist_ok=True)
        probe = os.path.join(directory, ".probe")
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.unlink(probe)
        self.sizes: dict = {}          # segment number -> bytes, oldest first
        self.corrupt_bytes = 0
        self.waiting = 0               # records stored and not yet released
        self.write_fd = -1
        self.write_seg = -1
        self.reader: Optional[tuple] = None  # (segment, read descriptor)
        self.lock_fd = -1                    # set by whoever locked the directory for us
        for name in sorted(os.listdir(directory)):
            if name.endswith(_SUFFIX) and name[:-len(_SUFFIX)].isdigit():
                self._recover(int(name[:-len(_SUFFIX)]))
        first = next(iter(self.sizes), 0)
        self.read_pos = (first, 0)     # next record to read
        self.released = (first, 0)     # every record before this was acknowledged
        self.recovered = self.waiting  # records found at open

    def _path(self, seg: int) -> str:
        return os.path.join(self.directory, f"{seg:016d}{_SUFFIX}")

    def _recover(self, seg: int) -> None:
        path = self._path(seg)
        with open(path, "rb") as handle:
            data = handle.read()
        records, end, problem = decode_records(data)
        if problem:
            self.corrupt_bytes += len(data) - end
            self.log(f"spool {path}: {problem} record at byte {end}: {len(data) - end} bytes skipped "
                     f"({len(records)} good records kept)")
            os.truncate(path, end)
        if end == 0:
            os.unlink(path)
            return
        self.sizes[seg] = end
        self.waiting += len(records)

    # ------------------------------------------------------------- writing
    @property
    def bytes(self) -> int:
        return sum(self.sizes.values())

    def append(self, records: Iterable[tuple]) -> int:
        """Store (msg_id, key, data) records in order, fsync; return how many fit (the rest: full)."""
        total = self.bytes
        chunks: list = []
        size = 0
        stored = 0
        for msg_id, key, data in records:
            record = encode_record(msg_id, key, data)
            if total + len(record) > self.max_bytes:
                break
            if self.write_fd < 0 or self.sizes[self.write_seg] + size >= self.segment_bytes:
                self._write(chunks)
                chunks, size = [], 0
                self._new_segment()
            chunks.append(record)
            size += len(record)
            total += len(record)
            stored += 1
        self._write(chunks)
        self.waiting += stored
        return stored

    def _write(self, chunks: list) -> None:
        """One write of whole records and an fsync; a failed write is cut back off the file."""
        if not chunks:
            return
        data = memoryview(b"".join(chunks))
        before = self.sizes[self.write_seg]
        written = 0
        try:
            while written < len(data):
                written += os.write(self.write_fd, data[written:])
            os.fsync(self.write_fd)
        except OSError:
            os.ftruncate(self.write_fd, before)
            raise
        self.sizes[self.write_seg] = before + written

    def _new_segment(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
        seg = max(self.sizes, default=max(self.read_pos[0], self.write_seg)) + 1
        self.write_fd = os.open(self._path(seg), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.write_seg = seg
        self.sizes[seg] = 0
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    # ------------------------------------------------------------- reading
    def read(self, limit: int) -> tuple:
        """(records, position): up to ``limit`` records after the last read, in order, and the
        position after them (for :meth:`release`)."""
        out: list = []
        seg, offset = self.read_pos
        while len(out) < limit:
            size = self.sizes.get(seg, 0)
            if offset >= size:
                later = [s for s in self.sizes if s > seg]
                if not later:
                    break
                seg, offset = later[0], 0
                continue
            want = min(READ_BYTES, size - offset)
            while True:
                data = os.pread(self._reader(seg), want, offset)
                records, end, problem = decode_records(data, limit - len(out))
                if records or want >= size - offset:
                    break
                want = min(want * 4, size - offset)  # a record longer than the window
            if not records:
                raise OSError(f"spool segment {self._path(seg)} changed under us ({problem})")
            out.extend(records)
            offset += end
        self.read_pos = (seg, offset)
        return out, self.read_pos

    def _reader(self, seg: int) -> int:
        """A read descriptor for ``seg`` (one kept open: replay reads a segment in many steps)."""
        if self.reader is not None and self.reader[0] == seg:
            return self.reader[1]
        self._close_reader()
        fd = os.open(self._path(seg), os.O_RDONLY)
        self.reader = (seg, fd)
        return fd

    def _close_reader(self) -> None:
        if self.reader is not None:
            os.close(self.reader[1])
            self.reader = None

    def release(self, position: tuple, count: int) -> None:
        """``count`` records up to ``position`` (from :meth:`read`) were acknowledged: forget them."""
        self.released = position
        self.waiting = max(0, self.waiting - count)
        seg, offset = position
        for old in [s for s in self.sizes if s < seg or (s == seg and offset >= self.sizes[s]
                                                           and s != self.write_seg)]:
            self._drop(old)
        if not self.waiting and seg == self.write_seg and self.sizes.get(seg) == offset:
            self._drop(self.write_seg)

    def _drop(self, seg: int) -> None:
        if self.reader is not None and self.reader[0] == seg:
            self._close_reader()
        if seg == self.write_seg:
            os.close(self.write_fd)
            self.write_fd, self.write_seg = -1, -1
        del self.sizes[seg]
        os.unlink(self._path(seg))

    def rewind(self) -> None:
        """Read again from the oldest record not released (a replay that was not acknowledged)."""
        self.read_pos = self.released

    def unread(self) -> bool:
        """True while some stored record was not read yet."""
        seg, offset = self.read_pos
        return any(s > seg or (s == seg and size > offset) for s, size in self.sizes.items())

    def close(self) -> None:
        self._close_reader()
        if self.lock_fd >= 0:
            os.close(self.lock_fd)
            self.lock_fd = -1
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1
