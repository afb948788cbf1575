"""`panel serve apps/brownian.py`: one live Brownian-motion app per browser session."""
from brownian_panel import BrownianApp

BrownianApp().servable(title="Brownian motion")
