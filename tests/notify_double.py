"""A GOV.UK Notify test double on loopback: the routes the notify channel uses, spoken as Notify's HTTP API speaks them.

A real HTTP server on 127.0.0.1 (a free port), so the real `notifications-python-client` talks to
it over a socket. It checks the JWT the client signs (HS256 with the key's secret, `iss` the
service id, `iat` within 30 s: Notify's API documentation, "Authorisation header"), answers in
Notify's error shape (`{"errors": [{"error", "message"}], "status_code"}`), and validates each
precompiled letter by `pipeline.checking.letter_rules` (Notify's own rules): as Notify does for
precompiled letters, a letter breaking them is accepted and then turns `validation-failed`.

Scriptable: the next sends answered with an error (`fail_next`), a send taken and its answer
lost (`drop_next`: the connection closes before the answer), statuses moved on (`advance`).
`sends` counts what it took, so a test sees what a recipient would have received.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from pipeline.checking.letter_rules import LetterProblem, letter_problems

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"  # Notify's documentation's example
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"cpc_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
TWO_MB = 2 * 1024 * 1024

# The way each kind moves on (Notify's API documentation, "Status - email/letter"): a letter is
# virus-checked, then validated (precompiled) and accepted, then received by the printer.
_NEXT = {
    "pending-virus-check": "accepted",
    "accepted": "received",
    "created": "sending",
    "sending": "delivered",
}


@dataclass
class Notification:
    id: str
    kind: str  # letter | email
    reference: str
    status: str
    created_at: str
    body: dict[str, Any]
    pdf: bytes
    problems: tuple[LetterProblem, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "type": self.kind,
            "status": self.status,
            "email_address": self.body.get("email_address"),
            "postage": self.body.get("postage"),
            "created_at": self.created_at,
            "completed_at": self.created_at if self.status in ("delivered", "received") else None,
        }


@dataclass
class NotifyDouble:
    """What the double has been told and what it took. `port` is set once it listens."""

    port: int = 0
    notifications: dict[str, Notification] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) as received
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # for the next sends
    drops: int = 0
    held: threading.Event | None = None  # the next send is taken and its answer waits on this
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sends(self) -> list[Notification]:
        """Every letter and e-mail Notify took, in order: what recipients would receive."""
        return list(self.notifications.values())

    def fail_next(self, count: int, status: int = 500, error: str = "", message: str = "") -> None:
        """The next `count` sends answered with this error, in Notify's shape; nothing is taken."""
        words = message or {500: "Internal server error", 429: "Exceeded rate limit"}.get(
            status, "Bad request"
        )
        kind = error or {500: "Exception", 429: "RateLimitError"}.get(status, "BadRequestError")
        self.failures.extend([(status, kind, words)] * count)

    def drop_next(self, count: int = 1) -> None:
        """The next `count` sends are taken, and the connection closes before the answer."""
        self.drops += count

    def hold_next(self) -> threading.Event:
        """The next send is taken and its answer held until the event is set (a test kills the
        sender meanwhile: a crash after the request and before the answer is recorded)."""
        self.held = threading.Event()
        return self.held

    def advance(self) -> None:
        """Every notification one status on: a precompiled letter breaking Notify's rules turns
        `validation-failed` where a good one is accepted."""
        with self.lock:
            for n in self.notifications.values():
                if n.status == "pending-virus-check" and n.problems:
                    n.status = "validation-failed"
                else:
                    n.status = _NEXT.get(n.status, n.status)

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"errors": [{"error": error, "message": message}], "status_code": status}


def _auth_problem(header: str | None) -> tuple[int, dict[str, Any]] | None:
    """Notify's answers to a missing or bad token (notifications-api app/authentication)."""
    if not header or not header.startswith("Bearer "):
        return _error(401, "AuthError", "Unauthorized: authentication token must be provided")
    token = header.removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    except jwt.InvalidSignatureError:
        return _error(403, "AuthError", "Invalid token: API key not found")
    except jwt.PyJWTError:
        return _error(403, "AuthError", "Invalid token: signature, api token is not valid")
    if claims.get("iss") != SERVICE_ID:
        return _error(403, "AuthError", "Invalid token: service not found")
    iat = claims.get("iat")
    if not isinstance(iat, int | float):
        return _error(403, "AuthError", "Invalid token: iat field not provided")
    if abs(time.time() - iat) > 30:
        return _error(
            403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
        )
    return None


