"""The CSV export: exact round trip, a header that reproduces the run, bounded chunks."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from brownian_panel.export.csv import CHUNK_POINTS, EXPORTS, Export, ExportInterrupted
from brownian_panel.model.history import CHUNK, History
from brownian_panel.model.walk import BrownianMotion


def _exported(model: BrownianMotion, history: History) -> tuple[dict, np.ndarray, np.ndarray]:
    file = io.StringIO()
    Export(model, history).write(file)
    lines = file.getvalue().splitlines()
    assert lines[0].startswith("# ") and lines[1] == "x,y"
    rows = [line.split(",") for line in lines[2:]]
    x = np.array([int(row[0]) for row in rows], dtype=np.int64)
    y = np.array([float(row[1]) for row in rows])
    return json.loads(lines[0][2:]), x, y


def _walk(model: BrownianMotion, history: History, updates: int) -> None:
    for _ in range(updates):
        history.append(model.advance()[1])


def test_reading_the_file_back_gives_exactly_the_same_values():
    model, history = BrownianMotion(seed=1, batch=7_001), History()
    _walk(model, history, 10)
    # Values whose shortest repr is long, tiny or huge survive too.
    history.append(np.array([0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0, 1 / 3]))
    header, x, y = _exported(model, history)
    raw = history.values()
    assert np.array_equal(x, np.arange(1, len(raw) + 1))
    assert y.tobytes() == raw.tobytes()  # bit for bit, signed zero included
    assert np.array_equal(np.loadtxt(io.StringIO("\n".join(
        f"{a},{b!r}" for a, b in zip(x, raw.tolist(), strict=True))), delimiter=",")[:, 1], raw)


def test_the_header_holds_every_parameter_the_seed_and_the_variance_schedule():
    model, history = BrownianMotion(seed=42, batch=10), History()
    _walk(model, history, 2)
    model.variance = 0.5
    _walk(model, history, 1)
    header, _x, _y = _exported(model, history)
    assert header["format"] == "brownian_panel csv 1"
    assert header["parameters"] == {name: value for name, value in model.param.values().items()
                                    if name != "name"}
    assert header["seed"] == 42 and header["entropy"] == 42
    assert header["variance_schedule"] == [[1, 1.0], [21, 0.5]]
    assert (header["first_x"], header["points"], header["dropped_before"]) == (1, 30, 0)


def test_a_seedless_run_is_reproduced_from_the_header():
    model, history = BrownianMotion(batch=1000), History()
    _walk(model, history, 3)
    header, _x, y = _exported(model, history)
    rng = np.random.default_rng(header["entropy"])
    replayed = np.cumsum(np.concatenate([rng.normal(0.0, 1.0, 1000) for _ in range(3)]))
    np.testing.assert_allclose(replayed, y, rtol=1e-12, atol=1e-12)  # cumsum in one go


def test_chunks_are_bounded_and_start_after_dropped_points():
    model, history = BrownianMotion(seed=2, batch=50_000), History(capacity=CHUNK)
    _walk(model, history, 3)  # 150,000 points, capacity one chunk: the oldest are dropped
    chunks = list(Export(model, history).chunks())
    assert all(chunk.count("\n") <= CHUNK_POINTS for chunk in chunks[1:])
    header, x, y = _exported(model, history)
    assert x[0] == history.start + 1 and header["dropped_before"] == history.start > 0
    assert y.tobytes() == history.values().tobytes()


@pytest.mark.parametrize("change", ["reset", "drop", "released"])
def test_an_export_stops_when_the_history_changes_under_it(change):
    model, history = BrownianMotion(seed=3, batch=CHUNK), History(capacity=2 * CHUNK)
    _walk(model, history, 2)
    chunks = Export(model, history).chunks()
    next(chunks), next(chunks)
    if change == "reset":
        model.reset()
        history.clear()
    elif change == "released":  # the session ended: its history is cleared, the run kept
        history.clear()
    else:
        _walk(model, history, 1)  # the first chunk is dropped
    with pytest.raises(ExportInterrupted):
        list(chunks)


def test_tokens_are_random_and_removed():
    export = Export(BrownianMotion(), History())
    first, second = EXPORTS.add(export), EXPORTS.add(export)
    assert first != second and len(first) >= 40
    assert EXPORTS.get(first) is export
    EXPORTS.remove(first)
    assert EXPORTS.get(first) is None and EXPORTS.get(second) is export
    EXPORTS.remove(second)
