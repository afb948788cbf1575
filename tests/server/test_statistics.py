"""Live statistics in a real server session: the envelope follows the variance schedule, the
increments histogram and the variance estimate reach the client."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from brownian_panel.model.estimates import variance_interval

from ..helpers import LiveClient, run_in_session, wait_until

FAST = {"period": "20", "batch": "1000", "window": "1000", "seed": "11"}


def _data(client: LiveClient, name: str) -> dict[str, np.ndarray]:
    data = client.session.document.get_model_by_name(name).data
    return {column: np.asarray(values) for column, values in data.items()}


def test_the_envelope_is_the_square_root_of_the_summed_increment_variances(served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: app.model.steps >= 20_000, timeout=30)
        run_in_session(app, lambda: app.model.param.update(variance=0.25))
        wait_until(lambda: app.model.steps >= 40_000, timeout=30)
        run_in_session(app, lambda: app.model.param.update(paused=True))
        segments = served_app.on_server_loop(lambda: app.model.schedule.segments)
        [(first, one), (change, quarter)] = segments
        assert (first, one, quarter) == (1, 1.0, 0.25)
        steps = app.model.steps
        run_in_session(app, app.history.request_refresh)

        def settled():
            envelope = _data(client, "envelope")
            # Following the whole history, it reaches past the last step (off the plot).
            return len(envelope["x"]) and envelope["x"][-1] >= steps and envelope

        envelope = wait_until(settled, timeout=10)
        x = envelope["x"]
        expected = np.where(x < change, x * 1.0, (change - 1) + (x - change + 1) * 0.25)
        np.testing.assert_allclose(envelope["sd"], np.sqrt(expected), rtol=1e-12)
        assert x[0] == 1 and np.all(np.diff(x) > 0)
        assert change - 1 in x and change in x  # the kink is drawn where it is


def test_a_hidden_envelope_is_not_sent(served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: len(_data(client, "envelope")["x"]) > 0, timeout=30)
        bands = [client.session.document.get_model_by_name(name)
                 for name in ("envelope-1sd", "envelope-2sd")]
        for band in bands:  # as a click on the legend entries does in the browser
            client.set_property(band, "visible", False)
        wait_until(lambda: len(_data(client, "envelope")["x"]) == 0, timeout=10)
        client.set_property(bands[0], "visible", True)
        wait_until(lambda: len(_data(client, "envelope")["x"]) > 0, timeout=10)
        assert app.model.steps > 0


def test_the_histogram_and_estimate_describe_the_increments_since_the_variance_change(
        served_app):
    with LiveClient(served_app.url, FAST) as client:
        app = served_app.app()
        wait_until(lambda: app.model.steps >= 5_000, timeout=30)
        changed_at = []  # the steps when the change ran (the session may run it late)
        run_in_session(app, lambda: (app.model.param.update(variance=0.5),
                                     changed_at.append(app.model.steps)))
        wait_until(lambda: app.model.steps >= changed_at[0] + 25_000, timeout=30)
        run_in_session(app, lambda: app.model.param.update(paused=True))
        statistics = app.increments.statistics
        assert statistics.variance == 0.5 and statistics.count < app.model.steps - 4_000
        run_in_session(app, lambda: app.increments._refresher.request(urgent=True))
        estimate = client.session.document.get_model_by_name("variance-estimate")

        def shown():
            match = re.fullmatch(r"σ² ≈ ([\d.]+) \(95% CI ([\d.]+)–([\d.]+), n = ([\d,]+)\)"
                                 r"(; ([\d,]+) beyond ±4σ not drawn)?", estimate.text)
            return match and int(match.group(4).replace(",", "")) == statistics.count and match

        match = wait_until(shown, timeout=10)
        estimate_value, low, high = (float(match.group(i)) for i in (1, 2, 3))
        outside = int((match.group(6) or "0").replace(",", ""))
        assert outside == statistics.outside
        assert estimate_value == float(f"{statistics.sample_variance:.3g}")
        expected_low, expected_high = variance_interval(statistics.sample_variance,
                                                        statistics.count)
        assert (low, high) == (float(f"{expected_low:.3g}"), float(f"{expected_high:.3g}"))
        assert low < 0.5 < high or statistics.count < 100  # the truth, almost always
        histogram, theory = _data(client, "increments"), _data(client, "increments-theory")
        edges = np.append(histogram["left"], histogram["right"][-1])
        assert edges[0] == -4 * math.sqrt(0.5) and edges[-1] == 4 * math.sqrt(0.5)
        area = (histogram["density"] * np.diff(edges)).sum()
        assert area == pytest.approx(1 - statistics.outside / statistics.count, rel=1e-12)
        peak = np.exp(0) / math.sqrt(2 * math.pi * 0.5)
        assert theory["density"].max() == pytest.approx(peak, rel=1e-12)
        # The observed density is close to the theoretical one at the centre.
        centre = histogram["density"][len(histogram["density"]) // 2]
        assert abs(centre - peak) < 0.1 * peak
