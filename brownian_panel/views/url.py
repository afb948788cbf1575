"""The page URL as a record of the run: query values set the model, the URL follows the model.

Design notes: docs/architecture.md, "views/url.py".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from urllib.parse import urlencode

import param
from bokeh.document import Document
from bokeh.models import CustomJS, Div

from ..model.validation import kept, refusal
from ..runtime.session import change_document

log = logging.getLogger(__name__)


def parse_query_value(raw: bytes | str) -> object:
    """A query value as Python: JSON when it parses (``0.5``, ``7``, ``true``, ``null``), else
    the text itself (which a numeric parameter then refuses with a message)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_query(model: param.Parameterized, arguments: Mapping[str, list[bytes | str]],
                parameters: list[str]) -> dict[str, str]:
    """Set each of ``parameters`` found in ``arguments`` (a request's query arguments, the last
    value of each name winning). Returns ``{parameter: message}`` for each refused value."""
    refused: dict[str, str] = {}
    for name in parameters:
        if not arguments.get(name):
            continue
        value = parse_query_value(arguments[name][-1])
        message = refusal(model, name, value)
        if message is None:
            model.param.update(**{name: value})
        else:
            log.warning("rejected %s=%.100r from the URL: %s", name, value, message)
            refused[name] = (f"Ignored {name}={value!r} from the URL: "
                             f"{kept(message, getattr(model, name))}")
    return refused


def encode_query(model: param.Parameterized, parameters: list[str]) -> str:
    """``?name=value&...`` recording ``parameters`` of ``model`` (None values left out)."""
    values = {name: getattr(model, name) for name in parameters}
    return "?" + urlencode({name: json.dumps(model.param[name].serialize(value))
                            for name, value in values.items() if value is not None})


#: Browser code that makes the page's query string equal to ``recorder.text``.
_RECORD_QUERY = """
const query = recorder.text;
if (query && window.location.search !== query) {
  const url = window.location.pathname + query + window.location.hash;
  window.history.replaceState(window.history.state, "", url);
}
"""


def url_recorder() -> Div:
    """An invisible Bokeh model whose ``text`` the page shows as its query string.

    ``history.replaceState`` keeps one history entry per page, not one per slider step.
    """
    recorder = Div(text="", visible=False, name="url_recorder")
    recorder.js_on_change("text", CustomJS(args={"recorder": recorder}, code=_RECORD_QUERY))
    return recorder


class UrlSync:
    """Follows ``parameters`` of ``model`` into the query string recorded by ``recorder``.

    Given the session's ``document``, the query is also written when the page has loaded, so a
    refused or missing value in the URL the user typed is replaced at once.
    """

    def __init__(self, model: param.Parameterized, recorder: Div, parameters: list[str],
                 document: Document | None = None):
        self.model = model
        self.recorder = recorder
        self.parameters = list(parameters)
        self._doc = document
        self._watcher = model.param.watch(self._on_change, self.parameters)
        self._record()
        if document is not None:
            document.js_on_event("document_ready",
                                 CustomJS(args={"recorder": recorder}, code=_RECORD_QUERY))

    def stop(self) -> None:
        """Stop following the model."""
        if self._watcher is not None:
            self.model.param.unwatch(self._watcher)
            self._watcher = None

    def _on_change(self, *events: param.parameterized.Event) -> None:
        change_document(self._doc, self._record)

    def _record(self) -> None:
        self.recorder.text = encode_query(self.model, self.parameters)
