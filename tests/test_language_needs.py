"""Language needs (issue 16 part 5; R81, R82; 000 §4.14.9; 002 §15.6, §22.15).

A reader whose language is not the documents' gets one translation task per copy and a line near
the top of each copy saying help is coming and how to ask; the profile decides whether the copy
waits for its translation. A Welsh speaker at a Welsh authority whose profile names a Welsh
template gets a bilingual letter, Welsh first. Asserted on what is printed and read aloud.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from pipeline.errors import ProfileError, RenderError
from pipeline.planning.plan import DistributionPlan, Task
from pipeline.planning.recipients import plan_distribution
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.html import DEFAULT_TEMPLATES, Composer
from pipeline.rendering.pdf import render_pdf
from pipeline.service.conference import AmendmentContext, ReadConference, read_conference_copies
from pipeline.service.copy_renderer import Renderer
from tests.backends import on_both_stores
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.readability import reading_age
from tests.service_harness import Service, pdf_text

HELP_LINE = (
    "We will send you this in your language. Or an interpreter will read it with you. "
    "To ask for help, contact"
)
POLISH_LINE = (
    "Wyślemy Ci kopię w Twoim języku albo tłumacz przeczyta ją z Tobą. Zapytaj: {contact}."
)
ISSUED = date(2026, 12, 18)


def read(data: dict[str, Any], profiles_dir: Path | None = None) -> ReadConference:
    profiles = load_profiles([profiles_dir] if profiles_dir else [])
    return read_conference_copies(json.dumps(data).encode(), profiles, AmendmentContext())


def plan_of(conference: ReadConference) -> DistributionPlan:
    return plan_distribution(conference.current.export, conference.profile, conference.calendar)


def html_of(conference: ReadConference, key: str, composer: Composer | None = None) -> str:
    composer = composer or Composer.at()
    current = conference.current
    renderer = Renderer.for_profile(conference.profile, composer)
    view = renderer.view(current.export, current.copies[key], None, ISSUED)
    return composer.html(view)


def translations(plan: DistributionPlan, person: str) -> list[Task]:
    return [t for t in plan.tasks if t.kind == "translation" and t.recipient == person]


def spoken(html: str) -> list[tuple[str, str]]:
    """Each element marked with a language, with its words: what a screen reader switches for."""
    tree = lxml.html.document_fromstring(html)
    return [
        (e.get("lang"), " ".join(e.text_content().split()))
        for e in tree.body.iter()
        if e.get("lang")
    ]


def profile_dir(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(f'name = "{name}"\nextends = "default"\n{text}')
    return folder


# ---- the Welsh speaker ---------------------------------------------------------------------------


def test_welsh_speaker_gets_a_translation_task_and_the_line_in_her_letter() -> None:
    """R81, R82: Chloe Davies speaks Welsh (`language: cy`); the documents are in English."""
    conference = read(example("pre-birth-scheduled"))
    (task,) = translations(plan_of(conference), "p-mum3")
    assert (task.document, task.owner) == ("invitation", "p-sw3")
    assert task.due == conference.current.copies["p-mum3/invitation"].due
    assert "000 §4.14.9" in task.source
    text = pdf_text(render_pdf(html_of(conference, "p-mum3/invitation"), DEFAULT_TEMPLATES))
    assert f"{HELP_LINE} Owain Jones, the social worker, at" in text
    # Near the top: before the letter's own first words.
    assert text.index(HELP_LINE) < text.index("You are invited to")


WELSH_INVITATION = """{%- extends "letters/_base.html" -%}
{% block title %}Gwahoddiad i gynhadledd{% endblock %}
{% block body %}
<p>Fe'ch gwahoddir i gynhadledd ar {{ w.day(v.conference.date) }} am {{ v.children | map(attribute="name") | join(", ") }}.</p>
{% endblock %}
"""


def test_welsh_speaker_at_a_welsh_authority_gets_a_bilingual_letter(tmp_path: Path) -> None:
    """A template written for this test (the project ships no translation it cannot check):
    the Welsh part comes first and is marked `lang="cy"`; a bilingual letter is in Welsh too,
    so no translation task and no line."""
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, templates)
    (templates / "letters" / "cy").mkdir()
    (templates / "letters" / "cy" / "invitation.html").write_text(WELSH_INVITATION)
    profiles = profile_dir(
        tmp_path,
        "cwm-fawr",
        '[language]\nwelsh_templates = { value = ["invitation"], source = "Welsh Language '
        'Standards (No. 1) Regulations 2015" }\n',
    )
    data = example("pre-birth-scheduled")
    data["authority"]["procedure_profile"] = "cwm-fawr"
    conference = read(data, profiles)
    assert translations(plan_of(conference), "p-mum3") == []
    composer = Composer.at(templates)
    html = html_of(conference, "p-mum3/invitation", composer)
    welsh = [words for lang, words in spoken(html) if lang == "cy"]
    assert welsh and welsh[0].startswith("Gwahoddiad i gynhadledd Fe'ch gwahoddir i gynhadledd")
    assert "29 December 2026" in welsh[0]
    text = pdf_text(render_pdf(html, templates))
    assert text.index("Gwahoddiad i gynhadledd") < text.index("Invitation to")
    assert "You are invited to" in text and HELP_LINE not in text
    # The social worker reads English: his letter is English only, from the same templates.
    english = html_of(conference, "p-sw3/invitation", composer)
    assert "Gwahoddiad" not in english and spoken(english) == []


def test_a_welsh_template_the_profile_names_but_the_folder_lacks_is_not_sent_in_english(
    tmp_path: Path,
) -> None:
    profiles = profile_dir(
        tmp_path,
        "cwm-fawr",
        '[language]\nwelsh_templates = { value = ["invitation"], source = "x" }\n',
    )
    data = example("pre-birth-scheduled")
    data["authority"]["procedure_profile"] = "cwm-fawr"
    with pytest.raises(RenderError, match=r"letters/cy/invitation\.html"):
        html_of(read(data, profiles), "p-mum3/invitation")


# ---- the Polish speaker --------------------------------------------------------------------------


def test_polish_speaker_gets_one_translation_task_per_copy_not_two() -> None:
    """Adam Brooks's needs already ask for translation: the language adds no second task."""
    plan = plan_of(read(example("review-plan-ends")))
    documents = [t.document for t in translations(plan, "p-dad")]
    assert sorted(documents) == ["decision_letter", "outline_plan", "record"]
    assert [t.document for t in plan.tasks if t.kind == "interpreter" and t.recipient == "p-dad"]


