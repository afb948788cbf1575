"""The shared feed in a real server process: one path for every session, global controls."""

from __future__ import annotations

import numpy as np
from bokeh.models import Button, Slider

from ..helpers import LiveClient, run_in_session, wait_until
from ..helpers import client_model as _model
from ..helpers import client_path as _path


def _fast(served_shared) -> None:
    """Make the feed draw 10 points every 20 ms (it runs on the server's loop)."""
    feed = served_shared.app().feed
    served_shared.on_server_loop(lambda: feed.model.param.update(period=20, batch=10))


def _pause_label(client: LiveClient) -> str:
    return _model(client, Button, button_type="primary").label


def test_every_session_shows_the_same_path_and_late_joiners_get_the_backlog(served_shared):
    with LiveClient(served_shared.url) as first:
        _fast(served_shared)
        feed = served_shared.app().feed
        with LiveClient(served_shared.url) as second:
            wait_until(lambda: first.points >= 2000 and second.points >= 200, timeout=30)
            with LiveClient(served_shared.url) as late:
                wait_until(lambda: late.points >= 2500, timeout=30)
                run_in_session(served_shared.app(0), lambda: feed.model.param.update(
                    paused=True))
                steps = feed.model.steps
                for client in (first, second, late):
                    wait_until(lambda c=client: c.points and _path(c)[0][-1] == steps,
                               timeout=10)
                x, y = _path(late)
                # The late joiner's backlog and what followed: no gap, no duplicate.
                np.testing.assert_array_equal(x, np.arange(steps - len(x) + 1, steps + 1))
                for client in (first, second):
                    cx, cy = _path(client)
                    np.testing.assert_array_equal(cx[-len(x):], x)
                    np.testing.assert_array_equal(cy[-len(x):], y)
                assert feed.subscribers == 3
    wait_until(lambda: feed.subscribers == 0, timeout=10)  # sessions ended, views released
    assert not feed.model.param.watchers.get("variance", {}).get("value")


def test_controls_are_global(served_shared):
    with LiveClient(served_shared.url) as first, LiveClient(served_shared.url) as second:
        _fast(served_shared)
        feed = served_shared.app().feed
        wait_until(lambda: first.points > 10 and second.points > 10, timeout=20)
        first.send_event(_click(first, "Pause"))
        wait_until(lambda: feed.model.paused and _pause_label(second) == "Resume"
                   and _pause_label(first) == "Resume", timeout=10)
        settled = feed.model.steps
        wait_until(lambda: _path(first)[0][-1] == _path(second)[0][-1] == settled, timeout=10)

        first.set_property(_model(first, Slider, title="Variance"), "value", 0.3)
        wait_until(lambda: feed.model.variance == 0.3, timeout=10)
        wait_until(lambda: _model(second, Slider, title="Variance").value == 0.3, timeout=10)

        second.send_event(_click(second, "Resume"))
        wait_until(lambda: not feed.model.paused and _pause_label(first) == "Pause",
                   timeout=10)
        wait_until(lambda: _path(first)[0][-1] > settled, timeout=10)


def test_a_bad_value_from_one_viewer_is_refused_and_reaches_no_other(served_shared):
    with LiveClient(served_shared.url) as first, LiveClient(served_shared.url) as second:
        _fast(served_shared)
        feed = served_shared.app().feed
        wait_until(lambda: first.points > 10 and second.points > 10, timeout=20)
        slider = _model(first, Slider, title="Variance")
        for bad in (5.0, float("nan"), -1.0):
            first.set_property(slider, "value", bad)
        wait_until(lambda: slider.value == 1.0, timeout=10)  # put back on the sender's page
        assert feed.model.variance == 1.0
        assert _model(second, Slider, title="Variance").value == 1.0
        before = _path(second)[0][-1]
        wait_until(lambda: _path(second)[0][-1] > before + 100, timeout=10)  # still streaming


def test_a_slider_drag_sends_few_controls_and_its_last_value(served_shared):
    import time

    with LiveClient(served_shared.url) as first, LiveClient(served_shared.url) as second:
        feed = served_shared.app().feed
        wait_until(lambda: first.points > 0 and second.points > 0, timeout=20)
        changes = []
        served_shared.on_server_loop(lambda: feed.model.param.watch(
            lambda event: changes.append(event.new), "variance"))
        slider = _model(first, Slider, title="Variance")
        values = [round(0.1 * step, 1) for step in range(1, 21)]
        started = time.monotonic()
        for value in values:  # a drag: a value every 10 ms
            first.set_property(slider, "value", value)
            time.sleep(0.01)
        dragged = time.monotonic() - started
        wait_until(lambda: feed.model.variance == values[-1], timeout=10)
        wait_until(lambda: _model(second, Slider, title="Variance").value == values[-1],
                   timeout=10)
        # The first at once, then at most one every 50 ms: not one control per value.
        assert 1 <= len(changes) <= dragged / 0.05 + 3, (changes, dragged)
        assert changes[-1] == values[-1]


def _click(client: LiveClient, label: str):
    from bokeh.events import ButtonClick

    return ButtonClick(_model(client, Button, label=label))


def test_viewers_that_are_caught_up_share_one_encoded_update(served_shared, monkeypatch):
    from brownian_panel.driver import wire

    encoded, keys = [], []  # every message written by the wire module is encoded here
    encode, frames = wire.message_frames, wire.FramesCache.frames
    monkeypatch.setattr(wire, "message_frames",
                        lambda message: encoded.append(1) or encode(message))
    monkeypatch.setattr(wire.FramesCache, "frames", lambda cache, key, encode: frames(
        cache, key, lambda: keys.append((len(encoded), key)) or encode()))
    clients = [LiveClient(served_shared.url) for _ in range(4)]
    try:
        feed = served_shared.app().feed
        wait_until(lambda: all(client.points >= 3 for client in clients), timeout=20)
        before_updates, before_encoded = feed.updates, len(encoded)
        wait_until(lambda: feed.updates >= before_updates + 10, timeout=20)
        updates, encodings = feed.updates - before_updates, len(encoded) - before_encoded
        # A message with only the viewer count: once per page at most (each page shows it).
        counts = [key for at, key in keys if at >= before_encoded
                  and all(part[0] == "viewers" for part in key)]
        assert len(counts) <= len(clients), counts
        # Four viewers, one encoding an update (a viewer that fell behind encodes its own).
        assert encodings - len(counts) <= updates + 2, (
            encodings, updates, [key for at, key in keys if at >= before_encoded])
        steps = feed.model.steps
        wait_until(lambda: all(_path(client)[0][-1] >= steps for client in clients))
        paths = [_path(client) for client in clients]
        for x, y in paths[1:]:
            np.testing.assert_array_equal(x[-100:], paths[0][0][-100:])
            np.testing.assert_array_equal(y[-100:], paths[0][1][-100:])
    finally:
        for client in clients:
            client.close()


def test_the_command_line_sets_the_in_process_feed(start_process):
    from ..conftest import PYTHON

    base = start_process(lambda port: [PYTHON, "-m", "brownian_panel", "--port", str(port),
                                       "--shared", "--period", "50", "--batch", "7",
                                       "--window", "700"])
    with LiveClient(f"{base}/brownian") as client:
        ends = set()
        for _ in range(5):
            wait_until(lambda: client.points and _path(client)[0][-1] not in ends, timeout=10)
            x, _y = _path(client)
            ends.add(x[-1])
            assert x[-1] % 7 == 0, x[-1]  # every update draws 7 steps
            assert len(x) <= 700
        wait_until(lambda: client.points == 700, timeout=10)
