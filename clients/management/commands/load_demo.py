import os
from typing import Any

from django.core.management.base import BaseCommand

from clients import demo


class Command(BaseCommand):
    help = (
        "Legt in einer leeren Datenbank die fünf Demo-Klienten an (wiederholbar: sobald es "
        "Klienten gibt, wird nichts mehr angelegt). "
        "Sind DEMO_ADMIN_PASSWORD und DEMO_STAFF_PASSWORD gesetzt, auch die Zugänge "
        "kanzlei-admin (KIS/Board-Administrator) und mitarbeiter (Mitarbeiter)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo.load_demo_clients()
        if created:
            self.stdout.write(f"Demo-Klienten: {created} angelegt.")
        # Passwords come from the environment (.env.local), never from the command line,
        # where every user of the machine could read them in the process list.
        admin_password = os.environ.get("DEMO_ADMIN_PASSWORD", "")
        staff_password = os.environ.get("DEMO_STAFF_PASSWORD", "")
        if admin_password and staff_password:
            demo.ensure_demo_users(admin_password=admin_password, staff_password=staff_password)
            self.stdout.write(
                f"Zugänge: {demo.ADMIN_USERNAME} (KIS/Board-Administrator), "
                f"{demo.STAFF_USERNAME} (Mitarbeiter)."
            )
