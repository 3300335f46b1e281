import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.views.decorators.debug import sensitive_variables

from audit.context import acting
from portalsync import crypto, services
from portalsync.models import PortalConnection


class Command(BaseCommand):
    help = (
        "Liest das Service-Account Passwort von der Standardeingabe, speichert es "
        "verschlüsselt und prüft die Verbindung zum Klientenportal."
    )

    @sensitive_variables("password")
    def handle(self, *args: Any, **options: Any) -> None:
        if sys.stdin.isatty():
            self.stderr.write("Service-Account Passwort eingeben, mit Enter abschließen:")
        # Only the line break is removed: spaces may belong to the password.
        password = _read_line().rstrip("\r\n")
        if not password:
            raise CommandError("Es wurde kein Passwort eingegeben; nichts wurde geändert.")
        try:
            with acting(label="manage.py portal_password"):
                connection = services.set_service_password(password=password, user=None)
        except crypto.EncryptionKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Das Service-Account Passwort wurde gespeichert.")
        if connection.health == PortalConnection.Health.OK:
            self.stdout.write(self.style.SUCCESS("Verbindung zum Klientenportal: erfolgreich."))
        else:
            raise CommandError(
                f"Verbindung zum Klientenportal: {connection.get_health_display()}. "
                f"{connection.health_detail}".strip()
            )


@sensitive_variables("line")
def _read_line() -> str:
    """One line of standard input as UTF-8, whatever the terminal's locale says."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # already text (e.g. io.StringIO)
        return sys.stdin.readline()
    line = stream.readline()
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(
            "Das Passwort ist kein UTF-8-Text; bitte die Eingabe in UTF-8 übergeben. "
            "Nichts wurde geändert."
        ) from exc
