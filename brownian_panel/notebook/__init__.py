"""Notebook support: streaming into a notebook view, the view's ready report, the kernel side."""

from .kernel import release_on_rerun, repair_kernel_comms
from .link import NotebookLink
from .view import ViewReady, resend_widget_state

__all__ = ["NotebookLink", "ViewReady", "release_on_rerun", "repair_kernel_comms",
           "resend_widget_state"]
