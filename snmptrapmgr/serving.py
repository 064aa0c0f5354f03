"""``SNMPTrapMgr.serve_async``: process a manager's datagrams on the running asyncio loop.

Why apart from the facade: it is the loop's side of the work (a reader on the
socket, a timer for a ``stop()`` from another thread or a signal); the
manager only has to offer ``fileno()`` and ``process_waiting()``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Optional

__all__ = ["serve_on_loop"]


async def serve_on_loop(mgr: Any, stop: threading.Event, duration: Optional[float] = None) -> None:
    """Call ``mgr.process_waiting()`` whenever its socket is readable, until ``stop`` is set or
    ``duration`` seconds pass (``stop`` is polled every 50 ms: it may be set from anywhere)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    fd = mgr.fileno()
    handles: list = []

    def finish_if_stopped() -> None:
        if stop.is_set() and not done.done():
            done.set_result(None)

    def readable() -> None:
        mgr.process_waiting()
        finish_if_stopped()

    def poll_stop() -> None:
        finish_if_stopped()
        if not done.done():
            handles.append(loop.call_later(0.05, poll_stop))

    loop.add_reader(fd, readable)
    try:
        poll_stop()
        try:
            await asyncio.wait_for(asyncio.shield(done), duration)
        except asyncio.TimeoutError:
            pass
    finally:
        loop.remove_reader(fd)
        for handle in handles:
            handle.cancel()
