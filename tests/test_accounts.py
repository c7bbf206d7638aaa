"""Web accounts and sign-in through a real SQLite store (issue 15: accounts and sign-in).

A password is kept only as an Argon2id hash; passwords shorter than 12 characters, emails that
are not addresses, unknown roles and a second account for one email are refused. A wrong
password, an unknown email and a disabled account are refused in the same words. Five failures
within 15 minutes for one email, or from one address, lock sign-in for 15 minutes after the
last, the right password too; the refusal says until when in UK time. Every attempt is
recorded and audited with the user it was for.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, extract_parameters

from pipeline.errors import StoreUnavailable
from pipeline.service.accounts import (
    AccountError,
    SignInPolicy,
    SignInRefused,
    account_by_id,
    add_user,
    disable_user,
    list_users,
    sign_in,
)
from pipeline.store.db import Store
from tests.backends import Database

# All fictional: the example authority's chair and social worker.
CHAIR = "helen.marsh@northby.example.gov.uk"
WORKER = "sam.okafor@northby.example.gov.uk"
PASSWORD = "lantern orchard pebble"
OPERATOR = "os:test-operator"
HERE = "192.0.2.10"  # documentation addresses (RFC 5737)
ELSEWHERE = "198.51.100.7"
# A winter morning: UK time is UTC (GMT).
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SAME_WORDS = (
    "Sign-in refused: the email address and password do not match an account that can sign "
    "in. Check them and try again, or ask an administrator."
)


@pytest.fixture
def store(tmp_path: Path, database: Database) -> Iterator[Store]:
    opened = database.open(tmp_path)
    yield opened
    opened.close()


def _refusal(store: Store, email: str, password: str, **how: object) -> str:
    with pytest.raises(SignInRefused) as refused:
        sign_in(store, email, password, **how)  # type: ignore[arg-type]
    return str(refused.value)


def _fail_times(store: Store, email: str, times: list[datetime], address: str = HERE) -> None:
    for moment in times:
        with pytest.raises(SignInRefused):
            sign_in(store, email, "not the password", address=address, now=moment)


def _minutes(*offsets: float, start: datetime = MORNING) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in offsets]


# ---- adding, disabling, listing ---------------------------------------------------------------


def test_a_password_shorter_than_twelve_characters_is_refused_saying_why(store: Store) -> None:
    with pytest.raises(AccountError) as refused:
        add_user(store, CHAIR, "chair", "eleven char", user=OPERATOR)
    assert "at least 12" in str(refused.value)
    assert "long password" in str(refused.value)  # the why, not only the rule
    with pytest.raises(AccountError, match="at least 12"):
        add_user(store, CHAIR, "chair", "elevenchars", user=OPERATOR)
    assert list_users(store) == []
    add_user(store, CHAIR, "chair", "twelve chars", user=OPERATOR)
    assert [a.email for a in list_users(store)] == [CHAIR]


@pytest.mark.parametrize(
    "email",
    [
        "helen.marsh.northby.example.gov.uk",  # no @
        "helen@marsh@northby.example.gov.uk",  # two
        "helen marsh@northby.example.gov.uk",  # a space inside
        "@northby.example.gov.uk",  # nobody before the @
        "helen.marsh@",  # nowhere after it
        "helen.marsh@northby\x00.example.gov.uk",  # a control character
        "",
    ],
)
def test_an_email_that_is_not_an_address_is_refused(store: Store, email: str) -> None:
    with pytest.raises(AccountError, match="is not an email address"):
        add_user(store, email, "chair", PASSWORD, user=OPERATOR)
    assert list_users(store) == []


def test_an_unknown_role_is_refused_naming_the_roles(store: Store) -> None:
    with pytest.raises(AccountError) as refused:
        add_user(store, CHAIR, "superuser", PASSWORD, user=OPERATOR)  # type: ignore[arg-type]
    assert "administrator, chair, social_worker, auditor" in str(refused.value)
    assert list_users(store) == []


def test_an_email_is_kept_lower_cased_and_has_one_account_however_typed(store: Store) -> None:
    added = add_user(
        store, "  Helen.Marsh@Northby.Example.gov.uk ", "chair", PASSWORD, user=OPERATOR
    )
    assert added.email == CHAIR
    with pytest.raises(AccountError, match="already has an account"):
        add_user(store, CHAIR.upper(), "auditor", PASSWORD + "!", user=OPERATOR)
    assert [(a.email, a.role) for a in list_users(store)] == [(CHAIR, "chair")]


def test_only_an_argon2id_hash_is_stored_never_the_password(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    with store.engine.connect() as connection:
        (row,) = connection.execute(sa.text("SELECT * FROM users")).mappings().all()
        audit = connection.execute(sa.text("SELECT * FROM audit_log")).mappings().all()
    assert PASSWORD not in " ".join(str(v) for v in row.values())
    assert PASSWORD not in " ".join(str(v) for line in audit for v in line.values())
    assert row["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(row["password_hash"], PASSWORD)


def test_adding_and_disabling_are_audited_with_who_did_it(store: Store) -> None:
    added = add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    disabled = disable_user(store, CHAIR.upper(), user="os:another-operator")
    assert (added.disabled, disabled.disabled) == (False, True)
    lines = [(a.action, a.user, a.detail) for a in store.audit_lines()]
    assert lines == [
        ("user_added", OPERATOR, {"email": CHAIR, "role": "chair"}),
        ("user_disabled", "os:another-operator", {"email": CHAIR, "role": "chair"}),
    ]
    account = account_by_id(store, added.id)
    assert account is not None and account.disabled
    assert account_by_id(store, added.id + 1) is None


def test_disabling_twice_or_an_unknown_account_is_refused(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    disable_user(store, CHAIR, user=OPERATOR)
    with pytest.raises(AccountError, match="already disabled"):
        disable_user(store, CHAIR, user=OPERATOR)
    with pytest.raises(AccountError, match="has no account"):
        disable_user(store, WORKER, user=OPERATOR)
    assert [line.action for line in store.audit_lines()] == ["user_added", "user_disabled"]


# ---- signing in -------------------------------------------------------------------------------


def test_the_right_password_signs_in_and_a_wrong_one_is_refused(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    account = sign_in(
        store, " HELEN.Marsh@northby.example.gov.uk", PASSWORD, address=HERE, now=MORNING
    )
    assert (account.email, account.role, account.disabled) == (CHAIR, "chair", False)
    assert _refusal(store, CHAIR, PASSWORD.upper(), address=HERE, now=MORNING) == SAME_WORDS


def test_unknown_email_wrong_password_and_disabled_account_are_refused_alike(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    add_user(store, WORKER, "social_worker", PASSWORD, user=OPERATOR)
    disable_user(store, WORKER, user=OPERATOR)
    refusals = {
        "unknown": _refusal(
            store, "nobody@northby.example.gov.uk", PASSWORD, address=HERE, now=MORNING
        ),
        "wrong password": _refusal(
            store, CHAIR, "not the password", address=ELSEWHERE, now=MORNING
        ),
        # The right password of a disabled account.
        "disabled": _refusal(store, WORKER, PASSWORD, address="203.0.113.5", now=MORNING),
    }
    assert set(refusals.values()) == {SAME_WORDS}
    # The audit log, for an administrator, does say which it was.
    reasons = [a.detail["reason"] for a in store.audit_lines() if a.action == "sign_in_failed"]
    assert reasons == ["no such account", "wrong password", "disabled"]


def test_an_unknown_email_costs_the_time_of_a_real_password_check(store: Store) -> None:
    """Checked against a dummy hash of the same parameters, so the time does not tell."""
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)

    def seconds(email: str, n: int) -> float:
        started = time.perf_counter()
        _refusal(store, email, "not the password", address=f"192.0.2.{n}", now=MORNING)
        return time.perf_counter() - started

    sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING)  # the dummy hash made, once
    unknown = statistics.median(seconds(CHAIR.replace("helen", f"h{n}"), n) for n in range(3))
    real = statistics.median(seconds(CHAIR, 10 + n) for n in range(3))
    # Unchecked, an unknown email answers in about a millisecond, a password check in tenths.
    assert unknown > real * 0.4
    # And the hash it is checked against is as costly as a stored one.
    stored = store.users()[0].password_hash
    from pipeline.service import accounts

    assert extract_parameters(accounts._dummy_hash()) == extract_parameters(stored)


def test_a_hash_made_with_weaker_parameters_is_replaced_at_sign_in(store: Store) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    store.add_user(CHAIR, "chair", weak, user=OPERATOR)
    sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING)
    (row,) = store.users()
    assert row.password_hash != weak
    assert extract_parameters(row.password_hash) == extract_parameters(PasswordHasher().hash("x"))
    assert sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING).email == CHAIR


# ---- locking ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "shown"),
    [
        (MORNING, "try again at 10:19 on 1 December 2026 (UK time)"),  # GMT: UTC
        (
            datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
            "try again at 11:19 on 1 July 2026 (UK time)",
        ),  # BST
    ],
)
def test_five_failures_for_an_account_lock_it_even_for_the_right_password(
    store: Store, start: datetime, shown: str
) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    # From five addresses: the account's own count locks it, not one address's.
    for n, moment in enumerate(_minutes(0, 1, 2, 3, start=start)):
        _fail_times(store, CHAIR, [moment], address=f"192.0.2.{n}")
    fifth = _refusal(
        store, CHAIR, "still wrong", address="192.0.2.4", now=start + timedelta(minutes=4)
    )
    assert fifth.startswith("Sign-in is locked after 5 failed attempts")
    assert shown in fifth
    # The right password, from an address that never failed, while the lock is on.
    locked = _refusal(
        store, CHAIR, PASSWORD, address=ELSEWHERE, now=start + timedelta(minutes=18, seconds=59)
    )
    assert shown in locked
    # Fifteen minutes after the last failure (10:04 + 15), the right password signs in.
    assert (
        sign_in(store, CHAIR, PASSWORD, address=ELSEWHERE, now=start + timedelta(minutes=19)).email
        == CHAIR
    )


def test_five_failures_from_one_address_lock_every_account_from_there(store: Store) -> None:
    """One password tried on many accounts: the address's count locks it."""
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    for n, moment in enumerate(_minutes(0, 2, 4, 6, 8)):
        _fail_times(store, f"guess{n}@northby.example.gov.uk", [moment])
    refused = _refusal(store, CHAIR, PASSWORD, address=HERE, now=MORNING + timedelta(minutes=9))
    assert "try again at 10:23 on 1 December 2026 (UK time)" in refused
    # The same account from another address is not locked.
    assert sign_in(store, CHAIR, PASSWORD, address=ELSEWHERE, now=MORNING + timedelta(minutes=9))
    assert sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING + timedelta(minutes=23))


