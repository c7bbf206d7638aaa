"""An email, a password and where they came from → a signed-in account, or refused in words safe to show; and the accounts an administrator adds and disables.

Passwords are kept only as Argon2id hashes (`argon2-cffi`'s PasswordHasher, with its current
parameters; a hash made with weaker ones is replaced at the next sign-in). A sign-in refused
for a wrong password, an unknown email or a disabled account says the same words and costs the
same time (an unknown email is checked against a dummy hash), so the sign-in page never tells
which emails have accounts. Repeated failures lock sign-in for the email, and for the address
they came from, for a while: guessing a password, or trying one password on many accounts, is
slowed to about ten tries an hour. Every attempt is recorded and audited.

`user`, as everywhere in the audit log: who is acting, "web:<email>" for a signed-in web user,
"os:<login>" for the CLI's operating-system user.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.errors import AccountError, SignInRefused, StoreError, StoreUnavailable
from pipeline.procedure.calendar import UK_TIME
from pipeline.store.rows import UserRow

if TYPE_CHECKING:
    from pipeline.store.db import Store

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "Account",
    "AccountError",
    "Role",
    "SignInPolicy",
    "SignInRefused",
    "account_by_id",
    "add_user",
    "check_new_account",
    "disable_user",
    "list_users",
    "sign_in",
]

Role = Literal["administrator", "chair", "social_worker", "auditor"]
ROLES: tuple[Role, ...] = ("administrator", "chair", "social_worker", "auditor")

# NCSC guidance: length, not composition rules, is what makes a password hard to guess; twelve
# characters (three random words, say) is out of reach of guessing at the lock's pace.
MIN_PASSWORD_LENGTH = 12
# RFC 5321 caps a forward path at 256 octets with its brackets: no real address is longer.
_MAX_EMAIL_LENGTH = 254
# One @, something either side, no spaces or control characters: an address, not a check
# that it is delivered to (the account's email is matched with the export's, never mailed).
_ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")

_HASHER = PasswordHasher()  # argon2id, with the library's current parameters (RFC 9106)

_REFUSED = (
    "Sign-in refused: the email address and password do not match an account that can sign "
    "in. Check them and try again, or ask an administrator."
)


@dataclass(frozen=True, slots=True)
class Account:
    """A web account as the pages and the checks of who may act read it: never its hash."""

    id: int
    email: str
    role: Role
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """After `max_failures` failed attempts within `window`, for one email or from one address,
    sign-in is refused (the right password too) until `lock_for` after the last of them."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)


def web_user(email: str) -> str:
    """Who acted, as the audit log's `user` column has it for the front desk."""
    return f"web:{email}"


def normal_email(email: str) -> str:
    """An email as accounts are kept and matched: without surrounding spaces, lower-cased."""
    return email.strip().lower()


def _account(row: UserRow) -> Account:
    if row.role not in ROLES:
        raise AccountError(f"account {row.email} has the role {row.role!r}, which is not known")
    return Account(
        id=row.id,
        email=row.email,
        role=row.role,
        disabled=row.disabled,
        created_at=row.created_at,
    )


def _checked_email(email: str) -> str:
    kept = normal_email(email)
    if len(kept) > _MAX_EMAIL_LENGTH or not _ADDRESS.fullmatch(kept):
        raise AccountError(
            f"{email!r} is not an email address: it needs one @ with something either side, "
            f"no spaces, and at most {_MAX_EMAIL_LENGTH} characters"
        )
    return kept


def _checked_role(role: str) -> Role:
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role: the roles are {', '.join(ROLES)}")
    return role


def _checked_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password has {len(password)} characters; it needs at least "
            f"{MIN_PASSWORD_LENGTH}, because a long password (three random words, say) is what "
            "keeps a guesser out, not its mix of letters and signs"
        )


def check_new_account(email: str, role: str, password: str) -> tuple[str, Role]:
    """The email as it would be kept and the role, if an account could be made of these
    (AccountError if not), before any store is opened or made."""
    kept = _checked_email(email)
    checked_role = _checked_role(role)
    _checked_password(password)
    return kept, checked_role


def add_user(store: Store, email: str, role: Role, password: str, *, user: str) -> Account:
    """A new enabled account (audited as `user_added`). AccountError if the email is not an
    address, the role unknown, the password short, or the email has an account already."""
    kept, checked_role = check_new_account(email, role, password)
    if store.user_by_email(kept) is not None:
        raise AccountError(f"{kept} already has an account; an email has one account only")
    try:
        row = store.add_user(kept, checked_role, _HASHER.hash(password), user=user)
    except StoreUnavailable as exc:
        if exc.kind == "raced":  # added by someone else since the check above
            raise AccountError(
                f"{kept} already has an account; an email has one account only"
            ) from exc
        raise
    return _account(row)


def disable_user(store: Store, email: str, *, user: str) -> Account:
    """The account can no longer sign in, and a session it has stops working (the web reads
    `disabled` on each request); audited as `user_disabled`. Its row and history stay."""
    kept = normal_email(email)
    row = store.user_by_email(kept)
    if row is None:
        raise AccountError(f"{kept} has no account")
    if row.disabled:
        when = row.disabled_at.astimezone(UK_TIME).date() if row.disabled_at else "before"
        raise AccountError(f"{kept} was already disabled ({when}); nothing was changed")
    try:
        return _account(store.disable_user(row.id, user=user))
    except StoreError as exc:  # disabled by someone else since it was read
        raise AccountError(f"{kept} was already disabled; nothing was changed") from exc


