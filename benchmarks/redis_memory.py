"""Redis memory of the shared feed's stream: what a producer keeps so that a backend started
late shows the whole History (``history`` points of the first path).

    python -m benchmarks.redis_memory [--points 200000] [--batches 1,10,100,1000]

For each batch size: a fresh redis-server (Debian's, loopback), one ``Producer`` ticked as fast
as it writes until the stream holds ``points`` points, then Redis' own count of the stream's
bytes (``MEMORY USAGE``), its ``used_memory`` above the empty server's, and the seconds a
backend started then takes to read the run back into its record.
"""

from __future__ import annotations

import argparse
import json
import time

from brownian_panel.feed.producer import Producer, stream_entries
from brownian_panel.feed.redis_keys import STREAM
from brownian_panel.model.walk import BrownianMotion
from support.processes import RedisServer

from .machine import machine


def measure(points: int, batch: int) -> dict:
    import redis

    server = RedisServer()
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        empty = client.info("memory")["used_memory"]
        model = BrownianMotion(batch=batch, window=10_000, history=max(points, 100_000), seed=1)
        producer = Producer(server.url, model)
        started = time.perf_counter()
        for _ in range(-(-points // batch)):
            producer.tick()
        elapsed = time.perf_counter() - started
        entries = client.xlen(STREAM)
        stream = client.memory_usage(STREAM, samples=0)
        used = client.info("memory")["used_memory"] - empty
        caught_up = _late_backend(server.url, entries * batch)
        return {"batch": batch, "points": entries * batch, "entries": entries,
                "kept_entries": stream_entries(model), "stream_bytes": stream,
                "bytes_per_point": round(stream / (entries * batch), 1),
                "used_memory_bytes": used, "write_s": round(elapsed, 2),
                "late_backend_s": round(caught_up, 2)}
    finally:
        server.stop()


def _late_backend(url: str, points: int) -> float:
    """Seconds a backend started now takes until its record holds ``points`` points."""
    import asyncio

    from tornado.ioloop import IOLoop

    from brownian_panel.feed.redis_feed import RedisFeed

    async def follow() -> float:
        feed = RedisFeed(url, loop=IOLoop.current())
        started = time.perf_counter()
        feed.start()
        try:
            while len(feed.record.history) < points:
                await asyncio.sleep(0.01)
            return time.perf_counter() - started
        finally:
            feed.stop()
    return asyncio.run(follow())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.redis_memory",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batches", default="1,10,100,1000")
    options = parser.parse_args(argv)
    print(json.dumps({"machine": machine()}))
    for batch in (int(value) for value in options.batches.split(",")):
        print(json.dumps(measure(options.points, batch)), flush=True)


if __name__ == "__main__":
    main()
