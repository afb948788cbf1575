"""Whether a page has been sent a model of its document (Bokeh 3.9.2 and 3.10.2).

A model added to a served document (a part of the page built later) reaches the browser with
the change that shows it; a change written straight to the socket before that names a model
the browser does not know, and BokehJS drops the whole message. Bokeh's public
``doc.models.synced_references`` answers, but builds a set of every model on each call.
"""

from __future__ import annotations

from bokeh.document import Document
from bokeh.model import Model
from bokeh.models import Div

from .feature import Feature, expect


def _probe_new_models() -> None:
    doc, div = Document(), Div()
    doc.add_root(div)
    new = getattr(doc.models, "_new_models", None)
    expect(isinstance(new, set) and div in new, "DocumentModelManager._new_models, a set")
    doc.models.flush_synced()
    expect(div not in doc.models._new_models and div in doc.models.synced_references,
           "DocumentModelManager._new_models emptied as models are sent")


NEW_MODELS = Feature(
    "document-new-models",
    uses="DocumentModelManager._new_models",
    written_for="Bokeh 3.9.2, 3.10.2",
    stands_in_for="asking in O(1) whether a page has been sent a model",
    fallback="doc.models.synced_references (a set of every model, per write)",
    probe=_probe_new_models,
)


def sent_to_page(document: Document, model: Model) -> bool:
    """Whether ``model`` is in ``document`` and has been sent to its page(s)."""
    if model.document is not document:
        return False
    if NEW_MODELS.on:
        return model not in document.models._new_models
    return model in document.models.synced_references
