"""The kernel side of a notebook: an app released when its cell runs again
(``release_on_rerun``), and comm messages handled on the main thread, none dropped, with every
browser change reaching Python (``repair_kernel_comms``). Why: docs/architecture.md, "Notebook".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tornado.ioloop import IOLoop

from .. import compat


def _ipython_shell() -> Any | None:
    """The running IPython shell, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def release_on_rerun(release: Callable[[], None]) -> None:
    """Call ``release`` when the IPython cell running now runs again; no-op outside IPython."""
    shell = _ipython_shell()
    if shell is None:
        return
    home: dict[str, Any] = {}

    def record_cell(result: Any) -> None:
        home["cell"] = getattr(result.info, "cell_id", None)
        shell.events.unregister("post_run_cell", record_cell)
        if home["cell"] is None:  # the frontend does not name cells
            shell.events.unregister("pre_run_cell", release_if_home)

    def release_if_home(info: Any) -> None:
        if "cell" in home and getattr(info, "cell_id", None) == home["cell"]:
            shell.events.unregister("pre_run_cell", release_if_home)
            release()

    shell.events.register("post_run_cell", record_cell)
    shell.events.register("pre_run_cell", release_if_home)


def repair_kernel_comms() -> bool:
    """In IPython, on the kernel's main thread: make every pyviz comm created from now on hand
    the messages it receives on another thread (a kernel subshell's) to the main thread's event
    loop, handled in arrival order (one arriving on the main thread while earlier ones wait is
    handled after them: handled at once, it overtook them and three quick slider moves ended on
    the second one's value); and make every change of a browser message reach Python (Panel
    1.10 ran only the first, see ``compat.release_holds_after_browser_changes``); and make the
    kernel keep the messages of a comm whose ``comm_open`` still waits behind a running cell
    instead of dropping them (``compat.keep_early_comm_messages``).

    Returns whether the comm hand-over is in place (never outside IPython).
    """
    if _ipython_shell() is None or threading.current_thread() is not threading.main_thread():
        return False
    compat.release_holds_after_browser_changes()
    compat.keep_early_comm_messages(getattr(_ipython_shell(), "kernel", None))  # None: no kernel
    return compat.handle_comm_messages_on_main_thread(IOLoop.current())
