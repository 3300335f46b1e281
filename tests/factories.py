"""Factories for test data: real model instances, saved through the real write path."""

import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from clients.enums import LegalForm
from clients.models import Client
from portalsync.roles import ensure_roles

_numbers = itertools.count(1000)


def make_client(**fields: Any) -> Client:
    number = fields.pop("number", None) or next(_numbers)
    defaults: dict[str, Any] = {
        "number": number,
        "short_name": f"Klient {number}",
        "name": f"Klient {number} GmbH",
        "legal_form": LegalForm.GMBH,
    }
    defaults.update(fields)
    return Client.objects.create(**defaults)


def make_user(username: str, role: str | None, password: str = "geheim-123") -> Any:
    ensure_roles(Group, Permission)
    user = get_user_model().objects.create_user(username=username, password=password)
    if role:
        user.groups.set([Group.objects.get(name=role)])
    return user