def test_tries_while_locked_do_not_lengthen_the_lock(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    _fail_times(store, CHAIR, _minutes(0, 1, 2, 3, 4))
    # Guesses every minute of the lock are refused unchecked ...
    for moment in _minutes(*range(5, 19)):
        assert "locked" in _refusal(store, CHAIR, "guess", address=HERE, now=moment)
    # ... and the lock still ends fifteen minutes after the last real failure.
    assert sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING + timedelta(minutes=19))


def test_failures_spread_wider_than_the_window_do_not_lock(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    # Five failures over 16 minutes: never five within 15.
    _fail_times(store, CHAIR, _minutes(0, 4, 8, 12, 16))
    assert sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING + timedelta(minutes=17))


def test_the_policy_is_a_setting(store: Store) -> None:
    strict = SignInPolicy(max_failures=2, window=timedelta(minutes=1), lock_for=timedelta(hours=1))
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    with pytest.raises(SignInRefused):
        sign_in(store, CHAIR, "wrong", address=HERE, now=MORNING, policy=strict)
    second = _refusal(
        store, CHAIR, "wrong", address=HERE, now=MORNING + timedelta(seconds=30), policy=strict
    )
    assert "locked after 2 failed attempts: try again at 11:01 on 1 December 2026" in second


def test_every_attempt_is_recorded_and_audited_with_the_user_and_address(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    sign_in(store, CHAIR, PASSWORD, address=HERE, now=MORNING)
    _fail_times(store, CHAIR, _minutes(1, 2, 3, 4, 5))
    _refusal(store, CHAIR, PASSWORD, address=ELSEWHERE, now=MORNING + timedelta(minutes=6))
    web = f"web:{CHAIR}"
    until = "2026-12-01T10:20:00+00:00"
    assert [(a.action, a.user, a.detail) for a in store.audit_lines()[1:]] == [
        ("sign_in", web, {"address": HERE, "role": "chair"}),
        *[("sign_in_failed", web, {"address": HERE, "reason": "wrong password"})] * 5,
        ("sign_in_locked", web, {"address": HERE, "until": until}),  # the fifth began the lock
        ("sign_in_locked", web, {"address": ELSEWHERE, "until": until}),
    ]
    attempts = [(a.email, a.address, a.succeeded, a.locked) for a in store.sign_in_attempts()]
    assert attempts == [
        (CHAIR, HERE, True, False),
        *[(CHAIR, HERE, False, False)] * 5,
        (CHAIR, ELSEWHERE, False, True),
    ]


def test_a_sign_in_time_must_carry_its_zone(store: Store) -> None:
    with pytest.raises(ValueError, match="time zone"):
        sign_in(store, CHAIR, PASSWORD, address=HERE, now=datetime(2026, 12, 1, 10, 0))


def test_the_audit_log_stays_append_only_with_its_user_column(store: Store) -> None:
    add_user(store, CHAIR, "chair", PASSWORD, user=OPERATOR)
    for statement in ("UPDATE audit_log SET \"user\" = 'someone'", "DELETE FROM audit_log"):
        with pytest.raises(StoreUnavailable, match="append-only"), store.transaction() as c:
            c.exec_driver_sql(statement)
    assert [line.user for line in store.audit_lines()] == [OPERATOR]
