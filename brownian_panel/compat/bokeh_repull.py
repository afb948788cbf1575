"""A re-pulled document keeps its binary data on BokehJS before 3.10's fix (bokeh#15347).

When a page reconnects to its session, BokehJS pulls the document again and applies it with
``replace_with_json(doc_json)``; BokehJS 3.9 drops the reply's binary buffers there, so every
numpy column fails ("Failed to repull session Error: buffer for id=... not found") and the page
stays frozen. The server can answer a re-pull with its buffers inlined (base64 in the JSON,
``Document.to_json(deferred=False)``), which BokehJS decodes without buffers. A re-pull is a
session's second or later pull, or any pull of a session made by a page's WebSocket (a page
that came back after the server had ended its session: ``reconnected_page``). BokehJS 3.10's
``replace_with_json(doc_json, buffers)`` takes them: not needed there.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from .feature import Feature, NotNeeded, expect

#: What BokehJS's re-pull reads when it keeps the buffers (Bokeh 3.10).
_FIXED_JS = "replace_with_json(doc_json, buffers)"
_BROKEN_JS = "replace_with_json(doc_json)"


def bokehjs_source() -> str:
    from bokeh.util.paths import bokehjs_path

    return (Path(bokehjs_path()) / "js" / "bokeh.js").read_text(encoding="utf-8")


def _probe() -> None:
    from bokeh.server import session as bokeh_session

    source = bokehjs_source()
    if _FIXED_JS in source:
        raise NotNeeded("BokehJS's re-pull keeps the buffers (Bokeh 3.10)")
    expect(_BROKEN_JS in source, f"BokehJS's re-pull calling {_BROKEN_JS}")
    expect(callable(getattr(bokeh_session, "_needs_document_lock", None)),
           "bokeh.server.session._needs_document_lock")
    expect(callable(getattr(bokeh_session.ServerSession, "_handle_pull", None)),
           "ServerSession._handle_pull")


REPULL_INLINE = Feature(
    "repull-inline-buffers",
    uses="bokeh.server.session.ServerSession._handle_pull and _needs_document_lock, replaced "
         "process-wide",
    written_for="Bokeh 3.9.2 (BokehJS 3.10 keeps a re-pull's buffers: not needed there)",
    stands_in_for="BokehJS applying a re-pulled document's buffers",
    fallback="Bokeh's pull reply (a page that reconnects fails to re-pull and stays frozen)",
    probe=_probe,
)

#: Sessions that have answered a pull: the next pull of one is a reconnected page's re-pull.
_PULLED: weakref.WeakSet = weakref.WeakSet()


def _handle_pull(session, message, connection):
    from bokeh.protocol.messages.pull_doc_reply import pull_doc_reply

    if session in _PULLED or reconnected_page(session.document.session_context):
        header = pull_doc_reply.create_header(request_id=message.header["msgid"])
        return pull_doc_reply(header, {}, {"doc": session.document.to_json(deferred=False)})
    _PULLED.add(session)
    return connection.protocol.create("PULL-DOC-REPLY", message.header["msgid"],
                                      session.document)


def reconnected_page(context) -> bool:
    """Whether the session of ``context`` (a ``BokehSessionContext``) was made by a page
    reconnecting to a session the server no longer had: made by a WebSocket (not by loading a
    page) with a token the server issued for a page, whose payload holds that page request's
    headers (a ``bokeh.client`` session's token has none). Public API only."""
    path = getattr(getattr(context, "request", None), "path", None)
    if not (isinstance(path, str) and path.endswith("/ws")):
        return False
    try:
        return "headers" in context.token_payload
    except Exception:  # no token, or not one of Bokeh's
        return False


def make_repull_keep_buffers() -> None:
    """Answer re-pulls with inlined buffers where BokehJS needs it (idempotent)."""
    from bokeh.server import session as bokeh_session

    if REPULL_INLINE.on and not getattr(bokeh_session.ServerSession._handle_pull,
                                        "_brownian_panel", False):
        replacement = bokeh_session._needs_document_lock(_handle_pull)
        replacement._brownian_panel = True
        bokeh_session.ServerSession._handle_pull = replacement
