"""A TOML file and environment variables → the service's settings (folders, store, channels, SMTP).

With no file and no variables every folder is under the current directory and nothing is sent by
e-mail, so `cpc` works on the shipped examples out of the box. Paths in a file are taken relative to
that file's folder, so a configuration can be moved with the folders it names.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError

DeliveryChannel = Literal["folder", "email", "post", "notify"]
CONFIG_ENV = "CPC_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Folders(_Section):
    inbox: Path = Path("inbox")
    state: Path = Path("state")
    outbox: Path = Path("outbox")
    profiles: tuple[Path, ...] = ()
    # Where a copy's bytes wait between "delivery begun" and "sent" (e-mail, post, Notify). Runs
    # and workers on several machines need it on storage they share (with the outbox): a job
    # given to another worker, and the post batch, read what the first one kept. None: the
    # state folder's `spool`.
    spool: Path | None = None


class Intake(_Section):
    max_bytes: Annotated[int, Field(gt=0)] = 2 * 1024 * 1024
    settle_seconds: Annotated[float, Field(ge=0)] = 2.0
    rescan_seconds: Annotated[float, Field(gt=0)] = 30.0


class Rendering(_Section):
    # 0: in the calling process, no time limit (tests, a handful of conferences).
    workers: Annotated[int, Field(ge=0)] = max(1, min(os.cpu_count() or 1, 4))
    document_timeout_seconds: Annotated[float, Field(gt=0)] = 60.0


class Queue(_Section):
    """A run spread over `cpc worker`s through the job queue (a PostgreSQL store only)."""

    # `cpc distribute` queues one job per conference for the workers (else: --queue).
    enabled: bool = False
    # How long `cpc distribute` waits for the workers before it stops; the post batch then
    # waits for the next run.
    wait_minutes: Annotated[float, Field(gt=0)] = 240.0
    # A worker silent this long is taken for dead and its job given to another; each says it is
    # alive every heartbeat.
    stalled_seconds: Annotated[float, Field(gt=0)] = 30.0
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Tries of a conference whose deliveries failed for a reason that may pass, waiting
    # retry_wait_seconds * 2**try in between.
    attempts: Annotated[int, Field(gt=0)] = 5
    retry_wait_seconds: Annotated[int, Field(ge=0)] = 30

    @model_validator(mode="after")
    def _heartbeat_within_stall(self) -> Queue:
        if self.heartbeat_seconds * 2 > self.stalled_seconds:
            # A worker must be able to miss a heartbeat without its job being taken from it.
            raise ValueError("heartbeat_seconds must be at most half of stalled_seconds")
        return self


class Channels(_Section):
    """Which channel each kind of recipient is sent through. A copy the plan routes
    through the lead social worker goes to that social worker, by `lead_social_worker`."""

    professional: DeliveryChannel = "folder"
    family: DeliveryChannel = "post"
    authorised: DeliveryChannel = "folder"
    lead_social_worker: DeliveryChannel = "folder"


class Smtp(_Section):
    host: str | None = None
    port: Annotated[int, Field(gt=0, lt=65536)] = 587
    starttls: bool = True
    username: str | None = None
    # The password itself never sits in the file: the file names the variable that holds it.
    password_env: str = "CPC_SMTP_PASSWORD"
    sender: str = "cpc-pipeline@localhost"
    message_id_domain: str = "cpc.invalid"
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0


class Notify(_Section):
    """GOV.UK Notify: family copies as precompiled letters, professional copies as e-mails with a
    secure link to the PDF (pipeline.delivery.notify)."""

    # No request leaves for a host the user did not configure: this is Notify's own API unless
    # the file names another (the test double's loopback address in the tests).
    base_url: str = "https://api.notifications.service.gov.uk"
    # The key itself never sits in the file: the file names the variable that holds it.
    api_key_env: str = "CPC_NOTIFY_API_KEY"
    email_template_id: str | None = None
    postage: Literal["first", "second"] = "second"
    # How long Notify keeps a file sent by link (Notify accepts 1 to 78 weeks).
    retention_period: str = "26 weeks"
    # Transient errors (5xx, 429, no answer) are tried this many more times, with backoff.
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    backoff_seconds: Annotated[float, Field(ge=0)] = 2.0
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0


class Web(_Section):
    """`cpc serve`, the front desk: who may sign in, and for how long."""

    # Shown in the header of every page: the council the service is run by.
    authority: str = "Children's services"
    # Behind the council's TLS proxy the cookie is sent only over TLS; false only for loopback.
    secure_cookies: bool = False
    # A session no page has been asked for in this long is signed out.
    idle_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 30
    # However busy, a session ends this long after sign-in: a working day.
    session_hours: Annotated[int, Field(gt=0, le=24)] = 10
    # Sign-in attempts: this many failures in `failure_window_minutes`, for one account or from
    # one address, lock sign-in for `lock_minutes` after the last failure.
    max_failures: Annotated[int, Field(gt=0)] = 5
    failure_window_minutes: Annotated[int, Field(gt=0)] = 15
    lock_minutes: Annotated[int, Field(gt=0)] = 15
    # How many proxies in front of `cpc serve` set X-Forwarded-For / -Proto (1 behind nginx or
    # Caddy): sign-in limits count the person's address, not the proxy's. 0: no proxy is trusted.
    proxies: Annotated[int, Field(ge=0, le=3)] = 0


class Config(_Section):
    folders: Folders = Folders()
    database_url: str | None = None
    # Seconds a command waits for another one's write lock on the SQLite store before it says the
    # store is locked and leaves the file for next time.
    store_busy_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    intake: Intake = Intake()
    rendering: Rendering = Rendering()
    queue: Queue = Queue()
    channels: Channels = Channels()
    smtp: Smtp = Smtp()
    notify: Notify = Notify()
    web: Web = Web()

    @model_validator(mode="after")
    def _email_needs_a_server(self) -> Config:
        uses_email = "email" in self.channels.model_dump().values()
        if uses_email and not self.smtp.host:
            raise ValueError(
                "channels: e-mail is chosen for some recipients but smtp.host is not set"
            )
        professional_by_notify = "notify" in (
            self.channels.professional,
            self.channels.authorised,
            self.channels.lead_social_worker,
        )
        if professional_by_notify and not self.notify.email_template_id:
            # Professionals are reached by a Notify e-mail, which needs its template.
            raise ValueError(
                "channels: notify is chosen for professionals but notify.email_template_id is not set"
            )
        if self.smtp.username and not self.smtp.starttls:
            # A password sent in clear text to the mail server could be read on the way.
            raise ValueError("smtp: a username (and so a password) needs starttls = true")
        return self

    @property
    def spool(self) -> Path:
        return self.folders.spool or self.folders.state / "spool"

    @property
    def quarantine(self) -> Path:
        return self.folders.inbox.parent / "quarantine"

    @property
    def processed(self) -> Path:
        return self.folders.inbox.parent / "processed"

    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.folders.state / 'cpc.sqlite3'}"

    def smtp_password(self, environ: Mapping[str, str]) -> str | None:
        return environ.get(self.smtp.password_env)

    def notify_api_key(self, environ: Mapping[str, str]) -> str | None:
        return environ.get(self.notify.api_key_env)

    @property
    def uses_notify(self) -> bool:
        return "notify" in self.channels.model_dump().values()


# Environment variable → (section, key): the few settings an operator changes per machine.
_OVERRIDES: dict[str, tuple[str | None, str]] = {
    "CPC_INBOX": ("folders", "inbox"),
    "CPC_STATE": ("folders", "state"),
    "CPC_OUTBOX": ("folders", "outbox"),
    "CPC_DATABASE_URL": (None, "database_url"),
    "CPC_STORE_BUSY_TIMEOUT": (None, "store_busy_timeout_seconds"),
    "CPC_WORKERS": ("rendering", "workers"),
    "CPC_SPOOL": ("folders", "spool"),
    "CPC_SMTP_HOST": ("smtp", "host"),
    "CPC_SMTP_PORT": ("smtp", "port"),
    "CPC_SMTP_USERNAME": ("smtp", "username"),
    "CPC_SMTP_SENDER": ("smtp", "sender"),
}


def load_config(path: Path | None, environ: Mapping[str, str]) -> Config:
    """The file at `path` (or $CPC_CONFIG, or none), then environment overrides, checked whole."""
    named = path or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    data: dict[str, object] = {}
    base = Path.cwd()
    if named is not None:
        try:
            data = tomllib.loads(named.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{named}: cannot read the configuration ({exc.strerror})") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{named}: not valid TOML ({exc})") from exc
        base = named.resolve().parent
    for variable, (section, key) in _OVERRIDES.items():
        if environ.get(variable):
            target = data if section is None else data.setdefault(section, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{named}: [{section}] must be a table")
            target[key] = environ[variable]
    if environ.get("CPC_PROFILES_DIR"):
        folders = data.setdefault("folders", {})
        if isinstance(folders, dict):
            folders["profiles"] = environ["CPC_PROFILES_DIR"].split(os.pathsep)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{named or 'configuration'}: {problems}") from exc
    return _anchored(config, base)


def _anchored(config: Config, base: Path) -> Config:
    def at(path: Path) -> Path:
        return path if path.is_absolute() else base / path

    folders = config.folders
    anchored = Folders(
        inbox=at(folders.inbox),
        state=at(folders.state),
        outbox=at(folders.outbox),
        profiles=tuple(at(p) for p in folders.profiles),
        spool=None if folders.spool is None else at(folders.spool),
    )
    return config.model_copy(update={"folders": anchored})
