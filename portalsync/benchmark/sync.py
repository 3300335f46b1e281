"""Figure 1 and 6: full sync of every enabled client, next to a naive baseline."""

import json
import subprocess
import sys
import time
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from django_q.tasks import async_task

from portalsync import crypto
from portalsync.benchmark import cluster
from portalsync.benchmark.setup import ROOT
from portalsync.models import PortalConnection, SyncAttempt, SyncState
from portalsync.payload import client_snapshot, snapshot_hash
from portalsync.schedules import SCHEDULES


def naive_task(state_id: int) -> None:
    """What a per-client sync looks like without batching: one task, one read, one request
    on a new connection and one write per client (the baseline of the full-sync figure)."""
    password = crypto.decrypt(PortalConnection.load().password_encrypted)
    state = SyncState.objects.select_related("client").get(pk=state_id)
    data = client_snapshot(
        state.client, portal_number=state.portal_number, today=timezone.localdate()
    )
    version = state.desired_version
    started = time.monotonic()
    response = requests.put(
        f"{settings.PORTAL_URL}/api/v1/clients/{state.portal_id}",
        json=data,
        auth=("service", password),
        headers={
            "X-Sync-Version": str(version),
            "Idempotency-Key": f"{state.portal_id}:v{version}",
            "Connection": "close",
        },
        timeout=(3, 15),
    )
    now = timezone.now()
    SyncState.objects.filter(pk=state_id).update(
        delivered_version=version,
        delivered_hash=snapshot_hash(data),
        status=SyncState.Status.SYNCED,
        pending_since=None,
        last_success_at=now,
        last_http_status=response.status_code,
    )
    SyncAttempt.objects.create(
        sync_state_id=state_id,
        version=version,
        outcome=SyncAttempt.Outcome.DELIVERED,
        http_status=response.status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _pending_ids(count: int) -> list[int]:
    return list(
        SyncState.objects.filter(status=SyncState.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )


def naive_loop(count: int) -> dict[str, Any]:
    """The naive per-client sync called in a plain loop: no task queue at all."""
    ids = _pending_ids(count)
    started = time.perf_counter()
    for state_id in ids:
        naive_task(state_id)
    seconds = time.perf_counter() - started
    return {"clients": len(ids), "seconds": seconds, "rate": len(ids) / seconds}


def naive_tasks(count: int, env: dict[str, str]) -> dict[str, Any]:
    """The naive baseline: one django-q2 task per client, run by a real qcluster."""
    ids = _pending_ids(count)
    cluster.clear_queue()
    with cluster.deferred_schedules(*SCHEDULES), cluster.qcluster(env):
        started = time.perf_counter()
        for state_id in ids:
            async_task("portalsync.benchmark.sync.naive_task", state_id)
        while SyncState.objects.filter(pk__in=ids, status=SyncState.Status.PENDING).exists():
            if time.perf_counter() - started > 600:
                raise RuntimeError("Die naive Vergleichsmessung wird nicht fertig.")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    return {"clients": len(ids), "seconds": seconds, "rate": len(ids) / seconds}


def full_sync(env: dict[str, str]) -> dict[str, Any]:
    """Run a worker process that drains every pending client; check all are acknowledged."""
    pending = SyncState.objects.filter(status=SyncState.Status.PENDING).count()
    output = subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [sys.executable, "-m", "portalsync.benchmark.worker"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    not_acked = SyncState.objects.exclude(
        status=SyncState.Status.SYNCED, delivered_version=1
    ).count()
    if not_acked or result["delivered"] != pending:
        raise RuntimeError(
            f"Vollabgleich unvollständig: {not_acked} nicht bestätigt, "
            f"{result['delivered']} von {pending} übertragen, {result['errors']}"
        )
    return {**result, "clients": pending, "rate": pending / result["seconds"]}
