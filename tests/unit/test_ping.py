"""Ping messages: well-formed ones are echoed, malformed ones ignored and logged."""

from __future__ import annotations

import logging

import pytest

from brownian_panel.views.ping import MAX_COUNTER, PingPong, ping_counter


@pytest.mark.parametrize("message", [{"ping": 0}, {"ping": 41}, {"ping": MAX_COUNTER}])
def test_well_formed_ping_counter(message):
    assert ping_counter(message) == message["ping"]


@pytest.mark.parametrize("message", [
    None, "ping", 5, [1], {"ping": "1"}, {"ping": 1.5}, {"ping": True}, {"ping": -1},
    {"ping": MAX_COUNTER + 1}, {"ping": 10**400}, {"ping": {"a": 1}}, {"pong": 1},
    {"ping": 1, "extra": 2}, {},
])
def test_malformed_ping_is_not_a_counter(message):
    assert ping_counter(message) is None


def test_handler_echoes_a_ping_and_counts_it(monkeypatch):
    ping = PingPong()
    sent = []
    monkeypatch.setattr(ping, "_send_msg", sent.append)
    ping._handle_msg({"ping": 3})
    assert sent == [{"pong": 3}]
    assert (ping.pongs, ping.last_ping) == (1, 3)


def test_handler_ignores_a_malformed_ping(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="brownian_panel")
    ping = PingPong()
    sent = []
    monkeypatch.setattr(ping, "_send_msg", sent.append)
    ping._handle_msg({"ping": "<b>x</b>" * 100})
    assert sent == [] and ping.pongs == 0
    assert "ignored malformed ping" in caplog.text
    assert len(caplog.records[-1].getMessage()) < 200  # a huge ping makes no huge log line
