"""Values sent by a client over the WebSocket: refused when out of bounds, never fatal."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from bokeh.models import Slider, Spinner
from panel.models.esm import DataEvent

from ..helpers import LiveClient, path_source, wait_until


def _slider(client: LiveClient) -> Slider:
    return client.session.document.select_one({"type": Slider, "title": "Variance"})


def _spinner(client: LiveClient, title: str) -> Spinner:
    return client.session.document.select_one({"type": Spinner, "title": title})


@pytest.mark.parametrize("bad", [-1.0, 3.0, 1e308])
def test_out_of_range_variance_is_refused_logged_and_pushed_back(served_app, log_records, bad):
    with LiveClient(served_app.url, {"period": "50"}) as client:
        app = served_app.app()
        slider = _slider(client)
        wait_until(lambda: client.points >= 2)
        client.set_property(slider, "value", bad)
        wait_until(lambda: any(f"rejected variance={bad!r} from client" in r.getMessage()
                               for r in log_records.records))
        assert app.model.variance == 1.0
        wait_until(lambda: slider.value == 1.0)  # the sender sees the valid value again
        # and the page says why, in words, and what was kept
        assert app.url_errors.visible
        assert app.url_errors.object == (
            f"Variance must be a number from 0 to 2, not {bad!r} — kept 1.")
        grown = client.points
        wait_until(lambda: client.points >= grown + 3)  # and keeps streaming
        errors = [r.getMessage() for r in log_records.records if r.levelno >= logging.ERROR]
        assert errors == [], "a refused value must not log an error or traceback"


def test_valid_variance_from_client_reaches_the_model(served_app):
    with LiveClient(served_app.url) as client:
        app = served_app.app()
        client.set_property(_slider(client), "value", 0.3)
        wait_until(lambda: app.model.variance == pytest.approx(0.3))


@pytest.mark.parametrize(("title", "bad", "kept"), [
    ("Period (ms)", 0, 500), ("Period (ms)", -5, 500),
    ("Window (points)", 10**12, 10_000), ("Points per update", 10**9, 1),
])
def test_out_of_range_integers_are_refused(served_app, log_records, title, bad, kept):
    with LiveClient(served_app.url) as client:
        app = served_app.app()
        spinner = _spinner(client, title)
        client.set_property(spinner, "value", bad)
        wait_until(lambda: any("from client" in r.getMessage() for r in log_records.records))
        assert getattr(app.model, {"Period (ms)": "period", "Window (points)": "window",
                                   "Points per update": "batch"}[title]) == kept
        wait_until(lambda: spinner.value == kept)


def test_refused_value_in_one_session_leaves_another_alone(served_app):
    with LiveClient(served_app.url, {"period": "50"}) as attacker, \
            LiveClient(served_app.url, {"period": "50", "variance": "0.5"}) as bystander:
        attacker.set_property(_slider(attacker), "value", 5.0)
        victim_app = served_app.app(1)
        grown = bystander.points
        wait_until(lambda: bystander.points >= grown + 5)
        assert victim_app.model.variance == 0.5


def test_new_period_from_client_reschedules_the_stream(served_app):
    with LiveClient(served_app.url, {"period": "2000"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 1, timeout=5)
        client.set_property(_spinner(client, "Period (ms)"), "value", 50)
        wait_until(lambda: app.model.period == 50)
        start = client.points
        # 30 more points within 5 s is impossible at one update per 2 s.
        wait_until(lambda: client.points >= start + 30, timeout=5)


def _ping_model(client: LiveClient):
    """The ping component's Bokeh model (the one whose ``data`` holds PingPong's parameters)."""
    models = [m for m in client.session.document.models
              if type(getattr(m, "data", None)).__name__.startswith("PingPong")]
    assert len(models) == 1
    return models[0]


# The test's own client warns as it encodes 2**80 (Bokeh sends it as a float).
@pytest.mark.filterwarnings("ignore:out of range integer may result in loss of precision")
@pytest.mark.parametrize("message", [
    "ping", {"ping": "7"}, {"ping": -1}, {"ping": 2**80}, {"ping": 1.5}, {"ping": {"a": [1]}},
    ["ping", 1], None,
])
def test_malformed_ping_over_the_websocket_is_ignored(served_app, log_records, message):
    with LiveClient(served_app.url, {"period": "50"}) as client:
        app = served_app.app()
        client.send_event(DataEvent(model=_ping_model(client), data=message))
        wait_until(lambda: any("ignored malformed ping" in r.getMessage()
                               for r in log_records.records))
        assert app.ping.pongs == 0
        grown = client.points
        wait_until(lambda: client.points >= grown + 3)


def test_well_formed_ping_over_the_websocket_is_answered(served_app):
    with LiveClient(served_app.url) as client:
        app = served_app.app()
        client.send_event(DataEvent(model=_ping_model(client), data={"ping": 41}))
        wait_until(lambda: app.ping.last_ping == 41)
        assert app.ping.pongs == 1


def _path_patch(kind: str, source_id: str) -> tuple[str, str, str]:
    """A client's raw PATCH-DOC writing the path source's data (the browser never does this)."""
    columns = {"type": "map", "entries": [["x", [999.0]], ["y", [999.0]]]}
    event = {"kind": kind, "model": {"id": source_id}, "attr": "data"}
    event.update({
        "ColumnsStreamed": {"data": columns, "rollover": None},
        "ColumnsPatched": {"patches": {"type": "map", "entries": [["y", [[0, 999.0]]]]}},
        "ModelChanged": {"new": columns},
    }[kind])
    header = {"msgid": f"write-{kind}", "msgtype": "PATCH-DOC", "num_buffers": 0}
    return json.dumps(header), "{}", json.dumps({"events": [event]})


@pytest.mark.parametrize("kind", ["ColumnsStreamed", "ColumnsPatched", "ModelChanged"])
def test_a_client_cannot_write_the_path(served_app, kind):
    with LiveClient(served_app.url, {"period": "50"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 3)
        client.send_raw(*_path_patch(kind, path_source(client.session.document).id))
        grown = client.points
        wait_until(lambda: client.points >= grown + 5)
        x, y = served_app.on_server_loop(app.stream.path)
        assert 999.0 not in x and 999.0 not in y
        np.testing.assert_array_equal(x, np.arange(1, len(x) + 1))
