from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.context import acting
from portalsync import crypto, services


class Command(BaseCommand):
    help = (
        "Verschlüsselt das gespeicherte Service-Account Passwort mit dem ersten (neuesten) "
        "Schlüssel aus PORTALSYNC_ENCRYPTION_KEY neu. Ablauf: neuen Schlüssel vorne "
        "anfügen (NEU,ALT), diesen Befehl ausführen, dann den alten Schlüssel entfernen."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with acting(label="manage.py portal_rotate_key"):
                rotated = services.rotate_encryption_key()
        except crypto.EncryptionKeyError as exc:
            raise CommandError(str(exc)) from exc
        if not rotated:
            self.stdout.write("Es ist kein Service-Account Passwort gespeichert; nichts zu tun.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                "Das Service-Account Passwort ist jetzt mit dem ersten Schlüssel verschlüsselt. "
                "Ältere Schlüssel können aus PORTALSYNC_ENCRYPTION_KEY entfernt werden."
            )
        )
