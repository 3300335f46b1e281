from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portalsync import crypto, selectors, services
from portalsync.client import plain_http_refused
from portalsync.forms import ServicePasswordForm
from portalsync.models import PortalConnection, SyncAttempt, SyncState
from portalsync.status import function_status

MANAGE = "portalsync.manage_portal_sync"
TABLE_PAGE_SIZE = 100
LOG_PAGE_SIZE = 100


def _render_settings(request: HttpRequest, form: ServicePasswordForm) -> HttpResponse:
    page = Paginator(selectors.enabled_clients(), TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
    connection = PortalConnection.load()
    return render(
        request,
        "portalsync/settings.html",
        {
            "form": form,
            "connection": connection,
            "status": function_status(connection=connection),
            "portal_url": settings.PORTAL_URL,
            "portal_url_refused": plain_http_refused(settings.PORTAL_URL, debug=settings.DEBUG),
            "page": page,
        },
    )


def _announce_health(request: HttpRequest, connection: PortalConnection) -> None:
    if connection.health == PortalConnection.Health.OK:
        messages.success(request, _("Die Verbindung zum Klientenportal funktioniert."))
    elif connection.health == PortalConnection.Health.AUTH_FAILED:
        messages.error(
            request,
            _(
                "Anmeldung fehlgeschlagen: Das Klientenportal lehnt das Passwort ab. Bitte "
                "prüfen Sie das Passwort, das am Portal unter Stammdaten / Portal / Sonstige "
                "Einstellungen festgelegt ist, und geben Sie es hier erneut ein."
            ),
        )
    elif connection.health == PortalConnection.Health.UNREACHABLE:
        messages.error(
            request,
            _("Das Klientenportal ist nicht erreichbar: %(detail)s")
            % {"detail": connection.health_detail},
        )
    elif connection.health_detail:
        messages.error(request, connection.health_detail)


@login_required
@permission_required(MANAGE, raise_exception=True)
def settings_page(request: HttpRequest) -> HttpResponse:
    return _render_settings(request, ServicePasswordForm())


@sensitive_post_parameters("password")
@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def set_password(request: HttpRequest) -> HttpResponse:
    form = ServicePasswordForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, form)
    try:
        connection = services.set_service_password(
            password=form.cleaned_data["password"], user=request.user
        )
    except crypto.EncryptionKeyError as exc:
        form.add_error(None, str(exc))
        return _render_settings(request, form)
    if connection.health == PortalConnection.Health.OK:
        messages.success(
            request,
            _(
                "Das Service-Account Passwort wurde gespeichert. Die Verbindung zum "
                "Klientenportal funktioniert."
            ),
        )
    else:
        # Kept even when the portal refuses it: the portal side may be set up afterwards,
        # and „Verbindung prüfen“ or the next sweep confirms it then.
        messages.warning(
            request,
            _("Das Service-Account Passwort wurde gespeichert, aber noch nicht bestätigt."),
        )
        _announce_health(request, connection)
    return redirect("portalsync:settings")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def check_connection(request: HttpRequest) -> HttpResponse:
    _announce_health(request, services.check_connection())
    return redirect("portalsync:settings")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def full_resync(request: HttpRequest) -> HttpResponse:
    count = services.start_full_resync()
    messages.success(
        request,
        _("%(count)d Klienten werden erneut an das Klientenportal übertragen.") % {"count": count},
    )
    return redirect("portalsync:settings")


@login_required
@permission_required(MANAGE, raise_exception=True)
@require_POST
def retry_client(request: HttpRequest, pk: int) -> HttpResponse:
    state = get_object_or_404(SyncState, pk=pk)
    services.retry_client(state=state)
    messages.success(request, _("Der Klient wird erneut gesendet."))
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("portalsync:settings")


@login_required
@permission_required(MANAGE, raise_exception=True)
def sync_log(request: HttpRequest) -> HttpResponse:
    client_query = request.GET.get("klient", "")
    outcome = request.GET.get("ergebnis", "")
    attempts = selectors.sync_log(client_query=client_query, outcome=outcome)
    page = Paginator(attempts, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portalsync/sync_log.html",
        {
            "page": page,
            "client_query": client_query,
            "outcome": outcome,
            "outcomes": SyncAttempt.Outcome.choices,
        },
    )
