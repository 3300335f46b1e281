"""Connect client writes to the outbox (see outbox.py for the transaction contract)."""

from typing import Any

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from clients.models import Client
from clients.signals import clients_bulk_changed
from portalsync import outbox


@receiver(post_save, sender=Client, dispatch_uid="portalsync_client_saved")
def client_saved(sender: type[Client], instance: Client, raw: bool = False, **kwargs: Any) -> None:
    outbox.mark_client_changed(instance)


@receiver(pre_delete, sender=Client, dispatch_uid="portalsync_client_deleted")
def client_deleted(sender: type[Client], instance: Client, **kwargs: Any) -> None:
    outbox.mark_client_deleted(instance)


@receiver(clients_bulk_changed, sender=Client, dispatch_uid="portalsync_clients_bulk_changed")
def clients_bulk_changed_receiver(
    sender: type[Client], client_ids: list[int], **kwargs: Any
) -> None:
    outbox.mark_clients_changed(client_ids)
