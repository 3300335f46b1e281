"""`manage.py portal_emulator`: run the client-portal emulator in the foreground."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portalsync.emulator import EmulatorServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8010
DEFAULT_DATA = Path("var") / "emulator.sqlite3"
PASSWORD_ENV_VARIABLE = "PORTAL_EMULATOR_PASSWORD"  # noqa: S105 - a variable name, not a secret
DATA_ENV_VARIABLE = "PORTAL_EMULATOR_DATA"


def _valid_port(value: int, option: str) -> int:
    if not 1 <= value <= 65535:
        raise CommandError(f"{option} muss zwischen 1 und 65535 liegen (angegeben: {value}).")
    return value


class Command(BaseCommand):
    help = (
        "Startet den Klientenportal-Emulator: Sync-API, Klientenliste und Einstellungen "
        "über HTTP. Läuft bis Strg+C."
    )

    # The emulator is independent of the Board's database and checks.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=DEFAULT_HOST, help="Adresse (Standard: 127.0.0.1).")
        parser.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help="Port der Sync-API (Standard: 8010)."
        )
        parser.add_argument(
            "--password",
            default=None,
            help=(
                "Service-Account Passwort am Portal vorbelegen (Standard: Umgebungsvariable "
                f"{PASSWORD_ENV_VARIABLE}, die anders als ein Argument nicht in der "
                "Prozessliste erscheint)."
            ),
        )
        parser.add_argument(
            "--data",
            default=None,
            help=(
                "SQLite-Datei für die Portaldaten (Standard: Umgebungsvariable "
                f"{DATA_ENV_VARIABLE} oder {DEFAULT_DATA})."
            ),
        )
        parser.add_argument(
            "--control-port",
            type=int,
            default=None,
            help="Eigener Port für die Steuerungs-Endpunkte unter /_emulator/ (optional).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = _valid_port(options["port"], "Der Port")
        control_port = options["control_port"]
        if control_port is not None:
            _valid_port(control_port, "Der Steuerungs-Port")
            if control_port == port:
                raise CommandError("Steuerungs-Port und Port der Sync-API müssen verschieden sein.")
        password = options["password"]
        if password is None:
            password = os.environ.get(PASSWORD_ENV_VARIABLE) or None
        if password is not None and not password:
            raise CommandError("Das Passwort darf nicht leer sein.")
        data = options["data"] or os.environ.get(DATA_ENV_VARIABLE) or str(DEFAULT_DATA)

        try:
            server = EmulatorServer(
                host=options["host"],
                port=port,
                data_path=data,
                password=password,
                control_port=control_port,
            )
        except (OSError, sqlite3.Error) as error:
            raise CommandError(
                f"Die Datenbank {data} kann nicht geöffnet werden: {error}"
            ) from error
        try:
            server.start()
        except OSError as error:
            server.stop()
            raise CommandError(
                f"Der Emulator kann nicht auf {options['host']}:{port} lauschen: {error.strerror}. "
                "Läuft er vielleicht schon?"
            ) from error

        self._announce(server, data)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("\nKlientenportal-Emulator beendet.")
        finally:
            server.stop()

    def _announce(self, server: EmulatorServer, data: str) -> None:
        password_state = "hinterlegt" if server.store.has_password() else "noch nicht hinterlegt"
        lines = [
            "Klientenportal-Emulator läuft.",
            f"  Klientenliste:  {server.url}/",
            f"  Einstellungen:  {server.url}/einstellungen",
            f"  Sync-API:       {server.url}/api/v1/",
            f"  Steuerung:      {server.control_url}/_emulator/",
            f"  Daten:          {data}",
            f"  Service-Account Passwort: {password_state}",
            "Beenden mit Strg+C.",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
