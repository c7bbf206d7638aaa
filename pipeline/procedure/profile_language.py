"""A profile's `[language]` and `[language_help]` tables → the validated language settings.

What a reader whose language is not the document's is given (000 §4.14.9; 002 §22.15; R81, R82):
the language documents are written in, whether their copy waits for its translation or goes with
a task raised, which documents a Welsh authority has Welsh templates for, and the line each such
copy carries, in English and in the languages the authority supplies words for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pipeline.errors import ProfileError

LanguageCopy = Literal["wait", "send_and_task"]
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")  # as the contract's `language`
_NEEDS_SOURCE = "000 §4.14.9; 002 §22.15; R81"
# Said where the profile says nothing: what any authority can promise, and how to ask.
DEFAULT_HELP_EN = (
    "We will send you this in your language. Or an interpreter will read it with you. "
    "To ask for help, contact {contact}."
)


@dataclass(frozen=True, slots=True)
class LanguageSettings:
    """`document_language`: the language the documents are written in (a primary subtag).
    `language_copy`: "wait" holds a reader's copy until their translation is done;
    "send_and_task" sends it and raises the task. `welsh_templates`: the documents this
    authority has a Welsh template for (templates/letters/cy/), for bilingual letters.
    `help_lines`: the line by language code ("en" always); `{contact}` is where to ask."""

    document_language: str = "en"
    document_language_source: str = "the documents are written in English (spec §2)"
    language_copy: LanguageCopy = "send_and_task"
    language_copy_source: str = _NEEDS_SOURCE + ": the copy goes, and the translation is a task"
    welsh_templates: frozenset[str] = frozenset()
    welsh_templates_source: str = "no Welsh templates"
    help_lines: Mapping[str, str] = field(default_factory=lambda: {"en": DEFAULT_HELP_EN})
    help_source: str = _NEEDS_SOURCE


def primary(code: str) -> str:
    """ "en-GB" → "en": readers of one language, whatever its region."""
    return code.split("-", 1)[0].lower()


def _sourced(table: Mapping[str, Any], key: str, origin: str) -> tuple[Any, str] | None:
    entry = table.get(key)
    if entry is None:
        return None
    if not isinstance(entry, dict) or set(entry) != {"value", "source"}:
        raise ProfileError(
            f"profile {origin}: language.{key} must be {{ value = ..., source = ... }}"
        )
    if not isinstance(entry["source"], str) or not entry["source"].strip():
        raise ProfileError(f"profile {origin}: language.{key} needs its source")
    return entry["value"], entry["source"]


# The document kinds a profile may name Welsh templates for (pipeline.planning.documents lists
# the same kinds; procedure sits below planning, so it names them here).
LETTER_KINDS = (
    "invitation",
    "exclusion_letter",
    "cancellation_notice",
    "decision_letter",
    "outline_plan",
    "record",
    "plan_ended_notice",
    "amendment_notice",
    "amendment_rejection",
    "report_pack",
)


def language_settings(
    table: Mapping[str, Any], help_table: Mapping[str, Any], origin: str
) -> LanguageSettings:
    """Every key checked: a misspelt one or a bad value is a profile error naming the key."""
    settings = LanguageSettings()
    known = ("document_language", "language_copy", "welsh_templates")
    for key in table:
        if key not in known:
            raise ProfileError(
                f"profile {origin}: language.{key} is not a known setting (known: {', '.join(known)})"
            )
    values: dict[str, Any] = {}
    if (given := _sourced(table, "document_language", origin)) is not None:
        value, source = given
        if not isinstance(value, str) or not _LANGUAGE_CODE.match(value):
            raise ProfileError(
                f"profile {origin}: language.document_language must be a language code such as "
                f"'en' or 'cy', not {value!r}"
            )
        values.update(document_language=primary(value), document_language_source=source)
    if (given := _sourced(table, "language_copy", origin)) is not None:
        value, source = given
        allowed = get_args(LanguageCopy)
        if value not in allowed:
            raise ProfileError(
                f"profile {origin}: language.language_copy must be "
                f"{' or '.join(repr(a) for a in allowed)}, not {value!r}"
            )
        values.update(language_copy=value, language_copy_source=source)
    if (given := _sourced(table, "welsh_templates", origin)) is not None:
        value, source = given
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProfileError(
                f"profile {origin}: language.welsh_templates must be a list of documents, "
                "such as ['invitation']"
            )
        unknown = sorted(set(value) - set(LETTER_KINDS))
        if unknown:
            # A misspelt kind would quietly post English to a Welsh speaker.
            raise ProfileError(
                f"profile {origin}: language.welsh_templates names {', '.join(map(repr, unknown))}, "
                f"not a document kind ({', '.join(LETTER_KINDS)})"
            )
        values.update(welsh_templates=frozenset(value), welsh_templates_source=source)
    if help_table:
        values.update(_help(help_table, origin))
    return LanguageSettings(**{**_as_dict(settings), **values})


def _help(table: Mapping[str, Any], origin: str) -> dict[str, Any]:
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ProfileError(f"profile {origin}: language_help needs its source")
    lines: dict[str, str] = {}
    for code, line in table.items():
        if code == "source":
            continue
        if not _LANGUAGE_CODE.match(code) or not isinstance(line, str) or not line.strip():
            raise ProfileError(
                f"profile {origin}: language_help.{code} must be a language code with its line"
            )
        lines[primary(code)] = line
    if "en" not in lines:
        raise ProfileError(f"profile {origin}: language_help.en is missing (the English line)")
    return {"help_lines": lines, "help_source": source}


def _as_dict(settings: LanguageSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in LanguageSettings.__slots__}
