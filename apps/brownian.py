"""`panel serve apps/brownian.py [--args --silent-client-timeout SECONDS]`: one live
Brownian-motion app per browser session."""
from brownian_panel import BrownianApp
from brownian_panel.cli import app_parameters

BrownianApp(**app_parameters()).servable(title="Brownian motion")
