"""One check against the model's own declarations, one wording, whatever the value came from."""

from __future__ import annotations

import pytest

from brownian_panel.cli import app_parameters
from brownian_panel.feed.hub import SharedFeed
from brownian_panel.model import BrownianMotion, accepted, check, refusal
from brownian_panel.model.validation import kept
from brownian_panel.views.editor import GuardedFloatSlider, float_slider
from brownian_panel.views.url import apply_query


@pytest.mark.parametrize("name, value, message", [
    ("variance", "abc", "Variance must be a number from 0 to 2, not 'abc'."),
    ("variance", 2.5, "Variance must be a number from 0 to 2, not 2.5."),
    ("variance", float("nan"), "Variance must be a number from 0 to 2, not nan."),
    ("variance", True, "Variance must be a number from 0 to 2, not True."),
    ("period", 5, "Period (ms) must be a whole number from 20 to 10,000, not 5."),
    ("seed", -1, "Seed must be a whole number from 0 to 9,007,199,254,740,991, or none, "
                 "not -1."),
    ("paused", "yes", "Paused must be true or false, not 'yes'."),
    ("batch", [1], "Points per update must be a whole number from 1 to 100,000, not [1]."),
    # param takes a callable as a dynamic value (called at each read): not these parameters
    ("batch", len, "Points per update must be a whole number from 1 to 100,000, not "
                   "<built-in function len>."),
    ("variance", abs, "Variance must be a number from 0 to 2, not <built-in function abs>."),
])
def test_a_refused_value_is_told_in_one_sentence(name, value, message):
    assert refusal(BrownianMotion, name, value) == message
    model = BrownianMotion()
    with pytest.raises(ValueError) as raised:
        check(model, name, value)
    assert str(raised.value) == message
    assert getattr(model, name) == BrownianMotion.param[name].default  # nothing was set


def test_accepted_values_pass_and_a_long_value_is_cut():
    assert refusal(BrownianMotion, "variance", 0.5) is None
    assert refusal(BrownianMotion, "seed", None) is None
    assert refusal(BrownianMotion, "variance", "x" * 500).endswith("xxx....")
    assert accepted(BrownianMotion, {"variance": 0.5, "period": 1}) == (
        {"variance": 0.5}, ["Period (ms) must be a whole number from 20 to 10,000, not 1."])


def test_every_source_of_a_value_gives_the_same_sentence(capsys):
    sentence = "Period (ms) must be a whole number from 20 to 10,000, not 5."
    # the URL
    refused = apply_query(BrownianMotion(), {"period": [b"5"]}, ["period"])
    assert refused["period"].endswith(sentence[:-1] + " — kept 500.")
    # the command line
    with pytest.raises(SystemExit):
        app_parameters(["--shared", "--period", "5"])
    assert sentence in capsys.readouterr().err
    # a shared feed's control
    with pytest.raises(ValueError, match="Variance must be a number from 0 to 2, not 3"):
        SharedFeed().control(variance=3)
    # the editor's widget
    with pytest.raises(ValueError) as raised:
        GuardedFloatSlider.check(BrownianMotion(), "period", 5)
    assert str(raised.value) == sentence


def test_a_slider_takes_its_range_and_step_from_the_parameter():
    slider = float_slider(BrownianMotion.param.variance, value=0.3)
    parameter = BrownianMotion.param.variance
    assert (slider.start, slider.end, slider.step, slider.name) == (
        *parameter.bounds, parameter.step, parameter.label)
    assert slider.value == 0.3


def test_a_refusal_says_what_was_kept():
    message = refusal(BrownianMotion, "variance", 7)
    assert kept(message, 1.0) == "Variance must be a number from 0 to 2, not 7 — kept 1."
    assert kept("Window must be a whole number.", 10_000).endswith("— kept 10,000.")
