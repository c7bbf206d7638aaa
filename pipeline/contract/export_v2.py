"""The conference export, format `cpc-export/2`, as immutable pydantic models (pipeline/contract/schemas/cpc-export-2.schema.json).

A superset of `cpc-export/1`: every field of version 1 means the same, and version 2 adds the
reports to the conference (000 §4.7; 002 §15-16, §22.2, §22.5), each child's part in it (000
§4.4.3-4.4.17; 002 §13) and the arrangements booked for people to take part (000 §4.4.1; 002
§8.4-8.6). `ExportV2` is an `Export`, so every stage that reads version 1 reads version 2.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field

from pipeline.contract.export import AgencyType, Child, Conference, Export, Visibility
from pipeline.contract.types import Id, IsoDate, Ref, Strict, Text

ReportKind = Literal["social_work_assessment", "agency_report"]
# 000 §4.4.3-4.4.5, §4.4.17; 002 §13: a child takes part in person, gives their views another way
# (in writing, on tape, through an advocate), or neither.
Participation = Literal["attends", "attends_part", "gives_views", "not_involved"]
ArrangementKind = Literal["interpreter", "access"]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class ReportSection(Strict):
    """One section of a report, with the same visibility decisions as a record's section."""

    id: Id
    heading: Text
    paragraphs: tuple[Text, ...]
    visibility: Visibility | None = None


class ReportSharing(Strict):
    """The report was given to this family member (or child) on this day (000 §4.7.7; 002 §15.4)."""

    person: Ref
    shared_on: IsoDate


class Report(Strict):
    """One agency's written report to the conference (000 §4.7.1-4.7.9; 002 §15, §16)."""

    id: Id
    kind: ReportKind
    title: Text
    author: Ref
    agency: Text
    agency_type: AgencyType | None = None
    # The date the conference service asked for it by, where it set one; the procedure's own
    # deadline is worked out by the plan from the profile.
    due_to_chair: IsoDate | None = None
    submitted_on: IsoDate | None = None
    countersigned_by: Ref | None = None
    countersigned_on: IsoDate | None = None
    shared_with: tuple[ReportSharing, ...] = ()
    sections: tuple[ReportSection, ...] = ()
    # 002 §22.2, §22.5 (R19): the social worker's report travels with the record; any other only
    # with its author's express permission.
    author_permits_appending: bool = False
    visibility: Visibility | None = None


class ChildV2(Child):
    participation: Participation | None = None
    views_how: Text | None = None
    advocate: Ref | None = None


class Arrangement(Strict):
    """An interpreter or access arrangement booked for one person to take part (000 §4.4.1;
    002 §8.4-8.6)."""

    person: Ref
    kind: ArrangementKind
    language: LanguageCode | None = None
    detail: Text | None = None


class ConferenceV2(Conference):
    arrangements: tuple[Arrangement, ...] = ()


class ExportV2(Export):
    """One conference as the case-management system exported it, with its reports."""

    # A different constant on the subclass: mypy sees a narrower Literal as incompatible, but
    # the format is exactly what tells the two apart, and every reader of `format` compares text.
    format: Literal["cpc-export/2"]  # type: ignore[assignment]
    conference: ConferenceV2
    children: Annotated[tuple[ChildV2, ...], Field(min_length=1)]
    reports: tuple[Report, ...] = ()

    def conference_reports(self) -> tuple[Report, ...]:
        return self.reports

    def report(self, report_id: str) -> Report:
        return self._reports_by_id[report_id]

    @cached_property
    def _reports_by_id(self) -> dict[str, Report]:
        return {r.id: r for r in self.reports}
