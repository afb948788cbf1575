"""``views.plot.set_path_layout``: the live plot draws one path, a line per path, or bands
around the median, and back, with no renderer or legend item of the last layout left."""

from __future__ import annotations

from bokeh.models import ColumnDataSource, Legend

from brownian_panel.views.plot import ENSEMBLE, path_figure, set_path_layout


def _drawn(plot) -> tuple[list[str], list[str]]:
    names = [r.name for r in plot.renderers if r.name and r.name != "empty-anchor"]
    labels = [item.label.get("value", item.label) if isinstance(item.label, dict)
              else str(item.label) for legend in plot.select(type=Legend)
              for item in legend.items]
    return names, labels


def test_layouts_follow_the_number_of_paths_and_back():
    source = ColumnDataSource(data={"x": [], "y": []})
    plot = path_figure(source)
    before = list(plot.renderers)
    set_path_layout(plot, source, paths=1, line_paths=3)
    assert plot.renderers == before  # one path: nothing to change
    set_path_layout(plot, source, paths=40, line_paths=3)
    names, labels = _drawn(plot)
    assert [n for n in names if n.startswith(ENSEMBLE)] == [f"{ENSEMBLE}5-95", f"{ENSEMBLE}25-75"]
    assert "median" in " ".join(labels)
    set_path_layout(plot, source, paths=3, line_paths=3)
    names, labels = _drawn(plot)
    assert [n for n in names if n.startswith(ENSEMBLE)] == [f"{ENSEMBLE}y1", f"{ENSEMBLE}y2"]
    assert not any("median" in label or "paths" in label for label in labels)
    set_path_layout(plot, source, paths=40, line_paths=3)
    set_path_layout(plot, source, paths=1, line_paths=3)
    names, labels = _drawn(plot)
    assert not any(n.startswith(ENSEMBLE) for n in names) and "path-line" in names
    assert not any("median" in label or "paths" in label for label in labels)
    assert plot.renderers == before
