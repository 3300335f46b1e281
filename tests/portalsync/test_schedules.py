import pytest
from django_q.models import Schedule

from portalsync.schedules import ensure_schedules

pytestmark = pytest.mark.django_db


def _schedules() -> list[tuple[str, str, str, int]]:
    return list(
        Schedule.objects.order_by("name").values_list("name", "func", "schedule_type", "minutes")
    )


def test_migrate_creates_the_sync_schedules_once() -> None:
    expected = [
        ("portalsync-prune-log", "portalsync.tasks.prune_log", "I", 1440),
        ("portalsync-reconcile", "portalsync.tasks.reconcile", "I", 15),
        ("portalsync-sweep", "portalsync.tasks.sweep", "I", 1),
    ]
    assert _schedules() == expected

    ensure_schedules()
    ensure_schedules()

    assert _schedules() == expected
