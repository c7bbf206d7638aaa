"""An export and one copy going through the lead social worker → the hand-over sheet that travels with it.

The sheet tells the social worker whose copy it is, by when to hand it over and discuss it, and
which needs to meet (002 §22.9; 000 §4.14.5). It names the document, never its content; it is
for a professional, who may see every section anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.contract.export import Export
from pipeline.planning.documents import DOCUMENT_NAMES
from pipeline.planning.plan import PlannedCopy, Task
from pipeline.rendering.html import Composer


@dataclass(frozen=True, slots=True)
class HandoverFacts:
    authority: str
    service: str | None
    reference: str
    social_worker: str
    recipient: str
    document: str
    edition: tuple[str, ...]
    due: date
    needs: tuple[str, ...]
    record: bool  # a record's receipt starts the week for asking for corrections (000 §4.14.4)


def handover_facts(
    export: Export, copy: PlannedCopy, tasks: tuple[Task, ...], edition: tuple[str, ...]
) -> HandoverFacts:
    needs = tuple(
        t.kind.replace("_", " ")
        for t in tasks
        if t.recipient == copy.recipient and t.document == copy.document and t.kind != "hand_over"
    )
    return HandoverFacts(
        authority=export.authority.name,
        service=export.authority.service_name,
        reference=export.conference.id,
        social_worker=export.name_of(copy.via) if copy.via else "",
        recipient=export.name_of(copy.recipient),
        document=DOCUMENT_NAMES[copy.document],
        edition=edition,
        due=copy.due,
        needs=needs,
        record=copy.document == "record",
    )


def handover_html(composer: Composer, facts: HandoverFacts) -> str:
    return composer.environment.get_template("letters/handover_sheet.html").render(h=facts)
