"""Rules across the fields `cpc-export/2` adds (reports, children's part, arrangements) → FieldIssues with their paths.

The same kind of rules as version 1's (`checks`, `meeting_checks`): ids unique, references
resolve to the right kind of person, nothing dated after the export was made.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from pipeline.contract.export_v2 import ExportV2
from pipeline.contract.issues import FAMILY_ROLES, Issues, export_date, role_of


def check_export_v2(export: ExportV2, issues: Issues) -> None:
    _check_report_ids(export, issues)
    _check_report_people(export, issues)
    _check_report_dates(export, issues)
    _check_children(export, issues)
    _check_arrangements(export, issues)


def _repeats(values: list[tuple[str, str]], what: str, issues: Issues) -> None:
    counts = Counter(value for _, value in values)
    for path, value in values:
        if counts[value] > 1:
            issues.add(path, f"{value!r} is used as {what} more than once; each must be unique")


def _check_report_ids(export: ExportV2, issues: Issues) -> None:
    _repeats(
        [(f"reports[{i}].id", r.id) for i, r in enumerate(export.reports)], "a report id", issues
    )
    for i, report in enumerate(export.reports):
        _repeats(
            [(f"reports[{i}].sections[{j}].id", s.id) for j, s in enumerate(report.sections)],
            "a section id in this report",
            issues,
        )
        _repeats(
            [
                (f"reports[{i}].shared_with[{j}].person", s.person)
                for j, s in enumerate(report.shared_with)
            ],
            "the person this report was shared with",
            issues,
        )


def _person_with_role(
    export: ExportV2, path: str, ref: str, roles: frozenset[str], words: str, issues: Issues
) -> None:
    if export.is_child(ref):
        issues.add(path, f"refers to {ref!r}, a child; it must be {words}")
        return
    role = role_of(export, ref)
    if role is None:
        issues.add(path, f"refers to {ref!r}, but there is no such person in people")
    elif role not in roles:
        issues.add(path, f"refers to a person whose role is {role}; it must be {words}")


PROFESSIONAL = frozenset({"professional"})


def _check_report_people(export: ExportV2, issues: Issues) -> None:
    known = {p.id for p in export.people} | {c.id for c in export.children}
    for i, report in enumerate(export.reports):
        base = f"reports[{i}]"
        # 000 §4.7.9; 002 §15.1, §16.2: a report is written and signed by a professional.
        _person_with_role(
            export, f"{base}.author", report.author, PROFESSIONAL, "a professional", issues
        )
        if report.countersigned_by is not None:
            _person_with_role(
                export,
                f"{base}.countersigned_by",
                report.countersigned_by,
                PROFESSIONAL,
                "a professional (the practice or team manager, 002 §15.1)",
                issues,
            )
        if report.countersigned_on is not None and report.countersigned_by is None:
            issues.add(
                f"{base}.countersigned_by",
                "is required when countersigned_on is given: who countersigned it",
            )
        for j, sharing in enumerate(report.shared_with):
            # 000 §4.7.7; 002 §15.4, §16.7: reports are shared with the parents and older children.
            path = f"{base}.shared_with[{j}].person"
            if export.is_child(sharing.person):
                if export.child(sharing.person).unborn:
                    issues.add(path, f"refers to {sharing.person!r}, a child not born yet")
            else:
                _person_with_role(
                    export,
                    path,
                    sharing.person,
                    FAMILY_ROLES,
                    "a parent, carer, family member or child",
                    issues,
                )
        visibilities = [(f"{base}.visibility", report.visibility)] + [
            (f"{base}.sections[{j}].visibility", s.visibility)
            for j, s in enumerate(report.sections)
        ]
        for path, visibility in visibilities:
            for k, ref in enumerate(visibility.withheld_from if visibility else ()):
                if ref not in known:
                    issues.add(
                        f"{path}.withheld_from[{k}]",
                        f"refers to {ref!r}, but there is no such person or child",
                    )


def _check_report_dates(export: ExportV2, issues: Issues) -> None:
    exported_on = export_date(export)

    def not_after_export(path: str, value: date | None) -> None:
        if value is not None and value > exported_on:
            issues.add(path, f"is {value}, after the export was made on {exported_on}")

    for i, report in enumerate(export.reports):
        base = f"reports[{i}]"
        not_after_export(f"{base}.submitted_on", report.submitted_on)
        not_after_export(f"{base}.countersigned_on", report.countersigned_on)
        for j, sharing in enumerate(report.shared_with):
            not_after_export(f"{base}.shared_with[{j}].shared_on", sharing.shared_on)
            if report.submitted_on is None:
                # A report shared with the family exists; the chair's copy is the one on record.
                issues.add(
                    f"{base}.submitted_on",
                    "is missing, but the report was shared with the family: give the day it "
                    "reached the chair",
                )
                break


def _check_children(export: ExportV2, issues: Issues) -> None:
    for i, child in enumerate(export.children):
        if child.advocate is not None:
            _person_with_role(
                export,
                f"children[{i}].advocate",
                child.advocate,
                frozenset({"advocate"}),
                "an advocate (000 §4.4.15; 002 §13)",
                issues,
            )
        if child.unborn and child.participation not in (None, "not_involved"):
            issues.add(
                f"children[{i}].participation",
                f"is {child.participation!r}, but the child is not born yet: "
                "leave it out or write 'not_involved'",
            )
        if child.views_how is not None and child.participation == "not_involved":
            issues.add(
                f"children[{i}].views_how",
                "is given, but participation says the child is not involved",
            )


def _check_arrangements(export: ExportV2, issues: Issues) -> None:
    for i, arrangement in enumerate(export.conference.arrangements):
        path = f"conference.arrangements[{i}]"
        if not export.is_child(arrangement.person) and role_of(export, arrangement.person) is None:
            issues.add(
                f"{path}.person",
                f"refers to {arrangement.person!r}, but there is no such person or child",
            )
        if arrangement.kind == "interpreter" and arrangement.language is None:
            issues.add(
                f"{path}.language", "is required for an interpreter: the language to interpret"
            )
        if arrangement.kind == "access" and arrangement.language is not None:
            issues.add(f"{path}.language", "is only for an interpreter, not an access arrangement")
