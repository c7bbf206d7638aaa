"""An export and the day a document is issued → the date the document carries, or why it cannot.

Pure. A document is dated the day it is issued (the run's day, which the delivery records as its
`sent_on`, or the preview's `--today`), never the day the export was made.
"""

from __future__ import annotations

from datetime import date

from pipeline.contract.export import Export
from pipeline.errors import CalendarError
from pipeline.procedure.calendar import uk_date

# The day a document is issued; None for a view nobody is sent (a test of its content), which is
# dated the day its export was made.
Day = date | None


def issue_date(export: Export, issued_on: Day) -> date:
    """The date printed on a document of `export` issued on `issued_on`."""
    return uk_date(export.exported_at) if issued_on is None else issued_on


def not_before_export(export: Export, issued_on: date) -> None:
    """A document is never dated before the export it is made from was made: it would speak of
    a record that did not exist yet. Refused, naming both days."""
    made = uk_date(export.exported_at)
    if issued_on < made:
        raise CalendarError(
            f"--today {issued_on.isoformat()} is before the export was made "
            f"({made.isoformat()}, revision {export.revision}): a document is never dated before "
            "the record it is made from"
        )
