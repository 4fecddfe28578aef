"""Baseline clients for bench/bench_loadgen.py: N closed-loop users for D seconds.

Usage: python clients.py {raw,h11,httptools,httpx,aiohttp} URL USERS SECONDS
Prints one JSON line: {"requests": n, "p50_us": ...}. Each user has its own connection
(httpx: one shared AsyncClient, its usual use). ``raw`` is the floor: asyncio streams with a
hand-written response parse (fine for this known server, not for real use).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BODY = b'{"instances":[{"duration":0,"src_bytes":181,"dst_bytes":5450}]}'


async def raw_user(host: str, port: int, deadline: float, lat: list[int]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST /predict HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: "
        "application/json\r\n"
        f"content-length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    count = 0
    while time.perf_counter() < deadline:
        t0 = time.perf_counter_ns()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        lat.append(time.perf_counter_ns() - t0)
        count += 1
    writer.close()
    return count


async def protocol_user(kind: str, host: str, port: int, deadline: float, lat: list[int]) -> int:
    """loadgen's own connection classes alone (no records, no histograms)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from loadgen.transport._h11 import connect_h11
    from loadgen.transport._http import connect

    opener = connect_h11 if kind == "h11" else connect
    conn = await opener(host, port, "/predict", 30.0)
    count = 0
    while time.perf_counter() < deadline:
        response = await conn.post(BODY, timeout_s=30.0)
        json.loads(response.body)
        lat.append(response.done_ns - response.sent_ns)
        count += 1
    conn.close()
    return count


async def run(kind: str, url: str, users: int, seconds: float) -> dict[str, float | None]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lat: list[int] = []
    deadline = time.perf_counter() + seconds
    if kind == "raw":
        counts = await asyncio.gather(*(raw_user(host, port, deadline, lat) for _ in range(users)))
    elif kind in ("h11", "httptools"):
        counts = await asyncio.gather(
            *(protocol_user(kind, host, port, deadline, lat) for _ in range(users))
        )
    elif kind == "httpx":
        import httpx

        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=users)) as client:

            async def one() -> int:
                count = 0
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter_ns()
                    response = await client.post(
                        f"{url}/predict", content=BODY, headers={"content-type": "application/json"}
                    )
                    response.json()
                    lat.append(time.perf_counter_ns() - t0)
                    count += 1
                return count

            counts = await asyncio.gather(*(one() for _ in range(users)))
    elif kind == "aiohttp":
        import aiohttp

        async def one() -> int:
            count = 0
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter_ns()
                    async with session.post(
                        f"{url}/predict", data=BODY, headers={"content-type": "application/json"}
                    ) as response:
                        await response.json()
                    lat.append(time.perf_counter_ns() - t0)
                    count += 1
            return count

        counts = await asyncio.gather(*(one() for _ in range(users)))
    else:
        raise SystemExit(f"unknown client {kind!r}")
    lat.sort()
    return {"requests": sum(counts), "p50_us": lat[len(lat) // 2] / 1000 if lat else None}


if __name__ == "__main__":
    kind, url, users, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(asyncio.run(run(kind, url, users, seconds))))
