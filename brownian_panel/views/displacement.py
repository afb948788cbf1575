"""The mean-squared displacement across paths against time, with the theoretical line.

``DisplacementView`` feeds each update of an ensemble into a ``DisplacementSeries`` (⟨y²⟩ over
the paths at up to 2,048 steps, thinned as the run grows) and draws it beside the sum of the
increment variances (``ColumnDataSource(name="msd")``: x, msd, theory), refreshed at most
every ``STATISTICS_INTERVAL`` seconds through a ``Refresher``. The plot (about 45 Bokeh
models) is built the first time the model has two paths or more, in ``pane``, and hidden again
with one.
"""

from __future__ import annotations

import panel as pn
import param
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from ..compat import refuse_client_writes
from ..driver.refresher import STATISTICS_INTERVAL, Refresher, show
from ..model.ensemble import DisplacementSeries
from ..model.record import Record
from ..runtime.session import change_document
from .plot import style_legend


def displacement_figure(source: ColumnDataSource, height: int = 260) -> figure:
    plot = figure(height=height, sizing_mode="stretch_width", name="msd-plot",
                  title="Mean-squared displacement across paths", x_axis_label="step",
                  y_axis_label="⟨y²⟩", tools="pan,wheel_zoom,box_zoom,reset,save",
                  output_backend="canvas")
    plot.line("x", "theory", source=source, line_color="#d62728", line_width=2,
              legend_label="theory: sum of increment variances")
    plot.line("x", "msd", source=source, line_color="#1f77b4", line_width=1.5,
              legend_label="observed")
    style_legend(plot, "top_left")
    return plot


class DisplacementView:
    """The MSD plot of one model's ensemble."""

    def __init__(self, record: Record, doc: Document | None = None):
        self.model = model = record.model
        self._doc = doc
        self._record = record
        self.source = refuse_client_writes(ColumnDataSource(
            data={"x": [], "msd": [], "theory": []}, name="msd"))
        #: The plot, built when first needed (None before).
        self.figure = None
        self.pane = pn.pane.Bokeh(None, sizing_mode="stretch_width")
        self._show_if_ensemble()
        self._refresher = Refresher(self.refresh, doc, STATISTICS_INTERVAL)
        self._watchers = [model.param.watch(self._on_run, "run")]

    @property
    def series(self) -> DisplacementSeries:
        """The mean-squared displacement so far (the record's)."""
        return self._record.displacement

    def on_update(self) -> None:
        """The record has new points: refresh soon if there are several paths."""
        if self.model.paths > 1:
            self._refresher.request()

    def refresh(self) -> None:
        if self.figure is None:  # no ensemble yet: nothing shown
            return
        steps, msd = self.series.series()
        data = {"x": steps, "msd": msd, "theory": self.model.schedule.cumulative(steps)}
        show(self._doc, {self.source: data}, [])

    def release(self) -> None:
        self._refresher.release()
        for watcher in self._watchers:
            self.model.param.unwatch(watcher)
        self._watchers = []

    def _on_run(self, event: param.parameterized.Event) -> None:
        change_document(self._doc, self._restarted)

    def _restarted(self) -> None:
        # A restart (reset, new seed or number of paths): shown with 2+ paths.
        self._show_if_ensemble()
        self._refresher.request(urgent=True)

    def _show_if_ensemble(self) -> None:
        # The figure's own visibility: Panel 1.9's Bokeh pane, once hidden, takes its
        # visibility back from the figure it hid, so ``pane.visible = True`` does not stick.
        ensemble = self.model.paths > 1
        if ensemble and self.figure is None:
            self.figure = displacement_figure(self.source)
            self.pane.object = self.figure
        if self.figure is not None:
            self.figure.visible = ensemble
