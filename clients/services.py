"""Write actions on clients, one transaction each. The sync outbox follows via post_save."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from clients.models import Client


@transaction.atomic
def client_create(*, data: dict[str, Any], user: AbstractBaseUser | None = None) -> Client:
    client = Client(**data)
    client.full_clean()
    client.save()
    return client


@transaction.atomic
def client_update(
    *, client: Client, data: dict[str, Any], user: AbstractBaseUser | None = None
) -> Client:
    """Apply the changed fields in `data` to `client` and save only those.

    An empty `data` is a no-op: nothing is saved, so nothing is sent to the portal.
    """
    if not data:
        return client
    for name, value in data.items():
        setattr(client, name, value)
    client.full_clean()
    client.save(update_fields=[*data, "updated_at"])
    return client
