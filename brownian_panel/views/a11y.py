"""Accessible names for the parts of Bokeh's widgets that have none: a slider's handle
(``role="slider"``) and a number box's up and down buttons.

Bokeh 3.9/3.10 render neither name and offer no property for them, so the page sets them in the
browser once it is drawn, and again when parts of it are added.
"""

from __future__ import annotations

from bokeh.document import Document
from bokeh.models import CustomJS

#: Walks the page's shadow roots and names every unnamed slider handle and spin button after
#: its widget's title.
LABEL_CONTROLS = """
function title(root) {
  const node = root.querySelector(".bk-slider-title, label");
  return node ? node.textContent.split(":")[0].trim() : "";
}
function label(root) {
  const name = title(root);
  for (const handle of root.querySelectorAll(".noUi-handle:not([aria-label])")) {
    handle.setAttribute("aria-label", name || "value");
  }
  const spins = [[".bk-spin-btn-up", "Increase"], [".bk-spin-btn-down", "Decrease"]];
  for (const [selector, verb] of spins) {
    for (const button of root.querySelectorAll(`${selector}:not([aria-label])`)) {
      button.setAttribute("aria-label", name ? `${verb} ${name}` : verb);
    }
  }
  for (const element of root.querySelectorAll("*")) {
    if (element.shadowRoot) label(element.shadowRoot);
  }
}
setTimeout(() => label(document), delay);
"""

#: At load: name the controls there, and again once drawn after any layout gets new children
#: (the parts of a page built after its first point). A folded card's controls are drawn, and
#: named, with the page (Panel 1.9 and 1.10), so they keep their names when it unfolds. One
#: document listener, no Panel link: a Panel ``jscallback`` would make Panel walk the whole page
#: for links at every layout change of every session.
_LABEL_AT_LOAD = LABEL_CONTROLS + """
const labelled = (window.brownianLabelled ??= new WeakSet());
for (const doc of Bokeh.documents) {
  if (!labelled.has(doc)) {
    labelled.add(doc);
    doc.on_change((event) => {
      if (event.attr === "children") {
        for (const wait of [50, 500]) setTimeout(() => label(document), wait);
      }
    });
  }
}
"""


def label_controls(doc: Document) -> None:
    """Name the page's slider handles and spin buttons when it is ready and when a layout gets
    new children."""
    doc.js_on_event("document_ready", CustomJS(args={"delay": 0}, code=_LABEL_AT_LOAD))
