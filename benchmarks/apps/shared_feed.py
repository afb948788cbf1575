"""The in-process shared feed at BROWNIAN_PERIOD ms (default 100), one point an update, for the
benchmarks: `panel serve benchmarks/apps/shared_feed.py`."""
import os

from brownian_panel.feed.hub import feed_for
from brownian_panel.views.shared_page import SharedApp

feed = feed_for()
feed.model.param.update(period=int(os.environ.get("BROWNIAN_PERIOD", "100")), batch=1)
SharedApp(feed=feed).servable(title="Brownian motion (shared)")
