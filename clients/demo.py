"""Demo data of the original guide: five serviced clients, an administrator and a staff user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from clients.enums import LegalForm
from clients.models import Client
from portalsync.roles import ADMIN, STAFF

DEMO_CLIENTS = [
    (3, "Huber Alois", "Huber Alois", LegalForm.SOLE_TRADER),
    (8, "Testfall", "Testfall GesmbH", LegalForm.GMBH),
    (27, "Streicher Stefan II", "Streicher Stefan", LegalForm.GMBH),
    (50, "RZL Musterklient GmbH", "RZL Musterklient GmbH", LegalForm.GMBH),
    (56, "Wohnen Schöner", "Wohnen Schöner", LegalForm.GMBH),
]

ADMIN_USERNAME = "kanzlei-admin"
STAFF_USERNAME = "mitarbeiter"


@transaction.atomic
def load_demo_clients() -> int:
    """Create the demo clients in an empty database; returns how many were created.

    Once any client exists the data is the office's: renumbered, renamed or deleted demo
    clients are never brought back.
    """
    if Client.objects.exists():
        return 0
    for number, short_name, name, legal_form in DEMO_CLIENTS:
        Client.objects.create(
            number=number, short_name=short_name, name=name, legal_form=legal_form
        )
    return len(DEMO_CLIENTS)


@transaction.atomic
def ensure_user(*, username: str, password: str, group_name: str, first_name: str) -> None:
    """Create or reset a demo user so the printed log-in always works."""
    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": first_name}
    )
    user.set_password(password)
    user.is_staff = group_name == ADMIN  # the administrator may also open Django's admin
    user.save()
    user.groups.set([Group.objects.get(name=group_name)])


def ensure_demo_users(*, admin_password: str, staff_password: str) -> None:
    ensure_user(
        username=ADMIN_USERNAME,
        password=admin_password,
        group_name=ADMIN,
        first_name="Kanzlei-Administration",
    )
    ensure_user(
        username=STAFF_USERNAME,
        password=staff_password,
        group_name=STAFF,
        first_name="Mitarbeiterin",
    )
