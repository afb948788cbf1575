"""The server log reads as a log: one line for a client's refused message, one INFO line for a
client that left, no traceback for either.

Bokeh logs every client message it cannot apply (an unknown model id, a string for a number, a
stale page's patch) at ERROR with a traceback, and Bokeh and Panel log a write to a client that
has just gone at WARNING. ``quiet_client_errors`` adds a filter to those loggers that rewrites
such records: the message's error, its type and where it was raised on one WARNING line, and
"client gone" at INFO. With the logger at DEBUG the traceback is kept.

Panel writes some messages as tasks it may never await (when a socket closes between two
frames, or when a session ends with writes in flight): asyncio then logs "Task exception was
never retrieved" with a traceback. The server loop's exception handler logs such an error of a
write to a client that has left on one INFO line and hands every other to the handler before.
"""

from __future__ import annotations

import asyncio
import logging
import traceback

from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

log = logging.getLogger(__name__)

#: The loggers and the message starts of Bokeh's records for a client message it refused.
_REFUSALS = {
    "bokeh.server.protocol_handler": ("error handling message",),
    "bokeh.server.views.ws": ("Unhandled exception receiving a message",
                              "Handler or its work threw an exception"),
}

#: The loggers and the message starts of writes to a client that has gone.
_CLIENT_GONE = {
    "bokeh.server.views.ws": ("Failed sending message as connection was closed",),
    "panel.io.document": ("Failed sending message as connection was closed",
                          "Failed sending message due to following error"),
}


class _ClientErrorsOnOneLine(logging.Filter):
    def __init__(self, logger: logging.Logger, refusals: tuple[str, ...],
                 gone: tuple[str, ...]):
        super().__init__()
        self._logger, self._refusals, self._gone = logger, refusals, gone

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.msg if isinstance(record.msg, str) else ""
        if text.startswith(self._gone):
            record.levelno, record.levelname = logging.INFO, "INFO"
        elif (text.startswith(self._refusals) and record.exc_info
                and not self._logger.isEnabledFor(logging.DEBUG)):
            error = record.exc_info[1]
            frames = traceback.extract_tb(record.exc_info[2])
            where = f" ({frames[-1].name} in {frames[-1].filename}:{frames[-1].lineno})" \
                if frames else ""
            record.msg = "refused a client's message: %s: %.200s%s"
            record.args = (type(error).__name__, error, where)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_client_errors(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Put the filter on Bokeh's and Panel's loggers (once per process) and, given the server's
    ``loop``, the handler of a write's error to a client that left on it (idempotent)."""
    if loop is not None and not isinstance(loop.get_exception_handler(), _ClientGoneHandler):
        loop.set_exception_handler(_ClientGoneHandler(loop.get_exception_handler()))
    for name in set(_REFUSALS) | set(_CLIENT_GONE):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ClientErrorsOnOneLine) for f in logger.filters):
            logger.addFilter(_ClientErrorsOnOneLine(logger, _REFUSALS.get(name, ()),
                                                    _CLIENT_GONE.get(name, ())))


class _ClientGoneHandler:
    """An event loop's exception handler: a write to a client that left is one INFO line."""

    def __init__(self, previous):
        self._previous = previous

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
            log.info("a write to a client that had left failed (%s)",
                     type(context["exception"]).__name__)
        elif self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)
