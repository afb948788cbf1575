"""``Record``: what every page of one model reads, appended once, cleared on a restart."""

from __future__ import annotations

import numpy as np

from brownian_panel.model import BrownianMotion
from brownian_panel.model.history import CHUNK
from brownian_panel.model.record import Record


def _feed(model: BrownianMotion, record: Record, updates: int) -> None:
    for _ in range(updates):
        x, y = model.advance()
        record.append(x, y, model.increments)


def test_updates_fill_the_history_and_the_statistics():
    model = BrownianMotion(seed=3, batch=50)
    record = Record(model)
    _feed(model, record, 4)
    assert len(record.history) == 200 and record.updates == 4
    index, values = record.history.view(0, 200, 200)
    assert values[-1] == model.position
    assert record.statistics.count == 200 and record.statistics.variance == model.variance


def test_a_variance_change_starts_new_statistics_and_a_restart_clears_everything():
    model = BrownianMotion(seed=3, batch=50)
    record = Record(model)
    _feed(model, record, 2)
    model.variance = 0.5
    _feed(model, record, 1)
    assert (record.statistics.variance, record.statistics.count) == (0.5, 50)
    assert len(record.history) == 150
    model.reset()
    assert len(record.history) == 0 and record.statistics.count == 0


def test_an_ensemble_keeps_every_path_and_the_history_shows_the_first():
    model = BrownianMotion(seed=3, batch=10, paths=4)
    record = Record(model)
    _feed(model, record, 3)
    assert record.ensemble.values().shape == (4, 30)
    assert record.statistics.count == 120  # every path's increments
    np.testing.assert_array_equal(record.history.view(0, 30, 30)[1], record.ensemble.values()[0])
    assert len(record.displacement.series()[0]) > 0


def test_the_history_capacity_follows_the_model_and_release_stops_following():
    model = BrownianMotion(paths=2)
    record = Record(model)
    model.history = 4 * CHUNK
    assert record.history.capacity == 2 * CHUNK  # history counts points over all paths
    record.release()
    model.history = 8 * CHUNK
    assert record.history.capacity == 2 * CHUNK
