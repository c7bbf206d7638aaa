"""The distribution plan's values: copies, tasks, checks and copies deliberately not made, and their JSON form."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pipeline.planning.documents import DocumentKind
from pipeline.planning.language_need import ReaderLanguage
from pipeline.planning.readers import Viewer

Status = Literal["ready", "waiting", "held"]
ViewName = Literal["professional", "family", "attended_parts"]
# The channel delivery takes (pipeline.planning.routing): the same values as the service
# configuration's `DeliveryChannel`. A copy through the social worker takes the social worker's.
Channel = Literal["folder", "email", "post", "notify"]
# Why a copy is held: by the plan (a withheld address in its free text, content withheld from a
# reader on its route), by the renderer (leak, unreadable, short_items, render_error), or by the
# delivery stage (changed after it was sent; a record changed by an agreed amendment). Defined
# once: the store's rows and the copy states use it.
HoldKind = Literal[
    "address",
    "route",
    "leak",
    "short_items",
    "render_error",
    "unreadable",
    "changed_after_sent",
    "changed_record",
]
TaskKind = Literal[
    "hand_over",
    "translation",
    "interpreter",
    "braille",
    "audio",
    "easy_read",
    "verbal_invitation",
    "explain_in_person",  # a child too young to read their own letter (child_letters)
    "submit_report",  # a report to the conference not yet with the chair (R42)
    "countersign_report",  # the social worker's report not yet countersigned (002 §15.1)
    "discuss_report",  # the family's reports gone through with a parent (000 §4.7.9; R41)
]
# What a task is about: a document of the plan, or one report to the conference (`Task.report`).
TaskDocument = DocumentKind | Literal["report"]
CheckStatus = Literal["ok", "problem", "unknown"]


@dataclass(frozen=True, slots=True)
class PlannedCopy:
    """One document for one recipient: what they see, by when, how, and whether it can go yet."""

    recipient: str
    document: DocumentKind
    view: ViewName
    due: date
    status: Status
    reason: str | None
    via: str | None
    channel: Channel | None
    viewer: Viewer
    recipient_class: str
    source: str
    handover_by: date | None = None
    on_behalf_of: str | None = None
    authorisation_basis: str | None = None
    authorisation: int | None = None  # index in distribution.authorisations, for authorised copies
    large_print: bool = False
    due_at: datetime | None = None
    hold: HoldKind | None = None  # why the plan holds it, where it does (status held)
    # The reader's language where it is not the documents' (planning.languages.ReaderLanguage),
    # and the task the copy waits for, where that alone keeps it waiting (language_copy "wait").
    language: ReaderLanguage | None = None
    awaits: TaskKind | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "document": self.document,
            "view": self.view,
            "due": self.due.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "status": self.status,
            "reason": self.reason,
            "via": self.via,
            "handover_by": self.handover_by.isoformat() if self.handover_by else None,
            "channel": self.channel,
            "on_behalf_of": self.on_behalf_of,
            "authorisation_basis": self.authorisation_basis,
            "authorisation": self.authorisation,
            "present_for": sorted(self.viewer.present_for)
            if self.viewer.present_for is not None
            else None,
            "large_print": self.large_print,
            "recipient_class": self.recipient_class,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Task:
    """Work for a person (usually the lead social worker) that a copy needs, due with the copy."""

    kind: TaskKind
    owner: str | None
    recipient: str
    document: TaskDocument
    due: date
    source: str
    report: str | None = None  # the report's id, for a task about one report

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "owner": self.owner,
            "recipient": self.recipient,
            "document": self.document,
            "due": self.due.isoformat(),
            "source": self.source,
            "report": self.report,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """One timeliness or procedure check of spec §3: ok, a problem in words, or unknown for lack of data."""

    name: str
    status: CheckStatus
    detail: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "detail": self.detail,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class NotSent:
    """A copy someone might expect that the rules say must not be made, with the reason."""

    recipient: str
    document: DocumentKind
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"recipient": self.recipient, "document": self.document, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class DistributionPlan:
    conference: str
    revision: int
    stage: str
    profile: str
    copies: tuple[PlannedCopy, ...]
    tasks: tuple[Task, ...]
    checks: tuple[Check, ...]
    not_sent: tuple[NotSent, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "conference": self.conference,
            "revision": self.revision,
            "stage": self.stage,
            "profile": self.profile,
            "copies": [c.to_json() for c in self.copies],
            "tasks": [t.to_json() for t in self.tasks],
            "checks": [c.to_json() for c in self.checks],
            "not_sent": [n.to_json() for n in self.not_sent],
        }


def file_stem(copy: PlannedCopy) -> str:
    """The document kind and nothing personal: no names, no withheld words. Two authorised
    copies for one person (for two children, say) are told apart by the authorisation's number."""
    stem: str = copy.document
    if copy.authorisation is not None:
        stem += f"-authorisation-{copy.authorisation + 1}"
    return stem + ("-large-print" if copy.large_print else "")


def copy_key(copy: PlannedCopy) -> str:
    """A copy's name in the store, and its delivered files' stem: recipient, document and, for an
    authorised copy, whom it is for. Built from facts that stay put across revisions (not an
    authorisation's place in the list), so a re-ordered export never makes a copy look new."""
    stem: str = copy.document
    if copy.authorisation is not None:
        stem += (
            f"-for-{name_part(copy.on_behalf_of)}"
            if copy.on_behalf_of
            else f"-authorisation-{copy.authorisation + 1}"
        )
    return f"{copy.recipient}/{stem}" + ("-large-print" if copy.large_print else "")


def name_part(some_id: str) -> str:
    """An id as part of a file name: as it is, unless long or holding '..' (both allowed by the
    contract), when a short hash of it stands in, so names stay short and plain."""
    if len(some_id) <= 24 and ".." not in some_id:
        return some_id
    return "id-" + hashlib.sha256(some_id.encode("utf-8")).hexdigest()[:12]
