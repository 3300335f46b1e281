import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portalsync.status import function_status


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


class Command(BaseCommand):
    help = (
        "Zeigt den Funktionsstatus der Klientenportal Synchronisation und die Anzahl "
        "ausstehender, fehlgeschlagener und synchronisierter Klienten. Der Exit-Code ist "
        "0 nur beim Status „Aktiv“."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Ausgabe als JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        status = function_status()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "status": status.code,
                        "label": status.label,
                        "detail": status.detail,
                        "pending": status.counts.pending,
                        "failed": status.counts.failed,
                        "synced": status.counts.synced,
                        "oldest_pending_since": _iso(status.counts.oldest_pending_since),
                        "last_push_at": _iso(status.last_push_at),
                        "last_heartbeat_at": _iso(status.last_heartbeat_at),
                        "paused_until": _iso(status.paused_until),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            self.stdout.write(f"Funktionsstatus: {status.label}")
            if status.detail:
                self.stdout.write(status.detail)
            self.stdout.write(
                f"ausstehend: {status.counts.pending}, fehlgeschlagen: {status.counts.failed}, "
                f"synchronisiert: {status.counts.synced}"
            )
        if not status.is_active:
            raise SystemExit(1)
