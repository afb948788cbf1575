"""The increments since the last variance change: a live histogram against N(0, variance) and
the estimated variance with its 95% chi-square interval.

Design notes: docs/architecture.md, "views/increments.py".
"""

from __future__ import annotations

import numpy as np
import param
from bokeh.document import Document
from bokeh.models import ColumnDataSource, Div
from bokeh.plotting import figure

from ..compat import model_with_id, refuse_client_writes
from ..driver.refresher import STATISTICS_INTERVAL, Refresher, show
from ..driver.wire import FramesCache
from ..model.estimates import IncrementStatistics, normal_density
from ..model.record import Record
from .plot import style_legend


def increments_figure(histogram: ColumnDataSource, theory: ColumnDataSource,
                      height: int = 260) -> figure:
    """The histogram of the increments (as a density) with the theoretical density over it."""
    plot = figure(height=height, sizing_mode="stretch_width", title="Increments since the last "
                  "variance change", x_axis_label="increment", y_axis_label="density",
                  tools="xpan,xwheel_zoom,reset", name="increments-plot",
                  output_backend="canvas")
    plot.quad(left="left", right="right", bottom=0, top="density", source=histogram,
              fill_color="#8ab6d6", line_color="white", legend_label="observed")
    plot.line("x", "density", source=theory, line_color="#d62728", line_width=2,
              legend_label="N(0, variance)")
    style_legend(plot, "top_right")
    return plot


class IncrementsView:
    """The increments histogram and variance estimate of one model."""

    def __init__(self, record: Record, doc: Document | None = None, ids: str | None = None,
                 cache: FramesCache | None = None):
        """``ids`` and ``cache``: as for ``HistoryView`` (one encoding for in-step pages)."""
        self.model = model = record.model
        self._doc = doc
        self._record = record
        self._cache = cache
        x, density = normal_density(model.variance)
        self.histogram = refuse_client_writes(model_with_id(
            ColumnDataSource, ids and f"{ids}-increments",
            data={"left": [], "right": [], "density": []}, name="increments"))
        self.theory = refuse_client_writes(model_with_id(
            ColumnDataSource, ids and f"{ids}-increments-theory",
            data={"x": x, "density": density}, name="increments-theory"))
        #: The variance the shown theory is drawn for.
        self._theory_variance = self.statistics.variance
        self.figure = increments_figure(self.histogram, self.theory)
        self.estimate = model_with_id(Div, ids and f"{ids}-variance-estimate",
                                      text=self.statistics.summary(), name="variance-estimate",
                                      styles={"font-size": "110%"})
        self._refresher = Refresher(self.refresh, doc, STATISTICS_INTERVAL, cache=cache)
        self._watcher = model.param.watch(self._on_run, "run")

    @property
    def statistics(self) -> IncrementStatistics:
        """The increments since the last variance change (the record's)."""
        return self._record.statistics

    def on_update(self) -> None:
        """The record has new increments: refresh soon."""
        self._refresher.request()

    def refresh(self) -> None:
        """Write the histogram, the theoretical density (when the variance changed) and the
        estimate line."""
        statistics = self.statistics
        state = ("increments", self.model.run, statistics.variance, statistics.count,
                 statistics.outside)
        if self._cache is not None:  # in-step pages: computed once for all
            histogram, text = self._cache.value(state, self._histogram_and_text)
        else:
            histogram, text = self._histogram_and_text()
        changes = {self.histogram: histogram}
        theory = statistics.variance != self._theory_variance
        if theory:
            x, density = normal_density(statistics.variance)
            changes[self.theory] = {"x": x, "density": density}
            self._theory_variance = statistics.variance
        key = None if self._cache is None else (*state, theory)  # same state, same message
        show(self._doc, changes, [(self.estimate, "text", text)], key=key)

    def _histogram_and_text(self) -> tuple[dict[str, np.ndarray], str]:
        statistics = self.statistics
        edges = statistics.edges
        if edges is None:
            histogram = {"left": np.empty(0), "right": np.empty(0), "density": np.empty(0)}
        else:
            histogram = {"left": edges[:-1], "right": edges[1:], "density": statistics.density()}
        text = statistics.summary()
        if statistics.outside:
            text += f"; {statistics.outside:,} beyond ±4σ not drawn"
        return histogram, text

    def release(self) -> None:
        self._refresher.release()
        if self._watcher is not None:
            self.model.param.unwatch(self._watcher)
            self._watcher = None

    def _on_run(self, event: param.parameterized.Event) -> None:
        self._refresher.request(urgent=True)  # the record is cleared already
