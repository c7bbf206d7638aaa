"""A conference with a new export revision or amendment → its copies saved in the store again.

Each copy with its content fingerprint and what the service will do with it (spec §5: a copy
whose content did not change is not sent again).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

from pipeline.planning.amendments import ConferenceCopies
from pipeline.procedure.profile import Profile
from pipeline.rendering.html import Composer
from pipeline.service.conference import Conference, load_conference, read_conference_copies
from pipeline.service.copy_renderer import Renderer
from pipeline.service.copy_states import CopyHistory, has_content
from pipeline.service.summary import plain_error
from pipeline.store.db import Store, StoredDelivery


def _holding(
    conference: Conference,
    earlier: Callable[[int], ConferenceCopies],
    renderer: Renderer,
    key: str,
    current: str | None,
    last: StoredDelivery,
) -> StoredDelivery:
    """What the holder of a delivered copy has now, as a fingerprint worked out by this
    renderer, never the one stored when it was sent: a new template, stylesheet or release of
    the service changes every fingerprint, and must not make a copy look changed (re-sent, or
    held as changed after it was sent) when its case did not change.

    A record is the record as sent with every agreed amendment, since each came to them as a
    notice (spec §5); any other copy is its revision's. Equal to the current copy's unless a
    new export revision changed what it says."""
    if last.revision == conference.stored.revision:
        return dataclasses.replace(last, fingerprint=current or last.fingerprint)
    then = earlier(last.revision)
    copy = then.copies.get(key)
    if copy is None or not has_content(copy):
        return last
    amendment = None if copy.document == "record" else then.amendment_of.get(key)
    return dataclasses.replace(last, fingerprint=renderer.fingerprint(then.export, copy, amendment))


def replan(
    store: Store, conference: Conference, composer: Composer, profiles: dict[str, Profile]
) -> None:
    """Save the conference's current copies: each with its content fingerprint and what the
    service will do with it (re-planning a new revision; amendments)."""
    conference_id = conference.stored.conference_id
    renderer = Renderer.for_profile(conference.profile, composer)
    existing = {row.copy_key: row for row in store.copy_rows(conference_id)}
    history = CopyHistory.read(store, conference_id, conference.stored.revision)
    amendment_of = conference.read.current.amendment_of

    @functools.cache
    def earlier(revision: int) -> ConferenceCopies:
        # An earlier revision is read once however many of its records were delivered.
        raw = store.export_raw(conference_id, revision)
        return read_conference_copies(raw, profiles, conference.context).current

    rows = []
    for key, copy in conference.copies.items():
        fingerprint = (
            renderer.fingerprint(conference.export, copy, amendment_of.get(key))
            if has_content(copy)
            else None
        )
        previous = history.last.get(key)
        if previous is not None and previous.state == "sent":
            previous = _holding(conference, earlier, renderer, key, fingerprint, previous)
        state = history.state(key, copy, fingerprint, existing.get(key), previous)
        rows.append(
            {
                "copy_key": key,
                "recipient": copy.recipient,
                "document": copy.document,
                "view": copy.view,
                "plan_status": copy.status,
                "status": state.status,
                "reason": state.reason,
                # A release the chair made after a person checked stays readable to the run.
                "hold_kind": "short_items" if state.checked_by_person else state.hold_kind,
                "due": copy.due,
                "via": copy.via,
                "handover_by": copy.handover_by,
                "channel_hint": copy.channel,
                "recipient_class": copy.recipient_class,
                "on_behalf_of": copy.on_behalf_of,
                "fingerprint": fingerprint,
            }
        )
    store.save_plan(
        conference_id,
        conference.stored.revision,
        [c.to_json() for c in conference.plan.checks],
        rows,
        [
            {
                "kind": t.kind,
                "owner": t.owner,
                "recipient": t.recipient,
                "document": t.document,
                "due": t.due,
                "report": t.report,
            }
            for t in conference.plan.tasks
        ],
        amendments_not_made=len(conference.read.current.failed),
    )


def replan_new_revisions(
    store: Store,
    profiles: dict[str, Profile],
    composer: Composer,
    not_planned: Callable[[str, Exception], None] | None = None,
) -> list[str]:
    """Plan again every conference whose plan is out of date. One that cannot be planned (its
    profile gone, a fault in the plan) is passed to `not_planned`, recorded in the store and
    skipped: every other conference is still planned and sent. Without
    `not_planned` the error is raised."""
    replanned = []
    for row in store.unplanned_rows():  # the planned ones are not read
        conference_id = row.conference_id
        try:
            conference = load_conference(store, conference_id, profiles)
            replan(store, conference, composer, profiles)
        except Exception as exc:
            if not_planned is None:
                raise
            store.set_plan_error(conference_id, plain_error(exc))
            not_planned(conference_id, exc)
            continue
        if row.plan_error is not None:
            store.set_plan_error(conference_id, None)
        replanned.append(conference_id)
    return replanned
