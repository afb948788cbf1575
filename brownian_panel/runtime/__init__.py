"""Event-loop plumbing under every server-side part: one shared timer per loop (``Ticker``) and
the loop a session's document belongs to."""

from .session import on_server_loop, server_loop, server_session_document
from .ticker import Ticker, hand_to_loop, ticker_for

__all__ = ["Ticker", "hand_to_loop", "on_server_loop", "server_loop", "server_session_document",
           "ticker_for"]