def list_users(store: Store) -> list[Account]:
    """Every account, enabled or not, in the order they were added."""
    return [_account(row) for row in store.users()]


def account_by_id(store: Store, account_id: int) -> Account | None:
    """The account a session names, or None if there is none (disabled ones too: the caller
    refuses those)."""
    row = store.user_by_id(account_id)
    return _account(row) if row is not None else None


@functools.cache
def _dummy_hash() -> str:
    # Made once per process, with the same parameters as a real one, so that checking a
    # password for an unknown email costs what checking a real account's does.
    return _HASHER.hash("no account has this password; it is only ever compared")


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        # A wrong password; or a stored hash that cannot be read, which is refused the same.
        return False


def _lock_end(times: list[datetime], now: datetime, policy: SignInPolicy) -> datetime | None:
    """When the lock these failures' times (oldest first) set ends, if it has not by `now`."""
    ends = [
        last + policy.lock_for
        for i, last in enumerate(times)
        if i + 1 >= policy.max_failures
        and last - times[i + 1 - policy.max_failures] <= policy.window
    ]
    end = max(ends, default=None)
    return end if end is not None and end > now else None


def _failure_times(
    store: Store, email: str, address: str, now: datetime, policy: SignInPolicy
) -> tuple[list[datetime], list[datetime]]:
    """The times of the failures for the email, and from the address, that may still count."""
    # A lock lasts `lock_for` after a run of failures within `window`: any failure that could
    # still be part of a lock in force is at most window + lock_for old.
    since = now - policy.window - policy.lock_for
    by_email = store.failures_since(email=email, since=since)
    by_address = store.failures_since(address=address, since=since)
    return (
        [f.at for f in by_email if f.at <= now],
        [f.at for f in by_address if f.at <= now],
    )


def _locked_until(
    times: tuple[list[datetime], list[datetime]], now: datetime, policy: SignInPolicy
) -> datetime | None:
    ends = (_lock_end(kind, now, policy) for kind in times)
    return max((end for end in ends if end is not None), default=None)


def _locked_words(until: datetime, policy: SignInPolicy) -> str:
    # Rounded up to the minute: a try at the minute said is never still refused.
    seconds = math.ceil(until.timestamp() / 60) * 60
    shown = datetime.fromtimestamp(seconds, UK_TIME)
    return (
        f"Sign-in is locked after {policy.max_failures} failed attempts: try again at "
        f"{shown:%H:%M} on {shown.day} {shown:%B %Y} (UK time), or ask an administrator."
    )


def sign_in(
    store: Store,
    email: str,
    password: str,
    *,
    address: str,
    now: datetime,
    policy: SignInPolicy = SignInPolicy(),
) -> Account:
    """The enabled account whose email and password these are, signed in (audited `sign_in`).

    SignInRefused otherwise, in words safe to show: the same for a wrong password, an unknown
    email and a disabled account (`sign_in_failed`); saying until when (UK time) while a lock
    for the email or the address is on (`sign_in_locked`), the right password included.
    `now`: an aware time, the attempt's; `address`: where the attempt came from."""
    if now.utcoffset() is None:
        raise ValueError("sign_in: `now` must carry its time zone")
    kept = normal_email(email)[: _MAX_EMAIL_LENGTH + 1]  # as typed, unless far too long

    def record(succeeded: bool, *lines: tuple[str, dict[str, str]], locked: bool = False) -> None:
        store.record_sign_in_attempt(
            email=kept,
            address=address,
            succeeded=succeeded,
            locked=locked,
            at=now,
            lines=[(action, {"address": address} | detail) for action, detail in lines],
            user=web_user(kept),
        )

    failures = _failure_times(store, kept, address, now, policy)
    until = _locked_until(failures, now, policy)
    if until is not None:
        # No password is tried while locked: a guess cannot be tested, so it is no failure.
        record(False, ("sign_in_locked", {"until": until.isoformat()}), locked=True)
        raise SignInRefused(_locked_words(until, policy))
    row = store.user_by_email(kept)
    matches = _password_matches(row.password_hash if row else _dummy_hash(), password)
    if row is None or row.disabled or not matches:
        reason = (
            "no such account" if row is None else "disabled" if row.disabled else "wrong password"
        )
        failed = ("sign_in_failed", {"reason": reason})
        # Does this failure begin a lock? Then it is said now, not at the next try.
        until = _locked_until((failures[0] + [now], failures[1] + [now]), now, policy)
        if until is None:
            record(False, failed)
            raise SignInRefused(_REFUSED)
        record(False, failed, ("sign_in_locked", {"until": until.isoformat()}))
        raise SignInRefused(_locked_words(until, policy))
    if _HASHER.check_needs_rehash(row.password_hash):
        store.replace_password_hash(row.id, _HASHER.hash(password))
    record(True, ("sign_in", {"role": row.role}))
    return _account(row)
