"""Baseline: plain Bokeh's shared path (`bokeh serve`): one walk per process
(`shared_walk.py`), streamed into every session's source, which has the shared page's id
(``SharedApp.SOURCE_ID``) so `benchmarks.rawclient` reads it."""
from bokeh.io import curdoc
from bokeh.plotting import figure

from benchmarks.baselines.shared_walk import follow
from brownian_panel.compat import source_with_id
from brownian_panel.views.shared_page import SOURCE_ID

doc = curdoc()
source = source_with_id(SOURCE_ID, data={"x": [], "y": []})
plot = figure(height=400, sizing_mode="stretch_width")
plot.line("x", "y", source=source)
doc.add_root(plot)
follow(doc, source)
doc.title = "Brownian motion (shared)"
