"""`cpc status`'s lines (`service.status_report`) → the dashboard's items: each in names and words, with who is to act and the copy's page.

Pure over the report and the conferences read (`front_desk_reading`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pipeline.service.front_desk_reading import ReadConference
from pipeline.service.front_desk_words import (
    PersonWords,
    conference_url,
    copy_document_words,
    copy_url,
    document_words,
    in_words,
    person_words,
)
from pipeline.service.status_report import StatusReport
from pipeline.store.rows import CopyRow

Kind = Literal[
    "failed",
    "not_planned",
    "overdue",
    "due_today",
    "due_tomorrow",
    "held",
    "with_social_worker",
    "task",
    "amendment",
    "quarantined",
    "check",
]
ADMINISTRATOR = "an administrator"
# The words a filter by person may use for the work no one person of a conference is named for.
ADMINISTRATOR_WORDS = frozenset({"administrator", "an administrator", "the administrator"})


@dataclass(frozen=True, slots=True)
class Item:
    """One thing for a person to do or know, in words. `responsible_id` and `copy_key` are for
    filtering and links only, never shown."""

    kind: Kind
    what: str
    conference: str | None = None
    family: str | None = None
    recipient: str | None = None
    document: str | None = None
    due: date | None = None
    responsible: str | None = None
    url: str | None = None
    responsible_id: str | None = None
    responsible_name: str | None = None
    copy_key: str | None = None

    @property
    def shown(self) -> tuple[str, ...]:
        """Every text a page shows of the item."""
        texts = (self.what, self.conference, self.family, self.recipient, self.document)
        return tuple(t for t in (*texts, self.responsible) if t)


class DashboardItems:
    """Status report lines → items, with each conference's people in words."""

    def __init__(
        self, conferences: Mapping[str, ReadConference], copies: Mapping[tuple[str, str], CopyRow]
    ) -> None:
        self.conferences = conferences
        self.copies = copies

    def of(self, kind: Kind, report: StatusReport) -> list[Item]:
        if kind == "quarantined":
            return [
                Item(
                    "quarantined",
                    f"{q.file}: {q.reason}",
                    responsible=ADMINISTRATOR,
                    url="/quarantine",
                )
                for q in report.quarantined
            ]
        lines: dict[Kind, tuple[dict[str, Any], ...]] = {
            "failed": report.failed,
            "not_planned": report.not_planned,
            "overdue": report.overdue,
            "due_today": report.due_today,
            "due_tomorrow": report.due_tomorrow,
            "held": report.held,
            "with_social_worker": report.awaiting_handover,
            "task": report.open_tasks,
            "amendment": report.pending_amendments,
            "check": tuple(c for c in report.checks if c["status"] != "ok"),
        }
        made = [self._item(kind, line) for line in lines[kind]]
        if kind in ("failed", "overdue"):
            return made  # the report's order: permanent failures first; the longest overdue first
        return sorted(made, key=lambda i: (i.due or date.max, i.conference or ""))

    def _item(self, kind: Kind, line: Mapping[str, Any]) -> Item:
        conference = line["conference"]
        read = self.conferences.get(conference)
        people = read.people if read is not None else {}
        base = Item(
            kind,
            what="",
            conference=conference,
            family=read.family if read is not None else None,
            url=conference_url(conference),
        )
        if kind == "not_planned":
            return _admin(base, f"Cannot be planned: {in_words(line['why'], people)}")
        if kind == "check":
            name = str(line["check"]).replace("_", " ").capitalize()
            return _admin(base, f"{name}: {in_words(line['detail'], people)}")
        if kind == "amendment":
            late = " (after the requester's window)" if line["late"] else ""
            asked = _replace(
                base,
                recipient=person_words(people, line["requested_by"]),
                document=document_words("record"),
            )
            return self._chair(
                asked,
                f"Amendment {line['amendment']} to the record, asked for on "
                f"{line['received_on'].isoformat()}{late}",
                read,
            )
        if kind == "task":
            key = self._copy_key(conference, line["for"], line["document"])
            task = _replace(
                base,
                recipient=person_words(people, line["for"]),
                document=document_words(line["document"]),
                due=line["due"],
                url=copy_url(conference, key) if key else base.url,
                copy_key=key,
            )
            what = f"{str(line['task']).replace('_', ' ').capitalize()} to be done"
            return _for_person(task, what, people, line["owner"])
        return self._copy_item(kind, base, line, people, read)

    def _copy_item(
        self,
        kind: Kind,
        base: Item,
        line: Mapping[str, Any],
        people: Mapping[str, PersonWords],
        read: ReadConference | None,
    ) -> Item:
        conference, key = line["conference"], line["copy"]
        row = self.copies.get((conference, key))
        item = _replace(
            base,
            recipient=person_words(people, line["recipient"]),
            document=copy_document_words(
                line["document"], row.on_behalf_of if row is not None else None, people
            ),
            due=row.due if row is not None else line.get("due"),
            url=copy_url(conference, key),
            copy_key=key,
        )
        if kind == "failed":
            return _admin(item, f"Not delivered: {in_words(line['error'], people)}")
        if kind == "held":
            can = (
                ""
                if line["releasable"]
                else " It cannot be released: it needs a new export or a withdrawal."
            )
            reason = (in_words(line["reason"], people) or "").rstrip(".")
            return self._chair(item, f"Held: {reason}.{can}", read)
        if kind == "with_social_worker":
            sent_on = line["sent_to_social_worker"].isoformat()
            what = f"Sent to the social worker on {sent_on}, not yet handed over"
            return _for_person(item, what, people, line["social_worker"])
        status = line["status"]
        what = _STATUS_WORDS.get(status, status)
        if line.get("reason") and status in ("held", "waiting", "failed"):
            what = f"{what}: {in_words(line['reason'], people)}"
        if status == "held":
            return self._chair(item, what, read)
        if status == "with the social worker" and line.get("via"):
            return _for_person(item, what, people, line["via"])
        return _admin(item, what)

    def _chair(self, item: Item, what: str, read: ReadConference | None) -> Item:
        """Held copies and amendments wait for the conference's chair (spec §4 rule 7; 002 §22.7),
        named so a person knows whom to ask."""
        chair = read.people.get(read.chair) if read is not None else None
        if read is None or chair is None:
            return _admin(item, what)
        return _replace(
            item,
            what=what,
            responsible=f"{chair} may decide",
            responsible_id=read.chair,
            responsible_name=chair.name,
        )

    def _copy_key(self, conference: str, recipient: str, document: str) -> str | None:
        for (c, key), row in self.copies.items():
            if c == conference and row.recipient == recipient and row.document == document:
                return key
        return None


_STATUS_WORDS = {
    "ready": "Ready: goes with the next run",
    "waiting": "Waiting",
    "held": "Held for the chair",
    "sending": "Being sent",
    "failed": "Failed",
    "with the social worker": "With the social worker, not yet handed over",
}


def _replace(item: Item, **changes: Any) -> Item:
    return dataclasses.replace(item, **changes)


def _admin(item: Item, what: str) -> Item:
    return _replace(item, what=what, responsible=ADMINISTRATOR)


def _for_person(
    item: Item, what: str, people: Mapping[str, PersonWords], person: str | None
) -> Item:
    """The item for one person of the conference to act on (a social worker's hand-over, a
    task's owner); for an administrator if the export names nobody."""
    found = people.get(person) if person else None
    if found is None:
        return _admin(item, what)
    return _replace(
        item, what=what, responsible=str(found), responsible_id=person, responsible_name=found.name
    )
