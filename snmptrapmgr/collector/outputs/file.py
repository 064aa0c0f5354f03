"""The ``file`` output: JSON lines appended to a file, or written to stdout (path ``-``).

Each batch is one write(2) of whole lines (a file is opened O_APPEND), so a
reader never sees half a batch from a live writer.  With a ``lock``
(shared by worker processes) a batch is written under it, so lines from
several processes never interleave, even on a pipe.  Taken durably =
write(2) returned for the whole batch: :meth:`FileOutput.acked` then
passes it.  What a failed write left unwritten stays here and goes first
in the next submit or poll, so the watermark never skips a line and no
line is written twice; the error is raised to the caller.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping, Optional

from .base import Batch, Output

__all__ = ["FileOutput"]


class FileOutput(Output):
    """Appends to ``path`` (created 0644), or writes to stdout for ``-``."""

    type_name = "file"

    def __init__(self, path: str = "-", lock: Any = None) -> None:
        super().__init__()
        self.path = path
        if path in ("-", ""):
            self.fd = sys.stdout.fileno()
            self.owned = False
        else:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self.owned = True
        self.lock = lock
        self.taken = 0             # the watermark: every line numbered below was written
        self.unwritten: Optional[memoryview] = None  # what a failed write left ...
        self.unwritten_end = 0                       # ... and the number after its last line

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], **context: Any) -> "FileOutput":
        return cls(str(spec.get("path") or "-"), context.get("lock"))

    def submit(self, batch: Batch) -> None:
        data = "".join(batch.lines).encode("utf-8", "surrogateescape")
        if self.unwritten is not None:
            data = bytes(self.unwritten) + data
        self.unwritten = memoryview(data)
        self.unwritten_end = batch.end
        self._write_unwritten()

    def poll(self) -> None:
        """Write what a failed write left (raises again if it fails again)."""
        if self.unwritten is not None:
            self._write_unwritten()

    def _write_unwritten(self) -> None:
        if self.lock is not None:
            with self.lock:
                self._write_all()
        else:
            self._write_all()
        self.taken = self.unwritten_end

    def _write_all(self) -> None:
        view = self.unwritten
        fd = self.fd
        while view:
            try:
                written = os.write(fd, view)
            except InterruptedError:
                continue
            except OSError:
                self.unwritten = view
                raise
            view = view[written:]
        self.unwritten = None

    def acked(self) -> int:
        return self.taken

    def close(self) -> None:
        if self.owned:
            os.close(self.fd)
            self.owned = False
