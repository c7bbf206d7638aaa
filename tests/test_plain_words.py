"""What an administrator reads is in plain words (issue 10 item 6): names beside ids, yes/no, times with their zone, no raw control characters, a version, short help, several copies at once, and a `delivered` event for every posted letter.

And what a family reads explains the terms it uses, once, in each copy (issue 16 part 2; R79)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.procedure.profile_files import load_profiles
from pipeline.redaction.plain_language import PlainWords
from tests import service_harness
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.readability import Document, documents_of
from tests.readable_exports import readable_exports

DV = "CPC-2026-0412"
runner = CliRunner()


def test_version_and_short_help() -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0
    assert version.output.startswith("cpc ") and version.output.strip().split()[1][0].isdigit()
    short = runner.invoke(app, ["distribute", "-h"])
    assert short.exit_code == 0
    assert "Usage" in short.output
    (dry_run,) = [line for line in short.output.splitlines() if "--dry-run" in line]
    assert "bool" not in dry_run  # a flag, not an option taking a value


def test_status_and_history_name_people_and_say_times_with_their_zone(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    data = example("initial-domestic-abuse")
    service.drop(data)
    service.distribute("2026-11-24")
    police = next(p for p in data["people"] if p["id"] == "p-police")
    social_worker = next(p for p in data["people"] if p["id"] == "p-sw")

    status = service.cpc("status", "--today", "2026-11-25")
    # The records to hand over name the social worker beside their id.
    assert f"{social_worker['name']} (" in status and "p-sw)" in status
    assert "True" not in status and "False" not in status
    history = service.cpc("history", DV)
    assert police["name"].split()[-1] in history  # the table wraps long cells: the surname
    assert " GMT" in history  # delivered at, received at: UK time with its zone (November)
    as_json = json.loads(service.cpc("history", DV, "--format", "json"))
    assert all(r["received_at"].endswith("+00:00") for r in as_json["revisions"])
    delivered = next(d for d in as_json["deliveries"] if d["copy"] == "p-police/record")
    assert police["name"] in delivered["recipient_name"]
    assert "p-police" in delivered["recipient_name"]


def test_control_characters_in_a_file_name_are_shown_escaped(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path)
    service.drop(example("review-plan-ends"))
    name = "evil\x1b[2J\rname.json"
    bad = tmp_path / "inbox" / "exports" / name
    bad.write_bytes(b"{not json")
    service.cpc("ingest", code=1)
    status = service.cpc("status", "--today", "2026-11-25")
    assert "\x1b" not in status and "\r" not in status
    assert "\\x1b[2J\\rname.json" in status


def test_several_copies_are_withdrawn_in_one_command_and_each_refusal_is_said(
    tmp_path: Path,
) -> None:
    service = service_harness.Service(tmp_path)
    service.drop(example("initial-domestic-abuse"))
    output = service.cpc(
        "withdraw", DV, "p-police/record", "p-school/record", "p-nobody/record",
        "--by", "p-chair", "--why", "sent by hand at the meeting", code=1,
    )  # fmt: skip
    assert output.count("withdrawn by p-chair") == 2
    assert "p-nobody/record" in output  # the one that does not exist is said, and exit 1
    for key in ("p-police/record", "p-school/record"):
        assert service.copy(DV, key).status == "withdrawn"


def test_every_posted_letter_has_its_delivered_event(tmp_path: Path) -> None:
    service = service_harness.Service(tmp_path, renderer=FAKE)
    service.drop(example("initial-domestic-abuse"))
    result = runner.invoke(
        app,
        ["distribute", "--today", "2026-11-24", "--workers", "0", "--config", str(service.config)],
        obj=service.tools,
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith('{"at"')]
    posted = [e for e in events if e["event"] == "delivered" and e["channel"] == "post"]
    by_post = [d for d in service.sent(DV) if d.channel == "post"]
    assert by_post
    assert sorted(e["copy"] for e in posted) == sorted(d.copy_key for d in by_post)


# ---- family documents: terms explained once, where they are used (issue 16 part 2; R79) ----------


def _family_documents() -> list[Document]:
    profiles = load_profiles()
    exports = [example("initial-domestic-abuse"), example("pre-birth-scheduled")]
    exports += [example("review-plan-ends"), *readable_exports(50)]
    return [
        d
        for data in exports
        for d in documents_of(data, profiles=profiles)
        if d.audience == "family"
    ]


def _said_and_explained(document_html: str) -> tuple[str, list[str]]:
    """The document's words outside "What some words mean", and the terms that part explains."""
    tree = lxml.html.fromstring(document_html)
    explained = [
        " ".join(s.text_content().split()).lower()
        for s in tree.xpath("//ul[@class='terms']/li/strong")
    ]
    for part in tree.xpath("//ul[@class='terms'] | //h2[. = 'What some words mean']"):
        part.drop_tree()
    return " ".join(tree.text_content().split()), explained


def test_every_term_a_family_copy_uses_is_explained_once_and_no_other() -> None:
    """Each profile term a family reader meets in a copy (the letter's words or the export's) is
    explained in that copy, once; a term the copy never uses is not. Read from the HTML each
    reader gets, so the terms module and the templates cannot drift apart."""
    terms = load_profiles()["default"].terms
    seen: set[str] = set()
    for document in _family_documents():
        said, explained = _said_and_explained(document.html)
        if document.view.child_reader is not None:
            # The child's letter explains its words in its own sentences (test_child_letter
            # scores it for the child's age), with no adults' list of meanings.
            assert explained == [], document.key
            continue
        used = [
            t
            for t in terms
            if re.search(
                rf"(?<![\w-])(?:{re.escape(t)}|{re.escape(t[:-1])}ies|{re.escape(t)}s)(?![\w-])",
                said,
                re.IGNORECASE,
            )
        ]
        assert explained == used, document.key
        seen.update(explained)
    # The shipped words the issue found unexplained are now explained somewhere.
    assert {"child in need plan", "section 47", "core group", "significant harm"} <= seen


def test_the_terms_part_says_what_the_profile_says() -> None:
    terms = load_profiles()["default"].terms
    document = next(d for d in _family_documents() if d.key == "p-mother/record")
    tree = lxml.html.fromstring(document.html)
    items = [" ".join(li.text_content().split()) for li in tree.xpath("//ul[@class='terms']/li")]
    assert f"Section 47: {terms['section 47'].value}" in items
    assert f"Core group: {terms['core group'].value}" in items


def test_iso_dates_in_free_text_are_written_out_for_families_only() -> None:
    words = PlainWords.from_glossary({"SW": "social worker"})
    assert (
        words.plain("Single assessment by 2027-01-15; SW to visit.")
        == "Single assessment by Friday 15 January 2027; social worker to visit."
    )
    # Not a real day, or part of a reference: left as written, never guessed at.
    assert words.plain("due 2026-02-30") == "due 2026-02-30"
    assert words.plain("ref CPC-2026-11-23-1") == "ref CPC-2026-11-23-1"
    # A professional reads the export's words as written.
    assert PlainWords.none().plain("by 2027-01-15") == "by 2027-01-15"
