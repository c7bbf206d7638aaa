"""The service end to end (issue 4): exports dropped in an inbox, `cpc ingest`, `cpc distribute` on several days, checked by what reaches the outbox folders, the post room's batch, an SMTP server and `cpc status`.

The folder and post parts run the `cpc` command (in this process, through typer's CliRunner) on a
configuration file, as an operator would. E-mail runs through the library's `distribute`, because
the command builds its SMTP settings with the system's trusted CAs and the test server's
certificate is signed by a throwaway CA (trustme). Rendering is in-process (`--workers 0`).
"""

from __future__ import annotations

import csv
import email
import email.policy
import fcntl
import hashlib
import io
import json
import os
import pickle
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from typer.testing import CliRunner

from pipeline.checking.pdf_reading import page_texts
from pipeline.cli.app import app
from pipeline.config import Channels
from pipeline.contract.export import Export
from pipeline.contract.load import load_export
from pipeline.delivery.email import SmtpSettings
from pipeline.procedure.profile import load_profiles
from pipeline.rendering.handover_sheet import DOCUMENT_NAMES
from pipeline.service.render_pool import RenderJobs
from pipeline.service.run import RunSettings, RunTools, distribute
from pipeline.store.db import Store, StoredDelivery
from tests.backends import URL_ENV, on_both_stores, sqlite_url
from tests.conftest import EXAMPLES, example
from tests.fake_renderer import FAKE
from tests.mail_server import MailServer
from tests.postgres_server import copy_database
from tests.test_deliver_email import PASSWORD, USER

runner = CliRunner()

# The first day is laid out by the real renderer (the tests read its pages): on SQLite only, to
# keep the suite inside CI's time. The tests on the fake renderer run on both stores
# (`on_both_stores`, tests.backends); the store's part of the first day's run is the same code.

DV = "CPC-2026-0412"  # initial-domestic-abuse.json
REVIEW = "CPC-2026-0208"  # review-plan-ends.json: its record is not signed yet
PRE_BIRTH = "CPC-2026-0777"  # pre-birth-scheduled.json: a scheduled conference, invitations
THREE_EXPORTS = ("initial-domestic-abuse", "review-plan-ends", "pre-birth-scheduled")
FIRST_DAY = "2026-12-01"  # a Tuesday
CONFIG = '[folders]\ninbox = "inbox"\nstate = "state"\noutbox = "outbox"\n'


# ---- the service in a folder ---------------------------------------------------------------------


@dataclass
class Service:
    """A configured service in one folder (inbox, processed/, quarantine/, state/, outbox/),
    driven through the `cpc` command."""

    root: Path
    # The real renderer unless a test says otherwise (where what is laid out is not its point)
    tools: RunTools = field(default_factory=RunTools)
    # The store: a PostgreSQL database (tests.backends), or None for the state folder's SQLite.
    database_url: str | None = None

    @property
    def config(self) -> Path:
        return self.root / "cpc.toml"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @classmethod
    def create(
        cls, root: Path, renderer: RenderJobs | None = None, database_url: str | None = None
    ) -> Service:
        root.mkdir(parents=True, exist_ok=True)
        (root / "cpc.toml").write_text(CONFIG, encoding="utf-8")
        return cls(root, RunTools(renderer=renderer), database_url or os.environ.get(URL_ENV))

    def copied_to(self, root: Path) -> Service:
        """The same service state in another folder (paths in the file are relative to it) and,
        on PostgreSQL, another database."""
        shutil.copytree(self.root, root)
        url = copy_database(self.database_url) if self.database_url else None
        return Service(root, self.tools, url)

    def cpc(self, *args: str, code: int = 0) -> str:
        env = {URL_ENV: self.database_url} if self.database_url else None
        result = runner.invoke(app, [*args, "--config", str(self.config)], obj=self.tools, env=env)
        assert result.exit_code == code, result.output
        return result.stdout

    def drop(self, name: str, data: dict[str, Any] | bytes) -> Path:
        path = self.root / "inbox" / "exports" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode("utf-8"))
        return path

    def distribute(self, today: str) -> str:
        return self.cpc("distribute", "--today", today, "--workers", "0")

    def status(self, today: str) -> dict[str, Any]:
        return json.loads(self.cpc("status", "--today", today, "--format", "json"))

    def store(self) -> Store:
        return Store.open(self.database_url or sqlite_url(self.root / "state"))

    def deliveries(self) -> list[StoredDelivery]:
        store = self.store()
        try:
            return store.deliveries()
        finally:
            store.close()

    def files(self) -> dict[str, str]:
        """Every file in the outbox, by its path under the outbox, with its sha256."""
        return {
            path.relative_to(self.outbox).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.outbox.rglob("*"))
            if path.is_file()
        }


