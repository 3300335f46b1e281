"""Encryption at rest of the service password (Fernet, keys from the environment).

PORTALSYNC_ENCRYPTION_KEY holds one or more comma-separated keys: the first encrypts,
all of them decrypt, so a key can be rotated without losing the stored password
(`manage.py portal_rotate_key` re-encrypts with the first key).

Every failure is an EncryptionKeyError with a German message that tells the operator what
to do; callers show it (status page, system check, command) instead of crashing or
carrying on with an empty password.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

MISSING_KEY = (
    "Es ist kein Schlüssel für die Verschlüsselung eingerichtet: PORTALSYNC_ENCRYPTION_KEY "
    "ist nicht gesetzt. Ohne ihn kann das Service-Account Passwort weder gespeichert noch "
    "gelesen werden."
)
INVALID_KEY = (
    "PORTALSYNC_ENCRYPTION_KEY enthält einen ungültigen Schlüssel. Erwartet werden "
    "Fernet-Schlüssel (44 Zeichen), mehrere durch Kommas getrennt."
)
WRONG_KEY = (
    "Das gespeicherte Service-Account Passwort lässt sich mit keinem Schlüssel aus "
    "PORTALSYNC_ENCRYPTION_KEY entschlüsseln. Den bisherigen Schlüssel wieder eintragen "
    "(neue Schlüssel davor, durch Komma getrennt) oder das Passwort neu eingeben."
)


class EncryptionKeyError(Exception):
    """No usable key is configured, or none of the keys decrypts the stored value."""


class WrongKeyError(EncryptionKeyError):
    """The keys are valid, but none of them decrypts the stored value."""


def configured_keys() -> list[str]:
    return [key.strip() for key in settings.PORTALSYNC_ENCRYPTION_KEY if key.strip()]


def _fernet() -> MultiFernet:
    keys = configured_keys()
    if not keys:
        raise EncryptionKeyError(MISSING_KEY)
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise EncryptionKeyError(INVALID_KEY) from exc


@sensitive_variables("plaintext")
def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise WrongKeyError(WRONG_KEY) from exc


def rotate(token: str) -> str:
    """Re-encrypt `token` with the newest (first) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise WrongKeyError(WRONG_KEY) from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
