"""R50; 000 §4.5.10; 002 §12.8: "those excluded" are given the social worker's report. A
grandmother without parental responsibility, excluded from the whole conference, is sent an
exclusion letter and must be given it too: the social worker's report only."""

from __future__ import annotations

import json
from typing import Any

from pipeline.contract.load import load_export
from pipeline.planning.reports import pack_readers, reports_for_reader
from pipeline.procedure.profile import load_profiles
from tests.conftest import PlanOf, example, with_real_format_postcodes
from tests.test_report_pack import _render


def _gran_excluded() -> dict[str, Any]:
    data = with_real_format_postcodes(example("v2-initial-reports"))
    gran = next(p for p in data["people"] if p["id"] == "p-gran")
    assert gran["role"] == "family_member" and not gran.get("parental_responsibility")
    exclusion = dict(data["exclusions"][0], person="p-gran", extent="whole", record_copy="none")
    exclusion.pop("agenda_items", None)
    data["exclusions"].append(exclusion)
    return data


def test_an_excluded_grandmother_reads_the_social_workers_report_only(plan_of: PlanOf) -> None:
    data = _gran_excluded()
    plan = plan_of(data)
    export = load_export(json.dumps(data).encode(), load_profiles().keys())
    gran = export.person("p-gran")
    assert gran in pack_readers(export)
    assert [r.id for r in reports_for_reader(export, gran)] == ["r-sw"]
    assert any(c.recipient == "p-gran" and c.document == "report_pack" for c in plan.copies)


def test_her_pack_holds_the_social_workers_report_and_says_the_others_are_left_out() -> None:
    data = _gran_excluded()
    _, rendered = _render("gran", data)
    pack = rendered[("p-gran", "report_pack")]
    police = next(r for r in data["reports"] if r["id"] == "r-police")
    for text in pack.texts():
        assert "Social worker's report to the initial child protection conference" in text
        assert police["sections"][0]["paragraphs"][0] not in text
        assert "not the other reports" in text
