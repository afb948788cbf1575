"""With every private fast path off (``BROWNIAN_PANEL_PUBLIC_PATHS=all``, as when a new Panel or
Bokeh changes a shape ``compat`` checks), the page still streams, its History follows and
zooms, and the log says which features are off, once each."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from bokeh.events import RangesUpdate

from brownian_panel import compat

from ..helpers import LiveClient, run_in_session, wait_until
from .test_history import FAST, _client_history, _paused, _settled


@pytest.fixture
def public_paths(fresh_features, caplog):
    """Every feature probed anew with the public paths asked for; probed anew after."""
    caplog.set_level(logging.WARNING, logger="brownian_panel")
    fresh_features.setenv(compat.PUBLIC_PATHS_ENV, "all")
    return caplog


def test_the_page_streams_and_its_history_follows_on_the_public_paths(public_paths,
                                                                      served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 1000 and len(app.history.history) >= 100_000,
                   timeout=30)
        assert not compat.direct_writes()
        app = _paused(served_app, client)
        x, y = _settled(served_app, client, app)
        raw = app.history.history.values()
        assert 0 < len(x) <= 2 * app.history.pixels and x[-1] <= len(raw)
        np.testing.assert_array_equal(y, raw[x.astype(int) - 1])
        assert (y.min(), y.max()) == (raw.min(), raw.max())  # the whole history

        plot = app.history.figure
        run_in_session(app, lambda: plot._trigger_event(
            RangesUpdate(plot, x0=50_000.5, x1=51_000.5, y0=-1, y1=1)))
        wait_until(lambda: len(_client_history(client)[0]) and
                   _client_history(client)[0][0] >= 49_999, timeout=10)
        x, y = _settled(served_app, client, app)
        np.testing.assert_array_equal(x, np.arange(50_000, 51_002))

    warnings = [r.getMessage() for r in public_paths.records if r.levelno == logging.WARNING]
    off = [feature.name for feature in compat.FEATURES if feature.state == compat.OFF]
    assert "session-connections" in off and "panel-write-queue" in off
    for name in off:
        assert sum(f"{name} is off" in message for message in warnings) <= 1, warnings
    assert any("session-connections is off" in message for message in warnings)
