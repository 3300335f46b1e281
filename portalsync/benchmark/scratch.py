"""A throw-away database for one benchmark run, and the environment of its processes."""

import os
import re
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'bench.sqlite3'}"


def temp_directory() -> Path:
    return Path(tempfile.mkdtemp(prefix="rzl-bench-"))


def _maintenance(url: str) -> tuple[str, str]:
    """(URL of the server's `postgres` database, name of the scratch database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not _NAME.match(name):
        raise ValueError(f"Ungültiger Name der Benchmark-Datenbank: {name!r}")
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql", "pgsql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, "/postgres", "", "")), name


def create_postgres(url: str) -> None:
    """Create the database named in `url`; refuses to reuse an existing one."""
    server, name = _maintenance(url)
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            raise ValueError(
                f"Die Datenbank {name} gibt es schon; der Benchmark legt seine eigene an und "
                "löscht sie danach. Bitte einen unbenutzten Namen angeben."
            )
        conn.execute(f'CREATE DATABASE "{name}"')  # name checked against _NAME above


def drop_postgres(url: str) -> None:
    server, name = _maintenance(url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of every benchmark process: scratch database, throw-away keys."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rzl_board.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        "Q_SYNC": "0",
        "Q_BROKER_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    if not env.get("PORTALSYNC_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        env["PORTALSYNC_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    env.update(extra)
    return env
