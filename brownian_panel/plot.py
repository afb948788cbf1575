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
    plot.line("x", "y", source=source, line_width=1.5, name="path")
    return plot
