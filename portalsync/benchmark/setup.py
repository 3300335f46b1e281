"""Benchmark data and the portal emulator process."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from clients.enums import LegalForm
from clients.models import Client
from portalsync.models import SyncAttempt, SyncState
from portalsync.roles import ADMIN, ensure_roles

ROOT = Path(__file__).resolve().parent.parent.parent
CITIES = ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck", "Klagenfurt", "Villach", "Wels")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """Looks into the emulator through its control endpoints (/_emulator/)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def control(self, method: str, path: str) -> Any:
        response = self.session.request(method, self.url + "/_emulator" + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def version(self, portal_id: str) -> int:
        """The version the portal holds for `portal_id` (0: none)."""
        response = self.session.get(f"{self.url}/_emulator/clients/{portal_id}", timeout=30)
        return response.json()["version"] if response.status_code == 200 else 0

    def request_count(self) -> int:
        return self.control("GET", "/requests")["count"]

    def reset(self) -> None:
        self.control("POST", "/reset")


class Emulator(Portal):
    """The portal emulator in its own process, so it never competes for our GIL."""

    def __init__(self, *, password: str, env: dict[str, str]) -> None:
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        self.process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "portal_emulator",
                "--port",
                str(self.port),
                "--data",
                ":memory:",
            ],
            env={**env, "PORTAL_EMULATOR_PASSWORD": password},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.control("GET", "/status")
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("Der Portal-Emulator startet nicht.") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def emulator(*, password: str, env: dict[str, str]) -> Iterator[Emulator]:
    server = Emulator(password=password, env=env)
    try:
        yield server
    finally:
        server.stop()


def make_admin() -> Any:
    ensure_roles(Group, Permission)
    user = get_user_model().objects.create_user(username="bench-admin")
    user.groups.set([Group.objects.get(name=ADMIN)])
    return user


def add_clients(first: int, last: int, *, portal_enabled: bool = True) -> None:
    """Clients number `first`..`last` with realistic master data, in bulk."""
    forms = [LegalForm.GMBH, LegalForm.SOLE_TRADER, LegalForm.OG, LegalForm.KG]
    for start in range(first, last + 1, 2000):
        Client.objects.bulk_create(
            Client(
                number=n,
                short_name=f"KL{n:06d}",
                name=f"Klient {n} Handels- und Beratungsgesellschaft",
                legal_form=forms[n % len(forms)],
                street=f"Hauptstraße {n % 200 + 1}",
                postcode="1010",
                city=CITIES[n % len(CITIES)],
                country="AT",
                email=f"office{n}@klient.example",
                phone=f"+431{n:07d}",
                portal_enabled=portal_enabled,
            )
            for n in range(start, min(start + 2000, last + 1))
        )


def reset_sync_state() -> None:
    """Back to "nothing delivered": every enabled client pending, no log."""
    SyncAttempt.objects.all().delete()
    SyncState.objects.update(
        delivered_version=0,
        delivered_hash="",
        status=SyncState.Status.PENDING,
        pending_since=timezone.now(),
        attempts=0,
        next_attempt_at=timezone.now(),
        lease_token=None,
        leased_until=None,
        list_state="",
        last_success_at=None,
        last_http_status=None,
        last_error="",
    )
