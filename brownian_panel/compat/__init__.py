"""Every use of another package's private names (Panel, Bokeh, Tornado, pyviz_comms,
ipykernel).

Each is a ``Feature``: what it uses, the versions it was written against, the public behaviour
it stands in for and the public path taken when its shape is not found (one WARNING then).
``FEATURES`` lists them all; ``report()`` gives the stack and their states
(``brownian-panel --versions``). Panel's documented hooks for custom components (``_esm``,
``_handle_msg``, ``_send_msg``, ``_rename`` of ``JSComponent``) are public API and used where
they belong.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .bokeh_callbacks import CALLBACK_CHECKS, check_callbacks_once
from .bokeh_curdoc import CURDOC_REPAIR, make_patch_curdoc_exception_safe
from .bokeh_defaults import (
    DEFAULTS_CACHE,
    THEMED_VALUES,
    UNSTABLE_CACHE,
    compute_defaults_once,
)
from .bokeh_document import NEW_MODELS, sent_to_page
from .bokeh_model import (
    CLIENT_WRITE_HOOKS,
    FIXED_ID,
    QUIET_CHANGES,
    append_quietly,
    column,
    model_with_id,
    refuse_client_writes,
    replace_columns_quietly,
    set_column_quietly,
    set_quietly,
    source_with_id,
)
from .bokeh_property_names import PROPERTY_NAMES, name_property_types_once
from .bokeh_receiver import FRESH_RECEIVER, fresh_receiver_js
from .bokeh_repull import REPULL_INLINE, make_repull_keep_buffers, reconnected_page
from .bokeh_server import (
    LOCK_STATE,
    PENDING_WRITES,
    SESSION_CONNECTIONS,
    lock_lost,
    server_session,
    session_locked,
    session_websockets,
    takes_changes,
    write_locked,
)
from .bokeh_ws_close import CLOSE_AFTER_DESTROY, close_quietly_after_session_destroyed
from .feature import NOT_NEEDED, OFF, ON, PUBLIC_PATHS_ENV, Feature
from .ipykernel_comms import EARLY_MESSAGES, keep_early_comm_messages
from .panel_document import (
    PANEL_WRITE_QUEUE,
    STRANDED_WRITES,
    panel_holds_writes,
    send_stranded_writes,
)
from .panel_notebook import (
    CHANGE_RELEASE,
    COMM_HANDLER,
    COMM_MANAGER_PATCH,
    COMM_MANAGER_PATCH_JS,
    VIEWS,
    handle_comm_messages_on_main_thread,
    release_holds_after_browser_changes,
    view_comm,
)
from .panel_widgets import DEBOUNCE, PARAM_LINK, RefuseInvalidValue, answer_at_once
from .tornado_socket import (
    PROTOCOL_STATE,
    WRITE_BUFFER,
    compressing,
    forget_pong,
    pong_received,
    unread_bytes,
    watches_pongs,
)

#: Every fast path on private names, in the order ``report`` lists them.
FEATURES: tuple[Feature, ...] = (
    SESSION_CONNECTIONS, LOCK_STATE, PANEL_WRITE_QUEUE, STRANDED_WRITES, QUIET_CHANGES,
    PROTOCOL_STATE, WRITE_BUFFER, CLIENT_WRITE_HOOKS, FIXED_ID, CURDOC_REPAIR, REPULL_INLINE,
    FRESH_RECEIVER, CLOSE_AFTER_DESTROY, DEBOUNCE,
    PARAM_LINK, VIEWS, COMM_HANDLER, CHANGE_RELEASE, COMM_MANAGER_PATCH, PENDING_WRITES,
    NEW_MODELS, EARLY_MESSAGES, DEFAULTS_CACHE, UNSTABLE_CACHE, THEMED_VALUES,
    PROPERTY_NAMES, CALLBACK_CHECKS,
)

#: What writing a session's updates straight to its sockets needs (``brownian_panel.driver.wire``).
DIRECT_WRITES: tuple[Feature, ...] = (
    SESSION_CONNECTIONS, LOCK_STATE, PANEL_WRITE_QUEUE, QUIET_CHANGES, PROTOCOL_STATE)

#: The packages whose versions ``report`` gives.
STACK = ("python", "panel", "bokeh", "param", "numpy", "tornado", "pyviz_comms")


def make_models_cheaper() -> None:
    """Before a page makes its Bokeh models: what Bokeh recomputes per model and per property
    read, computed once per class (``bokeh_defaults``, ``bokeh_property_names``), and its
    check of each callback's signature once per shape (``bokeh_callbacks``). Idempotent."""
    compute_defaults_once()
    name_property_types_once()
    check_callbacks_once()


def direct_writes() -> bool:
    """Whether updates can be written straight to a session's sockets (all of
    ``DIRECT_WRITES`` on); otherwise they go through the document lock."""
    return all(feature.on for feature in DIRECT_WRITES)


def stack() -> dict[str, str]:
    """The installed versions of the packages this app is built on."""
    import platform

    versions = {"python": platform.python_version()}
    for name in STACK[1:]:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def report() -> str:
    """The stack and each feature's state, one line each."""
    lines = [" ".join(f"{name} {value}" for name, value in stack().items()), ""]
    width = max(len(feature.name) for feature in FEATURES)
    for feature in FEATURES:
        state = feature.state
        why = f"  ({feature.reason})" if feature.reason else ""
        lines.append(f"{feature.name:<{width}}  {state:<10}  {feature.stands_in_for}{why}")
    return "\n".join(lines)


__all__ = [
    "DIRECT_WRITES", "FEATURES", "NOT_NEEDED", "OFF", "ON", "PUBLIC_PATHS_ENV", "Feature",
    "COMM_MANAGER_PATCH", "COMM_MANAGER_PATCH_JS", "RefuseInvalidValue", "answer_at_once",
    "append_quietly", "column", "compressing", "compute_defaults_once", "direct_writes",
    "check_callbacks_once", "make_models_cheaper", "name_property_types_once",
    "forget_pong",
    "fresh_receiver_js",
    "handle_comm_messages_on_main_thread", "keep_early_comm_messages",
    "make_patch_curdoc_exception_safe",
    "make_repull_keep_buffers", "reconnected_page", "close_quietly_after_session_destroyed",
    "panel_holds_writes", "pong_received", "refuse_client_writes",
    "release_holds_after_browser_changes", "replace_columns_quietly", "report",
    "send_stranded_writes", "sent_to_page",
    "server_session", "session_locked", "session_websockets", "set_column_quietly",
    "lock_lost", "model_with_id", "set_quietly", "source_with_id", "stack", "takes_changes",
    "unread_bytes", "view_comm", "watches_pongs", "write_locked",
]
