"""A ``bokeh.client`` session that does not overflow the stack on long streams."""

from __future__ import annotations

import asyncio


def handle_messages_in_a_loop(connection) -> None:
    """Make a ``bokeh.client`` connection handle incoming messages in a loop.

    Bokeh's ``ClientConnection._handle_messages`` awaits ``_next()``, which awaits
    ``_handle_messages`` again: the chain of coroutines grows by three frames per message, and
    a client hits RecursionError after a few hundred messages (a few seconds of a session at
    20 updates/s plus its History refreshes).
    """
    from bokeh.client.states import DISCONNECTED, ErrorReason

    async def handle_messages() -> None:
        while True:
            # Let the loop's other callbacks (close, a property change to send) run between
            # messages: reading an already-received message does not suspend.
            await asyncio.sleep(0)
            message = None if connection.closing else await connection._pop_message()
            if message is None:
                await connection._transition_to_disconnected(
                    DISCONNECTED(ErrorReason.HTTP_ERROR, 500, "Internal server error."))
                return
            if message.msgtype == "PATCH-DOC":
                connection._session._handle_patch(message)
            predicate = connection._until_predicate
            if predicate is not None and predicate():
                await connection._next()  # stops the loop, as Bokeh's own path does
                return

    connection.closing = False  # set by a client's close(): stop reading the backlog
    connection._handle_messages = handle_messages
