"""compat.keep_early_comm_messages on comm's own CommManager: messages for a comm not open yet."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

import pytest
from comm.base_comm import CommManager

from brownian_panel import compat
from brownian_panel.compat import ipykernel_comms


@pytest.fixture
def kernel():
    """A kernel's comm handlers as ipykernel wires them, with one target that records what each
    comm receives."""
    manager = CommManager()
    received: list[tuple[str, int]] = []

    def open_target(comm, _message):
        comm.on_msg(lambda message: received.append(
            (message["content"]["comm_id"], message["content"]["data"]["n"])))

    manager.register_target("target", open_target)
    kernel = SimpleNamespace(comm_manager=manager, received=received, shell_handlers={
        "comm_open": manager.comm_open, "comm_msg": manager.comm_msg})
    assert compat.keep_early_comm_messages(kernel)
    return kernel


def opened(kernel, comm_id: str) -> None:
    kernel.shell_handlers["comm_open"](None, None, {"content": {
        "comm_id": comm_id, "target_name": "target", "data": {}}})


def sent(kernel, comm_id: str, n: int) -> None:
    kernel.shell_handlers["comm_msg"](None, None, {"content": {"comm_id": comm_id,
                                                               "data": {"n": n}}})


def test_messages_before_the_open_are_handled_after_it_in_order(kernel):
    opened(kernel, "open")
    sent(kernel, "open", 0)
    subshell = threading.Thread(target=lambda: [sent(kernel, "early", n) for n in range(3)])
    subshell.start()
    subshell.join()
    assert kernel.received == [("open", 0)]
    opened(kernel, "early")
    sent(kernel, "early", 3)
    assert kernel.received == [("open", 0)] + [("early", n) for n in range(4)]
    assert compat.keep_early_comm_messages(kernel)  # once: still the same handlers
    sent(kernel, "early", 4)
    assert kernel.received[-1] == ("early", 4)


def test_messages_for_a_comm_that_never_opens_are_dropped_with_one_warning(
        kernel, monkeypatch, caplog):
    sent(kernel, "never", 0)
    sent(kernel, "never", 1)
    monkeypatch.setattr(ipykernel_comms, "EARLY_SECONDS", -1.0)
    with caplog.at_level(logging.WARNING, logger=ipykernel_comms.__name__):
        sent(kernel, "other", 0)
    assert [record.getMessage() for record in caplog.records] == [
        "brownian_panel: 2 message(s) for comm never dropped: it was not opened"]
    opened(kernel, "never")
    assert kernel.received == []


def test_plain_ipython_or_an_unknown_kernel_shape_is_left_alone(caplog):
    assert not compat.keep_early_comm_messages(None)
    assert compat.EARLY_MESSAGES.on
    try:
        with caplog.at_level(logging.WARNING):
            assert not compat.keep_early_comm_messages(SimpleNamespace(shell_handlers=None))
        assert compat.EARLY_MESSAGES.state == compat.OFF
        assert "kernel-early-comm-messages is off" in caplog.text
    finally:
        compat.EARLY_MESSAGES.reset()
