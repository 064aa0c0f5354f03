"""An asyncio front for :class:`~snmptrapmgr.SNMPTrapMgr`.

The socket is watched with ``loop.add_reader``; when it is readable the
waiting datagrams are processed at once (``SNMPTrapMgr.process_waiting``,
which never blocks) and the usual ``on_xxx`` callbacks fire on the loop's
thread.  Two ways in::

    # 1. iterate over notifications (traps and informs)
    async with snmptrapmgr.aio.receive(host="127.0.0.1", port=1162) as notifications:
        async for event in notifications:
            print(event.trap_oid)

    # 2. keep your callbacks, serve until stopped
    mgr.on_trap = handle
    await snmptrapmgr.aio.serve(mgr)          # returns after mgr.stop()

Informs are acknowledged when ``respond`` is True after the handler; the
iterator sets it (``respond=True`` by default) before yielding, because the
Response must leave while the datagram is processed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Optional

from .trapmgr import SNMPTrapMgr

__all__ = ["serve", "receive", "Notifications"]


async def serve(mgr: SNMPTrapMgr, duration: Optional[float] = None) -> None:
    """Process ``mgr``'s datagrams on the running loop until ``mgr.stop()`` or ``duration``.

    The same as ``await mgr.serve_async(duration)``; activates ``mgr`` if
    needed and leaves it active on return.
    """
    await mgr.serve_async(duration)


class Notifications:
    """Async iterator (and async context manager) over received traps and informs."""

    def __init__(self, mgr: Optional[SNMPTrapMgr] = None, *, host: str = "", port: int = 162,
                 respond: bool = True, max_queue: int = 65536) -> None:
        self.mgr = mgr if mgr is not None else SNMPTrapMgr()
        self._own = mgr is None
        if self._own:
            if ":" in host:
                self.mgr.config("UseIPv6=True")
            self.mgr.local_host = host
            self.mgr.local_port = port
        self.respond = respond
        self.max_queue = max_queue
        self.overflows = 0
        self._queue: deque = deque()
        self._waiter: Optional[asyncio.Future] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._previous: Any = None
        self._closed = False

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "Notifications":
        if self._loop is not None:
            return self
        self._loop = asyncio.get_running_loop()
        mgr = self.mgr
        if not mgr.active:
            mgr.activate()
        self._previous = (mgr.on_trap, mgr.on_inform_request)
        mgr.on_trap = self._put
        mgr.on_inform_request = self._put_inform
        self._loop.add_reader(mgr.fileno(), self._readable)
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._loop is not None:
            self._loop.remove_reader(self.mgr.fileno())
            self.mgr.on_trap, self.mgr.on_inform_request = self._previous
        if self._own:
            self.mgr.deactivate()
        self._wake()

    async def __aenter__(self) -> "Notifications":
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        return self.mgr.local_port

    # -------------------------------------------------------------- events
    def _put(self, event: Any) -> None:
        if len(self._queue) >= self.max_queue:
            self.overflows += 1  # the consumer is too slow: counted, never silent
            return
        self._queue.append(event)

    def _put_inform(self, event: Any) -> None:
        event.respond = self.respond
        self._put(event)

    def _readable(self) -> None:
        self.mgr.process_waiting()
        if self._queue:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ----------------------------------------------------------- iteration
    def __aiter__(self) -> "Notifications":
        return self

    async def __anext__(self) -> Any:
        if self._loop is None:
            self.start()
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = self._loop.create_future()  # type: ignore[union-attr]
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()


def receive(mgr: Optional[SNMPTrapMgr] = None, *, host: str = "", port: int = 162,
            respond: bool = True) -> Notifications:
    """Notifications from ``mgr`` (or a new manager bound to host:port) as an async iterator.

    Use as ``async with receive(...) as n: async for event in n: ...`` (the
    context closes the socket when the block ends), or iterate directly and
    call ``close()``; ``close()`` ends the iteration once the queue is empty.
    """
    return Notifications(mgr, host=host, port=port, respond=respond)
