"""`panel serve apps/brownian.py [--args [--shared] [--silent-client-timeout SECONDS]]`: one
live Brownian-motion app per browser session, or with --shared one path for every viewer."""
from brownian_panel import BrownianApp
from brownian_panel.cli import app_parameters
from brownian_panel.shared_app import SharedApp

options = app_parameters()
if options.pop("shared", False):
    SharedApp(**options).servable(title="Brownian motion (shared)")
else:
    BrownianApp(**options).servable(title="Brownian motion")
