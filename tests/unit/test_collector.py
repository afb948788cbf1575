"""``runtime.collector``: the server's collector thresholds, set once, only over Python's own."""

from __future__ import annotations

import gc

import pytest

from brownian_panel.runtime import collector


@pytest.fixture
def python_collector():
    """The collector at Python's 3.11 thresholds, enabled, not yet tuned; put back after."""
    found, enabled = gc.get_threshold(), gc.isenabled()
    collector.restore_collector()
    gc.set_threshold(700, 10, 10)
    gc.enable()
    yield
    collector.restore_collector()
    gc.set_threshold(*found)
    (gc.enable if enabled else gc.disable)()


def test_the_first_call_sets_the_thresholds_and_restore_puts_them_back(python_collector):
    assert collector.tune_collector()
    assert gc.get_threshold() == collector.THRESHOLDS
    assert not collector.tune_collector()  # once per process
    assert gc.get_threshold() == collector.THRESHOLDS
    collector.restore_collector()
    assert gc.get_threshold() == (700, 10, 10)
    assert collector.tune_collector()  # tunes again after a restore
    assert gc.get_threshold() == collector.THRESHOLDS


def test_thresholds_a_deployer_chose_are_kept(python_collector):
    gc.set_threshold(5000, 5, 5)
    assert not collector.tune_collector()
    assert gc.get_threshold() == (5000, 5, 5)
    collector.restore_collector()
    assert gc.get_threshold() == (5000, 5, 5)


def test_a_disabled_collector_is_left_off(python_collector):
    gc.disable()
    assert not collector.tune_collector()
    assert not gc.isenabled() and gc.get_threshold() == (700, 10, 10)
