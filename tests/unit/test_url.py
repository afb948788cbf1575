"""Query strings: parsed value by value, refusals reported, the model encoded back."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from brownian_panel import BrownianMotion
from brownian_panel.views.page import URL_PARAMETERS
from brownian_panel.views.url import apply_query, encode_query, parse_query_value


@pytest.mark.parametrize(("raw", "value"), [
    (b"0.5", 0.5), (b"7", 7), (b"true", True), (b"null", None), ("abc", "abc"), (b"", ""),
    (b"\xff", "\ufffd"),
])
def test_parse_query_value(raw, value):
    assert parse_query_value(raw) == value


def test_valid_query_sets_every_parameter():
    model = BrownianMotion()
    refused = apply_query(model, {"variance": [b"0.5"], "period": [b"100"], "batch": [b"10"],
                                  "window": [b"20000"], "seed": [b"7"], "paused": [b"true"]},
                          URL_PARAMETERS)
    assert refused == {}
    assert (model.variance, model.period, model.batch, model.window, model.seed, model.paused) \
        == (0.5, 100, 10, 20000, 7, True)


def test_each_refused_value_keeps_its_default_and_the_rest_apply():
    model = BrownianMotion()
    refused = apply_query(model, {"variance": [b"NaN"], "period": [b"0"], "batch": [b"5"],
                                  "window": [b"1e12"], "other": [b"1"]}, URL_PARAMETERS)
    assert sorted(refused) == ["period", "variance", "window"]
    assert (model.variance, model.period, model.window, model.batch) == (1.0, 500, 10_000, 5)
    assert refused["period"].startswith("Ignored period=0 from the URL:")


def test_encoded_query_round_trips():
    model = BrownianMotion(variance=0.3, period=120, batch=4, window=500, seed=9, paused=True)
    query = encode_query(model, URL_PARAMETERS)
    arguments = {name: [value.encode()] for name, (value,) in parse_qs(query[1:]).items()}
    copy = BrownianMotion()
    assert apply_query(copy, arguments, URL_PARAMETERS) == {}
    recorded = {name: getattr(model, name) for name in URL_PARAMETERS}
    assert {name: getattr(copy, name) for name in URL_PARAMETERS} == recorded


def test_unset_seed_is_left_out_of_the_query():
    assert "seed" not in encode_query(BrownianMotion(), URL_PARAMETERS)
