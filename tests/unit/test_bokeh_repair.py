"""Bokeh's curdoc() stack after a patch that raised, and the exception-safe replacement."""

from __future__ import annotations

import pytest
from bokeh.document import Document
from bokeh.io import curdoc
from bokeh.io import doc as bokeh_doc

from brownian_panel.bokeh_repair import (
    BOKEH_PATCH_CURDOC,
    exception_safe_patch_curdoc,
    make_patch_curdoc_exception_safe,
)


def test_bokehs_patch_curdoc_leaks_the_document_when_its_block_raises():
    attacked = Document()
    with pytest.raises(ValueError):
        with BOKEH_PATCH_CURDOC(attacked):
            raise ValueError("a client's bad patch")
    try:
        assert curdoc() is attacked
    finally:
        bokeh_doc._PATCHED_CURDOCS.pop()


def test_the_exception_safe_version_patches_and_restores():
    attacked, other = Document(), Document()
    depth = len(bokeh_doc._PATCHED_CURDOCS)
    with pytest.raises(ValueError):
        with exception_safe_patch_curdoc(attacked):
            assert curdoc() is attacked
            raise ValueError("a client's bad patch")
    assert len(bokeh_doc._PATCHED_CURDOCS) == depth
    assert curdoc() is not attacked
    with exception_safe_patch_curdoc(other):
        assert curdoc() is other
    assert len(bokeh_doc._PATCHED_CURDOCS) == depth


def test_bokeh_uses_it_once_installed():
    make_patch_curdoc_exception_safe()
    make_patch_curdoc_exception_safe()
    assert bokeh_doc.patch_curdoc is exception_safe_patch_curdoc
