"""Figure 2: edit-to-portal latency of single edits through a real qcluster.

Usage: python -m portalsync.benchmark.latency EDITS OFFSET  (broker, database and portal
from the environment: Q_BROKER_URL empty means the ORM broker). Prints one JSON line.
Each edit changes another client (so no debounce applies), through the same service as
the client form, and is timed until the portal holds the new version.
"""

import json
import os
import statistics
import sys
import time
from typing import Any

import django


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(edits: int, offset: int) -> dict[str, Any]:
    from django.conf import settings

    from clients import services
    from clients.models import Client
    from portalsync.benchmark import cluster
    from portalsync.benchmark.setup import Portal
    from portalsync.models import SyncState

    portal = Portal(settings.PORTAL_URL)
    clients = list(
        Client.objects.filter(portal_enabled=True)
        .select_related("sync_state")
        .order_by("number")[offset : offset + edits + 1]
    )
    env = dict(os.environ)  # the same database, broker and portal as this process
    cluster.clear_queue()
    latencies: list[float] = []
    with cluster.deferred_schedules("portalsync-reconcile", "portalsync-prune-log"):
        with cluster.qcluster(env):
            for index, client in enumerate(clients):
                started = time.perf_counter()
                services.client_update(client=client, data={"city": f"Ort {offset + index}"})
                version = SyncState.objects.get(client=client).desired_version
                portal_id = str(client.sync_state.portal_id)
                while portal.version(portal_id) < version:
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("Eine Änderung kommt nicht am Portal an.")
                    time.sleep(0.005)
                if index:  # the first edit warms up the cluster
                    latencies.append(time.perf_counter() - started)
                time.sleep(0.05)
    return {
        "edits": len(latencies),
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
    }


if __name__ == "__main__":
    django.setup()
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))), flush=True)