def test_polish_speaker_without_the_needs_listed_still_gets_the_task() -> None:
    data = example("review-plan-ends")
    dad = next(p for p in data["people"] if p["id"] == "p-dad")
    dad["needs"] = []
    (task,) = [t for t in translations(plan_of(read(data)), "p-dad") if t.document == "record"]
    assert task.owner == "p-sw2" and "R81" in task.source


def test_polish_speakers_line_in_english_and_in_polish_where_the_profile_gives_it(
    tmp_path: Path,
) -> None:
    english_only = html_of(read(example("review-plan-ends")), "p-dad/decision_letter")
    assert spoken(english_only) == [
        ("en-GB", f"{HELP_LINE} Fatima Hussain, the social worker, at Northby Borough Council.")
    ]
    # Family-facing words: the line is held to the reading age of 11 the letters are (issue 16).
    assert reading_age(spoken(english_only)[0][1]) <= 11
    profiles = profile_dir(
        tmp_path,
        "with-polish",
        f'[language_help]\nsource = "test"\nen = "{HELP_LINE} {{contact}}."\npl = "{POLISH_LINE}"\n',
    )
    data = example("review-plan-ends")
    data["authority"]["procedure_profile"] = "with-polish"
    html = html_of(read(data, profiles), "p-dad/decision_letter")
    polish = (
        "Wyślemy Ci kopię w Twoim języku albo tłumacz przeczyta ją z Tobą. Zapytaj: Fatima Hussain"
    )
    assert [lang for lang, _ in spoken(html)] == ["en-GB", "pl"]
    assert spoken(html)[1][1].startswith(polish)
    # The fonts print it: its letters come back out of the PDF as they went in.
    assert polish in pdf_text(render_pdf(html, DEFAULT_TEMPLATES))


