"""The shared feed through Redis: a producer process, two panel processes, real redis-server."""

from __future__ import annotations

import json
import time

import numpy as np
import redis
from bokeh.events import ButtonClick
from bokeh.models import Button, Div, Slider

from brownian_panel.feed.redis_keys import RUNS, STREAM, Entry, parse_entry

from ..helpers import LiveClient, wait_until
from ..helpers import client_model as _model
from ..helpers import client_path as _path


def _interrupted(client: LiveClient) -> bool:
    """Whether the page shows that the feed is interrupted."""
    return _shows(client, "interrupted")


def _shows(client: LiveClient, text: str) -> bool:
    return any(getattr(m, "visible", False) and text in str(getattr(m, "text", ""))
               for m in client.session.document.models)


def _pause(client: LiveClient) -> None:
    client.send_event(ButtonClick(_model(client, Button, button_type="primary")))


def _newest(store: redis.Redis) -> Entry:
    """The newest entry of the feed's stream in Redis."""
    [(_id, fields)] = store.xrevrange(STREAM, count=1)
    return parse_entry(fields)


def _last_step(store: redis.Redis, run: str) -> int:
    """The last step of ``run`` that the stream holds."""
    for _id, fields in store.xrevrange(STREAM, count=2000):
        entry = parse_entry(fields)
        if entry.run == run:
            return entry.first + len(entry.y) - 1
    raise AssertionError(f"the stream holds no entry of run {run}")


def _same_path_to_the_end(*clients: LiveClient) -> list[tuple[np.ndarray, np.ndarray]]:
    """Once paused: every client's path, when all end at the same step."""
    def settled():
        paths = [_path(client) for client in clients]
        last = {int(x[-1]) for x, _ in paths if len(x)}
        return len(last) == 1 and all(len(x) for x, _ in paths) and paths
    time.sleep(0.3)  # updates drawn before the pause reached the producer arrive
    return wait_until(settled, timeout=10)


def _check_contiguous_and_equal(paths) -> None:
    for x, _ in paths:
        np.testing.assert_array_equal(x, np.arange(x[0], x[0] + len(x)))  # no gap, no dup
    shortest = min(len(x) for x, _ in paths)
    for x, y in paths[1:]:
        np.testing.assert_array_equal(x[-shortest:], paths[0][0][-shortest:])
        np.testing.assert_array_equal(y[-shortest:], paths[0][1][-shortest:])


def test_viewers_on_two_processes_see_one_path_and_late_joiners_the_backlog(
        producer, shared_backend):
    one, two = shared_backend(), shared_backend()
    with LiveClient(one) as first, LiveClient(two) as second:
        wait_until(lambda: first.points >= 1000 and second.points >= 1000, timeout=30)
        with LiveClient(two) as late:
            assert late.points >= 500  # the backlog, in the first document
            wait_until(lambda: late.points >= first.points - 50 or late.points >= 4000,
                       timeout=20)
            _pause(first)
            _check_contiguous_and_equal(_same_path_to_the_end(first, second, late))
            # Each process counts its own viewers, and says so.
            wait_until(lambda: _model(late, Div, name="viewers").text
                       == "2 viewers on this server", timeout=10)
            assert _model(first, Div, name="viewers").text == "1 viewer on this server"


def test_controls_reach_every_process_and_bad_values_none(producer, shared_backend):
    one, two = shared_backend(), shared_backend()
    with LiveClient(one) as first, LiveClient(two) as second:
        wait_until(lambda: first.points >= 10 and second.points >= 10, timeout=30)
        first.set_property(_model(first, Slider, title="Variance"), "value", 0.3)
        wait_until(lambda: _model(second, Slider, title="Variance").value == 0.3, timeout=10)
        # Two quick moves: the first one's announcement must not come back over the second.
        mine, seen = _model(first, Slider, title="Variance"), []
        first.session._connection.io_loop.add_callback(
            mine.on_change, "value", lambda attr, old, new: seen.append(new))
        for value in (0.5, 0.6, 0.7):
            first.set_property(mine, "value", value)
        wait_until(lambda: _model(second, Slider, title="Variance").value == 0.7, timeout=10)
        time.sleep(0.5)
        assert seen == [0.5, 0.6, 0.7] and mine.value == 0.7
        first.set_property(mine, "value", 0.3)
        wait_until(lambda: _model(second, Slider, title="Variance").value == 0.3, timeout=10)
        slider = _model(second, Slider, title="Variance")
        second.set_property(slider, "value", 7.0)  # refused on its page, sent nowhere
        wait_until(lambda: slider.value == 0.3, timeout=10)
        time.sleep(0.5)
        assert _model(first, Slider, title="Variance").value == 0.3
        _pause(second)
        wait_until(lambda: _model(first, Button, button_type="primary").label == "Resume",
                   timeout=10)
        _check_contiguous_and_equal(_same_path_to_the_end(first, second))


