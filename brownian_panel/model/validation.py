"""One check of a value against a model parameter's own declaration, and one wording for a
refusal, whatever the value came from (CLI, URL, widget, editor, Redis hash, Python)."""

from __future__ import annotations

import param


def expectation(parameter: param.Parameter) -> str:
    """What ``parameter`` accepts, in words: "a number from 0 to 2", "a whole number from
    20 to 10,000, or none"."""
    if isinstance(parameter, param.Integer):
        kind, show = "a whole number", "{:,}".format
    elif isinstance(parameter, param.Number):
        kind, show = "a number", "{:g}".format
    elif isinstance(parameter, param.Boolean):
        kind, show = "true or false", str
    else:
        kind, show = f"a {type(parameter).__name__.lower()}", str
    low, high = getattr(parameter, "bounds", None) or (None, None)
    if low is not None and high is not None:
        kind += f" from {show(low)} to {show(high)}"
    elif low is not None:
        kind += f" of at least {show(low)}"
    elif high is not None:
        kind += f" of at most {show(high)}"
    return kind + (", or none" if parameter.allow_None else "")


def refusal(parameterized: param.Parameterized | type, name: str, value: object) -> str | None:
    """None if ``<name> = value`` is accepted by the parameter's declaration, else why not in
    one sentence ("Variance must be a number from 0 to 2, not 'abc'."). Sets nothing."""
    parameter = parameterized.param[name]
    try:
        # param has no public "validate without setting"; _validate is what __set__ calls.
        parameter._validate(value)
    except (ValueError, TypeError):  # TypeError: e.g. a list compared with a bound
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{parameter.label or name} must be {expectation(parameter)}, not {shown}."
    return None


def kept(message: str, value: object) -> str:
    """A ``refusal`` with the value kept instead: "Period must be ..., not 5 — kept 200."."""
    shown = f"{value:g}" if isinstance(value, float) else (
        f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
    return f"{message.rstrip('.')} — kept {shown}."


def check(parameterized: param.Parameterized | type, name: str, value: object) -> None:
    """Raise ``ValueError`` with the ``refusal`` if ``<name> = value`` would be refused."""
    message = refusal(parameterized, name, value)
    if message is not None:
        raise ValueError(message)


def accepted(parameterized: param.Parameterized | type, values: dict[str, object]
             ) -> tuple[dict[str, object], list[str]]:
    """The accepted ones of ``values``, and the refusal of each other one."""
    refusals = {name: refusal(parameterized, name, value) for name, value in values.items()}
    return ({name: value for name, value in values.items() if refusals[name] is None},
            [message for message in refusals.values() if message is not None])


def check_all(parameterized: param.Parameterized | type, values: dict[str, object]) -> None:
    """``check`` each of ``values``; the first refused one raises."""
    for name, value in values.items():
        check(parameterized, name, value)
