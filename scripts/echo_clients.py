#!/usr/bin/env python3
"""Outside clients for the echo example in listen mode (loopback only), to try it as its users
would: many connections, bulk traffic, slow readers, resets.

  scripts/echo_clients.py hold  ADDR N            open N connections, echo a line on each, report
  scripts/echo_clients.py flood ADDR N MBYTES     N connections each sending MBYTES MB, checked
  scripts/echo_clients.py resets ADDR N           N connections that send and reset at once
  scripts/echo_clients.py silent ADDR N SECS      N connections that send nothing for SECS s,
                                                  while a new client asks for an echo each second
  scripts/echo_clients.py idle ADDR N KBYTES SECS N connections that each echo KBYTES once, then
                                                  stay silent for SECS s
  scripts/echo_clients.py blast ADDR N KBYTES     N connections that each send KBYTES and read
                                                  nothing for 15 s, while a new client asks for
                                                  an echo every half second
  scripts/echo_clients.py drip ADDR N SECS        N connections that each send one byte every
                                                  0.5 s (and read their echoes) for SECS s, while
                                                  a new client asks for an echo every second

With ECHO_PID set to the server's pid, silent, idle and blast also report its resident memory.

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


def rss_mb():
    """The server's resident memory in MB, if ECHO_PID names it."""
    pid = os.environ.get("ECHO_PID")
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def fmt_rss(value):
    return "n/a" if value is None else f"{value:.1f} MB"


def probe(addr, timeout=10.0):
    """A new client's round trip: connect, send a line, read the echo. Seconds, or None."""
    start = time.monotonic()
    try:
        with socket.create_connection(addr, timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"probe\n")
            data = b""
            while len(data) < 6:
                chunk = s.recv(64)
                if not chunk:
                    return None
                data += chunk
            return time.monotonic() - start if data == b"probe\n" else None
    except OSError:
        return None


def open_many(addr, n):
    conns = []
    for i in range(n):
        try:
            conns.append(socket.create_connection(addr, timeout=10))
        except OSError as e:
            print(f"connect {i}: {e}")
            break
    return conns


def silent(addr, n, secs):
    conns = open_many(addr, n)
    print(f"{len(conns)} connections open, sending nothing; server RSS {fmt_rss(rss_mb())}")
    end = time.monotonic() + min(secs, LIMIT)
    results = []
    while time.monotonic() < end:
        took = probe(addr)
        results.append(took)
        print(f"  new client: {'no echo within 10 s' if took is None else f'echo in {took * 1000:.0f} ms'}")
        time.sleep(1)
    served = sum(r is not None for r in results)
    print(f"{served} of {len(results)} new clients served; server RSS {fmt_rss(rss_mb())}")
    for c in conns:
        c.close()


def idle(addr, n, kbytes, secs):
    before = rss_mb()
    payload = os.urandom(kbytes * 1024)
    conns = open_many(addr, n)
    for c in conns:
        c.sendall(payload)
    bad = 0
    for c in conns:
        got = b""
        while len(got) < len(payload):
            chunk = c.recv(len(payload) - len(got))
            if not chunk:
                break
            got += chunk
        bad += got != payload
    after_echo = rss_mb()
    print(f"{len(conns)} connections echoed {kbytes} KiB each ({bad} mismatched); "
          f"server RSS before {fmt_rss(before)}, right after {fmt_rss(after_echo)}")
    time.sleep(min(secs, LIMIT))
    print(f"after {secs} s silent: server RSS {fmt_rss(rss_mb())}")
    for c in conns:
        c.close()


def blast(addr, n, kbytes):
    conns = open_many(addr, n)
    payload = b"z" * (kbytes * 1024)
    sent = [0] * len(conns)
    for c in conns:
        c.setblocking(False)
    peak = rss_mb() or 0.0
    probes = []
    end = time.monotonic() + 15
    next_probe = time.monotonic()
    while time.monotonic() < end:
        for i, c in enumerate(conns):
            if sent[i] < len(payload):
                try:
                    sent[i] += c.send(payload[sent[i]:sent[i] + 65536])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    sent[i] = len(payload)  # closed by the server
        if time.monotonic() >= next_probe:
            probes.append(probe(addr))
            next_probe = time.monotonic() + 0.5
        peak = max(peak, rss_mb() or 0.0)
        time.sleep(0.01)
    total = sum(sent)
    ok = [p for p in probes if p is not None]
    print(f"{len(conns)} connections sent {total / 1e6:.0f} MB of {len(conns) * len(payload) / 1e6:.0f} MB "
          f"reading nothing; server RSS peak {peak:.1f} MB")
    if ok:
        ok.sort()
        print(f"new clients meanwhile: {len(ok)} of {len(probes)} served, echo in "
              f"{ok[0] * 1000:.0f} to {ok[-1] * 1000:.0f} ms (median {ok[len(ok) // 2] * 1000:.0f} ms)")
    else:
        print(f"new clients meanwhile: none of {len(probes)} served")
    for c in conns:
        c.close()


def drip(addr, n, secs):
    conns = open_many(addr, n)
    for c in conns:
        c.setblocking(False)
    print(f"{len(conns)} connections open, each sending a byte every 0.5 s")
    start = time.monotonic()
    end = start + min(secs, LIMIT)
    next_drip = start
    next_probe = start + 1
    results = []
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_drip:
            for c in conns:
                try:
                    c.send(b".")
                    c.recv(4096)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass  # closed by the server
            next_drip = now + 0.5
        if now >= next_probe:
            took = probe(addr, timeout=5.0)
            results.append((now - start, took))
            print(f"  at {now - start:4.1f} s, new client: "
                  f"{'no echo within 5 s' if took is None else f'echo in {took * 1000:.0f} ms'}")
            next_probe = time.monotonic() + 1
        time.sleep(0.01)
    served = [t for _, t in results if t is not None]
    print(f"{len(served)} of {len(results)} new clients served"
          + (f", slowest {max(served) * 1000:.0f} ms" if served else ""))
    for c in conns:
        c.close()


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
    elif mode == "silent":
        silent(addr, n, float(sys.argv[4]))
    elif mode == "idle":
        idle(addr, n, int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "blast":
        blast(addr, n, int(sys.argv[4]))
    elif mode == "drip":
        drip(addr, n, float(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
