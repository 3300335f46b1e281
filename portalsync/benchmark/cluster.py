"""A real `manage.py qcluster` for the figures that need the task path."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.tasks import async_task, result

from portalsync.benchmark.setup import ROOT


def clear_queue() -> None:
    """Drop queued kicks left from setting up: they would drain what is to be measured."""
    OrmQ.objects.all().delete()


@contextmanager
def deferred_schedules(*names: str) -> Iterator[None]:
    """Keep these schedules from running while a figure is taken, then restore them."""
    schedules = list(Schedule.objects.filter(name__in=names))
    Schedule.objects.filter(name__in=names).update(next_run=timezone.now() + timedelta(days=1))
    try:
        yield
    finally:
        for schedule in schedules:
            Schedule.objects.filter(pk=schedule.pk).update(next_run=schedule.next_run)


@contextmanager
def qcluster(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Start a qcluster and return once it runs tasks; stop it (and its workers) after."""
    process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        probe = async_task("math.floor", 1.5)
        if result(probe, wait=60_000) != 1:
            raise RuntimeError("Der Hintergrunddienst (qcluster) nimmt keine Aufgaben an.")
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the cluster's process group; SIGKILL if a long sweep keeps it busy."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    time.sleep(0.2)
