"""Bokeh's curdoc() stack after a patch that raised, and its repair."""

from __future__ import annotations

import pytest
from bokeh.document import Document
from bokeh.io import curdoc
from bokeh.io.doc import patch_curdoc

from brownian_panel.bokeh_repair import drop_leaked_curdocs


def test_a_failed_patch_leaks_curdoc_until_repaired():
    attacked = Document()
    with pytest.raises(ValueError):
        with patch_curdoc(attacked):
            raise ValueError("a client's bad patch")
    try:
        assert curdoc() is attacked, "Bokeh leaves the document patched in (the bug repaired)"
    finally:
        assert drop_leaked_curdocs() == 1
    assert curdoc() is not attacked
    assert drop_leaked_curdocs() == 0
