"""The periodic django-q2 schedules of the sync, created idempotently after migrate."""

from typing import Any

from django.utils import timezone

SCHEDULES = {
    "portalsync-sweep": {"func": "portalsync.tasks.sweep", "minutes": 1},
    "portalsync-reconcile": {"func": "portalsync.tasks.reconcile", "minutes": 15},
    "portalsync-prune-log": {"func": "portalsync.tasks.prune_log", "minutes": 24 * 60},
}


def ensure_schedules(**kwargs: Any) -> None:
    from django_q.models import Schedule

    for name, spec in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": spec["func"],
                "schedule_type": Schedule.MINUTES,
                "minutes": spec["minutes"],
                "repeats": -1,
            },
            create_defaults={
                "func": spec["func"],
                "schedule_type": Schedule.MINUTES,
                "minutes": spec["minutes"],
                "repeats": -1,
                "next_run": timezone.now(),
            },
        )
