"""Encryption at rest of the service password (Fernet, keys from the environment).

PORTALSYNC_ENCRYPTION_KEY holds one or more comma-separated keys: the first encrypts,
all of them decrypt, so a key can be rotated without losing the stored password.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class EncryptionKeyError(Exception):
    """No usable key is configured, or none of the keys decrypts the stored value."""


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.PORTALSYNC_ENCRYPTION_KEY if key.strip()]
    if not keys:
        raise EncryptionKeyError("PORTALSYNC_ENCRYPTION_KEY ist nicht gesetzt.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise EncryptionKeyError(
            "PORTALSYNC_ENCRYPTION_KEY enthält keinen gültigen Fernet-Schlüssel."
        ) from exc


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "Das gespeicherte Passwort lässt sich mit keinem der konfigurierten Schlüssel "
            "entschlüsseln."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt `token` with the newest (first) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "Das gespeicherte Passwort lässt sich nicht entschlüsseln."
        ) from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
