from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients import importing


class Command(BaseCommand):
    help = (
        "Importiert Klienten aus einer CSV-Datei (Strichpunkt, UTF-8 oder Windows-1252, "
        "Spaltennamen wie im Klientenformular). Bestehende Klienten werden über die "
        "Klientennummer erkannt und geändert. Enthält die Datei Fehler, wird nichts "
        "importiert, außer mit --valid-only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="die CSV-Datei")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="nur die gültigen Zeilen importieren, fehlerhafte auslassen",
        )
        parser.add_argument("--dry-run", action="store_true", help="nur prüfen, nichts speichern")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                f"Die Datei {path} kann nicht gelesen werden: {exc.strerror}."
            ) from None
        plan = importing.plan_import(content)
        for line in importing.error_lines(plan):
            self.stderr.write(line)
        self.stdout.write(
            f"{len(plan.rows)} Zeilen: {plan.count_create} neu, {plan.count_update} zu ändern, "
            f"{plan.count_unchanged} unverändert, {plan.count_error} mit Fehlern."
        )
        if plan.file_errors or (plan.has_errors and not options["valid_only"]):
            raise CommandError(
                "Es wurde nichts importiert. Korrigieren Sie die Datei oder verwenden Sie "
                "--valid-only, um nur die gültigen Zeilen zu importieren."
            )
        if options["dry_run"]:
            self.stdout.write("Probelauf: nichts gespeichert.")
            return
        result = importing.apply_plan(
            plan, valid_only=options["valid_only"], file_name=Path(options["file"]).name
        )
        self.stdout.write(f"Importiert: {result.summary()}.")
