"""Each request → who is signed in (or nobody), with its form's CSRF token checked.

The session is Flask's signed cookie (HttpOnly, SameSite=Strict, Secure behind TLS): it holds the
account's id, when a page was last asked for and the CSRF token, never a password or a person's
data. The account is read again on every request, so disabling one ends its sessions at once; a
session idle longer than the configured time is signed out. Every POST carries the session's CSRF
token in the field `csrf_token` or is refused with 403 before any view runs.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for

from pipeline.service.accounts import Account, account_by_id
from pipeline.web.context import desk

ACCOUNT, SEEN, CSRF = "account", "seen", "csrf"
CSRF_FIELD = "csrf_token"
View = TypeVar("View", bound=Callable[..., Any])


def install(app: Flask) -> None:
    app.before_request(_who_is_asking)
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    """The session's token for its forms (made on first use, also before sign-in)."""
    if CSRF not in session:
        session[CSRF] = secrets.token_urlsafe(32)
    return cast(str, session[CSRF])


def begin_session(account: Account) -> None:
    """A new session for the account just signed in: nothing of the one before is kept."""
    session.clear()
    session[ACCOUNT] = account.id
    session[SEEN] = desk().now().timestamp()
    session[CSRF] = secrets.token_urlsafe(32)


def end_session() -> None:
    session.clear()


def current() -> Account | None:
    return cast(Account | None, g.get("account"))


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
            abort(403, "This form has expired or did not come from this service. Go back, "
                  "reload the page and try again.")
    account_id = session.get(ACCOUNT)
    if account_id is None:
        return
    seen = float(session.get(SEEN, 0))
    now = desk().now().timestamp()
    if now - seen > desk().settings.idle.total_seconds():
        end_session()
        return
    account = account_by_id(desk().store, int(account_id))
    if account is None or account.disabled:
        end_session()
        return
    session[SEEN] = now
    g.account = account
