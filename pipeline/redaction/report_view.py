"""An Export's reports and one reader → the ReportFacts that reader may see, for a report pack or the record.

Which reports a copy holds is answered once, in `pipeline.planning.reports` (R19, R41, R50);
this module only decides what of each the reader may see, with the same visibility decisions as
the record's sections: a section withheld from anyone on the copy's route (spec §4 rules 2, 5), or
confidential on a family copy (000 §4.14.5; 002 §12.8), becomes the heading-less marker, and a
whole report withheld from them becomes one marker with no title, author or text (spec §4 rule 6).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pipeline.contract.export import Export
from pipeline.contract.export_v2 import Report, ReportSection
from pipeline.planning.documents import shows
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.readers import Viewer
from pipeline.planning.reports import (
    appended_to_record,
    left_out_of_pack,
    not_appended,
    reports_for_reader,
)
from pipeline.redaction.facts import Named, ReportFacts, SectionFacts

Text = Callable[[str], str]
NamedOf = Callable[[str], Named]


class ReportView:
    """The reports one copy shows, seen by every reader on its route (`readers_of`)."""

    def __init__(self, export: Export, viewer: Viewer, text: Text, named: NamedOf) -> None:
        self.export = export
        self.viewer = viewer
        self.text = text
        self.named = named

    def report(self, report: Report) -> ReportFacts:
        if not self.viewer.may_see(report.visibility):
            return ReportFacts(withheld=True)
        signer = report.countersigned_by
        return ReportFacts(
            withheld=False,
            title=self.text(report.title),
            agency=self.text(report.agency),
            author=self.named(report.author),
            kind=report.kind,
            submitted_on=report.submitted_on,
            countersigned_by=self.named(signer).name if signer is not None else None,
            countersigned_on=report.countersigned_on,
            sections=tuple(self._section(s) for s in report.sections),
        )

    def _section(self, section: ReportSection) -> SectionFacts:
        if not self.viewer.may_see(section.visibility):
            return SectionFacts(withheld=True)
        return SectionFacts(
            withheld=False,
            heading=self.text(section.heading),
            paragraphs=tuple(self.text(p) for p in section.paragraphs),
        )

    def reports(self, reports: Iterable[Report]) -> tuple[ReportFacts, ...]:
        return tuple(self.report(r) for r in reports)

    def pack(self, copy: PlannedCopy) -> tuple[tuple[ReportFacts, ...], int]:
        """The pack of the parent the copy is for, and how many reports it leaves out (R41, R50)."""
        person = self.export.person(copy.on_behalf_of or copy.recipient)
        return (
            self.reports(reports_for_reader(self.export, person)),
            left_out_of_pack(self.export, person),
        )

    def appended(self, copy: PlannedCopy) -> tuple[ReportFacts, ...]:
        """The reports the record carries in full (R19; 002 §22.2, §22.5; 000 §4.5.10)."""
        attended_parts = copy.view == "attended_parts"
        return self.reports(appended_to_record(self.export, attended_parts=attended_parts))

    def record_parts(self, copy: PlannedCopy) -> dict[str, tuple[Any, ...]]:
        """The record's `appended` and `not_appended`, where its document shows them."""
        if not shows(copy.document, "appended_reports"):
            return {}
        return {"appended": self.appended(copy), "not_appended": self.not_appended_titles()}

    def not_appended_titles(self) -> tuple[str, ...]:
        """Titles of the reports presented but not carried (R19), where the reader may see them."""
        return tuple(
            self.text(r.title)
            for r in not_appended(self.export)
            if self.viewer.may_see(r.visibility)
        )
