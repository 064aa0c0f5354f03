"""The ``file`` output: JSON lines appended to a file, or written to stdout (path ``-``).

Each batch is one write(2) of whole lines (a file is opened O_APPEND), so a
reader never sees half a batch from a live writer.  With a ``lock``
(shared by worker processes) a batch is written under it, so lines from
several processes never interleave, even on a pipe; on a pipe the batch goes
in writes of whole lines of at most PIPE_BUF octets (each atomic), so a worker
killed in the middle of a batch leaves no torn line before the next one's.  Taken durably =
write(2) returned for the whole batch (and fsync(2), with ``fsync``):
:meth:`FileOutput.acked` then passes it.

A write that fails (a full disk, a quota, an I/O error) keeps what it could
not write, first in line for the next submit or poll, so the watermark never
skips a line and no line is written twice; it is counted, said once per
episode (and once more when writing works again), and never raised: the
collector keeps receiving, holds the informs that are not stored (their
senders retry) and stops reading when too much is waiting
(:attr:`~snmptrapmgr.collector.delivery.Delivery.backlog`).

A file that does not end in a newline (a torn line left by a crash) gets
one before the first record, at open and at every reopen, so a torn line is
never glued to the next record.  :meth:`FileOutput.reopen` (SIGHUP) opens the
path again: after logrotate's ``create`` the lines go to the new file.

Drop-behind (``drop_behind``, on by default for a regular file): the lines
the collector wrote more than :data:`BEHIND` octets ago are handed to the
kernel to write back and then leave the page cache (posix_fadvise
``DONTNEED``, one call per :data:`BEHIND_STEP` written).  The collector
never reads its log back, and a reader tailing the file finds the recent
part cached; without it the page cache grows by every line written, and
where fresh memory is dear (a VM that hands freed pages back to its host,
as here: ~9 µs of system time per new 4 KiB page) that growth, not the
write, was most of listen's system time (README "Performance").
"""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
import time
from typing import Any, Mapping, Optional

from ..config import ConfigError
from .base import Batch, Output

__all__ = ["FileOutput", "DEFAULT_MODE"]

#: permissions of a file the output creates (before the umask): the owner writes, its group reads
DEFAULT_MODE = 0o640
#: drop-behind: what stays cached behind the end of the file, and how often the kernel is asked
BEHIND = 32 << 20
BEHIND_STEP = 16 << 20


def _error_text(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "")
    return f"{exc.strerror or exc}" + (f" ({name})" if name else "")


