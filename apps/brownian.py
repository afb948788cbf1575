"""`panel serve apps/brownian.py [--args [--shared [--redis-url URL | --period MS --batch N
--window N --seed N]] [--silent-client-timeout SECONDS]]`: one live Brownian-motion app per
browser session, or with --shared one path for every viewer (drawn in this process, or by
`brownian-panel produce` through Redis)."""
from brownian_panel import BrownianApp
from brownian_panel.cli import FEED_SETTINGS, app_parameters
from brownian_panel.views.notice import ended_session_page, made_by_reconnection
from brownian_panel.views.shared_page import SharedApp

options = app_parameters()
redis_url = options.pop("redis_url", None)
settings = {name: options.pop(name) for name in FEED_SETTINGS if name in options}
shared = options.pop("shared", False)
if made_by_reconnection():
    # A page came back after the server had ended its session: it loads itself again.
    ended_session_page(new_run=not shared).servable(title="Brownian motion")
elif shared:
    if redis_url:
        from brownian_panel.feed.redis_feed import redis_feed_for

        options["feed"] = redis_feed_for(redis_url)
    else:
        from brownian_panel.feed.hub import feed_for

        options["feed"] = feed_for(**settings)
    SharedApp(**options).servable(title="Brownian motion (shared)")
else:
    BrownianApp(**options).servable(title="Brownian motion")
