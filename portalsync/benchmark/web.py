"""Figures 3 to 5: cost of a save, pages at N clients, CSV import."""

import csv
import io
import statistics
import time
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as Browser
from django.test.utils import override_settings
from django.urls import reverse
from django_q.models import OrmQ

from clients import importing, services
from clients.models import Client
from portalsync.benchmark.setup import CITIES, Portal


class QueryCounter:
    """Counts the SQL statements this thread's connection runs (no DEBUG needed)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> "QueryCounter":
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._wrapper.__exit__(*exc_info)


PAGES = {
    "client_list": "clients:list",
    "settings": "portalsync:settings",
    "sync_log": "portalsync:log",
}


def save_cost(portal: Portal, *, saves: int = 200) -> dict[str, Any]:
    """A client save through the service with the portal flag on vs off."""
    flag_on = Client.objects.filter(portal_enabled=True).order_by("number").first()
    flag_off = services.client_create(
        data={
            "number": 999_999,
            "short_name": "OHNE-PORTAL",
            "name": "Klient ohne Portal",
            "legal_form": "gmbh",
        }
    )
    requests_before = portal.request_count()
    figures: dict[str, Any] = {}
    for label, client in (("on", flag_on), ("off", flag_off)):
        with QueryCounter() as queries:
            services.client_update(client=client, data={"name": f"{client.name} (geändert)"})
        durations = []
        for index in range(saves):
            started = time.perf_counter()
            services.client_update(client=client, data={"name": f"Klient {label} {index}"})
            durations.append(time.perf_counter() - started)
        figures[label] = {
            "queries": queries.count,
            "median_ms": statistics.median(durations) * 1000,
        }
    figures["portal_requests"] = portal.request_count() - requests_before
    OrmQ.objects.all().delete()  # the kicks nobody ran
    Client.objects.filter(pk=flag_off.pk).delete()
    return figures


# Without collectstatic in the scratch setup there is no manifest; a dict lookup either way.
PLAIN_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=PLAIN_STATIC)
def pages(admin: Any, *, renders: int = 15) -> dict[str, Any]:
    """Query count and median render time of the three pages that list many rows."""
    browser = Browser()
    browser.force_login(admin)
    figures: dict[str, Any] = {}
    for name, url_name in PAGES.items():
        url = reverse(url_name)
        if browser.get(url).status_code != 200:
            raise RuntimeError(f"{url} antwortet nicht mit 200.")
        with QueryCounter() as queries:
            browser.get(url)
        durations = []
        for _ in range(renders):
            started = time.perf_counter()
            browser.get(url)
            durations.append(time.perf_counter() - started)
        figures[name] = {
            "queries": queries.count,
            "median_ms": statistics.median(durations) * 1000,
        }
    return figures


IMPORT_COLUMNS = (
    "number",
    "short_name",
    "name",
    "legal_form",
    "client_since",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "portal_enabled",
)


def import_csv(rows: int, first: int) -> bytes:
    """A CSV file as an office would export it from another program (semicolons, BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([importing.column_title(name) for name in IMPORT_COLUMNS])
    for n in range(first, first + rows):
        writer.writerow(
            [
                n,
                f"IMP{n}",
                f"Importierter Klient {n} GmbH",
                "GmbH",
                "01.01.2020",
                f"Ringstraße {n % 90 + 1}",
                "8010",
                CITIES[n % len(CITIES)],
                "Österreich",
                f"buero{n}@import.example",
                f"0316 {n:06d}",
                "nein",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def import_rows(admin: Any, *, rows: int, first: int) -> dict[str, Any]:
    """Check and import `rows` new clients from a CSV file, as the import page does."""
    content = import_csv(rows, first)
    started = time.perf_counter()
    upload = services.client_import_store(
        user=admin, upload=SimpleUploadedFile("klienten.csv", content, "text/csv")
    )
    plan, result = services.client_import_apply(client_import=upload, valid_only=False, user=admin)
    seconds = time.perf_counter() - started
    if result is None or result.created != rows:
        errors = [row.errors for row in plan.rows if row.errors][:3]
        raise RuntimeError(f"Der Import ist fehlgeschlagen: {plan.file_errors or errors}")
    return {"rows": rows, "seconds": seconds, "rate": rows / seconds}
