"""Test-only app served beside ours: its page title reports the process's shared timers."""
import json

import panel as pn

from brownian_panel.runtime.ticker import ticker_for

periods = json.dumps({str(period): count for period, count in ticker_for().periods().items()})
pn.pane.Str(periods).servable(title=f"periods {periods}")
