"""What the page says about its connection to the server, and how it gets it back.

When the WebSocket is cut, BokehJS's ``connection_lost`` event shows a notice and BokehJS tries to
reconnect (at once, then about 2, 6, 14 and 30 s after the cut; ``reconnect_session`` on). Between
those attempts the page asks the server every ``PROBE_S`` seconds whether it answers (a ``HEAD``
request of the BokehJS file it loaded: no session, no log line) and starts the next attempt as soon
as it does: a page is back about ``PROBE_S`` after the network, not up to 16 s later. Once
BokehJS's attempts are spent the page goes on trying every ``RETRY_S`` seconds. Each attempt has
``WATCHDOG_S`` to bring the page back (connect, pull the document again, apply it); a page that an
attempt has not brought back by then loads itself again as soon as the server answers. Before each
attempt the page drops what it had of a message the lost connection was carrying
(``compat.fresh_receiver_js``). A page that reconnects while the server still holds its session
pulls the session's document again: the same run, nothing missed, and the notice (never set on the
server) is gone. A page that comes back after the server ended its session gets a new session under
the same id, whose document is only a notice tagged ``NEW_SESSION``: seeing it, the page loads
itself again (a new run of the same settings), and the loaded page says so (``NEW_RUN``). A shared
page just loads again: its path is everyone's.

The notice is a plain Bokeh ``Div`` set in the browser without syncing (nothing to send while
disconnected). Panel's ``config.disconnect_notification`` is not used: Panel 1.9.4 keeps every
session's ``NotificationArea`` (and so its whole document) in ``state._views`` after the
session ends.
"""

from __future__ import annotations

import warnings

import panel as pn
from bokeh.document import Document
from bokeh.models import CustomJS, Div

from ..compat import (
    close_quietly_after_session_destroyed,
    fresh_receiver_js,
    make_repull_keep_buffers,
    reconnected_page,
)
from ..runtime.logs import quiet_client_errors

#: Seconds between two reconnection attempts once BokehJS's own have been spent.
RETRY_S = 5

#: Seconds between two questions to the server, while BokehJS waits for its next attempt,
#: whether it answers again (the page then reconnects at once).
PROBE_S = 1

#: Seconds a reconnection attempt has to bring the page back, counted from its start; then the
#: page loads itself again once the server answers (a re-pull that failed leaves a connected,
#: frozen page). Re-pulling a big live window on a busy machine takes seconds.
WATCHDOG_S = 45

#: What the page says while BokehJS tries to reconnect.
RECONNECTING = "Connection to the server lost: reconnecting…"

#: What the page says once BokehJS's attempts are spent (and ours go on).
STILL_TRYING = (f"Connection to the server lost: still trying to reconnect every {RETRY_S} s. "
                "Reload the page to start a new run.")

#: What a page says when it came back after the server had ended its session.
NEW_RUN = ("The connection was lost for longer than the server keeps a session: "
           "this page is showing a new run.")

#: The tag of the notice of a session made by a page reconnecting (the server had ended its own).
NEW_SESSION = "new-session"

#: The browser's sessionStorage key that carries "say NEW_RUN" over the page's reload.
_NEW_RUN_KEY = "brownian-panel-new-run"

_STYLE = {"color": "#842029", "background-color": "#f8d7da", "border": "1px solid #f5c2c7",
          "border-radius": "4px", "padding": "8px 12px"}

