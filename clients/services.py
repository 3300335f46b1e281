"""Write actions on clients, one transaction each. The sync outbox follows via post_save
for single saves and via clients_bulk_changed for bulk writes."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from clients import importing
from clients.models import Client, ClientImport

# An uploaded file not imported within this time is removed at the next upload.
IMPORT_KEEP = timedelta(days=1)


@transaction.atomic
def client_create(*, data: dict[str, Any], user: AbstractBaseUser | None = None) -> Client:
    client = Client(**data)
    client.full_clean()
    client.save()
    return client


class ClientChangedMeanwhile(Exception):
    """Someone saved the client after the editor loaded it; `current` is the stored row."""

    def __init__(self, current: Client) -> None:
        super().__init__(current.pk)
        self.current = current


@transaction.atomic
def client_update(
    *,
    client: Client,
    data: dict[str, Any],
    user: AbstractBaseUser | None = None,
    loaded_at: datetime | None = None,
) -> Client:
    """Apply the values in `data` that differ from `client` and save only those.

    Nothing to change is a no-op: nothing is saved, so nothing is sent to the portal.
    `loaded_at` is the `updated_at` the editor saw; if the client was saved since,
    ClientChangedMeanwhile is raised and nothing is written (no silent lost update).
    None skips that check.
    """
    data = {name: value for name, value in data.items() if getattr(client, name) != value}
    if not data:
        return client
    if loaded_at is not None:
        # The row lock makes the check and the write one step for concurrent editors.
        current = Client.objects.select_for_update().get(pk=client.pk)
        if current.updated_at != loaded_at:
            raise ClientChangedMeanwhile(current)
    for name, value in data.items():
        setattr(client, name, value)
    client.full_clean()
    client.save(update_fields=[*data, "updated_at"])
    return client


@transaction.atomic
def clients_set_portal_enabled(
    *, client_ids: list[int], enabled: bool, user: AbstractBaseUser | None = None
) -> int:
    """Tick or untick "Klient am Klientenportal anlegen" for many clients at once.

    Only clients whose flag changes are written; the bulk update announces them to the
    sync outbox in this transaction (one kick after commit). Returns how many changed.
    """
    return (
        Client.objects.filter(pk__in=client_ids)
        .exclude(portal_enabled=enabled)
        .update(portal_enabled=enabled, updated_at=timezone.now())
    )


@transaction.atomic
def client_import_store(*, user: AbstractBaseUser, upload: UploadedFile) -> ClientImport:
    """Keep an uploaded CSV file for its preview; drops uploads older than a day."""
    ClientImport.objects.filter(created_at__lt=timezone.now() - IMPORT_KEEP).delete()
    return ClientImport.objects.create(
        created_by=user, file_name=(upload.name or "")[:255], content=upload.read()
    )


def client_import_apply(
    *, client_import: ClientImport, valid_only: bool, user: AbstractBaseUser | None = None
) -> tuple[importing.ImportPlan, importing.ImportResult | None]:
    """Check the stored file again (the data may have changed since the preview) and import.

    Writes nothing and returns no result when the file has errors and `valid_only` is
    False, or when nothing in it can be imported. The stored file is removed after a
    successful import.
    """
    with transaction.atomic():
        plan = importing.plan_import(bytes(client_import.content))
        if plan.file_errors or (plan.has_errors and not valid_only):
            return plan, None
        result = importing.apply_plan(
            plan, valid_only=valid_only, file_name=client_import.file_name
        )
        client_import.delete()
    return plan, result
