"""Bokeh's refusals of a client's message on one line; a client that left at INFO."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from tornado.websocket import WebSocketClosedError

from brownian_panel.runtime.logs import quiet_client_errors


def _record(logger: logging.Logger, text: str, error: Exception | None = None):
    try:
        if error is not None:
            raise error
    except Exception:
        logger.error(text, "message", error, exc_info=True)
    else:
        logger.warning(text)


def _of(records, name: str) -> list[logging.LogRecord]:
    """The records of logger ``name``, each once (where Bokeh's loggers propagate to the root
    logger, caplog's handler sees them twice)."""
    return list({id(r): r for r in records if r.name == name}.values())


@pytest.fixture
def quiet(caplog):
    quiet_client_errors()
    quiet_client_errors()  # idempotent
    for name in ("bokeh.server.protocol_handler", "panel.io.document"):
        logging.getLogger(name).addHandler(caplog.handler)
    yield caplog
    for name in ("bokeh.server.protocol_handler", "panel.io.document"):
        logging.getLogger(name).removeHandler(caplog.handler)


def test_a_refused_client_message_is_one_warning_line(quiet):
    logger = logging.getLogger("bokeh.server.protocol_handler")
    assert sum(type(f).__name__ == "_ClientErrorsOnOneLine" for f in logger.filters) == 1
    quiet.set_level(logging.INFO)
    _record(logger, "error handling message\n message: %r \n error: %r",
            KeyError("p-nope"))
    [record] = _of(quiet.records, logger.name)
    assert record.levelno == logging.WARNING and record.exc_info is None
    text = record.getMessage()
    assert text.startswith("refused a client's message: KeyError: 'p-nope' (_record in ")
    assert "\n" not in text


@pytest.mark.logs_traceback  # at DEBUG the traceback is kept, on purpose
def test_at_debug_the_traceback_stays(quiet):
    logger = logging.getLogger("bokeh.server.protocol_handler")
    quiet.set_level(logging.DEBUG, logger=logger.name)
    _record(logger, "error handling message\n message: %r \n error: %r", ValueError("bad"))
    [record] = _of(quiet.records, logger.name)
    assert record.exc_info is not None and record.levelno == logging.ERROR


def test_a_client_gone_mid_write_is_info(quiet):
    quiet.set_level(logging.INFO)
    _record(logging.getLogger("panel.io.document"),
            "Failed sending message as connection was closed")
    [record] = _of(quiet.records, "panel.io.document")
    assert record.levelno == logging.INFO


def test_a_lost_write_task_to_a_client_that_left_is_one_info_line(caplog):
    caplog.set_level(logging.INFO)
    loop = asyncio.new_event_loop()
    try:
        quiet_client_errors(loop)
        quiet_client_errors(loop)  # idempotent

        async def write():
            raise WebSocketClosedError()

        async def leave_tasks_unretrieved():
            for _ in range(2):
                task = asyncio.ensure_future(write())
                await asyncio.sleep(0)
                del task
            gc.collect()

        loop.run_until_complete(leave_tasks_unretrieved())
    finally:
        loop.close()
    lines = [r for r in caplog.records if "client that had left" in r.getMessage()]
    assert len(lines) == 2 and all(r.levelno == logging.INFO for r in lines)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
