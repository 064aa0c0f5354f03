"""The asyncio front: ``async for`` over notifications, ``serve()``; both stop cleanly."""

from __future__ import annotations

import asyncio
import socket
import threading

from bench.traffic import FIRST_REQUEST_ID, typical_v2c_trap
from snmptrapmgr import SNMPTrapMgr, aio
from snmptrapmgr.codec.encode import PDU_INFORM, PDU_RESPONSE, encode_community_message, encode_pdu


def _send(port, count=1, start=0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        for i in range(count):
            tx.sendto(typical_v2c_trap(FIRST_REQUEST_ID + start + i), ("127.0.0.1", port))


def test_async_for_receives_and_closes(impl):
    async def main():
        got = []
        async with aio.receive(host="127.0.0.1", port=0) as notifications:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, _send, notifications.port, 20)
            async for event in notifications:
                got.append(event.request_id)
                if len(got) == 20:
                    break
            mgr = notifications.mgr
        assert not mgr.active  # the context closed its own socket
        return got

    got = asyncio.run(asyncio.wait_for(main(), 10))
    assert got == [0x01000000 + i for i in range(20)]


def test_close_ends_iteration(impl):
    async def main():
        notifications = aio.receive(host="127.0.0.1", port=0)
        notifications.start()
        asyncio.get_running_loop().call_later(0.1, notifications.close)
        items = [e async for e in notifications]
        return items

    assert asyncio.run(asyncio.wait_for(main(), 10)) == []


def test_async_informs_are_answered(impl):
    async def main():
        async with aio.receive(host="127.0.0.1", port=0) as notifications:
            tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tx.setblocking(False)
            pdu = encode_pdu(PDU_INFORM, 4321, 0, 0, [("1.3.6.1.2.1.1.3.0", 0x43, 5),
                                                    ("1.3.6.1.6.3.1.1.4.1.0", 0x06, "1.3.6.1.6.3.1.1.5.1")])
            tx.sendto(encode_community_message(1, b"public", pdu), ("127.0.0.1", notifications.port))
            event = await notifications.__anext__()
            reply = await asyncio.get_running_loop().sock_recv(tx, 2000)
            tx.close()
            return event, reply

    event, reply = asyncio.run(asyncio.wait_for(main(), 10))
    assert event.request_id == 4321
    from snmptrapmgr.codec import ber

    version, community, pdu = ber.decode_message(reply)
    assert pdu[0] == PDU_RESPONSE and pdu[1] == 4321


def test_serve_with_callbacks_and_stop_from_thread(impl):
    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    got = []
    mgr.on_trap = got.append

    async def main():
        mgr.activate()
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, _send, mgr.local_port, 30)
        ticks = []

        async def other_work():  # the loop stays free for other tasks
            for _ in range(5):
                await asyncio.sleep(0.01)
                ticks.append(1)

        task = asyncio.ensure_future(other_work())
        threading.Timer(0.5, mgr.stop).start()
        await mgr_serve()
        await task
        return ticks

    async def mgr_serve():
        await aio.serve(mgr)

    ticks = asyncio.run(asyncio.wait_for(main(), 10))
    assert len(got) == 30 and len(ticks) == 5
    mgr.deactivate()


def test_serve_duration(impl):
    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    asyncio.run(asyncio.wait_for(aio.serve(mgr, 0.2), 5))
    assert mgr.active
    mgr.deactivate()


def test_mgr_serve_async_method(impl):
    mgr = SNMPTrapMgr()
    mgr.local_host = "127.0.0.1"
    mgr.local_port = 0
    got = []
    mgr.on_trap = got.append

    async def main():
        mgr.activate()
        asyncio.get_running_loop().call_later(0.05, _send, mgr.local_port, 3)
        asyncio.get_running_loop().call_later(0.4, mgr.stop)
        await mgr.serve_async()

    asyncio.run(asyncio.wait_for(main(), 10))
    mgr.deactivate()
    assert len(got) == 3
