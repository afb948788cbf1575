"""The shared page is the whole page: every viewer, also a late one, sees the same History and
statistics, downloads the same CSV, and reads how many are watching."""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, Div, Slider

from ..helpers import LiveClient, run_in_session, wait_until
from ..helpers import client_model as _model
from .test_export import _download, _link, _parse


def _columns(client: LiveClient, name: str) -> dict[str, np.ndarray]:
    source = _model(client, ColumnDataSource, name=name)
    return {column: np.asarray(values) for column, values in dict(source.data).items()}


def _text(client: LiveClient, name: str) -> str:
    return _model(client, Div, name=name).text


def test_every_viewer_and_a_late_one_hold_the_same_history_and_statistics(served_shared):
    with LiveClient(served_shared.url) as first, LiveClient(served_shared.url) as second:
        feed = served_shared.app().feed
        served_shared.on_server_loop(lambda: feed.model.param.update(period=20, batch=500))
        wait_until(lambda: feed.model.steps >= 60_000, timeout=30)
        with LiveClient(served_shared.url) as late:
            wait_until(lambda: late.points > 0, timeout=20)
            run_in_session(served_shared.app(0), lambda: feed.model.param.update(paused=True))
            steps = feed.model.steps
            clients = (first, second, late)
            held = served_shared.on_server_loop(lambda: len(feed.record.history))
            status = f"History: {held:,} points since the reset"
            for client in clients:  # every page has caught up with the last update
                wait_until(lambda c=client: _text(c, "history-status") == status, timeout=15)
            # Decimated to the pixels: far fewer entries than points, the extremes kept.
            history = _columns(first, "history")
            assert 100 < len(history["x"]) <= 2 * 1000 + 4
            raw = served_shared.on_server_loop(feed.record.history.values)
            assert history["y"].max() == raw.max() and history["y"].min() == raw.min()
            for client in (second, late):
                other = _columns(client, "history")
                np.testing.assert_array_equal(other["x"], history["x"])
                np.testing.assert_array_equal(other["y"], history["y"])
            wait_until(lambda: len({_text(c, "variance-estimate") for c in clients}) == 1
                       and f"{steps:,}" in _text(first, "variance-estimate"), timeout=10)
            increments = [_columns(c, "increments")["density"] for c in clients]
            assert len(increments[0]) > 10
            for other in increments[1:]:
                np.testing.assert_array_equal(other, increments[0])
            assert len(_columns(late, "envelope")["x"]) > 0


def test_the_csv_is_the_same_file_from_every_viewer(served_shared):
    with LiveClient(served_shared.url), LiveClient(served_shared.url):
        first, second = served_shared.app(0), served_shared.app(1)
        feed = first.feed
        served_shared.on_server_loop(lambda: feed.model.param.update(period=20, batch=1000))
        wait_until(lambda: feed.model.steps >= 20_000, timeout=30)
        run_in_session(first, lambda: feed.model.param.update(paused=True))
        raw = served_shared.on_server_loop(feed.record.history.values)
        texts = [_download(_link(served_shared, app))[1] for app in (first, second)]
        assert first.export_token != second.export_token
        assert texts[0] == texts[1]
        header, x, y = _parse(texts[0])
        assert header["points"] == len(raw) and y.tobytes() == raw.tobytes()


def test_each_page_says_how_many_are_watching(served_shared):
    with LiveClient(served_shared.url) as first:
        with LiveClient(served_shared.url) as second:
            for client in (first, second):
                wait_until(lambda c=client: _text(c, "viewers") == "2 viewers", timeout=10)
        wait_until(lambda: _text(first, "viewers") == "1 viewer", timeout=10)
        # Paused, the count still follows.
        feed = served_shared.app().feed
        run_in_session(served_shared.app(0), lambda: feed.model.param.update(paused=True))
        with LiveClient(served_shared.url):
            wait_until(lambda: _text(first, "viewers") == "2 viewers", timeout=10)


def test_a_refused_variance_says_what_was_kept(served_shared):
    with LiveClient(served_shared.url) as client:
        app = served_shared.app()
        slider = client.session.document.select_one({"type": Slider, "title": "Variance"})
        client.set_property(slider, "value", 7.0)
        wait_until(lambda: app.refused.visible)
        assert app.refused.object == "Variance must be a number from 0 to 2, not 7.0 — kept 1."
        assert app.feed.model.variance == 1.0
        wait_until(lambda: slider.value == 1.0)
