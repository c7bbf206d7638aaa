"""An export and one copy going through the lead social worker → the hand-over sheet that travels with it.

The sheet tells the social worker whose copy it is, by when to hand it over and discuss it, and
which needs to meet (002 §22.9; 000 §4.14.5). It names the document, never its content; it is
for a professional, who may see every section anyway.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import get_args

from markupsafe import Markup

from pipeline.contract.export import Export
from pipeline.planning.documents import DocumentKind
from pipeline.planning.plan import PlannedCopy, Task
from pipeline.rendering.html import DEFAULT_TEMPLATES, Composer


@dataclass(frozen=True, slots=True)
class HandoverFacts:
    authority: str
    service: str | None
    reference: str
    social_worker: str
    recipient: str
    document: DocumentKind  # named in words by the template (`_words.html`, document_name)
    edition: tuple[str, ...]
    due: date
    needs: tuple[str, ...]
    record: bool  # a record's receipt starts the week for asking for corrections (000 §4.14.4)


def handover_facts(
    export: Export, copy: PlannedCopy, tasks: tuple[Task, ...], edition: tuple[str, ...]
) -> HandoverFacts:
    needs = tuple(
        t.kind  # written in words by the template
        for t in tasks
        if t.recipient == copy.recipient and t.document == copy.document and t.kind != "hand_over"
    )
    return HandoverFacts(
        authority=export.authority.name,
        service=export.authority.service_name,
        reference=export.conference.id,
        social_worker=export.name_of(copy.via) if copy.via else "",
        recipient=export.name_of(copy.recipient),
        document=copy.document,
        edition=edition,
        due=copy.due,
        needs=needs,
        record=copy.document == "record",
    )


def handover_html(composer: Composer, facts: HandoverFacts) -> str:
    return composer.environment.get_template("letters/handover_sheet.html").render(h=facts)


@functools.cache
def document_names(templates: Path = DEFAULT_TEMPLATES) -> Mapping[str, str]:
    """Each document's everyday name, as `_words.html` writes it (the one place), for words
    written outside a template: an e-mail's body."""
    words = Composer.at(templates).environment.get_template("_words.html").module
    name_of = words.document_name  # type: ignore[attr-defined]  # a macro: Jinja does not type its module
    return MappingProxyType(
        {code: Markup(name_of(code)).unescape() for code in get_args(DocumentKind)}
    )


def __getattr__(name: str) -> Mapping[str, str]:
    # DOCUMENT_NAMES, as callers import it, read from the template when first asked for.
    if name == "DOCUMENT_NAMES":
        return document_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
