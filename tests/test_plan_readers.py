"""Who reads a copy: one answer (pipeline.planning.readers.readers_of) for the plan, the view, the leak check's list and the render-time guard.

A copy through the lead social worker is read by the social worker too (R32; spec §4 rules 2, 4).
Before, only the render-time byte check knew it: the plan said `ready` for a record whose section
the chair withheld from the social worker, and the view printed the section.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from pipeline.contract.load import load_export
from pipeline.planning.readers import readers_of
from pipeline.procedure.profile import Profile
from pipeline.redaction.plain_language import PlainWords
from pipeline.redaction.view import view_for
from pipeline.redaction.withheld import withheld_strings
from pipeline.service.copy_renderer import render_plan
from tests.conftest import PlanOf, example, the_copy


def _withheld_from_the_social_worker() -> dict[str, Any]:
    """The domestic-abuse conference with Ella's record handed over by p-sw, her social worker,
    and section s4 withheld from p-sw."""
    data = example("initial-domestic-abuse")
    data["distribution"]["child_copies"][0]["documents"].append("record")
    data["record"]["sections"][3]["visibility"] = {
        "withheld_from": ["p-sw"],
        "reason": "the child asked that the social worker not read it",
    }
    return data


def test_a_copy_carrying_content_withheld_from_its_social_worker_is_held_by_the_plan(
    plan_of: PlanOf,
) -> None:
    plan = plan_of(_withheld_from_the_social_worker())
    record = the_copy(plan, "c-ella", "record")
    assert (record.via, record.status) == ("p-sw", "held")
    assert record.reason == (
        "held for the chair: content withheld from a reader on the copy's route: "
        "agenda[3].title is withheld from p-sw, through whom it goes "
        "(spec §4 rules 2, 4; R32)"
    )
    # (the agenda item's title names what its withheld section holds: spec §4 rule 6)
    # the mother's record goes through p-sw too (R32): held alike
    assert the_copy(plan, "p-mother", "record").status == "held"
    # what does not carry the section, or not past p-sw, is not held
    assert the_copy(plan, "c-ella", "decision_letter").status == "ready"
    assert the_copy(plan, "p-gran", "record").status == "ready"
    # the social worker's own copy leaves the section out, as for anyone it is withheld from
    assert the_copy(plan, "p-sw", "record").status == "ready"


def test_the_held_copy_is_never_rendered(plan_of: PlanOf, profiles: dict[str, Profile]) -> None:
    data = _withheld_from_the_social_worker()
    export = load_export(json.dumps(data).encode(), profiles.keys())
    plan = plan_of(data)

    class NoRendering:
        def render(self, *_: object, **__: object) -> object:
            pytest.fail("a held copy was rendered")

    held = dataclasses.replace(plan, copies=(the_copy(plan, "c-ella", "record"),))
    (rendered,) = render_plan(export, held, NoRendering())  # type: ignore[arg-type]
    assert (rendered.status, rendered.files) == ("held", ())
    assert "withheld from p-sw" in (rendered.reason or "")


def test_the_view_and_the_leak_list_read_the_same_readers(
    plan_of: PlanOf, profiles: dict[str, Profile]
) -> None:
    data = _withheld_from_the_social_worker()
    export = load_export(json.dumps(data).encode(), profiles.keys())
    record = the_copy(plan_of(data), "c-ella", "record")
    readers = readers_of(record)
    assert readers.persons == frozenset({"c-ella", "p-sw"})
    # were the view built, the section would be a marker, and the leak check would look for it
    view = view_for(export, record, PlainWords.none())
    assert view.record is not None and view.record.sections[3].withheld
    section = export.record.sections[3]  # type: ignore[union-attr]
    assert section.heading in withheld_strings(export, readers)
    # a copy through nobody is read by its recipient and whom they act for, no one else
    gran = the_copy(plan_of(data), "p-gran", "record")
    assert gran.via is None and readers_of(gran) is gran.viewer