def _handler(double: NotifyDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            double.requests.append(("GET", url.path))
            if (problem := _auth_problem(self.headers.get("Authorization"))) is not None:
                return self._answer(*problem)
            if url.path == "/v2/notifications":
                reference = parse_qs(url.query).get("reference", [None])[0]
                found = [
                    n.as_json()
                    for n in reversed(double.notifications.values())
                    if reference is None or n.reference == reference
                ]
                return self._answer(200, {"notifications": found, "links": {"current": url.path}})
            notify_id = url.path.removeprefix("/v2/notifications/")
            try:
                uuid.UUID(notify_id)
            except ValueError:
                return self._answer(
                    *_error(400, "ValidationError", "notification_id is not a valid UUID")
                )
            if notify_id not in double.notifications:
                return self._answer(*_error(404, "NoResultFound", "No result found"))
            return self._answer(200, double.notifications[notify_id].as_json())

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            double.requests.append(("POST", path))
            if (problem := _auth_problem(self.headers.get("Authorization"))) is not None:
                return self._answer(*problem)
            with double.lock:
                scripted = double.failures.pop(0) if double.failures else None
            if scripted is not None:
                return self._answer(*_error(*scripted))
            if path == "/v2/notifications/letter":
                taken = _letter(body)
            elif path == "/v2/notifications/email":
                taken = _email(body)
            else:
                return self._answer(*_error(404, "NotFound", "The requested URL was not found"))
            if isinstance(taken, tuple):
                return self._answer(*taken)
            with double.lock:
                double.notifications[taken.id] = taken
                dropped = double.drops > 0
                double.drops -= dropped
                held, double.held = double.held, None
            if held is not None:
                held.wait(timeout=60)
            if dropped:
                self.close_connection = True  # taken, and the answer never reaches the client
                return None
            answer: dict[str, Any] = {"id": taken.id, "reference": taken.reference}
            if taken.kind == "letter":
                answer["postage"] = taken.body["postage"]
            else:
                answer |= {"content": {"body": "", "subject": ""}, "template": {"id": TEMPLATE_ID}}
            return self._answer(201, answer)

    return Handler


def _letter(body: dict[str, Any]) -> Notification | tuple[int, dict[str, Any]]:
    """A precompiled letter as Notify's POST /v2/notifications/letter takes it."""
    if not body.get("reference"):
        return _error(400, "ValidationError", "reference is a required property")
    if body.get("postage", "second") not in ("first", "second", "economy"):
        return _error(
            400, "ValidationError", "postage invalid. It must be first, second or economy."
        )
    try:
        pdf = base64.b64decode(body.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        return _error(400, "ValidationError", "Cannot decode letter content (base64)")
    if not pdf.startswith(b"%PDF"):
        return _error(400, "ValidationError", "Letter content is not a valid PDF")
    return Notification(
        str(uuid.uuid4()),
        "letter",
        body["reference"],
        "pending-virus-check",
        datetime.now(UTC).isoformat(),
        {"postage": body.get("postage", "second")},
        pdf,
        letter_problems(pdf),
    )


def _email(body: dict[str, Any]) -> Notification | tuple[int, dict[str, Any]]:
    """An e-mail from a template, with a file sent by link (`prepare_upload`)."""
    if body.get("template_id") != TEMPLATE_ID:
        return _error(400, "BadRequestError", "Template not found")
    if not body.get("email_address") or "@" not in body["email_address"]:
        return _error(400, "ValidationError", "email_address Not a valid email address")
    link = (body.get("personalisation") or {}).get("link_to_file")
    if not isinstance(link, dict) or "file" not in link:
        return _error(400, "BadRequestError", "Missing personalisation: link_to_file")
    pdf = base64.b64decode(link["file"])
    if len(pdf) > TWO_MB:
        return _error(400, "BadRequestError", "File is larger than 2MB")
    if link.get("confirm_email_before_download") is not True:
        return _error(400, "BadRequestError", "this service asks for the e-mail to be confirmed")
    return Notification(
        str(uuid.uuid4()),
        "email",
        body.get("reference") or "",
        "created",
        datetime.now(UTC).isoformat(),
        {"email_address": body["email_address"], "link": link},
        pdf,
    )


def serve(port: int = 0) -> tuple[NotifyDouble, ThreadingHTTPServer]:
    """The double listening on 127.0.0.1 (`port` 0: a free one), served from a thread."""
    double = NotifyDouble()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(double))
    server.daemon_threads = True
    double.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return double, server


@pytest.fixture
def notify_double() -> Iterator[NotifyDouble]:
    double, server = serve()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":  # the README's demo: python -m tests.notify_double [PORT]
    import sys

    double, server = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 8765)
    print(f'[notify]\nbase_url = "{double.base_url}"\nemail_template_id = "{TEMPLATE_ID}"')
    print(f"export CPC_NOTIFY_API_KEY={API_KEY}")
    print("Statuses move on every 5 seconds; Ctrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(5)
            double.advance()
            for n in double.sends:
                problems = ", ".join(p.code for p in n.problems)
                print(f"{n.kind} {n.reference} {n.status} {problems}", flush=True)
    except KeyboardInterrupt:
        server.shutdown()
