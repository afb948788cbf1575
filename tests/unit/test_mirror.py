"""``Mirror``: a model told its points keeps the same record as the model that drew them."""

from __future__ import annotations

import numpy as np
import pytest

from brownian_panel.model.mirror import RUN_SETTINGS, Mirror
from brownian_panel.model.record import Record
from brownian_panel.model.walk import BrownianMotion


def _drawn_and_mirrored(updates: int = 30, late: int = 0):
    model = BrownianMotion(seed=4, batch=50, window=500, history=100_000)
    mirror = Mirror()
    record, mirrored = Record(model), Record(mirror)
    settings = {name: getattr(model, name) for name in RUN_SETTINGS}
    mirror.begin(model.run, model.entropy, settings)
    for index in range(updates):
        if index == 10:
            model.variance = 0.25
        x, y = model.advance()
        record.append(x, y, model.increments)
        if index >= late:
            mx, my = mirror.take(int(x[0]), y, model.schedule.last_variance)
            np.testing.assert_array_equal(mx, x)
            mirrored.append(mx, my, mirror.increments)
    return model, mirror, record, mirrored


def test_a_mirror_takes_the_producers_run_and_keeps_the_same_record():
    model, mirror, record, mirrored = _drawn_and_mirrored()
    assert (mirror.run, mirror.entropy, mirror.seed, mirror.batch, mirror.window,
            mirror.history) == (model.run, model.entropy, 4, 50, 500, 100_000)
    assert (mirror.steps, mirror.position) == (model.steps, model.position)
    assert mirror.schedule.segments == model.schedule.segments == [(1, 1.0), (501, 0.25)]
    np.testing.assert_array_equal(mirrored.history.values(), record.history.values())
    # Increments are the differences of the values: equal to the drawn ones to rounding.
    assert mirrored.statistics.count == record.statistics.count == 1000
    assert mirrored.statistics.variance == record.statistics.variance == 0.25
    assert mirrored.statistics.sample_variance == pytest.approx(
        record.statistics.sample_variance, rel=1e-9)


def test_joining_late_the_first_update_has_one_increment_fewer():
    model, mirror, record, mirrored = _drawn_and_mirrored(updates=20, late=15)
    assert len(mirrored.history) == 5 * 50
    assert mirrored.statistics.count == 5 * 50 - 1
    np.testing.assert_array_equal(mirrored.history.values(), record.history.values()[-250:])


def test_a_new_run_clears_the_record_even_with_the_same_number():
    model, mirror, record, mirrored = _drawn_and_mirrored(updates=3)
    mirror.begin(model.run, 99, {"seed": None})  # another producer, its run 0 too
    assert (mirror.steps, mirror.entropy, mirror.seed, len(mirrored.history)) == (0, 99, None, 0)
    mirror.begin(5, 7, {})
    assert mirror.run == 5


def test_a_mirror_draws_nothing():
    with pytest.raises(TypeError, match="draws nothing"):
        Mirror().advance()
