"""The parameter editor: ``pn.Param`` of the model, with widgets that refuse invalid browser input.

``pn.Param`` links each widget to its parameter. When the parameter refuses a value sent by a
browser (a patch can carry any number, whatever the slider's range), plain Panel logs a raw
traceback and the page keeps showing the refused value. The widgets made here check the value
against the parameter before it is applied: a refused value is logged on one line, dropped, and
the last valid value is pushed back to the browser.
"""

from __future__ import annotations

import logging

import panel as pn
import param

from ..compat import RefuseInvalidValue
from ..model.validation import check
from ..notebook import ViewReady, repair_kernel_comms
from ..runtime.session import server_session_document

log = logging.getLogger(__name__)


class _Checked(RefuseInvalidValue):
    check = staticmethod(check)


def float_slider(parameter: param.Number, **params) -> pn.widgets.FloatSlider:
    """A ``FloatSlider`` whose label, range and step are ``parameter``'s (not linked to it)."""
    start, end = parameter.bounds
    return pn.widgets.FloatSlider(label=parameter.label, start=start, end=end,
                                  step=parameter.step, **params)


class GuardedFloatSlider(_Checked, pn.widgets.FloatSlider):
    """A ``FloatSlider`` that refuses browser values its linked parameter refuses."""


class GuardedIntInput(_Checked, pn.widgets.IntInput):
    """An ``IntInput`` that refuses browser values its linked parameter refuses."""


#: Which widget edits which model parameter.
#: The number boxes have no start and end: the browser would clamp a typed value without a
#: word; the parameter refuses it instead, and the page says why and what was kept.
EDITOR_WIDGETS = {
    "variance": {"type": GuardedFloatSlider, "format": "0[.]0"},  # "Variance: 0.5"
    **{name: {"type": GuardedIntInput, "start": None, "end": None}
       for name in ("period", "batch", "window", "seed", "paths")},
}


def model_editor(model: param.Parameterized, notebook_view_ready: bool = True,
                 parameters: list[str] | None = None, **params) -> pn.Param:
    """The parameter editor pane of ``model``: variance slider, period, batch, window, seed,
    paths (or only ``parameters`` of these). Outside a server session (a notebook) it carries a
    ``notebook.ViewReady`` unless ``notebook_view_ready`` is False (for a layout that has its
    own)."""
    params.setdefault("show_name", False)
    editor = pn.Param(model, parameters=parameters or list(EDITOR_WIDGETS),
                      widgets=EDITOR_WIDGETS, **params)
    if server_session_document() is None:
        repair_kernel_comms()  # in IPython: see notebook.py
        if notebook_view_ready:
            editor.layout.append(ViewReady())
    return editor


class VarianceEntry:
    """A box to type the variance (the original's numeric entry beside its slider), linked to
    ``model.variance``: a value the parameter refuses is not applied, ``on_refused(name,
    message)`` is called with why, and the box shows the model's value again."""

    def __init__(self, model: param.Parameterized, on_refused=None):
        self.model = model
        self._on_refused = on_refused
        # No start/end: the browser would clamp a typed 5 to 2 without a word.
        self.widget = pn.widgets.FloatInput(label="Type a variance (0 to 2)", value=model.variance,
                                            step=model.param.variance.step, width=160,
                                            margin=(0, 10, 10, 10))
        self.widget.param.watch(self._on_typed, "value")
        self._watcher = model.param.watch(self._on_model, "variance")

    def _on_typed(self, event: param.parameterized.Event) -> None:
        if event.new == self.model.variance:
            return
        try:
            check(self.model, "variance", event.new)
        except ValueError as error:
            log.warning("rejected typed variance=%.100r: %s", event.new, error)
            if self._on_refused is not None:
                self._on_refused("variance", str(error))
            self.widget.value = self.model.variance
            return
        self.model.variance = event.new

    def _on_model(self, event: param.parameterized.Event) -> None:
        self.widget.value = event.new

    def release(self) -> None:
        """Stop following the model. Idempotent."""
        if self._watcher is not None:
            self.model.param.unwatch(self._watcher)
            self._watcher = None
