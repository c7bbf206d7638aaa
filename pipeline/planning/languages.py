"""A copy and its reader's language → what their language asks of it: the line it carries, a
bilingual Welsh letter, and whether it waits for its translation (000 §4.14.9; 002 §22.15; R81, R82).

A reader whose `language` is not the documents' (the profile's `document_language`) gets a line near
the top of each copy, and a translation task for it (`tasks.copy_tasks`). A Welsh speaker at a Welsh
authority whose profile names a Welsh template for the document gets a bilingual letter instead,
which is in their language: no line, no task. Pure, as the rest of planning.
"""

from __future__ import annotations

import dataclasses

from pipeline.contract.export import Export
from pipeline.planning.language_need import ReaderLanguage
from pipeline.planning.plan import PlannedCopy
from pipeline.procedure.profile import Profile
from pipeline.procedure.profile_language import primary

WELSH = "cy"
# Welsh Language Standards: a Welsh authority's letters may be bilingual; see rendering/html.py.
WELSH_SOURCE = (
    "Welsh Language (Wales) Measure 2011; Welsh Language Standards (No. 1) Regulations 2015"
)


def reader_language(
    export: Export, profile: Profile, copy: PlannedCopy, contact: str
) -> ReaderLanguage | None:
    """None where the reader reads the documents' language (or the export does not say)."""
    if export.is_child(copy.recipient):
        return None  # the contract records no language for children (R81)
    language = export.person(copy.recipient).language
    settings = profile.language
    if language is None or primary(language) == settings.document_language:
        return None
    code = primary(language)
    if (
        code == WELSH
        and export.authority.nation == "wales"
        and copy.document in settings.welsh_templates
    ):
        # A bilingual letter is in Welsh too: it needs neither the line nor a translation.
        return ReaderLanguage(language, None, None, WELSH, False, settings.welsh_templates_source)
    lines = settings.help_lines
    own = lines.get(code)
    return ReaderLanguage(
        language,
        lines["en"].replace("{contact}", contact),
        own.replace("{contact}", contact) if own else None,
        None,
        True,
        settings.help_source,
    )


def with_language(export: Export, profile: Profile, copy: PlannedCopy, contact: str) -> PlannedCopy:
    """The copy with its reader's language; held back for its translation where the profile says
    "wait". It awaits the task only where nothing else keeps it waiting: a copy waiting for a
    signature is planned again when it is signed, and waits for its translation then."""
    need = reader_language(export, profile, copy, contact)
    if need is None:
        return copy
    copy = dataclasses.replace(copy, language=need)
    if not need.translation or profile.language.language_copy != "wait":
        return copy
    # Read after "Waiting:" on the front desk and in the status report.
    why = (
        f"its translation (language {need.language}) is not done yet; this authority sends "
        f"the copy once it is ({profile.language.language_copy_source})"
    )
    if copy.status == "ready":
        return dataclasses.replace(copy, status="waiting", reason=why, awaits="translation")
    if copy.status == "waiting":
        return dataclasses.replace(copy, reason=f"{copy.reason}; {why}")
    return copy  # held: the hold is answered first, and the copy planned again


def contact_for(export: Export, social_worker: str | None) -> str:
    """Whom a reader asks for their language help: the social worker, else the authority."""
    authority = export.authority.name
    if social_worker is None:
        return authority
    return f"{export.name_of(social_worker)}, the social worker, at {authority}"
