"""`panel serve apps/brownian.py [--args [--shared [--redis-url URL]] [--silent-client-timeout
SECONDS]]`: one live Brownian-motion app per browser session, or with --shared one path for
every viewer (drawn in this process, or by `brownian-panel produce` through Redis)."""
from brownian_panel import BrownianApp
from brownian_panel.cli import app_parameters
from brownian_panel.shared_app import SharedApp

options = app_parameters()
redis_url = options.pop("redis_url", None)
if options.pop("shared", False):
    if redis_url:
        from brownian_panel.redis_feed import redis_feed_for

        options["feed"] = redis_feed_for(redis_url)
    SharedApp(**options).servable(title="Brownian motion (shared)")
else:
    BrownianApp(**options).servable(title="Brownian motion")
