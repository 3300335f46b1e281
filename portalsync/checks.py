"""System checks for runtime configuration of the sync (ids portalsync.E001…)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from portalsync import crypto
from portalsync.client import is_loopback_url


@register()
def check_portalsync_settings(app_configs: Any = None, **kwargs: Any) -> list:
    messages = []
    try:
        crypto.encrypt("probe")
    except crypto.EncryptionKeyError as exc:
        messages.append(
            Error(
                str(exc),
                hint='Einen Schlüssel erzeugen mit: python -c "from cryptography.fernet import '
                'Fernet; print(Fernet.generate_key().decode())"',
                id="portalsync.E001",
            )
        )
    url = settings.PORTAL_URL
    if url.startswith("http://") and not (is_loopback_url(url) or settings.DEBUG):
        messages.append(
            Warning(
                "PORTAL_URL verwendet unverschlüsseltes HTTP zu einem entfernten Rechner.",
                hint="https:// verwenden; http:// ist nur für das lokale Portal gedacht.",
                id="portalsync.W001",
            )
        )
    return messages
