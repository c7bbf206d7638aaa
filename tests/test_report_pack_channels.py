"""The parents' report packs through the service's channels, laid out for real: the post room's
envelope (covering letter, window) and GOV.UK Notify's letter checks (`letter_rules`, in the
Notify double), and the e-mail's words.

v2-initial-reports: the conference is on Thursday 3 December 2026; the packs are due two working
days before (the default profile's `to_family_initial`): Tuesday 1 December, so a run on
Wednesday 2 December sends them a day late. The mother and the father are posted their packs,
each at their own address.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pypdfium2
import pytest

from pipeline.delivery.channel import email_body
from tests.conftest import example, with_real_format_postcodes
from tests.notify_double import API_KEY, TEMPLATE_ID, NotifyDouble
from tests.service_harness import Service, pdf_text

REF = "CPC-2026-0431"
DAY = "2026-12-02"
PACKS = ("p-mother/report_pack", "p-father/report_pack")


def _packs_sent(service: Service) -> dict[str, str]:
    return {d.copy_key: d.channel for d in service.sent(REF) if d.copy_key in PACKS}


def test_the_packs_go_by_post_in_envelopes_that_pass_the_post_rooms_checks(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path / "service", 'family = "post"')
    service.drop(with_real_format_postcodes(example("v2-initial-reports")))
    service.distribute(DAY)
    # Sent, not held: the post room holds an envelope that fails Notify's letter rules or its
    # own check (pipeline.service.post_room).
    assert _packs_sent(service) == {key: "post" for key in PACKS}
    (batch,) = sorted(service.outbox("post").glob("*.pdf"))
    document = pypdfium2.PdfDocument(batch.read_bytes())
    try:
        text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    # The covering letter names what is enclosed in the pipeline's own words (_words.html).
    assert "the pack of reports for the conference" in " ".join(text.split())


def test_the_packs_go_to_notify_as_letters_it_accepts(
    tmp_path: Path, notify_double: NotifyDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPC_NOTIFY_API_KEY", API_KEY)
    channels = (
        'family = "notify"\n'
        f'[notify]\nbase_url = "{notify_double.base_url}"\nemail_template_id = "{TEMPLATE_ID}"\n'
        'postage = "first"\nretries = 1\nbackoff_seconds = 0\n'
    )
    service = Service(tmp_path / "service", channels)
    service.drop(with_real_format_postcodes(example("v2-initial-reports")))
    service.distribute(DAY)
    assert _packs_sent(service) == {key: "notify" for key in PACKS}
    letters = [n for n in notify_double.sends if n.kind == "letter"]
    with_pack = [n for n in letters if "Reports for the initial" in pdf_text(n.pdf)]
    assert len(with_pack) == 2  # one envelope each parent
    found = Counter(code for n in letters for code in {p.code for p in n.problems})
    assert not found, dict(found)


def test_the_email_names_the_pack() -> None:
    body = email_body("report_pack", REF, handover=False)
    assert body.startswith(
        f"Attached is the pack of reports for the conference for conference {REF}."
    )
