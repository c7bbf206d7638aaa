"""A cpc-export/2 Export → checks that each person the conference invites can take part: an interpreter booked for whoever needs one (R82; 000 §4.4.1; 002 §8.6).

Pure. Version 1 exports carry no bookings, so they get no such check (it would only say "unknown"
for every conference, and version 1 plans must mean what they meant).
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contract.export import Export
from pipeline.contract.export_v2 import ExportV2
from pipeline.planning.entitlements import NO_COPY_ROLES
from pipeline.planning.plan import Check

INTERPRETER_SOURCE = "R82; 000 §4.4.1; 002 §8.6"


def arrangement_checks(export: Export) -> Iterator[Check]:
    if not isinstance(export, ExportV2) or export.conference.stage != "scheduled":
        return
    booked = {(a.person, a.kind): a for a in export.conference.arrangements}
    # An export that leaves the list out says nothing about bookings; an empty list says none.
    told = "arrangements" in export.conference.model_fields_set
    for attendance in export.attendance:
        person = export.person(attendance.person)
        exclusion = export.exclusion_of(person.id)
        if not attendance.invited or person.role in NO_COPY_ROLES:
            continue
        if exclusion is not None and exclusion.extent == "whole":
            continue
        if "interpreter" not in person.needs:
            continue
        arrangement = booked.get((person.id, "interpreter"))
        if arrangement is None and not told:
            yield Check(
                "interpreter_booked",
                "unknown",
                f"{person.name} needs an interpreter; the export does not say what is booked "
                "for the conference",
                INTERPRETER_SOURCE,
            )
        elif arrangement is None:
            yield Check(
                "interpreter_booked",
                "problem",
                f"{person.name} needs an interpreter and none is booked for the conference; a "
                "family member must not interpret",
                INTERPRETER_SOURCE,
            )
        else:
            yield Check(
                "interpreter_booked",
                "ok",
                f"{person.name}: an interpreter ({arrangement.language}) is booked",
                INTERPRETER_SOURCE,
            )
