"""The date a document carries is the day it is issued, and an updated copy names what it replaces (issue 3).

Letters were dated with the export's date: an invitation dated 17 December was posted on
1 December. Here a run dates its letters the day it runs (the day the delivery history records
as sent), the preview its `--today`, an amendment notice the day it goes (the chair's decision day
stays in its text), and an updated copy names the day the copy it replaces was sent and the
revision it is made from. The date is not part of what a run compares, so a run on another day
sends nothing again and holds nothing twice. Each test reads back the page a person would
receive; the copies it does not read are made by the fake renderer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.cli.exit_codes import REFUSED
from tests.backends import on_both_stores
from tests.conftest import EXAMPLES, example
from tests.fake_renderer import FAKE, LaidOutFor
from tests.service_harness import Service, pdf_text

DV = "CPC-2026-0412"  # initial-domestic-abuse.json: exported 30 November 2026
PRE_BIRTH = "CPC-2026-0777"  # pre-birth-scheduled.json: exported 17 December 2026
POLICE_LETTER = "p-police/decision_letter"
runner = CliRunner()


def _dated(text: str) -> str:
    """The date line the letter prints under its address block, as the reader sees it."""
    found = re.findall(r"Date: ([A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4})", text)
    assert len(found) == 1, text
    return found[0]


def _revision(n: int) -> dict[str, Any]:
    data = example("initial-domestic-abuse")
    data["revision"] = n
    data["export_id"] = f"EXP-DV-{n}"
    return data


def _changed_letter(n: int) -> dict[str, Any]:
    """A revision that changes what the decision letter says (a recommendation added)."""
    data = _revision(n)
    data["decisions"][0]["recommendations"].append("School to arrange weekly check-ins.")
    return data


@on_both_stores
def test_a_run_dates_its_letters_the_day_it_runs_not_the_day_of_the_export(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, renderer=LaidOutFor((POLICE_LETTER,)))
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-12-01")
    text = pdf_text(service.outbox(DV, "p-police", "decision_letter.pdf").read_bytes())
    assert _dated(text) == "Tuesday 1 December 2026"
    # The letter and the delivery history agree: dated the day it was sent.
    (sent,) = service.sent(DV, POLICE_LETTER)
    assert sent.sent_on == date(2026, 12, 1)


@on_both_stores
def test_an_updated_copy_names_the_copy_it_replaces_by_its_sent_date_and_its_revision(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, renderer=LaidOutFor((POLICE_LETTER,)))
    service.drop(_revision(1))
    service.distribute("2026-12-01")
    service.drop(_changed_letter(2))
    service.distribute("2026-12-02")  # held for the chair: it changed after it was sent
    service.cpc("release", DV, POLICE_LETTER, "--by", "p-chair", "--why", "recommendation added")
    service.distribute("2026-12-03")

    folder = service.outbox(DV, "p-police")
    (updated,) = folder.glob("decision_letter-updated-*.pdf")
    text = pdf_text(updated.read_bytes())
    assert _dated(text) == "Thursday 3 December 2026"
    assert (
        "Updated copy: this replaces the copy sent on 1 December 2026. It is made from "
        "revision 2 of the conference record."
    ) in text
    assert "School to arrange weekly check-ins." in text
    # The first copy is left as it was sent: dated its own day, with no edition line.
    first = pdf_text((folder / "decision_letter.pdf").read_bytes())
    assert _dated(first) == "Tuesday 1 December 2026" and "Updated copy" not in first


@on_both_stores
def test_runs_on_later_days_send_nothing_again_and_hold_a_changed_copy_once(
    tmp_path: Path,
) -> None:
    """The issue date is not part of what a run compares (the copy's fingerprint): were it, each
    day's run would find every copy changed and send it again, or hold it again."""
    service = Service(tmp_path, renderer=FAKE)
    service.drop(_revision(1))
    assert "Delivered: 0" not in service.distribute("2026-12-01")
    store = service.store()
    try:
        fingerprints = {r.copy_key: r.fingerprint for r in store.copy_rows(DV)}
    finally:
        store.close()
    assert "Delivered: 0 (none)" in service.distribute("2026-12-02")
    assert "Delivered: 0 (none)" in service.distribute("2026-12-07")
    assert len(service.sent(DV, POLICE_LETTER)) == 1
    store = service.store()
    try:
        assert {r.copy_key: r.fingerprint for r in store.copy_rows(DV)} == fingerprints
    finally:
        store.close()

    service.drop(_changed_letter(2))
    seen = []
    for day in ("2026-12-08", "2026-12-09", "2026-12-10"):
        assert "Delivered: 0 (none)" in service.distribute(day)
        held = service.copy(DV, POLICE_LETTER)
        status = json.loads(service.cpc("status", "--today", day, "--format", "json"))
        holds = [r for r in status["held"] if r["copy"] == POLICE_LETTER]
        assert len(holds) == 1, holds
        seen.append((held.status, held.hold_kind, held.reason, held.fingerprint))
    # One hold, the same each day: the day the run is on changes neither it nor its content.
    assert len(set(seen)) == 1, seen
    assert seen[0][:2] == ("held", "changed_after_sent")
    assert "sent on 2026-12-01" in (seen[0][2] or "")
    assert len(service.sent(DV, POLICE_LETTER)) == 1


@on_both_stores
def test_an_amendment_notice_is_dated_the_day_it_goes_and_says_when_the_chair_agreed_it(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path, renderer=LaidOutFor(("p-police/amendment_notice",)))
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-12-01")
    service.drop(example("amendment-agreed"))  # agreed by the chair on 4 December 2026
    service.distribute("2026-12-07")
    (notice,) = service.outbox(DV, "p-police").glob("amendment_notice-*.pdf")
    text = pdf_text(notice.read_bytes())
    assert _dated(text) == "Monday 7 December 2026"
    assert "This was agreed on Friday 4 December 2026" in text


def _preview(out: Path, *options: str) -> Any:
    return runner.invoke(
        app,
        ["process", "--outbox", str(out), *options, str(EXAMPLES / "pre-birth-scheduled.json")],
    )


def test_the_preview_dates_its_documents_with_its_today(
    tmp_path: Path, real_now: Callable[[datetime], None]
) -> None:
    real_now(datetime(2026, 12, 21, 12, 0, tzinfo=UTC))
    given = _preview(tmp_path / "given", "--today", "2026-12-18")
    assert given.exit_code == 0, given.output
    invitation = tmp_path / "given" / PRE_BIRTH / "p-sw3" / "invitation.pdf"
    assert _dated(pdf_text(invitation.read_bytes())) == "Friday 18 December 2026"

    # Without --today: the real today, in the UK.
    default = _preview(tmp_path / "default")
    assert default.exit_code == 0, default.output
    invitation = tmp_path / "default" / PRE_BIRTH / "p-sw3" / "invitation.pdf"
    assert _dated(pdf_text(invitation.read_bytes())) == "Monday 21 December 2026"


def test_the_preview_refuses_a_today_still_to_come_naming_the_option(
    tmp_path: Path, real_now: Callable[[datetime], None]
) -> None:
    real_now(datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    result = _preview(tmp_path / "out", "--today", "2026-12-21")
    assert result.exit_code == REFUSED
    assert "--today 2026-12-21 is after today (2026-12-20)" in result.output
    assert not (tmp_path / "out").exists()  # nothing was written


def test_the_preview_refuses_to_date_a_document_before_its_export_was_made(
    tmp_path: Path, real_now: Callable[[datetime], None]
) -> None:
    real_now(datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    result = _preview(tmp_path / "out", "--today", "2026-12-16")
    assert result.exit_code == REFUSED
    assert "--today 2026-12-16 is before the export was made (2026-12-17" in result.output
    assert not list((tmp_path / "out").rglob("*.pdf"))
