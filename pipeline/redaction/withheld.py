"""An Export and a Viewer → every string that must not reach that viewer, for the leak check on output bytes.

Computed from the export, not from the view, so that a mistake in building the view is caught
rather than repeated. The set covers the whole export, not one document: what is withheld from a
person must be absent from every file they receive (spec §4 rule 6). A withheld string that is
also part of something the viewer may see is dropped from the set: its presence proves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pipeline.comparison import normalise, pattern_forms
from pipeline.contract.export import Export
from pipeline.planning.documents import documents_at, free_text
from pipeline.planning.mentions import withheld_contacts
from pipeline.planning.readers import Viewer
from pipeline.redaction.plain_language import PlainWords


def withheld_strings(
    export: Export,
    viewer: Viewer,
    words: PlainWords | None = None,
    own_lines: Iterable[str] = (),
) -> tuple[str, ...]:
    """Strings of `export` that `viewer` may not see anywhere, sorted, without duplicates.

    With `words` (the glossary family views are written in), each string is also listed as a
    family reader would be shown it, acronyms written out, so the check sees it in either form.
    `own_lines`: as for `withheld_patterns`; a contact form within them is not looked for.
    """
    plain = words if words is not None and viewer.audience == "family" else PlainWords.none()
    visible = [normalise(text) for text in _visible_text(export, viewer)]
    content = {
        form
        for text in _withheld_content(export, viewer)
        for form in {text, plain.plain(text)}
        if normalise(form) and not any(normalise(form) in seen for seen in visible)
    }
    # Contact details are never dropped, even if they also stand in text the reader may see:
    # there they are a mention the plan holds for the chair (spec §4 rule 4), not a licence.
    own = normalise(" ".join(own_lines)) if own_lines else ""
    contacts = {
        text
        for text in _withheld_contacts(export, viewer)
        if normalise(text) and not (own and normalise(text) in own)
    }
    return tuple(sorted(content | contacts))


def _withheld_content(export: Export, viewer: Viewer) -> Iterator[str]:
    record = export.record
    if record is not None:
        for section in record.sections:
            if not viewer.may_see_section(section):
                yield section.heading
                yield from section.paragraphs
        for report in record.appended_reports:
            if not viewer.may_see(report.visibility):
                yield report.title
        for item in export.agenda:
            if not viewer.may_see_agenda_title(item.id, record.sections):
                yield item.title
    yield from _withheld_reports(export, viewer)
    if export.plan is not None:
        for child_plan in export.plan.children:
            for outcome in child_plan.outcomes:
                for action in outcome.actions:
                    if not viewer.may_see(action.visibility):
                        yield action.action


def _withheld_reports(export: Export, viewer: Viewer) -> Iterator[str]:
    """The reports' content withheld from the viewer: a whole report withheld from them, or a
    section withheld or confidential (spec §4 rules 1-3, 6). A report only left out of a parent's
    pack (000 §4.5.10) or not appended to the record (R19) is not withheld by the chair: the
    viewer may see it elsewhere, so it is not looked for."""
    for report in export.conference_reports():
        whole = not viewer.may_see(report.visibility)
        if whole:
            yield report.title
        for section in report.sections:
            if whole or not viewer.may_see(section.visibility):
                yield section.heading
                yield from section.paragraphs


def _withheld_contacts(export: Export, viewer: Viewer) -> Iterator[str]:
    """Spec §4 rule 4: the address and e-mail of anyone who withholds them from the viewer, as
    text: each identifying line whole (street words in each spelling), the postcode, the e-mail
    and its written-out forms. The other forms (a street's name alone) are patterns:
    `withheld_patterns`."""
    for contact in withheld_contacts(export, viewer.persons):
        yield from contact.forms


def withheld_patterns(
    export: Export, viewer: Viewer, own_lines: Iterable[str] = ()
) -> tuple[re.Pattern[str], ...]:
    """Every form of a contact detail withheld from `viewer` that counts as a mention (spec §4
    rule 4), as patterns over `pipeline.comparison.match_form` text, for the byte check.

    `own_lines`: address lines printed on the copy that prove nothing (the reader's own address
    block, the authority's letterhead). A form that is part of them (the reader lives on the same
    street) is not looked for in the files; the plan's guard has already held any free text
    naming it."""
    own = [form for line in own_lines for form in pattern_forms(line)]
    return tuple(
        pattern
        for contact in withheld_contacts(export, viewer.persons)
        for pattern in contact.patterns
        if not any(pattern.search(line) for line in own)
    )


def _visible_text(export: Export, viewer: Viewer) -> Iterator[str]:
    # What the reader is shown at this stage; something shown at another proves nothing now.
    for document in documents_at(export.conference.stage):
        # An exclusion letter is about its reader or the person they hold it for.
        for subject in sorted(viewer.persons):
            for _, text in free_text(export, document, viewer, subject=subject):
                yield text
    for person in export.people:
        yield person.name
    for child in export.children:
        yield child.name
