"""System checks for runtime configuration of the sync (ids portalsync.E001…)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from portalsync import crypto
from portalsync.client import plain_http_refused
from portalsync.models import PortalConnection

KEY_HINT = (
    'Einen Schlüssel erzeugen mit: python -c "from cryptography.fernet import '
    'Fernet; print(Fernet.generate_key().decode())"'
)


@register()
def check_portalsync_settings(app_configs: Any = None, **kwargs: Any) -> list:
    messages = []
    try:
        crypto.encrypt("probe")
    except crypto.EncryptionKeyError as exc:
        messages.append(Error(str(exc), hint=KEY_HINT, id="portalsync.E001"))
    if plain_http_refused(settings.PORTAL_URL, debug=settings.DEBUG):
        messages.append(
            Warning(
                "PORTAL_URL verwendet unverschlüsseltes HTTP zu einem entfernten Rechner; "
                "das Board verweigert dorthin jede Übertragung.",
                hint="https:// verwenden; http:// ist nur für das lokale Portal gedacht.",
                id="portalsync.W001",
            )
        )
    return messages


@register(Tags.database)
def check_stored_password_readable(app_configs: Any = None, **kwargs: Any) -> list:
    """The stored service password decrypts with the configured keys.

    Tagged `database`: runs with `migrate` and `check --database default`, not on every
    command (a missing key is E001 already).
    """
    if not kwargs.get("databases"):
        return []
    try:
        token = (
            PortalConnection.objects.filter(pk=1)
            .values_list("password_encrypted", flat=True)
            .first()
        )
    except DatabaseError:  # not migrated yet: nothing stored to check
        return []
    if not token:
        return []
    try:
        crypto.decrypt(token)
    except crypto.WrongKeyError as exc:
        return [Error(str(exc), id="portalsync.E002")]
    except crypto.EncryptionKeyError:  # missing or invalid key: reported as E001
        return []
    return []
