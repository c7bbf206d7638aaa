"""Each request → who is signed in (or nobody), with its form's CSRF token checked.

The cookie (Flask's, signed: HttpOnly, SameSite=Strict, Secure behind TLS) holds a random session
token and the CSRF token, never a password or a person's data. The session itself is on the
server (`store.web_sessions`, by the token's SHA-256): signing out or disabling the account ends
it for good, even for a copy of the cookie; a session idle longer than the configured time, or
older than the longest allowed, is ended too. The account is read again on every request. Every
POST carries the session's CSRF token in the field `csrf_token` or is refused with 403 before any
view runs.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for

from pipeline.service.accounts import Account, account_by_id, web_user
from pipeline.web.context import desk

TOKEN, CSRF = "session", "csrf"
CSRF_FIELD = "csrf_token"
# A page seen is written down at most this often: idle time is right to within it.
SEEN_EVERY = timedelta(seconds=30)
View = TypeVar("View", bound=Callable[..., Any])


def install(app: Flask) -> None:
    app.before_request(_who_is_asking)
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    """The session's token for its forms (made on first use, also before sign-in)."""
    if CSRF not in session:
        session[CSRF] = secrets.token_urlsafe(32)
    return cast(str, session[CSRF])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def begin_session(account: Account) -> None:
    """A new session for the account just signed in: nothing of the one before is kept."""
    session.clear()
    token = secrets.token_urlsafe(32)
    desk().store.begin_web_session(_digest(token), account.id, at=desk().now())
    session[TOKEN] = token
    session[CSRF] = secrets.token_urlsafe(32)


def end_session(why: str = "signed out") -> None:
    token = session.get(TOKEN)
    account = current()
    if token and account is not None:
        desk().store.end_web_session(
            _digest(str(token)), at=desk().now(), user=web_user(account.email), why=why
        )
    session.clear()


def current() -> Account | None:
    return cast(Account | None, g.get("account"))


def account() -> Account:
    """The signed-in account, in a view `signed_in` guards."""
    found = current()
    assert found is not None  # the view is guarded
    return found


def signed_in(view: View) -> View:
    """The view for a signed-in person; anyone else is sent to sign in, and back here after."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current() is None:
            # Back to the page after signing in; a form posted is not posted again.
            back = request.full_path.rstrip("?") if request.method == "GET" else "/"
            return redirect(url_for("login", next=back))
        return view(*args, **kwargs)

    return cast(View, guarded)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server only, never another host."""
    if not target:
        return "/"
    parts = urlsplit(target)
    # "//host" and "/\\host" are other hosts to a browser.
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"
    return target


def _who_is_asking() -> None:
    g.account = None
    if request.endpoint == "asset":
        return
    if request.method == "POST":
        sent = request.form.get(CSRF_FIELD, "")
        expected = session.get(CSRF, "")
        if not expected or not hmac.compare_digest(str(sent), str(expected)):
            abort(
                403,
                "This form has expired or did not come from this service. Go back, reload the "
                "page and try again.",
            )
    token = session.get(TOKEN)
    if not token:
        return
    here = desk()
    digest = _digest(str(token))
    kept = here.store.web_session(digest)
    now = here.now()
    account = account_by_id(here.store, kept.user_id) if kept is not None else None
    if kept is None or kept.ended_at is not None or account is None or account.disabled:
        session.pop(TOKEN, None)
        return
    settings = here.settings
    if now - kept.seen_at > settings.idle or now - kept.started_at > settings.longest:
        g.account = account  # for the audit line of the session's end
        end_session("idle" if now - kept.seen_at > settings.idle else "too long")
        g.account = None
        return
    if now - kept.seen_at >= SEEN_EVERY:
        here.store.saw_web_session(digest, at=now)
    g.account = account
