"""Panel widget internals (Panel 1.9-1.10): the 50 ms debounce of browser changes, and the hook
that turns a browser message into parameter values, with the link ``pn.Param`` sets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .feature import Feature, expect

log = logging.getLogger(__name__)


def _probe_debounce() -> None:
    from panel.widgets import FloatSlider

    expect(isinstance(getattr(FloatSlider(), "_debounce", None), int),
           "Reactive._debounce, milliseconds")


DEBOUNCE = Feature(
    "widget-debounce",
    uses="panel.reactive.Reactive._debounce",
    written_for="Panel 1.9.4, 1.10.0",
    stands_in_for="a widget whose browser changes apply at once (no public switch)",
    fallback="Panel's 50 ms delay before each browser change",
    probe=_probe_debounce,
)


def answer_at_once(widget: Any) -> None:
    """Make Panel apply ``widget``'s browser changes without its 50 ms debounce."""
    if DEBOUNCE.on:
        widget._debounce = 0


def _probe_param_link() -> None:
    import panel as pn
    import param

    class Probe(param.Parameterized):
        value = param.Number(default=1.0, bounds=(0, 2))

    probe = Probe()
    widget = pn.Param(probe, parameters=["value"], widgets={"value": pn.widgets.FloatSlider})
    [slider] = [w for w in widget.layout if isinstance(w, pn.widgets.FloatSlider)]
    expect(getattr(slider, "_param_pane", None) is widget and
           getattr(slider, "_param_name", None) == "value",
           "pn.Param setting widget._param_pane / ._param_name")
    expect(callable(getattr(pn.widgets.FloatSlider, "_process_property_change", None)),
           "Syncable._process_property_change(msg)")


PARAM_LINK = Feature(
    "refuse-browser-values",
    uses="Syncable._process_property_change; widget._param_pane / ._param_name set by pn.Param",
    written_for="Panel 1.9.4, 1.10.0",
    stands_in_for="a widget that checks a browser's value against its parameter first",
    fallback="Panel's handling: a raw traceback logged, the refused value left on the page",
    probe=_probe_param_link,
)


class RefuseInvalidValue:
    """Mixin for a widget made by ``pn.Param``: a browser value its parameter refuses
    (``check(parameterized, name, value)`` raises ``ValueError``) is logged on one line, dropped,
    and the current value is sent back to the browser."""

    #: ``check(parameterized, name, value)``, set by the class that mixes this in.
    check: Callable[[Any, str, Any], None]

    def _process_property_change(self, msg):
        params = super()._process_property_change(msg)
        if not PARAM_LINK.on:
            return params
        pane = getattr(self, "_param_pane", None)
        name = getattr(self, "_param_name", None)
        if "value" not in params or pane is None or name is None:
            return params
        try:
            type(self).check(pane.object, name, params["value"])
        except ValueError as error:
            log.warning("rejected %s=%.100r from client: %s", name, params["value"], error)
            params = {key: value for key, value in params.items() if key != "value"}
            on_refused = getattr(self, "on_refused", None)  # set by the page that shows it
            if on_refused is not None:
                on_refused(name, str(error))
            import panel as pn

            pn.state.execute(self._resend_value, schedule=True)
        return params

    def _resend_value(self) -> None:
        # The browser still shows the refused value: send the current one again.
        self.param.trigger("value")
