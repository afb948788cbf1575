"""What a Redis backend accepts from the stream and the controls hash."""

from __future__ import annotations

import math

import numpy as np
import pytest

from brownian_panel.feed.redis_keys import MAX_STEP, parse_controls, parse_entry


def _entry(**fields) -> dict[bytes, bytes]:
    entry = {"run": "ab:1", "first": "11", "y": np.array([0.1, -0.2]).tobytes(), "v": "1.0"}
    entry.update(fields)
    return {key.encode(): value if isinstance(value, bytes) else str(value).encode()
            for key, value in entry.items() if value is not None}


def test_a_producer_entry_is_read_exactly():
    entry = parse_entry(_entry())
    assert (entry.run, entry.first, entry.variance) == ("ab:1", 11, 1.0)
    assert entry.y.tolist() == [0.1, -0.2]
    assert math.isnan(parse_entry(_entry(v=None)).variance)  # no variance said
    assert len(parse_entry(_entry(y=b"")).y) == 0  # a reset's empty entry


@pytest.mark.parametrize("fields, reason", [
    ({"run": None}, "no readable field"),
    ({"first": "x"}, "invalid literal"),
    ({"first": "0"}, "out of range"),
    ({"y": b"\x00" * 12}, "float64"),
    ({"y": np.array([0.0, math.nan]).tobytes()}, "not finite"),
    ({"y": np.array([1e300]).tobytes()}, "farther from 0"),
    ({"y": np.array([0.0, 2 * MAX_STEP]).tobytes()}, "not a random walk"),
    ({"v": "-1"}, "variance"),
    ({"v": "lots"}, "could not convert"),
    ({"run": b"\xff"}, "no readable field"),
])
def test_anything_else_is_refused_with_a_reason(fields, reason):
    with pytest.raises(ValueError, match=reason):
        parse_entry(_entry(**fields))


def test_controls_are_read_field_by_field():
    controls = parse_controls({b"version": b"4", b"reset": b"x", b"variance": b"0.5",
                               b"paused": b"maybe"})
    assert (controls.version, controls.reset, controls.values) == (4, 0, {"variance": 0.5})
    assert len(controls.problems) == 2
    assert any("paused = b'maybe'" in problem for problem in controls.problems)
    assert parse_controls({}).version == 0  # missing: the producer writes its controls back
