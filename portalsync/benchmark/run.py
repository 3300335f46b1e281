"""The benchmark's stages, in the child process that owns the scratch database."""

import json
import os
import secrets
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from portalsync import services
from portalsync.benchmark import cluster, report, setup, sync, web

SMALL = 100
IMPORT_FIRST = 500_001


def latency(env: dict[str, str], *, edits: int, offset: int, broker_url: str) -> dict[str, Any]:
    """Edit-to-portal latency in a process of its own: the broker is fixed at start-up."""
    done = subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [sys.executable, "-m", "portalsync.benchmark.latency", str(edits), str(offset)],
        env={**env, "Q_BROKER_URL": broker_url},
        cwd=setup.ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"Latenzmessung fehlgeschlagen:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def step(title: str) -> None:
    print(f"[benchmark] {title}", file=sys.stderr, flush=True)


def run_all(options: dict[str, Any]) -> dict[str, Any]:
    n = options["clients"]
    figures: dict[str, Any] = {"clients": n, "machine": report.machine(connection)}
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    password = secrets.token_urlsafe(12)
    with setup.emulator(password=password, env=dict(os.environ)) as portal:
        env = {**os.environ, "PORTAL_URL": portal.url}
        settings.PORTAL_URL = portal.url
        services.set_service_password(password=password, user=None)
        admin = setup.make_admin()

        step(f"Seiten bei {SMALL} Klienten")
        setup.add_clients(1, SMALL)
        sync.full_sync(env)
        figures["pages_small"] = web.pages(admin)

        step(f"{n} Klienten anlegen, naive Vergleichsmessung")
        setup.add_clients(SMALL + 1, n)
        for name, measure in (
            ("naive_tasks", lambda: sync.naive_tasks(options["baseline_clients"], env)),
            ("naive_loop", lambda: sync.naive_loop(options["baseline_clients"])),
        ):
            setup.reset_sync_state()
            portal.reset()
            figures[name] = measure()

        step(f"Vollabgleich von {n} Klienten")
        setup.reset_sync_state()
        portal.reset()
        figures["full_sync"] = sync.full_sync(env)

        step(f"Seiten bei {n} Klienten")
        figures["pages_large"] = web.pages(admin)
        step("Kosten einer Speicherung")
        figures["save"] = web.save_cost(portal)

        step("Latenz mit ORM-Broker")
        figures["latency_orm"] = latency(env, edits=options["edits"], offset=0, broker_url="")
        if options["redis_url"]:
            step("Latenz mit Redis-Broker")
            figures["latency_redis"] = latency(
                env,
                edits=options["edits"],
                offset=options["edits"] + 1,
                broker_url=options["redis_url"],
            )
        cluster.clear_queue()

        step(f"Import von {n} Zeilen")
        figures["import"] = web.import_rows(admin, rows=n, first=IMPORT_FIRST)
    figures["total_seconds"] = time.monotonic() - started
    return figures
