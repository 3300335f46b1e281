from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portalsync import reconcile


class Command(BaseCommand):
    help = (
        "Vergleicht die Klienten im Board mit dem Klientenportal, reiht Abweichungen zur "
        "erneuten Übertragung ein und meldet, wie viele es waren."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        local = reconcile.reconcile_local()
        self.stdout.write(
            f"Board: {local.checked} Klienten geprüft, {local.marked} neu eingereiht."
        )
        remote = reconcile.reconcile_remote()
        if remote.error:
            raise CommandError(f"Abgleich mit dem Klientenportal nicht möglich: {remote.error}")
        self.stdout.write(
            f"Klientenportal: {remote.checked} Klienten geprüft, {remote.marked} neu eingereiht."
        )
