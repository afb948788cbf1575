"""The page frame both pages share: a title bar with a sentence about what is drawn, a column of
controls (a sidebar on a wide screen, above the plots on a phone) and the plots.

No Panel template: Panel's base page with a viewport meta and a few styles is lighter to
load and to build per session than a template's or panel-material-ui's (docs/page.md).
"""

from __future__ import annotations

import html

import panel as pn
from bokeh.document import Document
from bokeh.models import CustomJS, Div, InlineStyleSheet
from bokeh.plotting import figure

from .a11y import label_controls

#: Jinja blocks added to Panel's base page (``Document.template``, a public Bokeh attribute;
#: Panel extends its base template with a string template): a phone draws the page at its own
#: width, and the page is the document's main landmark. (No ``color-scheme`` meta: Panel's
#: widgets keep light colours, so a system in dark mode would draw dark text on a dark page.)
PAGE_TEMPLATE = """
{% block preamble %}
{{ super() }}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="A live Brownian motion streamed from the server">
{% endblock %}
{% block contents %}<main>{{ super() }}</main>{% endblock %}
"""

#: Names of the lines standing in for the controls, and for History and the statistics, until
#: those are built (after the page's first point): a page is whole once neither is left.
CONTROLS_TO_COME_NAME, PLOTS_TO_COME_NAME = "controls-to-come", "plots-to-come"
TO_COME_NAMES = (CONTROLS_TO_COME_NAME, PLOTS_TO_COME_NAME)

#: Width of the controls' column beside the plots (on a phone: the page's width).
CONTROLS_WIDTH = 300

#: Width of one control in that column.
CONTROL_WIDTH = CONTROLS_WIDTH - 40

#: Narrowest width of a plot.
MIN_PLOT_WIDTH = 300

_HEADER_CSS = """
header { background: #1f4e79; color: white; padding: 10px 16px; border-radius: 4px; }
h1 { margin: 0 0 4px 0; font-size: 1.6em; }
p { margin: 0; line-height: 1.4; }
"""

_MARKS_CSS = """
.marks { position: relative; height: 1.3em; margin: 0 1px; font-size: 0.85em; color: #444; }
.marks span { position: absolute; transform: translateX(-50%); }
"""


def use_page_frame(doc: Document) -> None:
    """Serve the session's ``doc`` with ``PAGE_TEMPLATE`` (a viewport meta: phones draw it at
    their width) and only the JavaScript its models need: ``pn.extension()`` in the session
    tells Panel that no optional extension is used (else every extension model imported in the
    process, e.g. Tabulator with luxon, 525 kB, is loaded by every page); without re-applying
    Panel's IDE signatures to every Panel class (a session setting; ~3 ms a page). On a touch screen
    the figures (also those added later) leave the page to scroll; the controls (also those
    added later or unfolded) get accessible names."""
    doc.template = PAGE_TEMPLATE
    pn.extension(apply_signatures=False)
    touch_scrolls_page(doc)
    label_controls(doc)


#: On a touch screen no drag or zoom tool of a figure starts active: a finger on a plot scrolls
#: the page (the toolbar turns a tool on when wanted). Each figure once, when first seen: at
#: load and whenever a layout gets new children (the parts built after the first point).
_TOUCH_SCROLLS = """
if (window.matchMedia("(pointer: coarse)").matches && window.Bokeh) {
  const done = (window.brownianTouchDone ??= new WeakSet());
  const apply = (doc) => {
    for (const model of doc.all_models) {
      if (model.toolbar != null && model.toolbar.active_drag !== undefined && !done.has(model)) {
        done.add(model);
        // The toolbar's own properties (BokehJS 3.10 updates the canvas's touch-action).
        model.toolbar.setv({active_drag: null, active_scroll: null, active_multi: null});
      }
    }
  };
  for (const doc of Bokeh.documents) {
    apply(doc);
    if (!done.has(doc)) {
      done.add(doc);
      doc.on_change((event) => { if (event.attr === "children") apply(doc); });
    }
  }
}
"""


def touch_scrolls_page(doc: Document) -> None:
    """On a touch screen, leave the figures' drag and zoom tools off: the page scrolls."""
    doc.js_on_event("document_ready", CustomJS(code=_TOUCH_SCROLLS))


def header(title: str, about: str) -> Div:
    """The title bar: ``title`` and one sentence ``about`` (HTML-escaped). A Bokeh ``Div``: its
    text changes as the settings do, and a Panel HTML pane's change in a notebook re-sent the
    pane's stylesheets as CDN addresses (Panel inlines them at the first render only)."""
    return Div(text=header_html(title, about), stylesheets=[InlineStyleSheet(css=_HEADER_CSS)],
               sizing_mode="stretch_width", margin=(5, 10), name="page-header")


def header_html(title: str, about: str) -> str:
    return (f"<header><h1>{html.escape(title)}</h1>"
            f"<p class='about'>{html.escape(about)}</p></header>")


