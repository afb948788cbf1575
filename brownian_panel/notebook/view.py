"""``ViewReady``: the browser reports each time a notebook view has been built; the kernel then
sends the view its widgets' current state (``resend_widget_state``). Rendering it also patches
Panel's browser-side ``CommManager`` once per page. Why: docs/architecture.md, "Notebook".
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn
import param
from bokeh.document import Document
from bokeh.document.events import ModelChangedEvent
from bokeh.models import Widget
from panel.custom import JSComponent
from panel.io.notebook import push

from ..compat import COMM_MANAGER_PATCH, COMM_MANAGER_PATCH_JS, view_comm
from .link import comm_connection

#: The widget properties the kernel changes while an app runs (not layout or styling).
LIVE_WIDGET_PROPERTIES = ("value", "label", "text", "title", "visible", "disabled", "button_type")


def resend_widget_state(doc: Document) -> None:
    """Send the browser's view of ``doc`` the live properties (``LIVE_WIDGET_PROPERTIES``) of
    every widget as they are now, so a view built from an older snapshot catches up."""
    comm = view_comm(doc)
    if comm is None or comm_connection(comm) is None:
        return
    held = doc.callbacks.hold_value
    if held is None:
        doc.hold("combine")
    for model in list(doc.models):
        if not isinstance(model, Widget):
            continue
        for name, value in model.properties_with_values(include_defaults=False).items():
            if name in LIVE_WIDGET_PROPERTIES:
                doc.callbacks.trigger_on_change(ModelChangedEvent(doc, model, name, value))
    push(doc, comm)
    if held is None:
        doc.unhold()


class ViewReady(JSComponent):
    """Invisible; its browser side reports each time the notebook view holding it has been built.

    On the report the kernel sends the view its widgets' current state (``resend_widget_state``),
    then calls ``on_ready``. Rendering it also patches, once per page, the class of the
    ``CommManager`` (the root Panel adds to each notebook view's document) so that no view sends
    the kernel back the changes the kernel made, and none reads messages off by a frame (see the
    module's doc).
    """

    _esm = COMM_MANAGER_PATCH_JS + """
    const COMM_MANAGER = "panel.models.comm_manager.CommManager"

    export function render({ model, view }) {
      let missing = ""
      for (const root of view.model.document.roots()) {
        const manager = Object.getPrototypeOf(root)
        if (model.patch_comm_manager && root.constructor.__qualified__ === COMM_MANAGER &&
            !manager._brownian_patched) {
          missing = patchCommManager(manager)
          manager._brownian_patched = missing === ""
        }
      }
      if (missing !== "") {
        console.warn(`brownian_panel: Panel's CommManager has no ${missing}: not patched`)
      }
      // After the current build: by then the view's root is indexed and takes messages.
      setTimeout(() => model.send_msg({ ready: true, missing }), 0)
    }
    """

    patch_comm_manager = param.Boolean(default=True, constant=True, doc="""
        Patch the page's CommManager (off where ``compat.COMM_MANAGER_PATCH`` is off).""")

    def __init__(self, on_ready: Callable[[], None] | None = None, **params):
        params.setdefault("height", 0)
        params.setdefault("width", 0)
        params.setdefault("margin", 0)
        params.setdefault("patch_comm_manager", COMM_MANAGER_PATCH.on)
        super().__init__(**params)
        self._on_ready = on_ready

    def _handle_msg(self, data: object) -> None:
        if not isinstance(data, dict) or data.get("ready") is not True:
            return
        if data.get("missing"):
            COMM_MANAGER_PATCH.turn_off(f"the browser's CommManager has no {data['missing']}")
        doc = pn.state.curdoc  # Panel sets it to the document of the view that sent this
        if doc is not None:
            resend_widget_state(doc)
        if self._on_ready is not None:
            self._on_ready()
