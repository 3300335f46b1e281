"""The three roles of the office, as Django groups with their permissions."""

from typing import Any

ADMIN = "KIS/Board-Administrator"
STAFF = "Mitarbeiter"
READ_ONLY = "Nur lesen"

# group name -> permissions as (app_label, codename)
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    ADMIN: [
        ("clients", "view_client"),
        ("clients", "add_client"),
        ("clients", "change_client"),
        ("clients", "delete_client"),
        ("portalsync", "manage_portal_sync"),
        # The office's administrators manage the log-ins of their colleagues.
        ("auth", "view_user"),
        ("auth", "add_user"),
        ("auth", "change_user"),
        ("auth", "view_group"),
        ("audit", "view_auditentry"),
        # Lift a log-in lock (django-axes) in the admin after too many failed attempts.
        ("axes", "view_accessattempt"),
        ("axes", "delete_accessattempt"),
    ],
    STAFF: [
        ("clients", "view_client"),
        ("clients", "add_client"),
        ("clients", "change_client"),
    ],
    READ_ONLY: [
        ("clients", "view_client"),
    ],
}


def ensure_roles(group_model: type, permission_model: type) -> None:
    """Create the role groups with exactly their permissions (idempotent).

    Takes the model classes so the data migration can pass its historical models. A
    permission of an app that is not migrated yet is skipped: that app's own migration
    calls this again (audit/migrations/0002_admin_role.py).
    """
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.set(
            [
                permission
                for app_label, codename in perms
                for permission in permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            ]
        )


def update_roles(apps: Any, schema_editor: Any) -> None:
    """Data-migration step: bring the role groups up to ROLE_PERMISSIONS.

    Permissions are normally created only after all migrations (post_migrate); the roles
    need them now, so they are created first for every app migrated so far.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
