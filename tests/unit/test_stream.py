"""PathStream without a server: ticks, rollover, pause, reset, errors, release."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from bokeh.models import ColumnDataSource

from brownian_panel import BrownianMotion, PathStream


@pytest.fixture
def stream():
    driver = PathStream(BrownianMotion(seed=3, batch=4, window=10))
    yield driver
    driver.release()


def test_tick_streams_only_the_new_points(stream):
    stream.tick()
    stream.tick()
    x, y = stream.path()
    np.testing.assert_array_equal(x, np.arange(1, 9))
    assert y[-1] == stream.model.position
    assert stream.updates == 2


def test_window_bounds_the_source(stream):
    for _ in range(10):
        stream.tick()
    x, _ = stream.path()
    np.testing.assert_array_equal(x, np.arange(31, 41))


def test_smaller_window_applies_on_the_next_update(stream):
    for _ in range(3):
        stream.tick()
    stream.model.window = 10
    stream.model.batch = 1
    stream.tick()
    assert len(stream.path()[0]) == 10


def test_paused_model_does_not_grow(stream):
    stream.tick()
    stream.model.paused = True
    stream.tick()
    assert len(stream.path()[0]) == 4 and stream.updates == 1


def test_reset_empties_the_source(stream):
    stream.tick()
    stream.model.reset()
    assert len(stream.path()[0]) == 0
    stream.tick()
    assert stream.path()[0][0] == 1


@pytest.mark.logs_traceback  # an update that fails is logged with its traceback
def test_error_in_an_update_is_logged_and_the_next_tick_streams(stream, caplog, monkeypatch):
    caplog.set_level(logging.ERROR, logger="brownian_panel")
    original = stream.model.advance
    calls = iter([RuntimeError("numeric trouble")])

    def failing_once():
        error = next(calls, None)
        if error is not None:
            raise error
        return original()

    monkeypatch.setattr(stream.model, "advance", failing_once)
    stream.tick()
    assert "update 1 failed" in caplog.text and "numeric trouble" in caplog.text
    stream.tick()
    assert len(stream.path()[0]) == 4 and stream.updates == 1


def test_release_stops_following_the_model(stream):
    stream.tick()
    stream.release()
    assert len(stream.path()[0]) == 0
    stream.model.reset()  # no watcher left: nothing to clear, nothing raised
    assert not stream.running


def test_app_release_is_idempotent_and_stops_following_the_model():
    from brownian_panel import BrownianApp

    app = BrownianApp(model=BrownianMotion(seed=1))
    app.release()
    app.release()
    assert not app.stream.running
    app.model.paused = True
    assert app.pause_button.label == "Pause"  # no longer follows the model
    app.model.variance = 0.5
    assert app.variance_entry.widget.value == 1.0  # nor does the typed variance's box


@pytest.mark.parametrize(("batch", "wire_type"), [(1, list), (16, list), (17, np.ndarray),
                                                  (1000, np.ndarray)])
def test_small_updates_go_as_json_numbers_large_ones_as_binary(batch, wire_type, monkeypatch):
    stream = PathStream(BrownianMotion(seed=1, batch=batch))
    sent = []
    original = ColumnDataSource.stream

    def recording_stream(source, data, rollover=None):
        sent.append(data)
        return original(source, data, rollover)

    monkeypatch.setattr(ColumnDataSource, "stream", recording_stream)
    stream.tick()
    assert all(isinstance(column, wire_type) for column in sent[0].values())
    np.testing.assert_array_equal(stream.path()[0], np.arange(1, batch + 1))


@pytest.mark.parametrize("batch", [3, 40])
def test_timestamps_record_the_server_clock_of_each_update(batch):
    import time

    driver = PathStream(BrownianMotion(batch=batch, window=1000), timestamps=True)
    try:
        before = time.time() * 1000
        driver.tick()
        driver.tick()
        after = time.time() * 1000
        t = np.asarray(driver.source.data["t"])
        assert len(t) == len(driver.source.data["x"]) == 2 * batch
        assert before <= t[0] <= t[-1] <= after
        assert len(set(t[:batch])) == 1, "one stamp per update"
        driver.model.reset()
        assert driver.source.data == {"x": [], "y": [], "t": []}
    finally:
        driver.release()
    assert "t" not in PathStream(BrownianMotion()).source.data


class _View:
    """Counts the updates the driver tells it about, and what the record held then."""

    def __init__(self, record):
        self.record, self.told = record, []

    def on_update(self):
        self.told.append(len(self.record.history))


def test_the_own_model_is_drawn_into_its_record_and_each_view_told():
    from brownian_panel.model.record import Record

    model = BrownianMotion(seed=2, batch=5, window=1000)
    record = Record(model)
    driver = PathStream(model, record=record)
    view = _View(record)
    driver.add_view(view)
    try:
        for _ in range(3):
            driver.tick()
        model.paused = True
        driver.tick()
        assert view.told == [5, 10, 15]  # after the record had the update
        np.testing.assert_array_equal(record.history.values(), driver.path()[1])
    finally:
        driver.release()


def test_one_driver_follows_a_shared_feed_whole_then_only_what_is_new():
    from brownian_panel.feed.hub import SharedFeed

    feed = SharedFeed(BrownianMotion(seed=5, batch=4, window=10))
    for _ in range(4):
        feed.tick()
    driver = PathStream(feed=feed)
    view = _View(feed.record)
    driver.add_view(view)
    try:
        assert driver.model is feed.model and driver.record is feed.record
        np.testing.assert_array_equal(driver.path()[0], np.arange(7, 17))  # the window at once
        driver.start()  # subscribes: the feed offers each update
        assert feed.subscribers == 1
        feed.tick()
        feed.tick()
        np.testing.assert_array_equal(driver.path()[0], np.arange(15, 25))
        assert view.told == [20, 24] and driver.updates == 2
        driver.tick()  # nothing new: nothing written, no view told
        assert driver.updates == 2 and view.told == [20, 24]
        feed.model.reset()  # a new run replaces what the page shows
        assert len(driver.path()[0]) == 0
        feed.tick()
        np.testing.assert_array_equal(driver.path()[0], np.arange(1, 5))
        driver.release()
        assert feed.subscribers == 0 and not driver.running
        feed.tick()
        np.testing.assert_array_equal(driver.path()[0], np.arange(1, 5))  # no longer follows
    finally:
        driver.release()
