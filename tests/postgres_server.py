"""A throw-away PostgreSQL server for the tests: its own data folder, a Unix socket, no TCP port.

Started once per test process (each xdist worker has its own) with the system's `initdb` and
`pg_ctl`, and stopped at the end. PostgreSQL refuses to run as root, so under root (CI, this
machine) it runs as the `postgres` account the Debian package makes. Durability is switched off
(`fsync`, `synchronous_commit`, `full_page_writes`): the tests kill processes, never the machine,
and a committed row survives a killed process without them.

Every test gets a database of its own, copied from a template migrated once (`CREATE DATABASE
... TEMPLATE`, a file copy), so no test sees another's rows and none pays for the migrations.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

TEMPLATE = "cpc_template"


def _bin_dir() -> Path:
    """The newest installed server's programs (Debian keeps them out of PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    pytest.fail(
        "PostgreSQL's server is not installed (no initdb): scripts/bootstrap installs the "
        "postgresql package; the store and service tests run against it as well as SQLite"
    )


class PostgresServer:
    """One running server; `new_database()` gives each caller an empty, migrated database."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="cpc-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.socket.mkdir()
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count(1)
        # The postgres account must reach its folders (mkdtemp makes them 0700 for root).
        os.chmod(self.root, 0o755)
        if self._as_postgres:
            shutil.chown(self.socket, "postgres", "postgres")
        self.user = "postgres" if self._as_postgres else _login()

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self.data.mkdir(mode=0o700)
        if self._as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C.UTF-8",
        )
        options = (
            f"-k {self.socket} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c timezone=UTC"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-s",
            "-l",
            str(self.data / "server.log"),
            "start",
        )
        self._make_template()

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-s", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database on this server (psycopg 3, over the socket)."""
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket}"

    def conninfo(self, database: str) -> str:
        """The same database as libpq names it (for psycopg or Procrastinate directly)."""
        return f"host={self.socket} user={self.user} dbname={database}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]  # our own names, never input

    def _make_template(self) -> None:
        from pipeline.store.db import Store

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        Store.open(self.url(TEMPLATE)).close()  # every migration, once

    def new_database(self, like: str | None = None) -> str:
        """A fresh database with the current schema and no rows (or a copy of the database at
        URL `like`, which nothing may be connected to); its SQLAlchemy URL."""
        name = f"cpc_{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if like is None else sa.engine.make_url(like).database
        self._admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)


def copy_database(url: str) -> str:
    """A new database on the same server holding what the database at `url` holds (a module
    fixture's prepared state, for a test to go on from without touching it); its URL.

    `CREATE DATABASE ... TEMPLATE` copies only a database nobody is connected to: a command's
    engine may still hold pooled connections to it, so those are ended first."""
    source = sa.engine.make_url(url)
    name = f"{source.database}_{os.getpid()}_{next(_copies)}"
    admin = f"host={source.query['host']} user={source.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (source.database,),
        )
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {source.database}")  # type: ignore[arg-type]  # our own names
    return source.set(database=name).render_as_string(hide_password=False)


_copies = itertools.count(1)


def _login() -> str:
    import getpass

    return getpass.getuser()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """An empty, migrated PostgreSQL database of this test's own."""
    return postgres_server.new_database()
