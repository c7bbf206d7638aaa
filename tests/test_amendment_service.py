"""Amendments to a record already sent, end to end through the inbox, the store and delivery (issue 5; spec §5; 000 §4.14.4; 002 §22.6-22.7; R60, R61)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.backends import Database
from tests.conftest import example
from tests.fake_renderer import FAKE, LaidOutFor
from tests.service_harness import Service, pdf_text

# Each test on both stores: SQLite and PostgreSQL (tests.backends).
pytestmark = pytest.mark.usefixtures("database")

DV = "CPC-2026-0412"
# Who holds section s4 ("Information from agencies and analysis of risk"): every professional
# sent the record, the mother, the grandmother and the mother's authorised solicitor. The father
# was excluded from agenda item a4 and his record holds only what he attended (spec §4 rule 3).
S4_HOLDERS = {
    "p-sw", "p-tm", "p-police", "p-school", "p-hv", "p-gp", "p-idva", "p-camhs",
    "p-mother", "p-gran", "p-mother-sol",
}  # fmt: skip
FAMILY_BY_FOLDER = 'family = "folder"'


def amendment(**changes: Any) -> dict[str, Any]:
    data = example("amendment-agreed")
    data.update(changes)
    return data


def pending(**changes: Any) -> dict[str, Any]:
    return amendment(decision={"status": "pending"}, **changes)


def notice_files(service: Service, amendment_id: str) -> dict[str, Path]:
    """Each delivered notice's PDF, by the reader it is for."""
    found = {}
    for path in service.outbox(DV).rglob(f"amendment_notice-{amendment_id}*.pdf"):
        reader = path.parent.name
        found[reader] = path
    return found


def _agreed(service: Service) -> Service:
    """The DV conference distributed, the mother's record handed over, then the school's
    correction to s4 agreed by the chair and circulated."""
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-27")
    service.cpc("handed-over", DV, "p-mother/record", "--by", "p-sw", "--on", "2026-11-30")
    service.drop(pending())
    service.drop(amendment())
    service.distribute("2026-12-04")
    return service


@pytest.fixture(scope="module")
def agreed_laid_out(tmp_path_factory: pytest.TempPathFactory, module_database: Database) -> Service:
    """`_agreed` with the real renderer for the amendment notices, for the test that reads their
    words (the records before them are the fake renderer's)."""
    renderer = LaidOutFor(("amendment_notice",))
    return _agreed(
        Service(
            tmp_path_factory.mktemp("agreed-laid-out"),
            FAMILY_BY_FOLDER,
            renderer=renderer,
            database_url=module_database.copy().url,
        )
    )


@pytest.fixture(scope="module")
def agreed(tmp_path_factory: pytest.TempPathFactory, module_database: Database) -> Service:
    """`_agreed` with the fake renderer: what is laid out is not the point of the tests using it
    (routes, file names, counts sent, the history, refusals)."""
    folder = tmp_path_factory.mktemp("agreed")
    url = module_database.copy().url
    return _agreed(Service(folder, FAMILY_BY_FOLDER, renderer=FAKE, database_url=url))


def test_an_agreed_correction_reaches_everyone_whose_record_holds_the_section(
    agreed_laid_out: Service,
) -> None:
    """Issue 5 acceptance: the school's correction to s4 reaches the professionals, the mother,
    the grandmother and the mother's solicitor, and not the father, who never had s4."""
    files = notice_files(agreed_laid_out, "AMD-0412-01")
    assert set(files) == S4_HOLDERS
    for reader, path in files.items():
        text = pdf_text(path.read_bytes())
        assert "Information from agencies and analysis of risk" in text, reader
        assert "Ella's attendance fell to 81% this term" in text, reader
        assert "Ella's attendance fell to 86% this term" in text, reader
        assert "Please keep this letter with your copy of the record" in text, reader
        assert "AMD-0412-01" in text
    # The solicitor's notice is marked as an authorised copy, as their record was (spec §4 rule 5).
    assert "may not be shown or passed on to anyone else" in pdf_text(
        files["p-mother-sol"].read_bytes()
    )
    assert not any("p-father" in str(p) for p in agreed_laid_out.outbox(DV).rglob("amendment_*"))


