"""examples/brownian.ipynb: runs top to bottom in a kernel, embeds the app offline, serves."""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from ..conftest import PYTHON, REPO_ROOT
from ..helpers import LiveClient, wait_until

NOTEBOOK = REPO_ROOT / "examples" / "brownian.ipynb"


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return notebook


def _cell(notebook, starts_with: str):
    [cell] = [c for c in notebook.cells if c.cell_type == "code"
              and c.source.startswith(starts_with)]
    return cell


def test_every_cell_runs_without_error(executed):
    errors = [output for cell in executed.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []


def test_the_app_cell_carries_panels_bundle_with_the_plot_and_its_source(executed):
    [result] = [o for o in _cell(executed, "app = BrownianApp()").outputs
                if o.output_type == "execute_result"]
    assert "application/vnd.holoviews_exec.v0+json" in result.data
    html = result.data["text/html"]
    renderer = re.search(r'"name":"GlyphRenderer".{0,120}"attributes":\{"name":"path-line",'
                         r'"data_source":\{"type":"object","name":"ColumnDataSource"'
                         r'.{0,80}"attributes":\{"name":"path"', html)
    assert renderer, "the document holds the path's line renderer and its ColumnDataSource"


#: How Panel 1.10's inline loader names cdn.holoviz.org without loading from it: the table
#: that maps CDN URLs to the local copies, and the registry entry of an inlined library.
PANEL_INERT_CDN_MENTIONS = (r'CDN_DIST = \\"https://cdn\.holoviz\.org/',
                            r'\{\\"name\\": \\"[\w:]+\\", \\"js\\": \[\\"https://cdn\.holoviz\.org/')


def test_resources_are_inline_not_from_a_cdn(executed):
    outputs = json.dumps([cell.get("outputs", []) for cell in executed.cells])
    assert "cdn.bokeh.org" not in outputs
    assert not re.search(r'<(script|link)[^>]*(src|href)=\\"https?://', outputs)
    mentions = len(re.findall(r"cdn\.holoviz\.org", outputs))
    inert = sum(len(re.findall(pattern, outputs)) for pattern in PANEL_INERT_CDN_MENTIONS)
    assert mentions == inert, "cdn.holoviz.org named other than in Panel's loader tables"
    assert "Bokeh" in outputs  # BokehJS itself is in the notebook


def test_the_path_cell_reads_numpy_arrays(executed):
    [result] = [o for o in _cell(executed, "x, y = app.stream.path()").outputs
                if o.output_type == "execute_result"]
    assert "array(" in result.data["text/plain"]


def _result(notebook, starts_with: str) -> str:
    cell = _cell(notebook, starts_with)
    return "".join(o.data["text/plain"] if o.output_type == "execute_result" else o.text
                   for o in cell.outputs if o.output_type in ("execute_result", "stream"))


def test_the_notebook_shows_seed_history_statistics_export_and_an_ensemble(executed):
    assert "![" in executed.cells[0].source  # a picture that shows unexecuted
    assert (REPO_ROOT / "docs" / "screenshot-desktop.png").exists()
    assert _result(executed, "import numpy as np") == "True"  # same seed, same path
    statistics = _result(executed, "len(app.record")
    count, summary = re.fullmatch(r"\((\d+), '(.*)'\)", statistics).groups()
    assert int(count) >= 0 and summary.startswith("σ²")
    export = _result(executed, "import tempfile").splitlines()
    assert export[0].startswith("# {") and export[1] == "x,y"
    observed, expected = re.fullmatch(r"\(([\d.]+), ([\d.]+)\)",
                                      _result(executed, "ensemble =")).groups()
    assert float(expected) == 250.0 and abs(float(observed) - 250.0) < 40  # 5 s.d. of 1,000


def test_panel_serve_serves_the_notebook_as_an_app(start_process):
    base = start_process(lambda port: [PYTHON, "-m", "panel", "serve", str(NOTEBOOK),
                                       "--port", str(port), "--address", "127.0.0.1"])
    with LiveClient(f"{base}/brownian", {"period": "50"}) as client:
        wait_until(lambda: client.points >= 10, timeout=20)
        assert client.session.document.title == "Brownian motion"