class FileOutput(Output):
    """Appends to ``path`` (created with ``mode``), or writes to stdout for ``-``."""

    type_name = "file"

    def __init__(self, path: str = "-", lock: Any = None, mode: int = DEFAULT_MODE,
                 fsync: bool = False, drop_behind: bool = True) -> None:
        super().__init__()
        self.path = path
        self.mode = mode
        self.fsync = fsync
        self.lock = lock
        self.fd = -1
        self.owned = False
        self.taken = 0             # the watermark: every line numbered below was written
        self.unwritten: Optional[memoryview] = None  # what a failed write left ...
        self.unwritten_end = 0                       # ... and the number after its last line
        self.write_errors = 0      # failed write(2)/fsync(2) calls
        self.failing_since: Optional[float] = None   # the current episode of failed writes
        self.drop_behind = drop_behind
        self.behind = -1           # drop-behind: where the next range to hand over starts ...
        self.asked = -1            # ... and where the last one ended (-1: no drop-behind)
        self.fd = self._open()
        self.pipe = stat.S_ISFIFO(os.fstat(self.fd).st_mode)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> "FileOutput":
        drop_behind = spec.get("drop_behind", True)
        if not isinstance(drop_behind, bool):
            raise ConfigError(f"output file: drop_behind is true or false, not {drop_behind!r}")
        return cls(str(spec.get("path") or "-"), context.get("lock"),
                   int(spec.get("mode", DEFAULT_MODE)), bool(spec.get("fsync", False)), drop_behind)

    @staticmethod
    def log(text: str) -> None:
        sys.stderr.write(f"snmptrapmgr: {text}\n")
        sys.stderr.flush()

    def _open(self) -> int:
        """The descriptor to write to; a file not ending in a newline gets one (a torn last line)."""
        if self.path in ("-", ""):
            self.owned = False
            return sys.stdout.fileno()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, self.mode)
        self.owned = True
        try:
            status = os.fstat(fd)
            size = status.st_size
            self.behind = self.asked = size if self.drop_behind and stat.S_ISREG(status.st_mode) else -1
            if size:
                with open(self.path, "rb") as reader:
                    reader.seek(size - 1)
                    torn = reader.read(1) != b"\n"
                if torn:
                    os.write(fd, b"\n")
        except OSError:
            pass  # a file we cannot read back (or a full disk): the first write says what is wrong
        return fd

    def submit(self, batch: Batch) -> None:
        data = "".join(batch.lines).encode("utf-8", "surrogateescape")
        if self.unwritten is not None:
            data = bytes(self.unwritten) + data
        self.unwritten = memoryview(data)
        self.unwritten_end = batch.end
        self._write_unwritten()

    def poll(self) -> None:
        """Write what a failed write left (at most one attempt per call)."""
        if self.unwritten is not None:
            self._write_unwritten()

    def _write_unwritten(self) -> None:
        try:
            if self.lock is not None:
                with self.lock:
                    self._write_all()
            else:
                self._write_all()
            if self.fsync and self.owned:
                os.fsync(self.fd)
        except OSError as exc:
            self.write_errors += 1
            if self.failing_since is None:
                self.failing_since = time.monotonic()
                kept = len(self.unwritten) if self.unwritten is not None else 0
                self.log(f"cannot write {self.path}: {_error_text(exc)}; keeping {kept:,} octets "
                         f"and retrying (informs are not acknowledged until they are written)")
            return
        self.taken = self.unwritten_end
        if self.behind >= 0:
            self._drop_behind()
        if self.failing_since is not None:
            self.log(f"writing {self.path} again after {time.monotonic() - self.failing_since:.1f} s "
                     f"({self.write_errors:,} failed writes so far)")
            self.failing_since = None

    def _drop_behind(self) -> None:
        """Hand what lies more than BEHIND octets back to the kernel: each range is asked twice,
        one step apart (the first starts its write-back, the second drops the pages now clean)."""
        try:
            upto = os.lseek(self.fd, 0, os.SEEK_CUR) - BEHIND  # O_APPEND: the offset is the end
            if upto - self.asked < BEHIND_STEP:
                return
            os.posix_fadvise(self.fd, self.behind, upto - self.behind, os.POSIX_FADV_DONTNEED)
        except OSError as exc:  # the lines are written: only the cache hint failed; stop asking
            self.behind = self.asked = -1
            self.log(f"{self.path}: the page cache hint failed ({_error_text(exc)}); drop-behind off")
            return
        self.behind, self.asked = self.asked, upto

    def _write_all(self) -> None:
        view = self.unwritten
        fd = self.fd
        chunked = self.lock is not None and self.pipe
        while view:
            part = view
            if chunked and len(view) > select.PIPE_BUF:
                # workers sharing a pipe: whole lines of at most PIPE_BUF per write(2), each atomic,
                # so a worker killed in the middle of a batch leaves no torn line for the others
                end = bytes(view[:select.PIPE_BUF]).rfind(b"\n") + 1
                part = view[:end] if end else view
            try:
                written = os.write(fd, part)
            except InterruptedError:
                continue
            except OSError:
                self.unwritten = view
                raise
            view = view[written:]
        self.unwritten = None

    def acked(self) -> int:
        return self.taken

    def flush(self, timeout: float) -> bool:
        """Retry a kept batch until it is written or ``timeout`` passes (a clean stop)."""
        end = time.monotonic() + timeout
        while self.unwritten is not None and time.monotonic() < end:
            self._write_unwritten()
            if self.unwritten is not None:
                time.sleep(0.05)
        return self.unwritten is None

    def reopen(self) -> None:
        """Open the path again (SIGHUP after a log rotation); stdout stays as it is."""
        if not self.owned:
            return
        fd = self._open()
        os.close(self.fd)
        self.fd = fd

    def counters(self) -> dict:
        return {"write_errors": self.write_errors} if self.write_errors else {}

    def close(self) -> None:
        if self.owned:
            os.close(self.fd)
            self.owned = False
