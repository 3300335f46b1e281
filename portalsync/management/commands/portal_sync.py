from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_q.tasks import async_task

from portalsync import engine, services


class Command(BaseCommand):
    help = (
        "Überträgt fällige Klienten an das Klientenportal. Mit --all werden zuvor alle "
        "freigegebenen Klienten neu eingereiht; mit --in-background übernimmt der "
        "Hintergrunddienst die Übertragung."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="Alle freigegebenen Klienten erneut senden."
        )
        parser.add_argument(
            "--in-background",
            action="store_true",
            help="Nur einen Durchlauf des Hintergrunddienstes anstoßen und sofort zurückkehren.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            count = services.start_full_resync()
            self.stdout.write(f"{count} Klienten zur erneuten Übertragung eingereiht.")
        if options["in_background"]:
            async_task("portalsync.tasks.sweep")
            self.stdout.write("Übertragung an den Hintergrunddienst übergeben.")
            return
        report = engine.drain()
        self.stdout.write(
            f"gesendet: {report.sent}, übertragen: {report.delivered}, "
            f"abgelehnt: {report.rejected}, später erneut: {report.retrying}"
            + (", Übertragung pausiert" if report.paused else "")
        )
        for error in dict.fromkeys(report.errors):
            self.stderr.write(error)
