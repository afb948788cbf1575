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
from ..notebook import ViewReady, repair_kernel_comms
from ..runtime.session import server_session_document

log = logging.getLogger(__name__)


def check_value(parameterized: param.Parameterized, name: str, value: object) -> None:
    """Raise ``ValueError`` if ``parameterized.<name> = value`` would be refused; set nothing."""
    try:
        # param has no public "validate without setting"; _validate is what __set__ calls.
        parameterized.param[name]._validate(value)
    except TypeError as error:  # e.g. a comparison of a list with a bound
        raise ValueError(f"parameter {name!r} cannot take {value!r}: {error}") from error


class _Checked(RefuseInvalidValue):
    check = staticmethod(check_value)


class GuardedFloatSlider(_Checked, pn.widgets.FloatSlider):
    """A ``FloatSlider`` that refuses browser values its linked parameter refuses."""


class GuardedIntInput(_Checked, pn.widgets.IntInput):
    """An ``IntInput`` that refuses browser values its linked parameter refuses."""


#: Which widget edits which model parameter.
EDITOR_WIDGETS = {
    "variance": {"type": GuardedFloatSlider, "format": "0[.]0"},  # "Variance: 0.5"
    "period": {"type": GuardedIntInput},
    "batch": {"type": GuardedIntInput},
    "window": {"type": GuardedIntInput},
    "seed": {"type": GuardedIntInput},
    "paths": {"type": GuardedIntInput},
}


def model_editor(model: param.Parameterized, notebook_view_ready: bool = True, **params
                 ) -> pn.Param:
    """The parameter editor pane of ``model``: variance slider, period, batch, window, seed,
    paths. Outside a server session (a notebook) it carries a ``notebook.ViewReady`` unless
    ``notebook_view_ready`` is False (for a layout that has its own)."""
    params.setdefault("show_name", False)
    editor = pn.Param(model, parameters=list(EDITOR_WIDGETS), widgets=EDITOR_WIDGETS, **params)
    if server_session_document() is None:
        repair_kernel_comms()  # in IPython: see notebook.py
        if notebook_view_ready:
            editor.layout.append(ViewReady())
    return editor
