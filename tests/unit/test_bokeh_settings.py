"""Bokeh settings read per model are kept at the value they resolved to, once."""

from __future__ import annotations

import pytest
from bokeh.settings import SettingProvenance, settings
from bokeh.util.serialization import make_id

from brownian_panel.runtime import bokeh_settings


@pytest.fixture
def fresh_settings(monkeypatch):
    """No setting kept yet; what was set in code before is put back after."""
    saved = {}  # the values set in code (Bokeh's public provenance says which)
    for name in bokeh_settings.PER_MODEL:
        value, provenance = getattr(settings, name).get_value_with_provenance()
        if provenance is SettingProvenance.USER_SET:
            saved[name] = value
    monkeypatch.setattr(bokeh_settings, "_kept", False)
    for name in bokeh_settings.PER_MODEL:
        getattr(settings, name).unset_value()
    yield
    for name in bokeh_settings.PER_MODEL:
        setting = getattr(settings, name)
        if name in saved:
            setting.set_value(saved[name])
        else:
            setting.unset_value()


def test_kept_at_what_the_environment_said_then(fresh_settings, monkeypatch):
    monkeypatch.setenv("BOKEH_SIMPLE_IDS", "no")
    monkeypatch.setenv("BOKEH_SERIALIZE_INCLUDE_DEFAULTS", "yes")
    resolved = settings.serialize_include_defaults()  # Bokeh does not convert this one
    bokeh_settings.keep_per_model_settings()
    monkeypatch.setenv("BOKEH_SIMPLE_IDS", "yes")  # read no more
    bokeh_settings.keep_per_model_settings()  # once per process: changes nothing
    assert settings.simple_ids.get_value_with_provenance() == (
        False, SettingProvenance.USER_SET)
    assert settings.serialize_include_defaults.get_value_with_provenance() == (
        resolved, SettingProvenance.USER_SET) and resolved
    assert not make_id().startswith("p")  # a globally unique id, as the environment said


def test_defaults_kept_when_nothing_is_set(fresh_settings, monkeypatch):
    for name in bokeh_settings.PER_MODEL:
        monkeypatch.delenv(getattr(settings, name).env_var, raising=False)
    expected = {name: getattr(settings, name)() for name in bokeh_settings.PER_MODEL}
    bokeh_settings.keep_per_model_settings()
    assert {name: getattr(settings, name)() for name in bokeh_settings.PER_MODEL} == expected
    assert expected == {"simple_ids": True, "serialize_include_defaults": False}
    assert make_id().startswith("p")
