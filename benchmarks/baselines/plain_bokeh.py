"""Baseline: plain Bokeh (`bokeh serve`, `doc.add_periodic_callback` + `source.stream`), one
random walk per session, period from `?period=` (ms)."""
import numpy as np
from bokeh.io import curdoc
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

doc = curdoc()
arguments = doc.session_context.request.arguments
period = int(arguments.get("period", [b"500"])[-1])
source = ColumnDataSource(data={"x": [], "y": []})
rng = np.random.default_rng()
walk = {"steps": 0, "position": 0.0}


def update():
    walk["steps"] += 1
    walk["position"] += rng.normal()
    source.stream({"x": [walk["steps"]], "y": [walk["position"]]}, rollover=10_000)


plot = figure(height=400, sizing_mode="stretch_width")
plot.line("x", "y", source=source)
doc.add_root(plot)
doc.add_periodic_callback(update, period)
doc.title = "Brownian motion"
