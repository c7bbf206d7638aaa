"""An amendment the chair decided and one copy of the record → the notice or rejection letter's view.

Built on the record copy's own view (`view._ViewBuilder`), so the letter names only sections that
copy holds (spec §5: nobody learns of a section they could not see).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.readers import changes_held
from pipeline.redaction.dating import Day
from pipeline.redaction.facts import AmendmentFacts, ChangeFacts, RecipientView
from pipeline.redaction.language_help import language_help
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import ViewBuilder, explained


def amendment_view(
    export: Export,
    copy: PlannedCopy,
    amendment: Amendment,
    words: PlainWords,
    issued_on: Day = None,
) -> RecipientView:
    """An amendment notice: only the changes to sections the reader's copy of the record holds
    (spec §5: nobody learns of a section they could not see). Dated the day it is issued; the
    day the chair agreed it is in its text."""
    if amendment.decision.status != "agreed":
        # 002 §22.7 (R61): only amendments the chair agreed are circulated.
        raise ValueError(f"amendment {amendment.amendment_id} is {amendment.decision.status}")
    builder = ViewBuilder(export, copy, words, issued_on)
    changes = _changes_seen(builder, export, copy, amendment)
    facts = AmendmentFacts(amendment.amendment_id, amendment.decision.on, changes)
    return _letter_about(builder, "amendment_notice", facts, words)


def _changes_seen(
    builder: ViewBuilder, export: Export, copy: PlannedCopy, amendment: Amendment
) -> tuple[ChangeFacts, ...]:
    """The amendment's changes to sections the reader's copy holds; the rest are not named."""
    return tuple(
        ChangeFacts(builder.text(section.heading), builder.text(c.replace), builder.text(c.with_))
        for _, c, section in changes_held(export, builder.viewer, amendment)
    )


def rejection_view(
    export: Export,
    copy: PlannedCopy,
    amendment: Amendment,
    words: PlainWords,
    issued_on: Day = None,
) -> RecipientView:
    """The letter telling the requester the chair did not agree their amendment, with the chair's
    note; it names only sections their copy holds. Dated the day issued; decided on: in the text."""
    if amendment.decision.status != "rejected":
        raise ValueError(f"amendment {amendment.amendment_id} is {amendment.decision.status}")
    builder = ViewBuilder(export, copy, words, issued_on)
    changes = _changes_seen(builder, export, copy, amendment)
    note = amendment.decision.note
    facts = AmendmentFacts(
        amendment.amendment_id,
        amendment.decision.on,
        changes,
        received_on=amendment.received_on,
        note=builder.text(note) if note else None,
    )
    return _letter_about(builder, "amendment_rejection", facts, words)


def _letter_about(
    builder: ViewBuilder,
    document: Literal["amendment_notice", "amendment_rejection"],
    facts: AmendmentFacts,
    words: PlainWords,
) -> RecipientView:
    """The record copy's view made a letter about one amendment: addressed to its reader, with
    the language line as on the record it answers (000 §4.14.9; R81, R82), and nothing of the
    record's own decisions, plan or sections."""
    return explained(
        dataclasses.replace(
            builder.build(),
            document=document,
            addressee=builder.addressee(),
            decisions=(),
            plan=None,
            record=None,
            language_help=language_help(builder.copy),
            amendment=facts,
        ),
        words,
    )
