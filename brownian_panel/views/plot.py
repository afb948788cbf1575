"""The line charts: the live window of the path and its whole history."""

from __future__ import annotations

from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    CustomJSTransform,
    GlyphRenderer,
    HoverTool,
    Legend,
    LegendItem,
    Scatter,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure
from bokeh.transform import transform

#: Prefix of the names of the live plot's ensemble renderers (extra lines or bands).
ENSEMBLE = "ensemble-"


def _line_figure(source: ColumnDataSource, line_name: str, line_width: float,
                 **options) -> tuple[figure, GlyphRenderer]:
    """A full-width canvas chart of ``source``'s x (step) against y (position), and its line."""
    plot = figure(sizing_mode="stretch_width", x_axis_label="step", y_axis_label="position",
                  output_backend="canvas", **options)
    return plot, plot.line("x", "y", source=source, line_width=line_width, name=line_name)


def path_figure(source: ColumnDataSource, height: int = 420) -> figure:
    """A zoomable line chart of ``source``'s x (step) and y (position) columns."""
    plot, line = _line_figure(source, "path-line", 1.5, height=height, title="Live",
                              name="live-plot", tools="pan,wheel_zoom,box_zoom,reset,save")
    add_hover(plot, line)
    add_empty_anchor(plot, source)
    return plot


def history_figure(source: ColumnDataSource, height: int = 300) -> figure:
    """The History plot: wheel zoom active, pan, box zoom, and reset to the whole history.

    Level-of-detail rendering is off and interaction settles after 20 ms (Bokeh's defaults
    added about 250 ms before the re-decimated data was asked for, 50 ms about 30 ms more
    than 20: benchmarks.zoom). The x-range follows the
    line only, so what else is drawn (the envelope) may reach past the last point unseen.
    """
    plot, line = _line_figure(source, "history-line", 1, height=height, title="History",
                              name="history-plot",
                              tools="xpan,xwheel_zoom,xbox_zoom,reset,save",
                              active_scroll="xwheel_zoom", lod_threshold=None,
                              lod_interval=20, lod_timeout=20)
    # Both ranges follow the line only: zoomed, the y axis fits the points shown (the source
    # holds the visible steps only), not the envelope.
    plot.x_range.renderers = [line]
    plot.y_range.renderers = [line]
    add_hover(plot, line)
    add_empty_anchor(plot, source)
    return plot


#: Browser code: the anchor counts for the ranges only while the source is empty.
_ANCHOR_WHILE_EMPTY = "anchor.visible = (source.get_length() ?? 0) === 0;"


def add_empty_anchor(plot: figure, source: ColumnDataSource) -> GlyphRenderer:
    """An unseen glyph at x 0..1, y -1..1 that the plot's ranges follow while ``source`` is
    empty (after a reset): without it the ranges have no data, BokehJS draws no axis and logs
    "could not set initial ranges" on each change."""
    # The renderer and glyph alone (``plot.scatter`` also makes its selection and muted
    # glyphs: 3.1-4.1 vs 1.5-1.8 ms here), and one callback for the three events.
    anchor = plot.add_glyph(
        ColumnDataSource(data={"x": [0, 1], "y": [-1, 1]}),
        Scatter(x="x", y="y", size=0, fill_alpha=0, line_alpha=0, hatch_alpha=0),
        name="empty-anchor", visible=not len(source.data.get("x", ())))
    callback = CustomJS(args={"anchor": anchor, "source": source}, code=_ANCHOR_WHILE_EMPTY)
    for attr in ("data", "streaming", "patching"):
        source.js_on_change(attr, callback)
    for dimension in (plot.x_range, plot.y_range):
        dimension.only_visible = True  # else an invisible renderer counts too
        if dimension.renderers not in ("auto", []):
            dimension.renderers = [*dimension.renderers, anchor]
    return anchor


def set_titles(live: figure, history: figure | None, window: int, paths: int) -> None:
    """The live and History plots' titles (``history``: if built yet): what each shows."""
    live.title.text = f"Live: the last {window:,} steps"
    if history is not None:
        history.title.text = ("History: every step since the reset" if paths == 1 else
                          f"History: path 1 of {paths:,} (every step since the reset)")


def add_hover(plot: figure, line: GlyphRenderer) -> None:
    """Step and position of ``line`` under the pointer."""
    plot.add_tools(HoverTool(renderers=[line], mode="vline",
                             tooltips=[("step", "@x{0,0}"), ("position", "@y{0.000}")]))


def style_legend(plot: figure, location: str) -> None:
    """The legend where it hides least, half transparent."""
    plot.legend.location = location
    plot.legend.background_fill_alpha = 0.6


def _times(factor: float) -> CustomJSTransform:
    """A browser-side transform multiplying a column by ``factor``."""
    return CustomJSTransform(args={"factor": factor},
                             v_func="return xs.map((value) => factor * value)")


def add_envelope(plot: figure, source: ColumnDataSource) -> list[GlyphRenderer]:
    """Shaded ±2σ and ±1σ bands from ``source`` (columns x, sd: the bands are sd times ±1, ±2,
    computed in the browser) under the plot's line; a click on a legend entry hides that band."""
    outer = plot.varea("x", transform("sd", _times(-2.0)), transform("sd", _times(2.0)),
                       source=source, fill_color="#f4a261", fill_alpha=0.18,
                       legend_label="±2σ (theory)", name="envelope-2sd")
    inner = plot.varea("x", transform("sd", _times(-1.0)), "sd", source=source,
                       fill_color="#f4a261", fill_alpha=0.30, legend_label="±1σ (theory)",
                       name="envelope-1sd")
    plot.renderers = [outer, inner] + [r for r in plot.renderers if r not in (outer, inner)]
    plot.legend.click_policy = "hide"
    style_legend(plot, "top_left")
    return [outer, inner]


def set_path_layout(plot: figure, source: ColumnDataSource, paths: int,
                    line_paths: int) -> None:
    """Draw ``paths`` paths on the live plot: the line "path-line" (column y) plus, up to
    ``line_paths`` paths, one line per further path (y1, y2, ...), beyond it the 5–95% and
    25–75% bands across paths around the median (q05, q25, q75, q95)."""
    kept = [r for r in plot.renderers if not (r.name or "").startswith(ENSEMBLE)]
    if paths == 1 and len(kept) == len(plot.renderers):
        return  # one path drawn already (no legend item to drop: walking the plot costs ~3 ms)
    plot.renderers = kept
    for legend in plot.select(type=Legend):
        legend.items = [item for item in legend.items if all(r in kept and r.name != "path-line"
                                                             for r in item.renderers)]
    if paths == 1:
        return
    if paths <= line_paths:
        for index in range(1, paths):
            plot.line("x", f"y{index}", source=source, line_width=1.2, name=f"{ENSEMBLE}y{index}",
                      line_color=Category10_10[index % 10])
        return
    outer = plot.varea("x", "q05", "q95", source=source, fill_color="#1f77b4",
                       fill_alpha=0.15, name=f"{ENSEMBLE}5-95",
                       legend_label=f"5–95% of the {paths} paths")
    inner = plot.varea("x", "q25", "q75", source=source, fill_color="#1f77b4",
                       fill_alpha=0.3, name=f"{ENSEMBLE}25-75",
                       legend_label=f"25–75% of the {paths} paths")
    line = [r for r in plot.renderers if r.name == "path-line"]
    plot.renderers = [outer, inner, *line, *[r for r in plot.renderers
                                            if r not in (outer, inner, *line)]]
    plot.legend.items.append(LegendItem(label="median", renderers=line))
    style_legend(plot, "top_left")