def test_the_record_carries_the_line_too() -> None:
    """000 §4.14.9 is about the record: its reader needs to know the help is coming as much."""
    data = example("initial-domestic-abuse")
    father = next(p for p in data["people"] if p["id"] == "p-father")
    father["language"] = "pl"
    conference = read(data)
    keys = [k for k, c in conference.current.copies.items() if k.startswith("p-father/record")]
    assert keys and conference.current.copies[keys[0]].status == "ready"
    (line,) = spoken(html_of(conference, keys[0]))
    assert line[0] == "en-GB" and line[1].startswith(HELP_LINE)
    assert any(t.document == "record" for t in translations(plan_of(conference), "p-father"))


def test_an_english_speaker_gets_no_line_and_no_task() -> None:
    """The DV example's parents say `language: en`; their copies carry no line, raise no task."""
    data = example("initial-domestic-abuse")
    mother = next(p for p in data["people"] if p["id"] == "p-mother")
    mother["language"] = "en-GB"  # its region does not make it another language
    conference = read(data)
    plan = plan_of(conference)
    for person in ("p-mother", "p-father"):
        assert translations(plan, person) == []
    keys = [k for k in conference.current.copies if k.split("/")[0] in ("p-mother", "p-father")]
    assert keys
    for key in keys:
        if conference.current.copies[key].status == "ready":
            html = html_of(conference, key)
            assert HELP_LINE not in html and spoken(html) == []


# ---- waiting for the translation -------------------------------------------------------------------

WAIT = (
    '[language]\nlanguage_copy = { value = "wait", source = "the authority sends a translated '
    "reader's copy only once translated (test)\" }\n"
)


@on_both_stores
def test_wait_holds_the_copy_until_its_translation_is_done_then_it_goes(tmp_path: Path) -> None:
    service = Service(tmp_path / "svc", renderer=FAKE)
    service.with_profile("waits", 'name = "waits"\nextends = "default"\n' + WAIT)
    data = example("review-plan-ends")
    data["authority"]["procedure_profile"] = "waits"
    conference = data["conference"]["id"]
    service.drop(data)
    service.distribute("2026-11-20")
    row = service.copy(conference, "p-dad/decision_letter")
    assert row.status == "waiting"
    assert row.reason is not None and "translation" in row.reason and "(test)" in row.reason
    assert service.sent(conference, "p-dad/decision_letter") == []
    assert service.sent(conference, "p-mum/decision_letter-large-print")  # the others went
    status = json.loads(service.cpc("status", "--today", "2026-11-20", "--format", "json"))
    (waiting,) = [c for c in status["waiting"] if c["copy"] == "p-dad/decision_letter"]
    assert waiting["reason"].startswith("its translation (language pl) is not done yet")
    service.cpc(
        "task-done", conference, "--task", "translation", "--for", "p-dad",
        "--document", "decision_letter", "--by", "p-sw2", "--on", "2026-11-20",
    )  # fmt: skip
    service.distribute("2026-11-20")
    assert service.copy(conference, "p-dad/decision_letter").status == "delivered"
    assert len(service.sent(conference, "p-dad/decision_letter")) == 1


def test_send_and_task_is_the_default_and_the_copy_goes() -> None:
    copy = read(example("review-plan-ends")).current.copies["p-dad/decision_letter"]
    assert copy.status == "ready" and copy.awaits is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[language]\nlanguage_copy = { value = "later", source = "x" }\n', "language.language_copy"),
        ('[language]\nlanguage_copies = { value = "wait", source = "x" }\n', "language.language_copies"),
        ('[language]\ndocument_language = { value = "English", source = "x" }\n', "language.document_language"),
        ('[language_help]\nsource = "x"\npl = "Polish only"\n', "language_help.en"),
    ],
)  # fmt: skip
def test_a_bad_language_setting_is_a_profile_error_naming_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ProfileError, match=named.replace(".", r"\.")):
        load_profiles([profile_dir(tmp_path, "bad", text)])
