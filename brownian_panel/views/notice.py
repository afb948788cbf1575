"""A notice the page shows by itself when it loses its server connection.

Panel's ``config.disconnect_notification`` does this with a ``NotificationArea``, but Panel
1.9.4 keeps every session's area (and so its whole document) in ``state._views`` after the
session ends: 80 documents were still alive after 80 sessions had closed. This is a plain Bokeh
``Div`` made visible by BokehJS's ``connection_lost`` event; nothing to clean up.
"""

from __future__ import annotations

from bokeh.document import Document
from bokeh.models import CustomJS, Div

#: What the page says once its connection to the server is lost.
DISCONNECTED = "Connection to the server lost: the path has stopped. Reload to start anew."

_STYLE = {"color": "#842029", "background-color": "#f8d7da", "border": "1px solid #f5c2c7",
          "border-radius": "4px", "padding": "8px 12px"}


def connection_lost_notice() -> Div:
    """A hidden Div reading ``DISCONNECTED``, to be shown by ``show_when_disconnected``."""
    return Div(text=DISCONNECTED, visible=False, name="connection_lost", styles=_STYLE)


def show_when_disconnected(document: Document, notice: Div) -> None:
    """Show ``notice`` in the browser when the document's connection to the server is lost."""
    document.js_on_event("connection_lost", CustomJS(args={"notice": notice},
                                                     code="notice.visible = true"))
