"""The line chart of the path."""

from __future__ import annotations

from bokeh.models import ColumnDataSource
from bokeh.plotting import figure


def path_figure(source: ColumnDataSource, height: int = 420) -> figure:
    """A zoomable line chart of ``source``'s x (step) and y (position) columns."""
    plot = figure(
        height=height,
        sizing_mode="stretch_width",
        x_axis_label="step",
        y_axis_label="position",
        tools="pan,wheel_zoom,box_zoom,reset,save",
        output_backend="canvas",
    )
    plot.line("x", "y", source=source, line_width=1.5, name="path-line")
    return plot


def history_figure(source: ColumnDataSource, height: int = 300) -> figure:
    """The History plot: wheel zoom active, pan, box zoom, and reset to the whole history.

    Level-of-detail rendering is off and interaction settles after 50 ms (Bokeh's defaults
    added about 250 ms before the re-decimated data was asked for).
    """
    plot = figure(
        height=height,
        sizing_mode="stretch_width",
        title="History",
        x_axis_label="step",
        y_axis_label="position",
        tools="xpan,xwheel_zoom,xbox_zoom,reset,save",
        active_scroll="xwheel_zoom",
        output_backend="canvas",
        lod_threshold=None,
        lod_interval=50,
        lod_timeout=50,
        name="history-plot",
    )
    plot.line("x", "y", source=source, line_width=1, name="history-line")
    return plot
