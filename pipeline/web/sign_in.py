"""`/login` and `/logout`: an email and password → a new session, or the same words for every
refusal (so the page never tells which emails have accounts); attempts are limited per account and
per address and every one is audited (`service.accounts.sign_in`)."""

from __future__ import annotations

from flask import Flask, redirect, render_template, request
from werkzeug.wrappers import Response

from pipeline.service.accounts import SignInPolicy, SignInRefused, sign_in
from pipeline.web import guard
from pipeline.web.context import desk


def install(app: Flask) -> None:
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    # GET too, for a link or a script: the cookie is SameSite=Strict, so another site's link
    # arrives without it and cannot sign anyone out; the page's own button posts.
    app.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])


def login() -> Response | str | tuple[str, int]:
    target = guard.safe_next(request.values.get("next"))
    if request.method == "GET":
        if guard.current() is not None:
            return redirect(target)
        return render_template("login.html", next=target, email="", error=None)
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    here = desk()
    settings = here.settings
    try:
        with here.sign_in_lock:
            account = sign_in(
                here.store,
                email,
                password,
                address=request.remote_addr or "unknown",
                now=here.now(),
                policy=SignInPolicy(
                    max_failures=settings.max_failures,
                    window=settings.failure_window,
                    lock_for=settings.lock_for,
                ),
            )
    except SignInRefused as exc:
        return render_template("login.html", next=target, email=email, error=str(exc)), 200
    guard.begin_session(account)
    return redirect(target, code=303)


def logout() -> Response:
    guard.end_session()
    return redirect("/login", code=303)
