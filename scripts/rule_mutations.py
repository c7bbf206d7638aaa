#!/usr/bin/env python3
"""Break each rule on purpose, one at a time, and see whether a test notices (issue 11).

Each mutation is tied to a rule id of ../shared/spec/rules.md (or to a corrected row or check of
issue 11) and replaces one piece of code, template or profile text with a broken one. The tree is
copied to a scratch folder once; each mutation is applied there, the tests of its group run with
`-x` (the first failure is enough), and the file is put back. Nothing in the tree given is changed.

    .venv/bin/python scripts/rule_mutations.py                     # this tree, its own tests
    .venv/bin/python scripts/rule_mutations.py --tree /tmp/before  # another tree (an old commit)
    .venv/bin/python scripts/rule_mutations.py --only R02 R55      # some rules only

A mutation whose text is not in the tree is reported `absent` (the rule is not implemented there,
or is implemented differently), and counted as not caught. The report ends with the number of
rules caught out of those mutated. Not run in CI: it takes many minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The tests that read each kind of rule, the likeliest to notice first (`-x` stops at the first
# failure). The service's end-to-end and crash tests are left out: they test delivery, not rules.
PLAN = [
    "tests/test_procedure_corrections.py",
    "tests/test_rule_behaviour.py",
    "tests/test_plan_rules.py",
    "tests/test_plan_examples.py",
    "tests/test_profile.py",
    "tests/test_calendar.py",
    "tests/test_report_plan.py",
]
RENDER = [
    "tests/test_rendered_rules.py",
    "tests/test_render_docx.py",
    "tests/test_redaction_view.py",
    "tests/test_process.py",
]
AMEND = ["tests/test_amendments.py"]
CONTRACT = ["tests/test_contract_broken.py", "tests/test_schema_sync.py", "tests/test_rule_behaviour.py"]
GROUPS = {"plan": PLAN, "render": RENDER + PLAN, "amend": AMEND + PLAN, "contract": CONTRACT}
# Fails on a machine with a CJK font installed whatever the code does (a fonts matter, not a rule).
DESELECT = ["tests/test_process.py::test_a_copy_that_cannot_be_rendered_is_held_alone"]


@dataclass(frozen=True)
class Mutation:
    rule: str
    path: str
    old: str
    new: str
    group: str
    what: str
    # Other (old, new) pairs for a tree where the rule is written differently (an older commit).
    alternatives: tuple[tuple[str, str], ...] = ()


M = Mutation
DIST, TIME, VIS = "pipeline/planning/recipients.py", "pipeline/planning/timeliness.py", "pipeline/planning/readers.py"
ENT, COPY, TASKS = "pipeline/planning/entitlements.py", "pipeline/planning/copy_making.py", "pipeline/planning/tasks.py"
PROC, MEET = "pipeline/planning/procedure_checks.py", "pipeline/contract/meeting_checks.py"
DEF, WIR = "pipeline/procedure/profiles/default.toml", "pipeline/procedure/profiles/wirral.toml"
LETTER, RECORD = "templates/letters/decision_letter.html", "templates/records/record.html"
PLANT, EXCL = "templates/records/_plan.html", "templates/letters/exclusion_letter.html"
CHECKS = "pipeline/contract/checks.py"
REPORTS = "pipeline/planning/reports.py"

MUTATIONS = [
    # ---- the rules named in issue 11 ------------------------------------------------------------
    M("R02", LETTER, "{% if v.letterhead.complaints_contact %}: please write to {{ v.letterhead.complaints_contact }}{% endif %}", "", "render", "the decision letter no longer says how to complain"),
    M("R05", PLANT, "{% if cp.risks %}", "{% if false %}", "render", "the plan's risks are not printed"),
    M("R08", PLANT, "{% if p.contingency %}", "{% if false %}", "render", "the contingency plan is not printed"),
    M("R17", RECORD, "{% for who, view in d.dissent %}", "{% for who, view in [] %}", "render", "dissent is left out of the record"),
    M("R55", "templates/_marks.html", "{% if m.purpose %}, for {{ m.purpose }}{% endif %}", "", "render", "an authorised copy no longer states its purpose"),
    M("R80", LETTER, "{{ w.category(c) | capitalize }}: {{ w.category_meaning(c) }}", "{{ w.category(c) | capitalize }}", "render", "families are not told what the category means"),
    M("R24", TIME, "        yield from parents_invited(export)", "        pass", "plan", "the parent-invited check is switched off"),
    M("R37", TIME, 'if c.kind == "transfer_in" and c.transfer_notification_date is not None:', "if False:", "plan", "the transfer-in timing check is switched off"),
    M("R66", TIME, "profile, previous, first or c.child_born_on is not None, c.child_born_on", "profile, previous, first, None", "plan", "the birth date is ignored for the review"),
    M("R54", ENT, '            return Entitlement("child", "family", "family", None)\n        entitlement = self._entitlement(', '            return None\n        entitlement = self._entitlement(', "plan", "no copy for a child's legal representative"),
    M("R21", DIST, "    if profile.parents_invited_verbally_first.value:", "    if False:", "plan", "no verbal invitation by the social worker"),
    M("R86", RECORD, "<p>Keep this record in line with your agency's record retention policy.</p>", "", "render", "the record no longer asks agencies to keep it under their policy"),
    # ---- the corrected rows and the new checks (issue 11; issue 10) -------------------------------
    M("row1", DEF, 'decision_letter = { due = "24 hours", source = "000 §4.14.5; spec §3" }\noutline_plan = { due = "1 working day", source = "000 §4.14.13; spec §3" }\nrecord = { due = "20 working days", via = "lead_social_worker", source = "000 §4.4.1', 'decision_letter = { due = "1 working day", source = "000 §4.14.5; spec §3" }\noutline_plan = { due = "1 working day", source = "000 §4.14.13; spec §3" }\nrecord = { due = "20 working days", via = "lead_social_worker", source = "000 §4.4.1', "plan", "default: a parent excluded from part gets the letter in 1 WD again"),
    M("row2", WIR, 'outline_plan = { due = "first core group",', 'outline_plan = { due = "2 working days",', "plan", "wirral: the draft plan to the lead social worker in 2 WD, not by the first core group"),
    M("row2-post", WIR, 'outline_plan = { due = "2 working days", channel = "post", source', 'outline_plan = { due = "2 working days", source', "plan", "wirral: the draft plan to parents who attended not posted"),
    M("row3", WIR, 'decision_letter = { due = "2 working days", source = "002 §23.2" }\noutline_plan = { due = "none", source = "002 §22.8: the final version is circulated in the record (R11)" }\nrecord = { due = "15 working days", source = "002 §22.5, §22.12" }', 'decision_letter = { due = "1 working day", source = "002 §23.2" }\noutline_plan = { due = "none", source = "002 §22.8: the final version is circulated in the record (R11)" }\nrecord = { due = "15 working days", source = "002 §22.5, §22.12" }', "plan", "wirral: family members' letter back to 1 WD"),
    M("R38", TIME, "        if days < low * 7:", "        if False:", "plan", "a pre-birth conference before 24 weeks is reported ok",
      (("        ok = low <= gestation <= high or gestation < low", "        ok = True"),)),
    M("R72", TIME, "        yield from decisions_follow_their_threshold(export)", "        pass", "plan", "a decision against its own threshold passes"),
    M("signed-late", TIME, "        yield from _record_signed_in_time(export, copies)", "        pass", "plan", "a record signed late is not reported"),
    M("calendar", "pipeline/procedure/calendar.py", "        if day.year in self._feed.years:", "        if False:", "plan", "the GOV.UK feed is ignored; holidays decides every year"),
    # ---- every other rule the contract can express --------------------------------------------
    M("R01", LETTER, "{% if d.lead_social_worker %}<p>The lead social worker is {{ d.lead_social_worker.name }}.</p>{% endif %}", "", "render", "the letter does not name the lead social worker"),
    M("R03", DIST, '        return ("decision_letter", "record")', '        return ("record",)', "plan", "no decision letter when no plan is made"),
    M("R04", LETTER, "{% if d.categories %}", "{% if false %}", "render", "the letter does not name the category of harm"),
    M("R06", PLANT, '{{ a.responsible | join(", ") }}', "", "render", "the plan does not say who is responsible for each action"),
    M("R09", PLANT, "{% if p.core_group %}", "{% if false %}", "render", "the plan does not name the core group"),
    M("R10", COPY, '        if plan.status != "signed":\n            return ["the outline plan', '        if False:\n            return ["the outline plan', "plan", "an unsigned outline plan is sent"),
    M("R11", RECORD, "{% if v.plan %}{{ plan_body(v.plan, v) }}{% endif %}", "", "render", "the record does not carry the final plan"),
    M("R13", "templates/records/_base.html", "{% if c.unborn %}, unborn, expected {{ w.day(c.expected_delivery_date) }}", "{% if c.unborn %}", "render", "an unborn child's expected date of delivery is not given"),
    M("R14", ENT, 'NO_COPY_ROLES = frozenset({"chair", "minute_taker",', 'NO_COPY_ROLES = frozenset({"chair",', "plan", "the minute taker is sent copies"),
    M("R15", COPY, '        if record.status != "signed":\n            return ["the record', '        if False:\n            return ["the record', "plan", "an unsigned record is sent"),
    M("R16", RECORD, "{% if r.exclusions %}", "{% if false %}", "render", "the record does not state the exclusions"),
    M("R20", DIST, "            if not exclusion.decided_before_conference:\n                continue", "            if True:\n                continue", "plan", "no exclusion letter before the conference"),
    M("R23", ENT, "            if not attendance.invited or person.role in NO_COPY_ROLES:", "            if person.role in NO_COPY_ROLES:", "plan", "invitations to people not invited"),
    M("R28", DEF, 'decision_letter = { due = "1 working day", source = "000 §4.14.13" }', 'decision_letter = { due = "2 working days", source = "000 §4.14.13" }', "plan", "professionals' decision letter in 2 WD under 000"),
    M("R29", WIR, 'outline_plan = { due = "none", source = "002 §22.8: the final version is circulated in the record (R11)" }\nrecord = { due = "10 working days"', 'outline_plan = { due = "2 working days", source = "002 §22.8: the final version is circulated in the record (R11)" }\nrecord = { due = "10 working days"', "plan", "wirral sends every professional the outline plan"),
    M("R30", DEF, 'record = { due = "20 working days", source = "000 §4.14.4" }', 'record = { due = "21 working days", source = "000 §4.14.4" }', "plan", "professionals' record in 21 WD"),
    M("R31", WIR, 'record = { due = "15 working days", source = "002 §22.5 (sent directly)" }', 'record = { due = "15 working days", via = "lead_social_worker", source = "002 §22.5 (sent directly)" }', "plan", "wirral: a parent who attended gets the record through the social worker"),
    M("R32", WIR, 'record = { due = "15 working days", via = "lead_social_worker", source = "002 §22.9" }', 'record = { due = "15 working days", source = "002 §22.9" }', "plan", "wirral: an absent parent's record is not handed over"),
    M("R33", ENT, "            if attendance is None or not attendance.invited:\n                return None\n            return Entitlement(\"family_member\"", "            if True:\n                return None\n            return Entitlement(\"family_member\"", "plan", "family members in their own right get nothing"),
    M("R35", DIST, '            if self.export.person(person_id).role != "professional":\n                continue', "            if True:\n                continue", "plan", "no plan-ended notice"),
    M("R36", TIME, "                c.strategy_discussion_date,\n", "                c.date,\n", "plan", "the initial conference is timed from itself, not the strategy discussion"),
    M("R43", TIME, "            yield from _core_group(export, profile, calendar)", "            pass", "plan", "the first core group is not checked"),
    M("R45", ENT, '            if exclusion is not None and exclusion.extent == "whole":\n                continue', "            pass", "plan", "a person excluded from the whole is invited"),
    M("R46", EXCL, "{% for g in x.grounds %}<li>{{ w.ground(g) }}</li>", "{% for g in [] %}<li>{{ w.ground(g) }}</li>", "render", "the exclusion letter gives no grounds"),
    M("R49", ENT, '            if exclusion.record_copy == "attended_parts":', "            if False:", "plan", "record_copy attended_parts gives the full record"),
    M("R51", EXCL, '{{ x.how_views_are_heard or "', '{{ "', "render", "the exclusion letter does not say how views will be heard"),
    M("R52", VIS, '        if visibility.confidential and self.audience == "family":\n            return False', "        pass", "render", "confidential material reaches the family"),
    M("R53", ENT, "            and not self.profile.supporter_record_with_parent_consent.value", "            and False", "plan", "wirral gives supporters the record"),
    M("R56", DIST, "        for decision in self.export.distribution.child_copies:", "        for decision in ():", "plan", "children get no copies"),
    M("R60", DEF, 'amendment_window = { value = "1 week", source = "000 §4.14.4" }', 'amendment_window = { value = "2 weeks", source = "000 §4.14.4" }', "amend", "amendments accepted within two weeks"),
    M("R61", "pipeline/planning/amendments.py", '(a.sequence, a.amendment) for a in amendments if a.amendment.decision.status == "agreed"', '(a.sequence, a.amendment) for a in amendments if a.amendment.decision.status != "rejected"', "amend", "pending amendments are circulated"),
    M("R62", "pipeline/planning/amendments.py", "            if not changed_sections_seen(made.export, record_copy, amendment):\n                continue", "            if True:\n                continue", "amend", "no amendment notice goes to the record's holders"),
    M("R64", TIME, '        rule = profile.limit("first_review" if first else "later_review")', '        rule = profile.limit("later_review")', "plan", "the first review allowed 6 months"),
    M("R65", DEF, 'later_review = { value = "6 months", source = "000 §4.1.22" }', 'later_review = { value = "7 months", source = "000 §4.1.22" }', "plan", "later reviews allowed 7 months"),
    M("R69", PROC, '                "problem",\n                f"recorded as inquorate by the chair', '                "ok",\n                f"recorded as inquorate by the chair', "plan", "an inquorate conference is reported ok"),
    M("R70", TIME, "        early = review < deadline", "        early = True", "plan", "no early review needed after an inquorate conference"),
    M("R71", PROC, "        if attendance.report_submitted or attendance.represented_by:\n            continue", "        if True:\n            continue", "plan", "an absent professional who sent nothing passes"),
    M("R73", CHECKS, '        [(f"decisions[{i}].child", d.child) for i, d in enumerate(export.decisions)],', "        [],", "contract", "two decisions for one child pass"),
    M("R74", MEET, "        if export.is_child(d.child) and not export.child(d.child).subject:", "        if False:", "contract", "a decision about a child who is not a subject passes"),
    M("R75", CHECKS, "            if d.lead_social_worker is None:\n                issues.add(", "            if False:\n                issues.add(", "contract", "a plan without a lead social worker passes"),
    M("R76", CHECKS, '        if d.outcome == "plan_ends" and d.plan_end_reason is None:', "        if False:", "contract", "a plan ending without a reason passes"),
    M("R79", "pipeline/redaction/plain_language.py", "        return self.pattern.sub(lambda m: self.glossary[m.group(1)], text)", "        return text", "render", "acronyms are not written out for families"),
    M("R82", TASKS, 'TASK_NEEDS: tuple[TaskKind, ...] = ("translation", "interpreter",', 'TASK_NEEDS: tuple[TaskKind, ...] = ("translation",', "plan", "no interpreter task"),
    M("R19", REPORTS, "report.author_permits_appending and not attended_parts and _presented(report)", "not attended_parts and _presented(report)", "plan", "every report is appended to the record, permitted or not"),
    M("R41", DEF, 'to_family_initial = { value = "2 working days"', 'to_family_initial = { value = "1 working day"', "plan", "the family's reports are due 1 working day before an initial conference"),
    M("R42", WIR, 'social_worker_to_chair_initial = { value = "3 working days"', 'social_worker_to_chair_initial = { value = "2 working days"', "plan", "wirral's social worker's report is due 2 working days before"),
    M("R42 countersigned", WIR, 'countersigned_before = { value = "48 hours"', 'countersigned_before = { value = "24 hours"', "plan", "wirral's countersignature is due 24 hours before"),
    M("R50", REPORTS, "(not whole or r.kind == SOCIAL_WORK)", "(True)", "plan", "a parent excluded from the whole gets every report"),
    M("R87", CHECKS, '        yield f"distribution.authorisations[{i}].authorised_by", auth.authorised_by, "person"', "        pass", "contract", "an authorisation by an unknown person passes"),
]


def run_group(tree: Path, group: str, python: str) -> bool:
    """True if the group's tests pass in `tree`."""
    tests = [t for t in GROUPS[group] if (tree / t).exists()]
    command = [python, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", *tests]
    command += [f"--deselect={d}" for d in DESELECT]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    python = sys.executable
    chosen = [m for m in MUTATIONS if args.only is None or m.rule in args.only]
    with tempfile.TemporaryDirectory(prefix="rule-mutations-") as scratch:
        tree = Path(scratch) / "tree"
        shutil.copytree(
            args.tree,
            tree,
            ignore=shutil.ignore_patterns(".git", ".venv", "outbox", "preview", "__pycache__"),
        )
        for group in sorted({m.group for m in chosen}):
            if not run_group(tree, group, python):
                print(f"the {group} tests fail before any mutation; stopping", file=sys.stderr)
                return 2
        results = []
        for m in chosen:
            target = tree / m.path
            original = target.read_text(encoding="utf-8")
            pairs = [(m.old, m.new), *m.alternatives]
            found = [(old, new) for old, new in pairs if original.count(old) == 1]
            if not found:
                outcome = "absent"
            else:
                old, new = found[0]
                target.write_text(original.replace(old, new), encoding="utf-8")
                try:
                    outcome = "caught" if not run_group(tree, m.group, python) else "NOT CAUGHT"
                finally:
                    target.write_text(original, encoding="utf-8")
            results.append({"rule": m.rule, "outcome": outcome, "what": m.what})
            print(f"{m.rule:12} {outcome:11} {m.what}", flush=True)
    caught = sum(r["outcome"] == "caught" for r in results)
    print(f"\n{caught} of {len(results)} mutations caught")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
