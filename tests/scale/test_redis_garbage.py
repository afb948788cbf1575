"""A foreign writer puts garbage into Redis: the producer and the backends survive, skip what
is bad with one WARNING each, and no viewer sees a bad point."""

from __future__ import annotations

import math

import numpy as np
import redis

from brownian_panel.feed.redis_keys import CHANNEL, CONTROLS, MAX_STEP, SET_CONTROLS, STREAM

from ..helpers import LiveClient, wait_until
from ..helpers import client_path as _path


def _bad_entries(run: bytes, next_step: int) -> list[dict]:
    """Entries that are not the producer's: wrong fields, NaN, huge values, wrong lengths."""
    def y(*values) -> bytes:
        return np.array(values, dtype=np.float64).tobytes()

    return [
        {"foo": "bar"},                                                   # no run, first, y
        {"run": run, "first": "one", "y": y(0.5)},                        # first not a number
        {"run": run, "first": next_step, "y": y(0.1, math.nan)},          # NaN
        {"run": run, "first": next_step, "y": y(0.1, math.inf)},          # infinity
        {"run": run, "first": next_step, "y": y(1e300, 1e300)},           # huge
        {"run": run, "first": next_step, "y": y(0.0, 1e3)},               # a jump no walk makes
        {"run": run, "first": next_step, "y": b"\x00" * 13},              # not float64s
        {"run": run, "first": next_step, "y": y(0.1), "v": "lots"},       # variance not a number
        {"run": run, "first": next_step, "y": y(0.1), "v": "7"},          # variance out of range
        {"run": b"\xff\xfe", "first": next_step, "y": y(0.1)},            # run not text
    ]


def _warnings(path, text: str) -> int:
    """Lines of the log at ``path`` that hold ``text`` (our warnings there have no level)."""
    return sum(text in line for line in path.read_text().splitlines())


def test_garbage_in_the_stream_and_the_controls_is_skipped(redis_server, start_producer,
                                                           shared_backend, start_process,
                                                           tmp_path):
    producer = start_producer()
    producer_log = start_producer.logs[0]
    url = shared_backend()
    backend_log = next(tmp_path.glob("server-*.log"))
    client = redis.Redis.from_url(redis_server.url)
    with LiveClient(url) as viewer:
        wait_until(lambda: viewer.points >= 200, timeout=30)
        [(_, newest)] = client.xrevrange(STREAM, count=1)
        bad = _bad_entries(newest[b"run"], int(newest[b"first"]) + 10)
        for entry in bad:
            client.xadd(STREAM, entry)
        # The controls hash: strings, a value out of range, then the version removed.
        client.hset(CONTROLS, mapping={"variance": "abc", "paused": "maybe", "reset": "x"})
        client.hincrby(CONTROLS, "version", 1)
        client.publish(CHANNEL, "garbage")
        # Both processes read this state before the next one replaces it (each reads the
        # hash when told, so a busy one could skip straight to the next).
        wait_until(lambda: _warnings(backend_log, "skipped stream entry") >= len(bad) - 1
                   and _warnings(backend_log, "variance = b'abc'")
                   and _warnings(producer_log, "variance = b'abc'"), timeout=10)
        client.hset(CONTROLS, "variance", "7")
        client.hincrby(CONTROLS, "version", 1)
        client.publish(CHANNEL, "garbage")
        wait_until(lambda: _warnings(backend_log, "Variance must be"), timeout=10)
        client.hdel(CONTROLS, "version")
        client.publish(CHANNEL, "garbage")
        # A well-formed control still reaches the producer and every viewer.
        client.hset(CONTROLS, mapping={"paused": "0", "reset": "0"})
        client.eval(SET_CONTROLS, 2, CONTROLS, CHANNEL, "variance", "0.5")
        wait_until(lambda: float(client.hget(CONTROLS, "variance")) == 0.5, timeout=10)
        points = viewer.points
        wait_until(lambda: viewer.points >= points + 200, timeout=20)  # it streams on

        x, y = _path(viewer)
        assert np.isfinite(y).all() and np.abs(y).max() < 1e4
        assert np.abs(np.diff(y)).max() <= MAX_STEP
        np.testing.assert_array_equal(x, np.arange(x[0], x[0] + len(x)))  # no gap, no dup

    assert producer.poll() is None, "the producer survived"
    # One WARNING per bad entry (the NaN, infinity, huge, jump, length, variance, run ones;
    # "first not a number" and "no fields" included), and for each bad control field.
    assert _warnings(backend_log, "skipped stream entry") == len(bad)
    assert _warnings(backend_log, "controls field variance = b'abc'") == 1
    assert _warnings(backend_log, "controls field paused = b'maybe'") == 1
    assert _warnings(backend_log, "Variance must be") == 1
    wait_until(lambda: _warnings(producer_log, "controls field variance = b'abc'") == 1)
    assert _warnings(producer_log, "controls field reset = b'x'") == 1
