"""The store's rows for one conference → its history: revisions, record versions, amendments, deliveries.

Pure over what the store returns, so the same history prints as a table or as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pipeline.planning.amendments import amendment_copy_key
from pipeline.service.status_report import RETRIED, WAITS, Names, sent_on_time, who
from pipeline.store.db import StoredDelivery
from pipeline.store.rows import AmendmentRow, CopyRow, HandoverRow, RevisionRow


@dataclass(frozen=True, slots=True)
class History:
    conference: str
    revisions: tuple[dict[str, Any], ...]
    record_versions: tuple[dict[str, Any], ...]
    amendments: tuple[dict[str, Any], ...]
    deliveries: tuple[dict[str, Any], ...]
    handovers: tuple[dict[str, Any], ...] = ()
    checks: tuple[dict[str, Any], ...] = ()
    store: str = ""

    def to_json(self) -> dict[str, Any]:
        def plain(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in rows]

        return {
            "conference": self.conference,
            "store": self.store,
            "handovers": plain(self.handovers),
            "checks": plain(self.checks),
            "revisions": plain(self.revisions),
            "record_versions": plain(self.record_versions),
            "amendments": plain(self.amendments),
            "deliveries": plain(self.deliveries),
        }


def conference_history(
    conference: str,
    revisions: Sequence[RevisionRow],
    current_revision: int,
    applied: Sequence[str],
    failed: Sequence[tuple[str, str]],
    amendment_rows: Sequence[AmendmentRow],
    deliveries: Sequence[StoredDelivery],
    *,
    handovers: Sequence[HandoverRow] = (),
    copy_rows: Sequence[CopyRow] = (),
    names: Names = {},  # noqa: B006 (read only)
    today: date | None = None,
    store: str = "",
) -> History:
    """`handovers`: every hand-over recorded and corrected; `copy_rows` and `today` give the
    check "documents sent on time"."""
    by_id = {row.amendment_id: row for row in amendment_rows}
    versions: list[dict[str, Any]] = [
        {"version": 1, "made_by": f"revision {current_revision} as exported", "on": None}
    ]
    for number, amendment_id in enumerate(applied, start=2):
        versions.append(
            {
                "version": number,
                "made_by": f"amendment {amendment_id}",
                "on": by_id[amendment_id].decided_on if amendment_id in by_id else None,
            }
        )
    problems = dict(failed)
    notices: dict[str, int] = {}
    for d in deliveries:
        if d.state == "sent" and d.document == "amendment_notice":
            notice_of = next((a for a in by_id if _notice_of(d.copy_key, a)), None)
            if notice_of:
                notices[notice_of] = notices.get(notice_of, 0) + 1
    amendments = tuple(
        {
            "amendment": row.amendment_id,
            "requested_by": row.requested_by,
            "received_on": row.received_on,
            "window_ends": row.window_ends,
            "late": row.late,
            "status": row.status,
            "decided_by": row.decided_by,
            "decided_on": row.decided_on,
            "note": row.note,
            "notices_sent": notices.get(row.amendment_id, 0),
            "problem": problems.get(row.amendment_id),
        }
        for row in amendment_rows
    )
    return History(
        conference=conference,
        revisions=tuple(
            {
                "revision": r.revision,
                "export_id": r.document_id,
                "received_at": r.received_at,
                "source": r.source_name,
                "sha256": r.sha256,
            }
            for r in revisions
        ),
        record_versions=tuple(versions),
        amendments=amendments,
        deliveries=tuple(
            {
                "recipient": d.recipient,
                "recipient_name": who(names, conference, d.recipient),
                "document": d.document,
                "copy": d.copy_key,
                "edition": d.edition,
                "revision": d.revision,
                # A delivery that failed says so, with the channel's words.
                "state": "failed" if d.failed else d.state,
                "channel": d.channel,
                # GOV.UK Notify's own word for it (accepted, received, validation-failed...).
                "notify_status": d.notify_status,
                "via": d.via,
                "via_name": who(names, conference, d.via),
                "due": d.due,
                "sent_on": d.sent_on,
                "delivered_at": d.delivered_at,
                "late_by_working_days": d.late_by,
                "received_on": d.received_on,
                "error": d.error,
                "error_kind": d.error_kind if d.failed else None,
                "next": (WAITS if d.state == "failed" else RETRIED) if d.failed else None,
                "attempts": d.attempts,
                "amendments_included": list(d.amendments_included or ()),
                "files": [f"{f['name']} sha256:{f['sha256']}" for f in d.files],
            }
            for d in deliveries
        ),
        handovers=tuple(
            {
                "copy": h.copy_key,
                "on": h.on,
                "recorded_by": h.by,
                "correction": h.correction,
                "note": h.note,
                "recorded_at": h.at,
            }
            for h in handovers
        ),
        checks=(sent_on_time(today, [r for r in copy_rows if r.in_plan], deliveries),)
        if today is not None and copy_rows
        else (),
        store=store,
    )


def _plain(value: Any) -> Any:
    """Dates as ISO dates; times as ISO times with their zone (the store keeps UTC)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat(timespec="seconds")
    return value.isoformat() if isinstance(value, date) else value


def _notice_of(copy_key: str, amendment_id: str) -> bool:
    recipient = copy_key.split("/", 1)[0]
    stem = amendment_copy_key(f"{recipient}/record", "amendment_notice", amendment_id)
    return copy_key == stem or copy_key.startswith(
        (f"{stem}-for-", f"{stem}-authorisation-", f"{stem}-large-print")
    )