def test_redis_killed_and_restarted_loses_nothing(redis_server, producer, start_producer,
                                                  shared_backend):
    one, two = shared_backend(), shared_backend()
    with LiveClient(one) as first, LiveClient(two) as second:
        wait_until(lambda: first.points >= 100 and second.points >= 100, timeout=30)
        store = redis.Redis.from_url(redis_server.url)
        old_run = _newest(store).run
        # A reset and a variance before the crash: Redis will lose both with its hash.
        first.send_event(ButtonClick(_model(first, Button, label="Reset")))
        first.set_property(_model(first, Slider, title="Variance"), "value", 0.4)
        wait_until(lambda: _model(second, Slider, title="Variance").value == 0.4, timeout=10)
        # The producer has taken both: its new run, drawn with 0.4. (A control in the hash
        # that the producer has not read yet dies with Redis: the pages then show what the
        # producer draws with. CI killed Redis that early once.)
        wait_until(lambda: (newest := _newest(store)).run != old_run and newest.variance == 0.4,
                   timeout=10)
        new_run = _newest(store).run
        # Both pages show 500 points of the new run; each run starts at step 1, so a page is
        # on the new one once it holds a step the old run never reached.
        beyond_old = _last_step(store, old_run) + 500
        wait_until(lambda: _newest(store).run == new_run and _last_step(store, new_run)
                   >= beyond_old, timeout=30)
        wait_until(lambda: all(len(_path(client)[0]) and _path(client)[0][-1] >= beyond_old
                               for client in (first, second)), timeout=30)
        redis_server.kill()
        wait_until(lambda: _interrupted(first) and _interrupted(second), timeout=10)
        stalled = first.points
        before_the_crash = _path(first)[0][-1]
        _pause(second)  # cannot reach the producer: the page says so, nothing changes
        wait_until(lambda: _shows(second, "Not applied"), timeout=10)
        assert _model(second, Button, button_type="primary").label == "Pause"
        time.sleep(1.0)  # the producer keeps drawing and keeps its updates
        assert first.points == stalled  # nothing arrives while Redis is down
        restarted = time.monotonic()
        redis_server.start()  # same port, empty: no persistence
        wait_until(lambda: first.points > stalled + 100, timeout=10)
        flowing = time.monotonic() - restarted
        wait_until(lambda: not _interrupted(first) and not _interrupted(second), timeout=10)
        # The controls survive (the producer writes them back) and work again.
        assert _model(second, Slider, title="Variance").value == 0.4
        second.set_property(_model(second, Slider, title="Variance"), "value", 0.6)
        wait_until(lambda: _model(first, Slider, title="Variance").value == 0.6, timeout=10)
        _pause(first)
        paths = _same_path_to_the_end(first, second)
        _check_contiguous_and_equal(paths)
        # The same run goes on (no reset), and the second of drawing while Redis was down
        # (about 500 points) is in every path.
        for x, _ in paths:
            assert x[0] <= before_the_crash - 400
        assert len(paths[0][0]) > 500 + stalled - 100
        # The run is described again (a backend started now exports the producer's settings).
        runs = redis.Redis.from_url(redis_server.url).hgetall(RUNS)
        assert [json.loads(value)["settings"]["window"] for value in runs.values()] == [5000]
        # The producer said it lost Redis once, not at every tick of the outage.
        said = start_producer.logs[0].read_text(errors="replace")
        assert said.count("cannot reach Redis") == 1, said[-3000:]
        print(f"stream flowing again {flowing:.2f} s after redis-server restarted")


def test_a_restarted_producer_starts_a_new_path_for_every_viewer(start_producer,
                                                                 shared_backend):
    producer = start_producer()
    with LiveClient(shared_backend()) as viewer:
        wait_until(lambda: viewer.points >= 1000, timeout=30)
        producer.terminate()
        producer.wait(timeout=10)
        start_producer()  # the same seed: steps 1, 2, ... again, a new run
        wait_until(lambda: len(_path(viewer)[0]) >= 100 and _path(viewer)[0][0] == 1, timeout=20)
        x, _ = _path(viewer)
        np.testing.assert_array_equal(x, np.arange(1, len(x) + 1))
