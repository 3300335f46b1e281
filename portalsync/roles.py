"""The three roles of the office, as Django groups with their permissions."""

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
