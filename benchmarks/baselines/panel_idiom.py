"""Baseline: the streaming idiom of Panel's docs (`pn.state.add_periodic_callback` +
`ColumnDataSource.stream`), one random walk per session, period from `?period=` (ms)."""
import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

period = int(pn.state.session_args.get("period", [b"500"])[-1])
source = ColumnDataSource(data={"x": [], "y": []})
rng = np.random.default_rng()
walk = {"steps": 0, "position": 0.0}


def update():
    walk["steps"] += 1
    walk["position"] += rng.normal()
    source.stream({"x": [walk["steps"]], "y": [walk["position"]]}, rollover=10_000)


plot = figure(height=400, sizing_mode="stretch_width")
plot.line("x", "y", source=source)
pn.state.add_periodic_callback(update, period=period)
pn.Column("# Brownian motion", pn.pane.Bokeh(plot)).servable(title="Brownian motion")
