"""Audit entries for client writes and log-ins, from signals.

Client writes are hooked here rather than in clients.services so that every write path
(forms, admin, commands, imports, bulk writes) is covered. The entries are written inside
the saving transaction.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Field
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit import context, services
from audit.models import AuditEntry
from clients.models import Client
from clients.signals import clients_bulk_changed

Action = AuditEntry.Action
# Bookkeeping columns, not master data.
UNTRACKED = {"id", "created_at", "updated_at"}
PORTAL_FLAG = "portal_enabled"
OLD_VALUES = "_audit_old_values"


def _tracked_fields(update_fields: Any = None) -> list[Field]:
    return [
        field
        for field in Client._meta.concrete_fields
        if field.name not in UNTRACKED and (update_fields is None or field.name in update_fields)
    ]


def _operation_detail() -> str:
    operation = context.current_operation()
    return operation.detail if operation is not None else ""


@receiver(pre_save, sender=Client, dispatch_uid="audit_client_pre_save")
def remember_old_values(
    sender: type[Client], instance: Client, update_fields: Any = None, **kwargs: Any
) -> None:
    old = None
    if instance.pk is not None:
        fields = _tracked_fields(update_fields)
        old = Client.objects.filter(pk=instance.pk).values(*(f.attname for f in fields)).first()
    setattr(instance, OLD_VALUES, old)


@receiver(post_save, sender=Client, dispatch_uid="audit_client_post_save")
def record_client_saved(
    sender: type[Client],
    instance: Client,
    created: bool,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    old = instance.__dict__.pop(OLD_VALUES, None)
    detail = _operation_detail()
    if created or old is None:
        changes = [
            {"field": f.name, "label": str(f.verbose_name), "old": None, "new": value}
            for f in _tracked_fields()
            if (value := getattr(instance, f.attname)) not in (None, "", False)
        ]
        services.record(
            action=Action.CLIENT_CREATED, client=instance, changes=changes, detail=detail
        )
        if instance.portal_enabled:
            services.record(action=Action.PORTAL_ENABLED, client=instance, detail=detail)
        return
    changes = [
        {"field": f.name, "label": str(f.verbose_name), "old": old[f.attname], "new": new}
        for f in _tracked_fields(update_fields)
        if f.name != PORTAL_FLAG
        and services.plain(new := getattr(instance, f.attname)) != services.plain(old[f.attname])
    ]
    if changes:
        services.record(
            action=Action.CLIENT_CHANGED, client=instance, changes=changes, detail=detail
        )
    if PORTAL_FLAG in old and old[PORTAL_FLAG] != instance.portal_enabled:
        services.record(
            action=Action.PORTAL_ENABLED if instance.portal_enabled else Action.PORTAL_DISABLED,
            client=instance,
            detail=detail,
        )


@receiver(post_delete, sender=Client, dispatch_uid="audit_client_post_delete")
def record_client_deleted(sender: type[Client], instance: Client, **kwargs: Any) -> None:
    services.record(action=Action.CLIENT_DELETED, client=instance, detail=_operation_detail())


@receiver(clients_bulk_changed, sender=Client, dispatch_uid="audit_clients_bulk_changed")
def record_clients_bulk_changed(
    sender: type[Client], client_ids: list[int], changes: dict | None = None, **kwargs: Any
) -> None:
    operation = context.current_operation()
    # Bookkeeping columns set along (updated_at) say nothing about what staff changed.
    changes = {name: value for name, value in (changes or {}).items() if name not in UNTRACKED}
    if operation is not None:
        action, detail = operation.action, operation.detail
    elif set(changes) == {PORTAL_FLAG}:
        # The list's bulk action: the same entry as ticking the flag on one client.
        action = Action.PORTAL_ENABLED if changes[PORTAL_FLAG] else Action.PORTAL_DISABLED
        detail = ""
    else:
        action = Action.CLIENTS_BULK_CHANGED
        detail = _bulk_detail(changes)
    services.record_clients(action=action, client_ids=client_ids, detail=detail)


def _bulk_detail(changes: dict[str, Any]) -> str:
    """Which fields a bulk update set, by their German names (values only if plain)."""
    parts = []
    for name, value in changes.items():
        label = str(Client._meta.get_field(name).verbose_name)
        if isinstance(value, bool):
            parts.append(f"{label} = {_('ja') if value else _('nein')}")
        elif isinstance(value, str | int) or value is None:
            parts.append(f"{label} = {value}")
        else:
            parts.append(label)
    return "; ".join(parts)


@receiver(user_logged_in, dispatch_uid="audit_user_logged_in")
def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    services.record(action=Action.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_user_logged_out")
def record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.record(action=Action.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_user_login_failed")
def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the name typed in; Django has already masked the password in `credentials`.
    name = str(credentials.get("username") or "")
    services.record(action=Action.LOGIN_FAILED, actor_name=name, request=request)
