"""ipykernel's comm handlers (ipykernel 7, comm 0.2): a comm message that reaches the kernel
before the ``comm_open`` of its comm is kept until that open, not dropped.

Why: JupyterLab 4.4+ sends a comm's messages to a kernel subshell once it has made one, but a
comm opened before that goes to the main shell. While a cell still runs (after "Run All"), the
open waits there and the comm's first messages, handled on the subshell's thread, meet an
unknown comm id: ipykernel drops them ("No such comm"). Panel's browser side then waits for an
acknowledgement that never comes and holds every later change of that view (docs/architecture.md,
"Notebook").
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

from .feature import Feature, NotNeeded, expect

log = logging.getLogger(__name__)

#: Messages kept per comm that is not open yet, and how long (s) one is kept.
EARLY_LIMIT, EARLY_SECONDS = 1_000, 60.0


def _probe_early_messages() -> None:
    import inspect

    try:
        from comm.base_comm import CommManager
        from ipykernel.kernelbase import Kernel
    except ImportError:
        raise NotNeeded("no ipykernel: no notebook kernel to repair") from None
    for name in ("comm_open", "comm_msg"):
        expect(list(inspect.signature(getattr(CommManager, name)).parameters) ==
               ["self", "stream", "ident", "msg"], f"comm CommManager.{name}(stream, ident, msg)")
    expect(callable(getattr(Kernel, "dispatch_shell", None)), "ipykernel Kernel.dispatch_shell")


EARLY_MESSAGES = Feature(
    "kernel-early-comm-messages",
    uses="ipykernel Kernel.shell_handlers['comm_open'/'comm_msg'] and comm_manager.comms, "
         "wrapped in the running kernel",
    written_for="ipykernel 7.4 with comm 0.2.3 (JupyterLab 4.4+ subshells)",
    stands_in_for="a comm's messages handled after its comm_open, as they were sent",
    fallback="ipykernel's handlers (a view built while a cell runs can stop sending changes)",
    probe=_probe_early_messages,
)


def keep_early_comm_messages(kernel: Any) -> bool:
    """Make ``kernel`` keep comm messages for a comm not open yet and handle them, in order,
    right after that comm's ``comm_open``. Patches once per kernel; returns whether in place."""
    if kernel is None or not EARLY_MESSAGES.on:  # plain IPython: no kernel
        return False
    handlers = getattr(kernel, "shell_handlers", None)
    comms = getattr(getattr(kernel, "comm_manager", None), "comms", None)
    if not (isinstance(handlers, dict) and isinstance(comms, dict) and
            callable(handlers.get("comm_open")) and callable(handlers.get("comm_msg"))):
        EARLY_MESSAGES.turn_off("the kernel has no shell_handlers comm_open/comm_msg or comms")
        return False
    if getattr(handlers["comm_msg"], "keeps_early_messages", False):
        return True
    open_comm, handle = handlers["comm_open"], handlers["comm_msg"]
    early: dict[str, collections.deque[tuple[float, tuple]]] = {}
    lock = threading.Lock()

    def forget_stale(now: float) -> None:  # under the lock
        for comm_id in [key for key, kept in early.items() if now - kept[-1][0] > EARLY_SECONDS]:
            log.warning("brownian_panel: %d message(s) for comm %s dropped: it was not opened",
                        len(early.pop(comm_id)), comm_id)

    def comm_msg(stream: Any, ident: Any, msg: dict) -> None:
        comm_id = msg.get("content", {}).get("comm_id")
        with lock:
            if comm_id not in comms or comm_id in early:
                now = time.monotonic()
                forget_stale(now)
                early.setdefault(comm_id, collections.deque(maxlen=EARLY_LIMIT)).append(
                    (now, (stream, ident, msg)))
                return
        handle(stream, ident, msg)

    def comm_open(stream: Any, ident: Any, msg: dict) -> None:
        open_comm(stream, ident, msg)
        comm_id = msg.get("content", {}).get("comm_id")
        with lock:  # later messages for this comm wait until the kept ones are handled
            for _received, message in early.pop(comm_id, ()):
                handle(*message)

    comm_msg.keeps_early_messages = True
    handlers["comm_msg"], handlers["comm_open"] = comm_msg, comm_open
    return True
