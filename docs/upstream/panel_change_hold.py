"""Panel 1.10 leaves a notebook view's document held after a browser change (docs/upstream.md, 5).

Run: python docs/upstream/panel_change_hold.py. Prints the slider's value and value_throttled
after each of three browser messages; every pair should equal the value sent.
"""

import panel as pn
from bokeh.document import Document
from pyviz_comms import Comm


class OpenComm(Comm):
    def __init__(self):
        super().__init__()
        self._comm = self  # opened by the browser: Panel pushes at once

    def send(self, data=None, metadata=None, buffers=None):
        pass


def browser_message(doc, comm, model, **values):
    """What ``Viewable._on_msg`` does with a browser's message."""
    events = [{"kind": "ModelChanged", "model": {"id": model.id}, "attr": name, "new": value}
              for name, value in values.items()]
    held = doc.callbacks.hold_value
    doc.hold()
    try:
        doc.apply_json_patch({"events": events}, setter=comm.id)
    finally:
        doc.unhold()
        if held:
            doc.hold(held)


doc, comm = Document(), OpenComm()
slider = pn.widgets.FloatSlider(start=0, end=2, step=0.1, value=0.25)
root = slider.get_root(doc, comm)
doc.add_root(root)
print("panel", pn.__version__)
for value in (0.4, 0.5, 0.6):
    browser_message(doc, comm, root, value=value, value_throttled=value)
    print(f"sent {value}: value {slider.value}, value_throttled {slider.value_throttled}, "
          f"document held: {doc.callbacks.hold_value}")
