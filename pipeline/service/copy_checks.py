"""A copy about to leave → held, with the reason, if it prints what its reader may not see.

Two checks, both on what is printed: the words of the document (before layout: a withheld
contact named in it, spec §4 rule 4) and the bytes of its files (after: the leak check, rule 6).
"""

from __future__ import annotations

import lxml.html

from pipeline.checking.leak_check import leak_report
from pipeline.contract.amendment import Amendment
from pipeline.contract.export import Export
from pipeline.delivery.preview import RenderedCopy
from pipeline.errors import UnreadableFile
from pipeline.planning.documents import amendment_text, authorisation_text, free_text
from pipeline.planning.mentions import first_mention, mention_reason, withheld_contacts
from pipeline.planning.plan import PlannedCopy
from pipeline.planning.readers import Viewer
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.withheld import withheld_patterns, withheld_strings

# The reader's own address block and the authority's letterhead: printed on every copy of theirs
# and no mention of anyone's withheld address (the plan's guard holds free text that names one).
OWN_BLOCKS = ("address", "letterhead")


def printed_text(html: str, skip: tuple[str, ...] = ()) -> str:
    if not html.strip():
        return ""
    tree = lxml.html.fromstring(html)
    for element in list(tree.iter()):
        if element.get("class") in skip and element.getparent() is not None:
            element.drop_tree()
    return tree.text_content()


def withheld_contact_in(
    export: Export,
    copy: PlannedCopy,
    readers: Viewer,
    printed: tuple[str, ...],
    amendment: Amendment | None,
) -> str | None:
    """Spec §4 rule 4 again, on the words about to be printed: the plan looked at the free text
    it knows of, field by field; this looks at those fields again (the reason names the one),
    then reads the document itself, so no template can bring in more."""
    contacts = withheld_contacts(export, readers.persons)
    if not contacts:
        return None
    subject = copy.on_behalf_of or copy.recipient  # whom an exclusion letter is about
    fields = list(free_text(export, copy.document, copy.viewer, subject))
    if copy.authorisation is not None:
        fields.extend(authorisation_text(export, copy.authorisation))
    if amendment is not None:
        fields.extend(amendment_text(export, copy.document, copy.viewer, amendment))
    found = first_mention(fields, contacts, export.authority.address)
    if found is None:
        # The whole document, less the reader's address block and the letterhead: words the
        # fields above do not cover. The council's own address (its complaints contact, say)
        # is read as the council's, as in those fields.
        where = f"the {copy.document.replace('_', ' ')}"
        printed_fields = ((f"authority.printed ({where})", text) for text in printed)
        found = first_mention(printed_fields, contacts, export.authority.address)
        if found is not None:
            found = (where, found[1])
    return None if found is None else mention_reason(*found, copy.via)


def _own_lines(export: Export, copy: PlannedCopy) -> tuple[str, ...]:
    """Address lines every copy of this reader's prints that prove nothing: the recipient's own
    address block, and the authority's letterhead (a council on the mother's street is no leak)."""
    lines: list[str] = []
    for address in (
        None if export.is_child(copy.recipient) else export.person(copy.recipient).address,
        export.authority.address,
    ):
        if address is not None:
            lines.extend((*address.lines, address.postcode))
    return tuple(lines)



def checked_files(
    export: Export,
    copy: PlannedCopy,
    readers: Viewer,
    words: PlainWords,
    files: tuple[tuple[str, bytes], ...],
    checked_by_person: bool,
) -> RenderedCopy:
    """The copy ready with its files, or held with the reason: the leak check reads every
    file's bytes as it will be sent, for anything withheld from its readers."""
    own_lines = _own_lines(export, copy)
    withheld = withheld_strings(export, readers, words, own_lines)
    patterns = withheld_patterns(export, readers, own_lines)
    if not withheld and not patterns:
        # Nothing is withheld from this reader (most professionals): nothing to look for.
        return RenderedCopy(copy, files, "ready", None)
    try:
        report = leak_report(dict(files), withheld, patterns)
    except UnreadableFile as exc:
        # What cannot be read back cannot be proved clean: hold it, never ship it.
        return RenderedCopy(
            copy, (), "held", f"held: the leak check could not read a file ({exc})", "unreadable"
        )
    if report.leaks:
        where = "; ".join(f"{leak.file_name} ({leak.where})" for leak in report.leaks[:3])
        return RenderedCopy(
            copy,
            (),
            "held",
            f"held for the chair: the leak check found withheld content in {where}; "
            "nothing was sent (spec §4 rule 6)",
            "leak",
        )
    if report.skipped and not checked_by_person:
        # A withheld item of a few characters (a two-letter house name such as "Tŷ") cannot be
        # looked for without matching everywhere; unproved is not clean, so a person decides.
        return RenderedCopy(
            copy,
            (),
            "held",
            f"held for the chair: {len(report.skipped)} withheld item(s) too short for the "
            "leak check to look for; nothing was sent (spec §4 rule 6)",
            "short_items",
        )
    return RenderedCopy(copy, files, "ready", None)