def about_walk(variance: float, period: int, batch: int, window: int) -> str:
    """The sentence under the title: what the plots draw."""
    points = "one point" if batch == 1 else f"{batch:,} points"
    return (f"A random walk: each step adds an independent increment drawn from N(0, variance), "
            f"variance {variance:g}. The server adds {points} every {period:,} ms and sends only "
            f"those to this page; the live plot keeps the last {window:,} steps, the History "
            f"every step since the reset, drawn at the plot's resolution.")


def slider_marks(values: tuple[float, ...]) -> pn.pane.HTML:
    """Labels under a slider (of ``CONTROL_WIDTH``) at ``values``, evenly spaced, the first and
    last at its ends."""
    last = len(values) - 1
    spans = "".join(f"<span style='left: {100 * index / last:g}%'>{value:g}</span>"
                    for index, value in enumerate(values))
    return pn.pane.HTML(f"<div class='marks' aria-hidden='true'>{spans}</div>",
                        stylesheets=[_MARKS_CSS], width=CONTROL_WIDTH, margin=(0, 10))


#: A phone: the controls take the page's width, above the plots.
_NARROW_CSS = """
@media (max-width: 640px) {
  :host { width: calc(100% - 20px) !important; flex: 1 1 auto !important; }
}
"""


def _card_heading(title: str, level: int) -> pn.pane.HTML:
    """A card's title as a heading of ``level`` (Panel's ``title`` is always an h3)."""
    return pn.pane.HTML(f"<h{level}>{html.escape(title)}</h{level}>", margin=(0, 5),
                        stylesheets=[f"h{level} {{ font-size: 1.17em; margin: 0.3em 0; }}"])


def controls_column(*objects, title: str = "Controls") -> pn.Card:
    """The controls: a collapsible card, a sidebar beside the plots when the page is wide."""
    return pn.Card(*objects, header=_card_heading(title, 2), collapsible=True,
                   width=CONTROLS_WIDTH,
                   styles={"flex": f"0 0 {CONTROLS_WIDTH}px"}, stylesheets=[_NARROW_CSS],
                   margin=(5, 10), name="controls")


def settings_card(editor: pn.viewable.Viewable) -> pn.Card:
    """The run's settings (seed, period, batch, window, paths), folded until asked for."""
    return pn.Card(editor, title="Run settings", collapsible=True, collapsed=True,
                   width=CONTROL_WIDTH + 10, margin=(5, 5), name="settings")


def plots_column(*objects) -> pn.Column:
    """The plots: whatever width is left beside the controls, at least ``MIN_PLOT_WIDTH``."""
    return pn.Column(*objects, sizing_mode="stretch_width", min_width=MIN_PLOT_WIDTH,
                     styles={"flex": "1 1 600px"}, margin=0, name="plots")


def page_plots(live: figure, history, increments, *more) -> pn.Column:
    """The plots' column: the live plot, the History (``history_panes``) and the statistics
    (``statistics_panes``), then ``more``."""
    return plots_column(pn.pane.Bokeh(live, sizing_mode="stretch_width"),
                        *history_panes(history), statistics_panes(increments), *more)


def history_panes(history) -> list[pn.pane.Bokeh]:
    """The History's status line and plot."""
    return [pn.pane.Bokeh(history.status, sizing_mode="stretch_width"),
            pn.pane.Bokeh(history.figure, sizing_mode="stretch_width")]


def statistics_panes(increments) -> pn.FlexBox:
    """The increments' histogram with the variance estimate beside (or under) it."""
    return side_by_side(
        pn.pane.Bokeh(increments.figure, sizing_mode="stretch_width",
                      min_width=MIN_PLOT_WIDTH, styles={"flex": "1 1 400px"}),
        pn.pane.Bokeh(increments.estimate, width=CONTROLS_WIDTH))


def to_come(text: str, name: str) -> pn.pane.Bokeh:
    """A line saying what part of the page follows (a ``Div`` named ``name``)."""
    return pn.pane.Bokeh(Div(text=f"<p><em>{html.escape(text)}</em></p>", name=name,
                             margin=(5, 10)), sizing_mode="stretch_width")


def side_by_side(*objects) -> pn.FlexBox:
    """``objects`` in a row that wraps (each under the last) when they do not fit side by
    side (their own widths, or flex bases in their ``styles``, say when)."""
    return pn.FlexBox(*objects, flex_wrap="wrap", align_items="flex-start",
                      sizing_mode="stretch_width", styles={"min-width": "0"})


def page_frame(top: Div, notices: list, controls: pn.Card,
               plots: pn.Column, hidden: list) -> pn.Column:
    """The whole page: title bar, notices, then controls beside (or above) the plots."""
    return pn.Column(pn.pane.Bokeh(top, sizing_mode="stretch_width"), *notices,
                     side_by_side(controls, plots), *hidden,
                     sizing_mode="stretch_width", styles={"max-width": "100%"})