def test_notices_go_by_the_readers_usual_route_and_records_are_not_sent_again(
    agreed: Service,
) -> None:
    # The mother's record came through the lead social worker; so does her notice.
    (notice,) = agreed.sent(DV, "p-mother/amendment_notice-AMD-0412-01")
    assert notice.via == "p-sw"
    assert agreed.outbox(
        DV, "p-sw", "to-hand-over", "p-mother", "handover-sheet-amendment_notice-AMD-0412-01.pdf"
    ).exists()
    # Nobody is sent the record again: the notice is what they attach to it.
    assert len(agreed.sent(DV, "p-police/record")) == 1
    assert agreed.copy(DV, "p-police/record").status == "delivered"
    assert agreed.sent(DV, "p-father/record")  # he keeps his record, and has no notice


def test_the_history_tells_the_whole_story(agreed: Service) -> None:
    history = json.loads(agreed.cpc("history", DV, "--format", "json"))
    (entry,) = history["amendments"]
    assert entry["status"] == "agreed" and entry["late"] is False
    assert entry["decided_by"] == "p-chair" and entry["notices_sent"] == len(S4_HOLDERS)
    assert [v["made_by"] for v in history["record_versions"]] == [
        "revision 1 as exported",
        "amendment AMD-0412-01",
    ]
    delivered = {(d["recipient"], d["document"]) for d in history["deliveries"]}
    assert ("p-gran", "amendment_notice") in delivered
    assert all(len(f.split("sha256:")[1]) == 64 for d in history["deliveries"] for f in d["files"])


def test_reingesting_the_same_decision_changes_nothing(agreed: Service) -> None:
    before = agreed.cpc("history", DV, "--format", "json")
    output = agreed.drop(amendment())  # the same decision, written out differently
    assert "duplicate" in output
    assert "Delivered: 0" in agreed.distribute("2026-12-07")
    assert agreed.cpc("history", DV, "--format", "json") == before


def test_a_different_decision_on_a_decided_amendment_is_refused(agreed: Service) -> None:
    rejected = amendment(
        decision={"status": "rejected", "by": "p-chair", "on": "2026-12-05", "note": "no"}
    )
    output = agreed.drop(rejected, code=1)
    assert "QUARANTINED" in output and "already agreed" in output


@pytest.fixture(scope="module")
def distributed_once(
    tmp_path_factory: pytest.TempPathFactory, module_database: Database
) -> Service:
    service = Service(
        tmp_path_factory.mktemp("distributed") / "service",
        FAMILY_BY_FOLDER,
        renderer=FAKE,
        database_url=module_database.url,
    )
    service.drop(example("initial-domestic-abuse"))
    service.distribute("2026-11-24")
    return service


@pytest.fixture
def distributed(distributed_once: Service, tmp_path: Path) -> Service:
    """The DV conference taken in and distributed on 24 November (the records included): a
    copy of one prepared service folder, since laying the conference out takes seconds. What
    the amendment brings (notices, letters to the requester) is laid out for real: the tests
    read it, and the leak check reads its bytes."""
    root = tmp_path / "service"
    shutil.copytree(distributed_once.root, root)
    return Service(
        root,
        FAMILY_BY_FOLDER,
        renderer=LaidOutFor(("amendment",)),
        database_url=distributed_once.database_copy(),
    )


def test_a_request_after_the_week_is_recorded_and_marked_late(distributed: Service) -> None:
    """000 §4.14.4: a week from receipt; spec §5: a late request is recorded, marked late, and
    the chair may still agree it."""
    distributed.drop(pending(received_on="2026-12-03"))  # the school had it on 24 November
    status = json.loads(distributed.cpc("status", "--today", "2026-12-03", "--format", "json"))
    (waiting,) = status["pending_amendments"]
    assert waiting["late"] is True and waiting["window_ended"] == "2026-12-01"
    distributed.drop(amendment(received_on="2026-12-03"))
    distributed.distribute("2026-12-04")
    assert len(notice_files(distributed, "AMD-0412-01")) == len(S4_HOLDERS)


