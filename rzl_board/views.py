"""Site-wide views: health probe and friendly error pages."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static


@login_not_required
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: reveals only whether the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links; point them to the real one."""
    return redirect(static("favicon.svg"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Standalone page: a request refused for its Host header must not build links from it.
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A rejected form post (CSRF check failed), explained in German without details."""
    return render(request, "403_csrf.html", status=403)
