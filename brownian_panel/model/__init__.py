"""The model: pure param + numpy (no Panel, no Bokeh). A walk's state and steps, its whole
history as a min/max pyramid, the decimated view of it, ensembles, and the statistics."""

from .decimation import FollowingView, ViewUpdate, bucket_width
from .ensemble import DisplacementSeries, EnsembleHistory, quantile_columns
from .estimates import IncrementStatistics, VarianceSchedule, variance_interval
from .history import History
from .mirror import Mirror
from .record import Record
from .validation import accepted, check, check_all, expectation, refusal
from .walk import BrownianMotion

__all__ = ["BrownianMotion", "DisplacementSeries", "EnsembleHistory", "FollowingView", "History",
           "IncrementStatistics", "Mirror", "Record", "VarianceSchedule", "ViewUpdate",
           "accepted", "bucket_width", "check", "check_all", "expectation", "quantile_columns",
           "refusal", "variance_interval"]