def test_a_request_in_time_is_not_late(distributed: Service) -> None:
    distributed.drop(pending(received_on="2026-12-01"))
    status = json.loads(distributed.cpc("status", "--today", "2026-12-01", "--format", "json"))
    assert status["pending_amendments"][0]["late"] is False


def test_a_request_on_a_section_the_requester_never_received_is_quarantined(
    distributed: Service,
) -> None:
    """Issue 5: the father's record holds only the parts he attended; s3 was never his."""
    distributed.cpc("handed-over", DV, "p-father/record", "--by", "p-sw", "--on", "2026-11-26")
    request = pending(
        amendment_id="AMD-0412-02",
        requested_by="p-father",
        changes=[
            {"section": "s3", "kind": "factual_correction", "replace": "arrested", "with": "x"}
        ],
    )
    output = distributed.drop(request, code=1)
    assert "QUARANTINED" in output
    (reason,) = distributed.quarantine_reasons()
    assert "changes[0].section: s3 is not a section of the record p-father received" in reason
    assert not json.loads(distributed.cpc("status", "--format", "json"))["pending_amendments"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # the text to replace is not in the section as the school received it
        (
            {"changes": [{"section": "s4", "kind": "factual_correction",
                          "replace": "attendance fell to 99%", "with": "x"}]},
            "changes[0].replace: the text is not in section s4",
        ),
        # a requester who was never sent the record
        ({"requested_by": "p-supporter"}, "p-supporter has not been sent the record"),
        # a record still with the social worker: not yet received
        ({"requested_by": "p-mother"}, "its hand-over is not recorded"),
        # a conference the store has never seen
        ({"conference_id": "CPC-2026-9999"}, "no conference CPC-2026-9999"),
    ],
)  # fmt: skip
def test_requests_that_do_not_match_the_record_as_received_are_quarantined(
    distributed: Service, changes: dict[str, Any], expected: str
) -> None:
    distributed.drop(pending(**changes), code=1)
    (reason,) = distributed.quarantine_reasons()
    assert expected in reason


def test_a_decision_by_anyone_but_the_chair_is_refused(distributed: Service) -> None:
    """002 §22.7 (R61): the chair decides."""
    distributed.drop(pending())
    by_social_worker = amendment(decision={"status": "agreed", "by": "p-sw", "on": "2026-12-04"})
    output = distributed.drop(by_social_worker, code=1)
    assert "only the conference's chair (p-chair) decides" in output
    status = json.loads(distributed.cpc("status", "--format", "json"))
    assert status["pending_amendments"][0]["amendment"] == "AMD-0412-01"
    assert "Delivered: 0" in distributed.distribute("2026-12-04")


def test_two_agreed_amendments_to_one_section_apply_in_order(distributed: Service) -> None:
    first = amendment(
        decision={"status": "agreed", "by": "p-chair", "on": "2026-12-04"},
    )
    second = amendment(
        amendment_id="AMD-0412-02",
        received_on="2026-12-04",
        changes=[
            {"section": "s4", "kind": "factual_correction",
             "replace": "fell to 86% this term", "with": "fell to 86% this autumn term"}
        ],
        decision={"status": "agreed", "by": "p-chair", "on": "2026-12-07"},
    )  # fmt: skip
    distributed.drop(first)
    distributed.distribute("2026-12-04")
    distributed.drop(second)  # written against the record as corrected by the first
    distributed.distribute("2026-12-07")
    history = json.loads(distributed.cpc("history", DV, "--format", "json"))
    assert [v["made_by"] for v in history["record_versions"]][1:] == [
        "amendment AMD-0412-01",
        "amendment AMD-0412-02",
    ]
    text = pdf_text(notice_files(distributed, "AMD-0412-02")["p-police"].read_bytes())
    assert "fell to 86% this term" in text and "fell to 86% this autumn term" in text