# A document event's CustomJS gets the document as cb_obj and the event as cb_data.
_ON_LOST = f"""
// Asks the server (HEAD of the BokehJS file this page loaded: a static file, no session, no
// "405" log line; of the page itself without one) `first` ms from now, then every `every` ms,
// until it answers (any status under 500), then runs `then`; window[slot] holds the timer.
const served = document.querySelector('script[src*="static/js/bokeh"]');
const probed = served != null ? served.src : window.location.href;
const whenServed = (slot, first, every, then) => {{
  const ask = () => fetch(probed, {{method: "HEAD", cache: "no-store"}})
    .then((response) => {{
      if (response.status >= 500) throw new Error("not served");
      window[slot] = null;
      then();
    }})
    .catch(() => {{ window[slot] = setTimeout(ask, every); }});
  clearTimeout(window[slot]);
  window[slot] = setTimeout(ask, first);
}};
const retrying = cb_data.timeout != null;
notice.setv({{text: retrying ? {RECONNECTING!r} : {STILL_TRYING!r}, visible: true}},
            {{sync: false}});
if (!retrying) {{
  setTimeout(() => cb_data.reconnect(), {RETRY_S * 1000});
}} else if (window.brownianProbe == null) {{
  // Once the server answers, the next attempt at once.
  whenServed("brownianProbe", {PROBE_S * 1000}, {PROBE_S * 1000}, () => cb_data.reconnect());
}}
// The next attempt starts in `next` ms (BokehJS's, or ours once BokehJS's are spent): the page
// reloads if that attempt has not brought it back WATCHDOG_S later.
const next = retrying ? cb_data.timeout : {RETRY_S * 1000};
whenServed("brownianWatchdog", next + {WATCHDOG_S * 1000}, {RETRY_S * 1000}, () => {{
  if (says_new_run) sessionStorage.setItem({_NEW_RUN_KEY!r}, "1");
  window.location.reload();
}});
"""


_ON_RECONNECTED = f"""
clearTimeout(window.brownianWatchdog);
window.brownianWatchdog = null;
clearTimeout(window.brownianProbe);
window.brownianProbe = null;
const notice = cb_obj.get_model_by_name("connection_notice");
if (notice != null && notice.tags.includes({NEW_SESSION!r})) {{
  if (says_new_run) sessionStorage.setItem({_NEW_RUN_KEY!r}, "1");
  window.location.reload();
}}
"""

_ON_READY = f"""
if (sessionStorage.getItem({_NEW_RUN_KEY!r}) != null) {{
  sessionStorage.removeItem({_NEW_RUN_KEY!r});
  notice.setv({{text: {NEW_RUN!r}, visible: true}}, {{sync: false}});
}}
"""


def connection_notice() -> Div:
    """A hidden Div for what ``follow_connection`` says, tagged ``NEW_SESSION`` in a session
    made by a page reconnecting after the server had ended its own."""
    tags = [NEW_SESSION] if made_by_reconnection() else []
    return Div(text="", visible=False, name="connection_notice", styles=_STYLE, tags=tags)


def follow_connection(document: Document, notice: Div, new_run: bool = True) -> None:
    """Reconnect ``document``'s page after a cut and say what happens on ``notice``;
    ``new_run``: whether a page that comes back to a new session starts a new run (a
    session's own path) and must say so."""
    make_repull_keep_buffers()  # BokehJS 3.9 drops a re-pull's binary buffers
    close_quietly_after_session_destroyed()  # pages open while the server stops
    # A re-pulled page's first changes define models the session knows (Panel's Location,
    # BrowserInfo, root): Bokeh warns for each, and applies them.
    warnings.filterwarnings("ignore", "reference already known", UserWarning)
    pn.config.reconnect = True  # this session's config: Panel sets reconnect_session from it
    document.config.update(reconnect_session=True, notify_connection_status=False)
    document.js_on_event("connection_lost", CustomJS(
        args={"notice": notice, "says_new_run": new_run}, code=fresh_receiver_js() + _ON_LOST))
    document.js_on_event("client_reconnected", CustomJS(args={"says_new_run": new_run},
                                                        code=_ON_RECONNECTED))
    if new_run:
        document.js_on_event("document_ready", CustomJS(args={"notice": notice},
                                                        code=_ON_READY))


def ended_session_page(new_run: bool = True):
    """What a session made by a reconnecting page holds (``made_by_reconnection``): only the
    tagged notice, which makes that page load itself again (``new_run`` as for
    ``follow_connection``)."""
    doc = pn.state.curdoc
    quiet_client_errors()  # its stale page's last changes are refused: one line each
    notice = connection_notice()
    follow_connection(doc, notice, new_run)
    return pn.pane.Bokeh(notice)


def made_by_reconnection() -> bool:
    """Whether the session being built was made by a page reconnecting to a session the server
    no longer had (``compat.reconnected_page``)."""
    doc = pn.state.curdoc
    return doc is not None and reconnected_page(doc.session_context)
