#!/usr/bin/env python3
"""Outside clients for the echo example in listen mode (loopback only), to try it as its users
would: many connections, bulk traffic, slow readers, resets.

  scripts/echo_clients.py hold  ADDR N            open N connections, echo a line on each, report
  scripts/echo_clients.py flood ADDR N MBYTES     N connections each sending MBYTES MB, checked
  scripts/echo_clients.py resets ADDR N           N connections that send and reset at once

Every run is bounded in count and time (60 s at most) and ends by itself.
"""
import asyncio
import os
import socket
import struct
import sys
import time

LIMIT = 60.0


def parse_addr(text):
    host, port = text.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "[::1]", "::1"):
        sys.exit("loopback addresses only")
    return host.strip("[]"), int(port)


async def hold(addr, n):
    conns, served, waiting = [], 0, 0
    for i in range(n):
        try:
            r, w = await asyncio.open_connection(*addr)
        except OSError as e:
            print(f"connect {i}: {e}")
            break
        conns.append((r, w))
        w.write(f"{i:06}\n".encode())
    for i, (r, w) in enumerate(conns):
        try:
            line = await asyncio.wait_for(r.readline(), 0.5)
            served += line == f"{i:06}\n".encode()
        except asyncio.TimeoutError:
            waiting += 1
    print(f"{len(conns)} connected: {served} echoed at once, {waiting} not (yet) accepted")
    # Close the first half; the rest must then be served.
    half = len(conns) // 2
    for r, w in conns[:half]:
        w.close()
    late = 0
    for i, (r, w) in enumerate(conns[half:], start=half):
        try:
            w.write(b"again\n")
            # A connection accepted late echoes its first line, then this one.
            data = b""
            deadline = time.monotonic() + 10
            while b"again\n" not in data and time.monotonic() < deadline:
                data += await asyncio.wait_for(r.read(4096), 10)
            late += b"again\n" in data
        except (asyncio.TimeoutError, OSError):
            pass
        w.close()
    print(f"after closing {half}: {late} of {len(conns) - half} others served")


async def flood_one(addr, size, chunk, counters):
    r, w = await asyncio.open_connection(*addr)
    payload = os.urandom(chunk)

    async def send():
        sent = 0
        while sent < size:
            w.write(payload)
            await w.drain()
            sent += len(payload)
        w.write_eof()

    async def receive():
        got = 0
        doubled = payload + payload
        while True:
            data = await r.read(chunk)
            if not data:
                return got
            # The echo repeats the payload: check each read against it, from where it is.
            off = got % chunk
            if data != doubled[off : off + len(data)]:
                counters["bad"] += 1
            got += len(data)

    sender = asyncio.create_task(send())
    got = await receive()
    await sender
    w.close()
    counters["bytes"] += got


async def flood(addr, n, mbytes):
    size = mbytes * 1_000_000
    chunk = 65536
    size -= size % chunk
    counters = {"bytes": 0, "bad": 0}
    start = time.monotonic()
    await asyncio.gather(*(flood_one(addr, size, chunk, counters) for _ in range(n)))
    secs = time.monotonic() - start
    print(
        f"{n} connections echoed {counters['bytes'] / 1e6:.0f} MB in {secs:.1f} s "
        f"({counters['bytes'] / 1e6 / secs:.0f} MB/s), {counters['bad']} mismatched reads"
    )


def resets(addr, n):
    for _ in range(n):
        s = socket.create_connection(addr)
        s.send(b"x" * 1000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print(f"{n} connections reset")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode, addr = sys.argv[1], parse_addr(sys.argv[2])
    n = int(sys.argv[3])
    if mode == "hold":
        asyncio.run(asyncio.wait_for(hold(addr, n), LIMIT))
    elif mode == "flood":
        asyncio.run(asyncio.wait_for(flood(addr, n, int(sys.argv[4])), LIMIT * 5))
    elif mode == "resets":
        resets(addr, n)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
