"""The redaction views and the leak check, kept importable at the project's fixed top-level name.

Their home is `pipeline/redaction/` (pure views, layer 3) and `pipeline/checking/` (the byte check,
layer 5), so the stage packages show the one-way flow; this package only re-exports their entry
points for callers that use the top-level name.
"""

from pipeline.checking.leak_check import check_no_leaks, leak_report
from pipeline.redaction.view import (
    RecipientMarks,
    RecipientView,
    amendment_view,
    marks_for,
    view_for,
)

__all__ = [
    "RecipientMarks",
    "RecipientView",
    "amendment_view",
    "check_no_leaks",
    "leak_report",
    "marks_for",
    "view_for",
]
