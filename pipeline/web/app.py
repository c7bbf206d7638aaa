"""The configuration, an open store and the profiles → the front desk's Flask application.

Pages and actions call the same service functions as the CLI, so the same checks and the same
audit log apply; who may do what is `service.acting`'s to say. Every answer carries headers that
keep it out of caches and frames and allow no script or style from anywhere but this server.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Flask, Response, g, render_template, request
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from pipeline import clock
from pipeline.config import Config
from pipeline.errors import CpcError, NotPermitted
from pipeline.procedure.calendar import UK_TIME, uk_date
from pipeline.procedure.profile import Profile
from pipeline.store.db import Store
from pipeline.web import actions, assets, guard, pages, sign_in
from pipeline.web.context import EXTENSION, Desk
from pipeline.web.desk_settings import desk_settings


def create_app(
    config: Config,
    store: Store,
    profiles: dict[str, Profile],
    *,
    now: Callable[[], datetime] = clock.now,
) -> Flask:
    settings = desk_settings(config)
    app = Flask("pipeline.web", static_folder=None)
    app.secret_key = settings.secret_key
    app.config.update(
        SESSION_COOKIE_NAME="cpc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=64 * 1024,  # forms only: a reason, a date, a few copies
    )
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("pipeline.web", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]
    )
    app.jinja_env.autoescape = True  # every template, whatever its name ends with
    app.jinja_env.globals["authority"] = settings.authority

    def today() -> date:
        return uk_date(now())

    app.extensions[EXTENSION] = Desk(config, store, profiles, settings, now, today)
    if settings.proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxies, x_proto=settings.proxies
        )
    guard.install(app)
    assets.install(app)
    sign_in.install(app)
    pages.install(app)
    actions.install(app)
    app.before_request(_nonce)
    app.context_processor(_page_values)
    app.jinja_env.filters["uk_time"] = _uk_time
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NotPermitted, _not_permitted)
    app.register_error_handler(CpcError, _refused)
    app.register_error_handler(500, _fault)
    return app


def _nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


def _page_values() -> dict[str, str]:
    # Read by GOV.UK Frontend's page template: its one inline script carries the nonce.
    return {"cspNonce": g.get("csp_nonce", ""), "htmlLang": "en-GB"}


def _uk_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK_TIME).strftime("%-d %b %Y %H:%M")


def _headers(response: Response) -> Response:
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "asset":  # pages hold people's names: never kept by a browser or proxy
        response.headers["Cache-Control"] = "no-store"
    return response


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("problem.html", title=title, message=message), status


def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    titles = {
        400: "That could not be read",
        403: "You cannot do that",
        404: "Page not found",
        405: "That cannot be done here",
        409: "That is not as it should be",
        413: "That form is too large",
    }
    status = exc.code or 500
    if status not in titles:
        return exc
    default = {404: "There is no such page. Check the address, or go back to the dashboard."}
    message = exc.description if status in (403, 409) else default.get(status, exc.description or "")
    return _page(status, titles[status], message or "")


def _fault(_: Exception) -> tuple[str, int]:
    # Logged by Flask with its traceback for the administrator; the person is told no more.
    return _page(
        500,
        "Sorry, there is a problem with the service",
        "It could not do what you asked. Try again later; if it happens again, tell the "
        "service's administrator what you were doing and when.",
    )


def _not_permitted(exc: NotPermitted) -> tuple[str, int]:
    return _page(403, "You cannot do that", str(exc))


def _refused(exc: CpcError) -> tuple[str, int]:
    # An action the service refused (a copy no longer held, a date in the future, no reason
    # given): said in its own words, nothing changed; a refused action answers 403.
    return _page(403, "That was not done", str(exc))
