"""Ensembles in a real server session: lines or quantile bands, MSD against theory, export."""

from __future__ import annotations

import json
import re
import urllib.request

import numpy as np

from ..helpers import LiveClient, run_in_session, wait_until


def test_a_few_paths_are_drawn_as_lines(served_app):
    with LiveClient(served_app.url, {"paths": "3", "seed": "4", "period": "20",
                                     "batch": "10"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 100, timeout=20)
        run_in_session(app, lambda: app.model.param.update(paused=True))
        columns = client.settled(app.model.steps)
        assert sorted(columns) == ["x", "y", "y1", "y2"]
        rng = np.random.default_rng(4)
        paths = np.cumsum(np.concatenate(
            [rng.normal(0, 1, (3, 10)) for _ in range(client.points // 10)], axis=1), axis=1)
        for index, name in enumerate(["y", "y1", "y2"]):
            np.testing.assert_allclose(columns[name], paths[index], rtol=1e-12, atol=1e-12)
        names = {r.name for r in app.path_plot.renderers}
        assert {"path-line", "ensemble-y1", "ensemble-y2"} <= names


def test_many_paths_show_quantile_bands_msd_and_export_every_path(served_app):
    with LiveClient(served_app.url, {"paths": "200", "seed": "6", "period": "20",
                                     "batch": "50"}) as client:
        app = served_app.app()
        wait_until(lambda: app.model.steps >= 2_000, timeout=30)
        run_in_session(app, lambda: app.model.param.update(paused=True))
        columns = client.settled(min(app.model.steps, app.model.window))
        assert sorted(columns) == ["q05", "q25", "q75", "q95", "x", "y"]
        everything = served_app.on_server_loop(app.ensemble.values)
        assert everything.shape == (200, app.model.steps)
        steps = columns["x"].astype(int) - 1
        for name, q in (("q05", 0.05), ("q25", 0.25), ("y", 0.5), ("q75", 0.75), ("q95", 0.95)):
            np.testing.assert_allclose(columns[name], np.quantile(everything[:, steps], q, axis=0),
                                       rtol=1e-12, atol=1e-12)
        assert {"ensemble-5-95", "ensemble-25-75"} <= {r.name for r in app.path_plot.renderers}
        # The History plot shows the first path.
        first = served_app.on_server_loop(app.history.history.values)
        np.testing.assert_array_equal(first, everything[0])
        # The mean-squared displacement against the sum of the increment variances.
        run_in_session(app, lambda: app.displacement._refresher.request(urgent=True))
        msd = client.session.document.get_model_by_name("msd")

        def refreshed():  # one snapshot: the client's thread replaces the data as it arrives
            data = {name: np.asarray(column) for name, column in dict(msd.data).items()}
            return len(data["x"]) and data["x"][-1] >= app.model.steps - 50 and data

        data = wait_until(refreshed, timeout=10)
        x = data["x"].astype(int)
        np.testing.assert_allclose(data["msd"], (everything[:, x - 1] ** 2).mean(axis=0),
                                   rtol=1e-10)
        np.testing.assert_array_equal(data["theory"], x.astype(float))  # variance 1
        assert abs(data["msd"][-1] / x[-1] - 1) < 5 * np.sqrt(2 / 200)
        # Export: one column per path, exact.
        href = re.search(r'href="([^"]+)"', app.download.object).group(1)
        base = served_app.url.rsplit("/", 1)[0]
        with urllib.request.urlopen(base + href, timeout=60) as response:
            text = response.read().decode()
        header_line, names, body = text.split("\n", 2)
        header = json.loads(header_line[2:])
        assert header["paths"] == 200 and header["points"] == 200 * app.model.steps
        assert names == "x," + ",".join(f"y{i}" for i in range(200))
        rows = [line.split(",") for line in body.splitlines()]
        values = np.array([[float(v) for v in row[1:]] for row in rows]).T
        assert values.tobytes() == everything.tobytes()


def test_changing_the_number_of_paths_restarts_with_the_new_layout(served_app):
    with LiveClient(served_app.url, {"seed": "1", "period": "20", "batch": "10"}) as client:
        app = served_app.app()
        wait_until(lambda: client.points >= 50, timeout=20)
        assert sorted(client.columns()) == ["x", "y"]
        assert app.displacement.figure is None  # built only for ensembles
        run_in_session(app, lambda: app.model.param.update(paths=2))
        wait_until(lambda: sorted(client.columns()) == ["x", "y", "y1"]
                   and client.points >= 20, timeout=20)
        assert client.columns()["x"][0] == 1  # a restart
        assert app.displacement.figure.visible
        run_in_session(app, lambda: app.model.param.update(paths=1))
        wait_until(lambda: sorted(client.columns()) == ["x", "y"] and client.points >= 20,
                   timeout=20)
        assert not app.displacement.figure.visible
        # the path and the anchor that holds the ranges while the path is empty
        assert {r.name for r in app.path_plot.renderers} == {"path-line", "empty-anchor"}
