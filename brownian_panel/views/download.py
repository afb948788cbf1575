"""The Download CSV link of a page's export (or how to get the CSV where it cannot be served)."""

from __future__ import annotations

import html

import panel as pn
from bokeh.document import Document

from ..export.csv import EXPORT_PATH, EXPORTS, Export, route_installed

LINK_STYLE = ("padding:4px 10px;border:1px solid #0072b5;border-radius:4px;"
              "text-decoration:none;color:#0072b5")


def download_link(export: Export, session_doc: Document | None,
                  python_hint: str = "app.export_csv('brownian.csv')") -> tuple[str, str | None]:
    """The link's HTML and its token in ``EXPORTS`` (None when no link is served: outside a
    server session, or without the export route). Remove the token when the session ends."""
    if session_doc is None:
        return (f"<small>CSV of the whole history: <code>{html.escape(python_hint)}</code>"
                "</small>"), None
    if not route_installed():
        return ("<small>Download CSV needs the export route: serve with "
                "<code>brownian-panel</code> or <code>panel serve apps/brownian.py "
                "--plugins brownian_panel.export.route</code></small>"), None
    token = EXPORTS.add(export)
    href = f"{pn.state.base_url.rstrip('/')}{EXPORT_PATH}/{token}.csv"
    return (f'<a href="{html.escape(href)}" download class="brownian-download" '
            f'style="{LINK_STYLE}">Download CSV</a>'), token