def pdf_text(data: bytes) -> str:
    return "\n".join(page_texts(data))


def post_rows(outbox: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((outbox / "post").glob("*.csv")):
        rows += list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return rows


def export_of(name: str) -> Export:
    return load_export((EXAMPLES / f"{name}.json").read_bytes(), load_profiles().keys())


def folder_of(delivery: StoredDelivery) -> str:
    """Where a folder delivery's files belong: the recipient's folder, or the social worker's
    to-hand-over folder for them."""
    who = (
        f"{delivery.via}/to-hand-over/{delivery.recipient}" if delivery.via else delivery.recipient
    )
    return f"{delivery.conference_id}/{who}"


def stem_of(delivery: StoredDelivery) -> str:
    """The copy's part of its key (`p-mother-sol/record-for-p-mother` → `record-for-p-mother`),
    which names its files."""
    return delivery.copy_key.split("/", 1)[1]


def names_in(folder: str, files: dict[str, str]) -> set[str]:
    return {path.removeprefix(folder + "/") for path in files if path.rpartition("/")[0] == folder}


# ---- the first day: three exports in, one run -----------------------------------------------------


@dataclass
class FirstDay:
    service: Service
    ingest_output: str
    run_output: str
    files: dict[str, str]
    deliveries: list[StoredDelivery]
    status: dict[str, Any]
    inbox_left: list[str] = field(default_factory=list)


def _run_first_day(root: Path, database_url: str | None) -> FirstDay:
    service = Service.create(root, database_url=database_url)
    for name in THREE_EXPORTS:
        service.drop(f"{name}.json", (EXAMPLES / f"{name}.json").read_bytes())
    service.drop("truncated.json", (EXAMPLES / "pre-birth-scheduled.json").read_bytes()[:300])
    # One file did not pass intake, so `cpc ingest` exits 1; the three exports are taken.
    ingest_output = service.cpc("ingest", code=1)
    run_output = service.distribute(FIRST_DAY)
    return FirstDay(
        service=service,
        ingest_output=ingest_output,
        run_output=run_output,
        files=service.files(),
        deliveries=service.deliveries(),
        status=service.status(FIRST_DAY),
        inbox_left=[p.name for p in (service.root / "inbox").rglob("*") if p.is_file()],
    )


@pytest.fixture(scope="module")
def first_day(tmp_path_factory: pytest.TempPathFactory) -> FirstDay:
    """The first day, run once per session: under xdist the first worker runs it and the others
    reuse it (its folder is only read; tests that go on from it work on a copy)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _run_first_day(tmp_path_factory.mktemp("service"), None)
    shared = tmp_path_factory.getbasetemp().parent / "service-e2e-first-day"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "first-day.pickle"
        if done.exists():
            with done.open("rb") as handle:
                found: FirstDay = pickle.load(handle)
            return found
        made = _run_first_day(shared / "service", None)
        with done.open("wb") as handle:
            pickle.dump(made, handle)
        return made


def test_ingest_moves_every_export_to_processed_and_a_broken_file_to_quarantine_with_its_reason(
    first_day: FirstDay,
) -> None:
    root = first_day.service.root
    assert first_day.inbox_left == []
    processed = sorted(p.name for p in (root / "processed").iterdir())
    assert len(processed) == 3
    for name in THREE_EXPORTS:
        assert sum(p.endswith(f"-{name}.json") for p in processed) == 1, processed
        assert f"{name}.json: taken" in first_day.ingest_output
    assert "truncated.json: QUARANTINED" in first_day.ingest_output
    quarantined = sorted(p.name for p in (root / "quarantine").iterdir())
    assert len(quarantined) == 2 and sum(p.endswith(".reason.txt") for p in quarantined) == 1
    # `cpc status` lists the quarantined file for someone to look at.
    assert len(first_day.status["quarantined"]) == 1


def test_the_dv_conference_reaches_each_reader_by_their_own_route(first_day: FirstDay) -> None:
    """Issue 4: professionals and authorised readers get their own folder; the father's and the
    mother's records go through the lead social worker with a hand-over sheet; family letters
    go by post. The father never gets a folder of his own."""
    files = first_day.files
    folders = {path.split("/")[1] for path in files if path.startswith(f"{DV}/")}
    professionals = {"p-sw", "p-tm", "p-police", "p-school", "p-hv", "p-gp", "p-idva", "p-camhs"}
    assert folders == professionals | {"p-mother-sol"}
    for person in professionals:
        assert names_in(f"{DV}/{person}", files) == {
            f"{document}.{suffix}"
            for document in ("decision_letter", "outline_plan", "record")
            for suffix in ("pdf", "docx")
        }, person
    # Copies for the mother's solicitor, on her authority, named as such (not as own copies).
    solicitor = [d for d in first_day.deliveries if d.recipient == "p-mother-sol"]
    assert sorted(d.document for d in solicitor) == ["decision_letter", "record"]
    assert all(stem_of(d) not in ("decision_letter", "record") for d in solicitor)
    assert names_in(f"{DV}/p-mother-sol", files) == {
        f"{stem_of(d)}.{suffix}" for d in solicitor for suffix in ("pdf", "docx")
    }
    # Through the social worker: the copy and its hand-over sheet, in a folder for each reader.
    hand_over = f"{DV}/p-sw/to-hand-over"
    for reader, document in (
        ("p-father", "record"),
        ("p-mother", "record"),
        ("c-ella", "decision_letter"),
    ):
        names = names_in(f"{hand_over}/{reader}", files)
        sheets = {n for n in names if re.fullmatch(r"handover-sheet[a-z_-]*\.pdf", n)}
        assert len(sheets) == 1, names
        assert names - sheets == {f"{document}.pdf", f"{document}.docx"}, names
    # The father's and the mother's other letters went by post, to their own addresses.
    father = {
        (d.document, d.channel, d.via)
        for d in first_day.deliveries
        if d.conference_id == DV and d.recipient == "p-father"
    }
    assert father == {
        ("decision_letter", "post", None),
        ("outline_plan", "post", None),
        ("record", "folder", "p-sw"),
    }
    # One envelope each: the father's letter and plan together, never beside the mother's.
    posted_dv = {
        r["recipient"]: r["enclosures"]
        for r in post_rows(first_day.service.outbox)
        if r["conference"] == DV
    }
    assert posted_dv["Mark Whitfield"] == (
        "covering letter; letter about the conference's decisions; outline child protection plan"
    )
    assert posted_dv["Sarah Whitfield"].startswith(
        "covering letter; letter about the conference's decisions"
    )
    assert "record of the conference" in posted_dv["Margaret Oakes"]
    # The waiting records of the review conference produced no file at all.
    assert not any(p.startswith(f"{REVIEW}/") and "record" in p for p in files)


def test_the_outbox_holds_exactly_the_files_the_store_recorded(first_day: FirstDay) -> None:
    expected: dict[str, str] = {}
    for delivery in first_day.deliveries:
        assert delivery.state == "sent"
        if delivery.channel == "folder":
            for file in delivery.files:
                expected[f"{folder_of(delivery)}/{file['name']}"] = file["sha256"]
            assert delivery.destination == str(first_day.service.outbox / folder_of(delivery))
    in_folders = {k: v for k, v in first_day.files.items() if not k.startswith("post/")}
    assert in_folders == expected
    # No file name says anything personal: document kinds and ids, never a name. (Folders are
    # named by the export's person ids, which the source system chooses.)
    personal = set().union(*(_personal_words(export_of(name)) for name in THREE_EXPORTS))
    for path in in_folders:
        name = Path(path).name
        assert not {w for w in personal if w in name.lower()}, path


def test_the_post_batch_has_one_envelope_per_recipient_each_page_theirs(
    first_day: FirstDay,
) -> None:
    """Every posted copy of a person in one envelope, the list saying what goes in it, and no
    page of an envelope carrying anyone else's marks (the mother's plan beside the father's
    letter was the issue)."""
    outbox = first_day.service.outbox
    posted = [d for d in first_day.deliveries if d.channel == "post"]
    (batch_id,) = {d.batch_id for d in posted}
    assert sorted(p.name for p in (outbox / "post").iterdir()) == [
        f"{batch_id}.csv",
        f"{batch_id}.pdf",
    ]
    raw = (outbox / "post" / f"{batch_id}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # utf-8-sig: a spreadsheet reads the names right
    rows = post_rows(outbox)
    with pikepdf.open(outbox / "post" / f"{batch_id}.pdf") as batch:
        pages = len(batch.pages)
    sizes = [int(r["pages"]) for r in rows]
    assert pages == sum(sizes) and all(n % 2 == 0 for n in sizes)  # whole sheets, double-sided
    assert [int(r["sheets"]) * 2 for r in rows] == sizes
    # Each envelope starts where the ones before it end.
    assert [int(r["first_page"]) for r in rows] == [1 + sum(sizes[:i]) for i in range(len(rows))]
    assert [int(r["sequence"]) for r in rows] == list(range(1, len(rows) + 1))
    assert {r["batch"] for r in rows} == {batch_id}
    # One row per person posted to, listing each of their posted documents once, after the
    # covering letter; the invitation's envelope has the leaflet it promises.
    exports = {e.conference.id: e for e in map(export_of, THREE_EXPORTS)}
    expected: dict[tuple[str, str], Counter[str]] = {}
    for d in posted:
        who = (d.conference_id, exports[d.conference_id].name_of(d.via or d.recipient))
        expected.setdefault(who, Counter())[DOCUMENT_NAMES[d.document]] += 1
    assert len(rows) == len(expected) < len(posted)
    for row in rows:
        enclosures = row["enclosures"].split("; ")
        assert enclosures[0] == "covering letter"
        assert Counter(enclosures[1:]) == expected[(row["conference"], row["recipient"])]
        has_invitation = "invitation to the conference" in enclosures
        assert row["inserts"] == ("Child protection conference leaflet" if has_invitation else "")
    # Only the PDF is posted. Every page of an envelope says it is for its addressee, in that
    # envelope; its first page is the covering letter with the address in the window; and no
    # page carries another posted person's name in a mark.
    assert all([f["name"] for f in d.files] == [f"{stem_of(d)}.pdf"] for d in posted)
    texts = [
        " ".join(t.split()) for t in page_texts((outbox / "post" / f"{batch_id}.pdf").read_bytes())
    ]
    everyone = {row["recipient"] for row in rows}
    for row in rows:
        first, own, name = int(row["first_page"]) - 1, int(row["pages"]), row["recipient"]
        assert "What is in this envelope" in texts[first] and f"Dear {name}," in texts[first]
        assert row["address"].split(", ")[0] in texts[first]
        for text in texts[first : first + own]:
            assert f"Envelope {row['envelope']}, for {name} only." in text, row["sequence"]
            for other in everyone - {name}:
                assert f"for {other} only." not in text and f"Copy for {other}" not in text


def test_receipt_dates_follow_the_channel(first_day: FirstDay) -> None:
    """Issue 4: e-mail and folder copies are received the day they go, posted ones two working
    days later (the profile's post_receipt), and copies through the social worker only when
    handed over."""
    sent_on = date.fromisoformat(FIRST_DAY)
    for d in first_day.deliveries:
        assert d.sent_on == sent_on
        if d.via is not None:
            assert d.received_on is None, d.copy_key
        elif d.channel == "post":
            assert d.received_on == date(2026, 12, 3), d.copy_key  # Tuesday + 2 working days
        else:
            assert d.received_on == sent_on, d.copy_key


def test_the_status_after_the_first_run(first_day: FirstDay) -> None:
    status = first_day.status
    assert status["held"] == []
    assert {(r["conference"], r["copy"]) for r in status["awaiting_handover"]} == {
        (DV, "p-mother/record"),
        (DV, "p-father/record"),
        (DV, "c-ella/decision_letter"),
    }
    # The review's record is not signed: every copy of it waits, none was sent.
    waiting = {(r["conference"], r["document"]) for r in status["waiting"]}
    assert waiting == {(REVIEW, "record")}
    assert not any(
        d.conference_id == REVIEW and d.document == "record" for d in first_day.deliveries
    )
    assert "Delivered: 62 (47 by folder, 15 by post)" in first_day.run_output


def test_another_run_on_the_same_day_or_later_delivers_nothing_new(
    first_day: FirstDay, tmp_path: Path
) -> None:
    service = first_day.service.copied_to(tmp_path / "service")
    before = service.files()
    for today in (FIRST_DAY, "2026-12-02", "2026-12-21"):
        output = service.distribute(today)
        assert "Delivered: 0 (none)" in output, output
        assert service.files() == before
    assert len(service.deliveries()) == len(first_day.deliveries)


def test_handing_over_gives_the_receipt_date_and_closes_the_task(
    first_day: FirstDay, tmp_path: Path
) -> None:
    service = first_day.service.copied_to(tmp_path / "service")
    # Not before the social worker had it.
    service.cpc("handed-over", DV, "p-father/record", "--by", "p-sw", "--on", "2026-11-30", code=1)
    service.cpc("handed-over", DV, "p-father/record", "--by", "p-sw", "--on", "2026-12-03")
    (delivery,) = [d for d in service.deliveries() if d.copy_key == "p-father/record"]
    assert (delivery.handed_over_on, delivery.received_on) == (date(2026, 12, 3),) * 2
    status = service.status("2026-12-03")
    assert (DV, "p-father/record") not in {
        (r["conference"], r["copy"]) for r in status["awaiting_handover"]
    }
    assert not any(
        t["conference"] == DV and t["task"] == "hand_over" and t["for"] == "p-father"
        for t in status["open_tasks"]
    )
    # Recorded once only.
    service.cpc("handed-over", DV, "p-father/record", "--by", "p-sw", "--on", "2026-12-04", code=1)


@on_both_stores
def test_two_copies_for_one_child_through_the_social_worker_keep_a_hand_over_sheet_each(
    tmp_path: Path,
) -> None:
    """Issue 4 (002 §22.9): each copy through the social worker travels with its own hand-over
    sheet. When the chair decides a child has two documents, both go to the social worker's
    to-hand-over folder for that child; neither sheet may replace the other, and every file
    there must still be the one its delivery recorded. (Which files go where, not their layout:
    the fake renderer.)"""
    data = example("initial-domestic-abuse")
    data["distribution"]["child_copies"][0]["documents"] = ["decision_letter", "outline_plan"]
    service = Service.create(tmp_path / "service", renderer=FAKE)
    service.drop("dv.json", data)
    service.cpc("ingest")
    service.distribute(FIRST_DAY)
    via_child = [d for d in service.deliveries() if d.recipient == "c-ella"]
    assert {(d.document, d.via) for d in via_child} == {
        ("decision_letter", "p-sw"),
        ("outline_plan", "p-sw"),
    }
    files = service.files()
    folder = f"{DV}/p-sw/to-hand-over/c-ella"
    sheets = [name for name in names_in(folder, files) if "handover-sheet" in name]
    assert len(sheets) == 2, (
        f"one hand-over sheet for two documents: {sorted(names_in(folder, files))}"
    )
    for delivery in via_child:
        for file in delivery.files:
            path = f"{folder_of(delivery)}/{file['name']}"
            assert files.get(path) == file["sha256"], (
                f"{path} is not the file the {delivery.document} delivery recorded"
            )


def test_workers_0_in_the_configuration_renders_in_the_calling_process(tmp_path: Path) -> None:
    """The README's configuration says `[rendering] workers = 0` renders in the calling process,
    as `cpc distribute --workers 0` does."""
    service = Service.create(tmp_path / "service")
    service.config.write_text(CONFIG + "\n[rendering]\nworkers = 0\n", encoding="utf-8")
    service.drop("pre-birth.json", (EXAMPLES / "pre-birth-scheduled.json").read_bytes())
    service.cpc("ingest")
    output = service.cpc("distribute", "--today", "2026-12-18")
    assert "Delivered: 5 (3 by folder, 2 by post)" in output


def _revision(data: dict[str, Any], revision: int, export_id: str, exported_at: str) -> None:
    data["revision"] = revision
    data["export_id"] = export_id
    data["exported_at"] = exported_at


def test_a_moved_conference_reissues_every_invitation_as_an_updated_copy(
    first_day: FirstDay, tmp_path: Path
) -> None:
    """Issue 4: a new revision that changes what an invitation says sends each invitee an
    updated invitation under its own file name, beside the original; nothing is held for them.
    A later revision that leaves the invitations' content alone sends nothing again."""
    service = first_day.service.copied_to(tmp_path / "service")
    invitees = {"p-mum3", "p-sw3", "p-mw3", "p-probation3"}
    before = service.files()
    moved = example("pre-birth-scheduled")
    _revision(moved, 2, "LCS-EXP-20261218-0004", "2026-12-18T08:30:00Z")
    moved["conference"]["venue"] = "Civic Centre, Meeting Room 7"
    service.drop("pre-birth-r2.json", moved)
    assert "pre-birth-r2.json: taken" in service.cpc("ingest")

    output = service.distribute("2026-12-18")
    assert "Delivered: 4 (3 by folder, 1 by post)" in output, output
    new = [d for d in service.deliveries() if d.sent_on == date(2026, 12, 18)]
    assert {d.recipient for d in new} == invitees
    assert {(d.document, d.edition, d.revision) for d in new} == {("invitation", "updated-1", 2)}
    files = service.files()
    # The originals are untouched; the updated copies sit beside them.
    assert {k: v for k, v in files.items() if k in before} == before
    for person in ("p-sw3", "p-mw3", "p-probation3"):
        folder = f"{PRE_BIRTH}/{person}"
        assert names_in(folder, files) == {
            "invitation.pdf",
            "invitation.docx",
            "invitation-updated-1.pdf",
            "invitation-updated-1.docx",
        }
        text = pdf_text((service.outbox / folder / "invitation-updated-1.pdf").read_bytes())
        assert "Updated invitation" in text and "Meeting Room 7" in text
        assert "Meeting Room 7" not in pdf_text(
            (service.outbox / folder / "invitation.pdf").read_bytes()
        )
    # The mother's updated invitation goes by post, in the day's own batch.
    rows = [r for r in post_rows(service.outbox) if r["batch"].startswith("post-20261218-")]
    assert [(r["conference"], r["enclosures"], r["recipient"]) for r in rows] == [
        (PRE_BIRTH, "covering letter; invitation to the conference (updated)", "Chloe Davies")
    ]
    (posted,) = [d for d in new if d.channel == "post"]
    assert posted.files[0]["name"] == "invitation-updated-1.pdf"
    assert posted.received_on == date(2026, 12, 22)  # Friday + 2 working days
    status = service.status("2026-12-18")
    assert not [r for r in status["held"] if r["document"] == "invitation"]
    assert status["held"] == []

    # A re-export that changes nothing an invitee reads: nothing goes, nothing is held.
    again = example("pre-birth-scheduled")
    again["conference"]["venue"] = "Civic Centre, Meeting Room 7"
    _revision(again, 3, "LCS-EXP-20261219-0005", "2026-12-19T08:30:00Z")
    service.drop("pre-birth-r3.json", again)
    service.cpc("ingest")
    assert "Delivered: 0 (none)" in service.distribute("2026-12-21")
    assert service.status("2026-12-21")["held"] == []

    # A change only the excluded partner's letter shows: no invitation goes again, and his letter
    # (not an invitation) waits for the chair instead of going out changed.
    views = example("pre-birth-scheduled")
    views["conference"]["venue"] = "Civic Centre, Meeting Room 7"
    views["exclusions"][0]["how_views_are_heard"] = "Mr Price may write to the chair."
    _revision(views, 4, "LCS-EXP-20261221-0006", "2026-12-21T08:30:00Z")
    service.drop("pre-birth-r4.json", views)
    service.cpc("ingest")
    assert "Delivered: 0 (none)" in service.distribute("2026-12-22")
    held = service.status("2026-12-22")["held"]
    assert [(r["copy"], r["hold"], r["releasable"]) for r in held] == [
        ("p-partner3/exclusion_letter", "changed_after_sent", True)
    ]
    assert len(service.deliveries()) == len(first_day.deliveries) + 4


# ---- e-mail through a real SMTP server ------------------------------------------------------------

# The SMTP server of tests/test_deliver_email.py: its mailbox, free-port controller and login.
SMTP_USER, SMTP_PASSWORD = USER, PASSWORD


def _email_settings(service: Service, server: MailServer, today: date) -> RunSettings:
    return RunSettings(
        today=today,
        sent_at=datetime.combine(today, time(9, 0), tzinfo=ZoneInfo("Europe/London")),
        outbox=service.outbox,
        spool=service.root / "state" / "spool",
        channels=Channels(professional="email"),
        smtp=SmtpSettings(
            host="127.0.0.1",
            port=server.port,
            username=SMTP_USER,
            password=SMTP_PASSWORD,
            sender="cpc@northby.example.gov.uk",
            timeout=10.0,
            tls_context=server.client_tls,
        ),
        message_id_domain="cpc.northby.example.gov.uk",
        profile_dirs=(),
        workers=0,
    )


def _personal_words(export: Export) -> set[str]:
    """Every part of every name in the export, for looking for them where no name may be."""
    names = [p.name for p in export.people] + [c.name for c in export.children]
    return {part.lower() for name in names for part in re.split(r"[\s'-]+", name) if len(part) > 2}


@on_both_stores
def test_professionals_get_one_email_per_copy_with_the_pdfs_over_starttls(
    tmp_path: Path, mail_server: MailServer
) -> None:
    """Issue 4: with professionals on e-mail, each professional copy is one message to the address
    the export gives, over STARTTLS with a login, its PDF(s) attached; the subject and the
    attachments' names carry the conference reference and nothing personal. A second run sends
    nothing. (The messages, not the layout: the fake renderer's PDFs, each naming its copy.)"""
    service = Service.create(tmp_path / "service")
    service.drop("dv.json", (EXAMPLES / "initial-domestic-abuse.json").read_bytes())
    service.cpc("ingest")
    export = export_of("initial-domestic-abuse")
    profiles = load_profiles()
    today = date(2026, 12, 1)

    store = service.store()
    try:
        settings = _email_settings(service, mail_server, today)
        summary = distribute(store, profiles, settings, renderer=FAKE)
        deliveries = store.deliveries()
    finally:
        store.close()
    assert summary.failed == []
    by_email = [d for d in deliveries if d.channel == "email"]
    professionals = {p.id for p in export.people if p.role == "professional"}
    assert {d.recipient for d in by_email} == professionals
    assert len(by_email) == 3 * len(professionals)  # decision letter, outline plan, record
    assert summary.delivered["email"] == len(by_email)
    # Copies through the social worker, for the family and for the solicitor stay off e-mail.
    assert not any(d.via or d.recipient == "p-mother-sol" for d in by_email)

    messages = mail_server.mailbox.messages
    assert len(messages) == len(by_email)
    by_id = {d.message_id: d for d in by_email}
    personal = _personal_words(export)
    for mail_from, rcpt_tos, raw, over_tls in messages:
        assert over_tls
        assert mail_from == "cpc@northby.example.gov.uk"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        # A long Message-ID is folded onto its own line (RFC 5322 allows it); the parser keeps the
        # folding space.
        delivery = by_id[message["Message-ID"].strip()]
        address = export.person(delivery.recipient).email
        assert rcpt_tos == [address] and message["To"] == address
        subject = message["Subject"]
        assert subject == f"Child protection conference {DV}: documents"
        assert not {w for w in personal if w in subject.lower()}
        attachments = list(message.iter_attachments())
        assert [a.get_content_type() for a in attachments] == ["application/pdf"]
        (attachment,) = attachments
        name = attachment.get_filename()
        # The reference and the document kind only: never whom an authorised copy is for.
        assert name == f"{DV}-{delivery.document}.pdf"
        assert not {w for w in personal if w in name.lower()}, name
        pdf = attachment.get_content()
        assert hashlib.sha256(pdf).hexdigest() == delivery.files[0]["sha256"]
        assert pdf.startswith(b"%PDF-")
        assert delivery.copy_key in pdf_text(pdf)  # this copy's file, not another's
        body = message.get_body(("plain",))
        assert body is not None and DV in body.get_content()
    # Every professional's address got each of their three documents.
    assert Counter(r for _, (r,), _, _ in messages) == Counter(
        {export.person(p).email: 3 for p in professionals}
    )

    store = service.store()
    try:
        again = distribute(
            store, profiles, _email_settings(service, mail_server, today), renderer=FAKE
        )
    finally:
        store.close()
    assert sum(again.delivered.values()) == 0
    assert len(mail_server.mailbox.messages) == len(by_email)
