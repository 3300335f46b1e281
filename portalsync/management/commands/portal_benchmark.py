"""`manage.py portal_benchmark`: the office-scale benchmark (see README, "Benchmark")."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portalsync.benchmark import report, scratch

ROOT = Path(__file__).resolve().parents[3]


class Command(BaseCommand):
    help = (
        "Misst Vollabgleich, Latenz, Speicherkosten, Seiten und Import in einer eigenen "
        "Wegwerf-Datenbank und gibt eine Tabelle aus."
    )
    # The benchmark brings its own database; the configured one is never touched.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=10_000, help="N (Standard: 10000).")
        parser.add_argument(
            "--database-url",
            default="",
            help="postgres://…/NAME: legt die Datenbank NAME an und löscht sie danach "
            "(Standard: SQLite in einem temporären Verzeichnis).",
        )
        parser.add_argument(
            "--baseline-clients",
            type=int,
            default=1000,
            help="Klienten für die naive Vergleichsmessung (Standard: 1000).",
        )
        parser.add_argument("--edits", type=int, default=200, help="Einzeländerungen je Broker.")
        parser.add_argument(
            "--redis-url",
            default="redis://127.0.0.1:6379/15",
            help="Redis für die Latenzmessung mit Redis-Broker; leer: nicht messen.",
        )
        parser.add_argument(
            "--results", default="", help="Ergebnisse in diese Markdown-Datei schreiben."
        )
        parser.add_argument("--inside", action="store_true", help="(intern) im Kindprozess.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["inside"]:
            from portalsync.benchmark import run

            figures = run.run_all(options)
            self.stdout.write(json.dumps(figures))
            return
        directory = scratch.temp_directory()
        url = options["database_url"] or scratch.sqlite_url(directory)
        postgres = url.startswith(("postgres", "pgsql"))
        if postgres:
            try:
                scratch.create_postgres(url)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        try:
            env = scratch.child_environment(url, BENCH_TMP=str(directory))
            command = [sys.executable, str(ROOT / "manage.py"), "portal_benchmark", "--inside"]
            for name in ("clients", "baseline_clients", "edits", "redis_url"):
                command += [f"--{name.replace('_', '-')}", str(options[name])]
            done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
                command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
            )
            if done.returncode:
                raise CommandError("Der Benchmark ist fehlgeschlagen (siehe Meldungen oben).")
            figures = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            if postgres:
                scratch.drop_postgres(url)
            shutil.rmtree(directory, ignore_errors=True)
        self.stdout.write(report.table(figures))
        if options["results"]:
            report.write_results(Path(options["results"]), figures)
            self.stdout.write(f"Ergebnisse geschrieben: {options['results']}")
