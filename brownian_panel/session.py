"""Which Bokeh document a component is being built for."""

from __future__ import annotations

import panel as pn
from bokeh.document import Document


def server_session_document() -> Document | None:
    """The document of the Bokeh server session being built, or None (a notebook, plain Python,
    a test without a server)."""
    doc = pn.state.curdoc
    return doc if doc is not None and doc.session_context else None
