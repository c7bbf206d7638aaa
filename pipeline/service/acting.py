"""A signed-in account and a conference's export → whom the account acts for, and what it may do there.

Pure: the account, the export and the copy's row go in, a yes or no comes out; the web asks
before each page and each action, and the service's own checks (`service.decisions`,
`service.amendment_intake`) still stand behind it. An account acts only for the conference's
people whose `email` in the export is its own (nobody acts for anyone else), and only
in its role: an administrator whose address is also the chair's in some export is still an
administrator there. A disabled account may do nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Literal, Protocol

from pipeline.contract.export import Export
from pipeline.planning.copy_state import RELEASABLE
from pipeline.planning.entitlements import case_social_worker

if TYPE_CHECKING:
    from pipeline.service.accounts import Account

Action = Literal["release", "withdraw", "handed-over", "task-done"]
ACTIONS: tuple[Action, ...] = ("release", "withdraw", "handed-over", "task-done")

# A copy in one of these states has left or will never leave: the chair cannot withdraw it
# (service.decisions.withdraw refuses the same, with the reason).
NOT_WITHDRAWABLE = frozenset({"delivered", "sending", "withdrawn"})


class Routed(Protocol):
    """A copy as the store or the plan has it: who it goes through (the lead social worker)."""

    @property
    def via(self) -> str | None: ...


class CopyLike(Routed, Protocol):
    @property
    def copy_key(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def document(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def hold_kind(self) -> str | None: ...


class TaskLike(Protocol):
    @property
    def owner(self) -> str | None: ...
    @property
    def recipient(self) -> str: ...
    @property
    def document(self) -> str: ...
    @property
    def done_on(self) -> object: ...
    @property
    def report(self) -> str | None: ...


def _same_address(email: str) -> str:
    return email.strip().casefold()


def persons_for(export: Export, email: str) -> frozenset[str]:
    """The ids of the conference's people whose export `email` is `email` (case-insensitive,
    trimmed); none for an empty address, so an account without one acts for nobody."""
    wanted = _same_address(email)
    if not wanted:
        return frozenset()
    return frozenset(
        p.id for p in export.people if p.email is not None and _same_address(p.email) == wanted
    )


def _acts_as(account: Account, export: Export, role: str) -> frozenset[str]:
    """The people `account` acts for in this conference, if it is enabled and has `role`."""
    if account.disabled or account.role != role:
        return frozenset()
    return persons_for(export, account.email)


def may_decide(account: Account, export: Export) -> bool:
    """Only the conference's chair releases or withdraws a held copy (spec §4 rule 7) and decides
    on an amendment (002 §22.7, R61): a chair account acting for `conference.chair`. So an
    administrator, or the chair of another conference, may not."""
    return export.conference.chair in _acts_as(account, export, "chair")


def may_hand_over(account: Account, export: Export, copy: Routed) -> bool:
    """Only the lead social worker the copy went through confirms its hand-over (R32; 002
    §22.9; spec §5: the hand-over date is the recipient's receipt date): a social worker
    account acting for the copy's `via`."""
    return copy.via is not None and copy.via in _acts_as(account, export, "social_worker")


def lead_social_workers_of(export: Export) -> frozenset[str]:
    """The conference's lead social workers: those its decisions name (`decisions[].
    lead_social_worker`, R75), else the case's social worker who hands family copies over
    (`planning.entitlements.case_social_worker`, R32) before any decision names one."""
    named = frozenset(d.lead_social_worker for d in export.decisions if d.lead_social_worker)
    if named:
        return named
    case = case_social_worker(export)
    return frozenset({case}) if case is not None else frozenset()


def may_see_document(account: Account, export: Export) -> bool:
    """The document itself (the PDF as its recipient received it) only for the conference's chair
    and its lead social worker (administrators and auditors see the record of a copy,
    not its content; a copy may hold what is withheld from others, spec §4)."""
    return may_decide(account, export) or bool(
        _acts_as(account, export, "social_worker") & lead_social_workers_of(export)
    )


def may_mark_task_done(account: Account, export: Export, task: TaskLike) -> bool:
    """A task the plan set (a translation, a hand-over) is marked done by the person it is for to
    do (its `owner`, usually the lead social worker: planning.tasks), never by someone else for
    them, and only in the owner's role: the chair's own task by a chair account, anyone else's
    by a social worker account (an administrator or auditor only reads). A task about a
    report (its submission, its countersignature) is its author's, and the conference's
    chair's too: the report is due to them, and they know when it reached them (000
    §4.7.8-4.7.9; 002 §15.7)."""
    if task.report is not None and may_decide(account, export):
        return True
    if task.owner is None:
        return False
    role = "chair" if task.owner == export.conference.chair else "social_worker"
    return task.owner in _acts_as(account, export, role)


def may_see_conference(account: Account, export: Export | None) -> bool:
    """A conference's pages (its people's names, what was sent and decided) are for those who
    need them: administrators and auditors for every conference, anyone else only where they
    act for one of its people (the chair, a social worker; nobody acts for anyone else).
    `export` None: one that cannot be read now, so no one can be shown to act in it."""
    if account.disabled:
        return False
    if account.role in ("administrator", "auditor"):
        return True
    return export is not None and bool(persons_for(export, account.email))


def may_requeue(account: Account) -> bool:
    """Re-queueing a replaced quarantined file is the administrator's, who looks after the inbox."""
    return not account.disabled and account.role == "administrator"


def may_read_audit(account: Account) -> bool:
    """The audit log and the quarantine are read by administrators and auditors."""
    return not account.disabled and account.role in ("administrator", "auditor")


def actions_for(
    account: Account,
    export: Export,
    copy_row: CopyLike,
    pending: Collection[str],
    *,
    handed_over: bool = False,
    open_tasks: Iterable[TaskLike] = (),
) -> tuple[Action, ...]:
    """The actions the copy page offers: what this account may do AND what the copy's state
    allows, so no button is shown that the service would refuse.

    `pending`: the conference's copy keys with a delivery begun and not finished (as
    `service.decisions.withdraw` takes it); `handed_over`: the copy's hand-over is recorded
    already; `open_tasks`: the conference's tasks not done."""
    actions: list[Action] = []
    if may_decide(account, export):
        # Only a held copy whose hold a person can judge is released (copy_state.RELEASABLE;
        # service.decisions.release): a leak or a changed record needs a new export.
        if copy_row.status == "held" and copy_row.hold_kind in RELEASABLE:
            actions.append("release")
        if copy_row.status not in NOT_WITHDRAWABLE and copy_row.copy_key not in pending:
            actions.append("withdraw")
    if (
        copy_row.status == "delivered"
        and not handed_over
        and copy_row.copy_key not in pending
        and may_hand_over(account, export, copy_row)
    ):
        actions.append("handed-over")
    if any(
        t.done_on is None
        and (t.recipient, t.document) == (copy_row.recipient, copy_row.document)
        and may_mark_task_done(account, export, t)
        for t in open_tasks
    ):
        actions.append("task-done")
    return tuple(actions)