def test_a_rejected_request_gets_its_requester_a_letter_and_nobody_else_anything(
    distributed: Service,
) -> None:
    rejected = amendment(
        decision={
            "status": "rejected",
            "by": "p-chair",
            "on": "2026-12-04",
            "note": "The figure recorded is the one given at the conference.",
        }
    )
    distributed.drop(rejected)
    distributed.distribute("2026-12-04")
    (letter,) = distributed.outbox(DV, "p-school").glob("amendment_rejection-AMD-0412-01.pdf")
    text = pdf_text(letter.read_bytes())
    assert "decided not to change the record" in text
    assert "The figure recorded is the one given at the conference." in text
    assert not list(distributed.outbox(DV).rglob("amendment_notice*"))


def test_a_record_made_after_an_amendment_carries_it_and_says_so(tmp_path: Path) -> None:
    """Spec §5: a copy sent later carries the amended text and says so. Here the mother's
    solicitor is authorised only in revision 2, after the amendment was agreed. (The one copy
    read is laid out for real; the others by the fake renderer.)"""
    laid_out = LaidOutFor(("p-mother-sol/record",))
    service = Service(tmp_path, FAMILY_BY_FOLDER, renderer=laid_out)
    first = example("initial-domestic-abuse")
    authorisations = first["distribution"].pop("authorisations")
    service.drop(first)
    service.distribute("2026-11-24")
    service.drop(amendment())
    service.distribute("2026-12-04")
    second = example("initial-domestic-abuse")
    second["revision"] = 2
    second["export_id"] = "LCS-EXP-20261205-0002"
    second["exported_at"] = "2026-12-04T09:00:00Z"
    second["distribution"]["authorisations"] = authorisations
    service.drop(second)
    service.distribute("2026-12-07")
    record = service.outbox(DV, "p-mother-sol", "record-for-p-mother.pdf")
    text = pdf_text(record.read_bytes())
    assert "Ella's attendance fell to 86% this term" in text
    assert "81%" not in text
    assert (
        "This copy of the record includes the amendments the chair agreed: AMD-0412-01 "
        "(agreed on 4 December 2026)" in text
    )
    # Their copy already has it: no notice for them; nobody's record goes again.
    assert not list(service.outbox(DV, "p-mother-sol").glob("amendment_notice*"))
    assert len(service.sent(DV, "p-police/record")) == 1


def test_the_leak_check_runs_on_every_amendment_notice(distributed: Service) -> None:
    """Issue 5; spec §4 rule 4: a notice whose new text names the mother's address is held for
    the father (from whom it is withheld); everyone else holding s2 gets theirs."""
    distributed.cpc("handed-over", DV, "p-father/record", "--by", "p-sw", "--on", "2026-11-26")
    data = example("initial-domestic-abuse")
    (s2,) = [s for s in data["record"]["sections"] if s["id"] == "s2"]
    before = s2["paragraphs"][0][:40]
    request = amendment(
        amendment_id="AMD-0412-03",
        changes=[
            {"section": "s2", "kind": "factual_correction", "replace": before,
             "with": before + " (she now lives at 17 Linden Court)"}
        ],
    )  # fmt: skip
    distributed.drop(request)
    distributed.distribute("2026-12-04")
    held = distributed.copy(DV, "p-father/amendment_notice-AMD-0412-03")
    assert held.status == "held"
    assert "17 Linden Court" not in (held.reason or "")
    assert not list(distributed.outbox(DV).rglob("*p-father*/amendment_notice*"))
    assert not list(distributed.outbox(DV, "p-sw", "to-hand-over", "p-father").glob("amendment*"))
    assert "p-mother" in notice_files(distributed, "AMD-0412-03") or "p-sw" in notice_files(
        distributed, "AMD-0412-03"
    )
