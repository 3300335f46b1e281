import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from clients import exporting, importing, selectors, services
from clients.forms import (
    BulkPortalForm,
    ClientFilterForm,
    ClientForm,
    ImportConfirmForm,
    ImportUploadForm,
)
from clients.models import Client, ClientImport

PAGE_SIZE = 50
LIST_PARAMETERS = ("q", "serviced", "legal_form", "portal", "sync", "sort")


def _list_query(data: dict | object) -> str:
    """The list's search, filters and sort order as a query string (without the page)."""
    return urlencode([(name, data.get(name)) for name in LIST_PARAMETERS if data.get(name)])


def _list_url(query: str) -> str:
    return reverse("clients:list") + ("?" + query if query else "")


@login_required
@permission_required("clients.view_client", raise_exception=True)
def client_list(request: HttpRequest) -> HttpResponse:
    filter_form = ClientFilterForm(request.GET)
    filters = filter_form.filters()
    page = Paginator(selectors.filter_clients(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    list_query = _list_query(request.GET)
    context = {
        "page": page,
        "filter_form": filter_form,
        "query": filters["query"],
        "sort": filters["sort"],
        "filtered": any(request.GET.get(name) for name in LIST_PARAMETERS if name != "sort"),
        "list_query": list_query,
        "can_change": request.user.has_perm("clients.change_client"),
    }
    return render(request, "clients/client_list.html", context)


@login_required
@permission_required("clients.view_client", raise_exception=True)
def client_export(request: HttpRequest) -> HttpResponse:
    filters = ClientFilterForm(request.GET).filters()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    file_name = f"klienten-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    exporting.write_csv(selectors.filter_clients(**filters).iterator(chunk_size=2000), response)
    return response


@login_required
@permission_required("clients.change_client", raise_exception=True)
@require_POST
def client_bulk_portal(request: HttpRequest) -> HttpResponse:
    """First POST (from the list) asks for confirmation, the second one ("confirm") acts."""
    back = _list_query(request.POST)
    form = BulkPortalForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_list_url(back))
    client_ids = form.cleaned_data["selected"]
    if "confirm" not in request.POST:
        context = {
            "form": form,
            "client_ids": client_ids,
            "change": selectors.portal_change(client_ids=client_ids, enabled=form.enable),
            "enable": form.enable,
            "back_fields": [
                (name, request.POST[name]) for name in LIST_PARAMETERS if request.POST.get(name)
            ],
            "back_url": _list_url(back),
        }
        return render(request, "clients/client_bulk_confirm.html", context)
    changed = services.clients_set_portal_enabled(
        client_ids=client_ids, enabled=form.enable, user=request.user
    )
    if form.enable:
        message = ngettext(
            "%(count)d Klient wird am Klientenportal angelegt.",
            "%(count)d Klienten werden am Klientenportal angelegt.",
            changed,
        )
    else:
        message = ngettext(
            "%(count)d Klient wird vom Klientenportal genommen.",
            "%(count)d Klienten werden vom Klientenportal genommen.",
            changed,
        )
    messages.success(request, message % {"count": changed})
    return redirect(_list_url(back))


def _save(request: HttpRequest, form: ClientForm, client: Client | None) -> Client | None:
    """Run the service; turn a late validation or uniqueness failure into form errors."""
    try:
        if client is None:
            return services.client_create(data=form.client_values(), user=request.user)
        return _update_over_other_saves(request, form, client)
    except ValidationError as exc:
        form.add_error(None, exc)
    except IntegrityError:
        form.add_error(
            None,
            _("Klientennummer oder Kurzbezeichnung wurde soeben anderweitig vergeben."),
        )
    return None


def _update_over_other_saves(
    request: HttpRequest, form: ClientForm, client: Client
) -> Client | None:
    """Save this user's changes on top of saves made since the page was loaded, unless
    those touched the same fields: then report them and save nothing."""
    data = form.client_values(changed_only=True)
    loaded_at = form.loaded_version()
    # A further save can slip in between two tries; after a few, ask the user instead.
    for _attempt in range(3):
        try:
            return services.client_update(
                client=client, data=data, user=request.user, loaded_at=loaded_at
            )
        except services.ClientChangedMeanwhile as exc:
            client, loaded_at = exc.current, exc.current.updated_at
            both = form.changed_by_both(client)
            if both:
                form.report_changed_meanwhile(client, both)
                return None
    form.report_changed_meanwhile(client, list(data))
    return None


@login_required
@permission_required("clients.add_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = _save(request, form, None)
        if client is not None:
            messages.success(request, _("Klient %(client)s wurde angelegt.") % {"client": client})
            return redirect(client)
    return render(request, "clients/client_form.html", {"form": form, "client": None})


def _warn_if_number_differs_from_portal(
    request: HttpRequest, client: Client, form: ClientForm
) -> None:
    """A renumbered client keeps its old number on the portal: say so right away."""
    portal_number = getattr(getattr(client, "sync_state", None), "portal_number", None)
    if "number" in form.changed_data and portal_number not in (None, client.number):
        messages.warning(
            request,
            _(
                "Die Klientennummer wird nicht an das Klientenportal übertragen. Nummer am "
                "Portal: %(portal)s – im Board: %(board)s; bitte am Portal manuell ändern."
            )
            % {"portal": portal_number, "board": client.number},
        )


@login_required
@permission_required("clients.view_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client.objects.select_related("sync_state"), pk=pk)
    can_change = request.user.has_perm("clients.change_client")
    if request.method == "POST" and not can_change:
        return render(request, "403.html", status=403)
    # The form validates a copy: the page header keeps showing the stored values.
    form = ClientForm(request.POST or None, instance=copy.copy(client), read_only=not can_change)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, client)
        if saved is not None:
            messages.success(request, _("Die Änderungen wurden gespeichert."))
            _warn_if_number_differs_from_portal(request, saved, form)
            return redirect(saved)
    context = {
        "form": form,
        "client": client,
        "sync_state": getattr(client, "sync_state", None),
        "portal_number_holder": selectors.portal_number_holder(client),
    }
    return render(request, "clients/client_form.html", context)


@login_required
@permission_required(["clients.add_client", "clients.change_client"], raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_import(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        client_import = services.client_import_store(
            user=request.user, upload=form.cleaned_data["file"]
        )
        return redirect("clients:import_preview", token=client_import.token)
    columns = [importing.column_title(name) for name in importing.COLUMNS]
    return render(request, "clients/client_import.html", {"form": form, "columns": columns})


@login_required
@permission_required(["clients.add_client", "clients.change_client"], raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_import_preview(request: HttpRequest, token: str) -> HttpResponse:
    client_import = get_object_or_404(ClientImport, token=token, created_by=request.user)
    # The form has only a checkbox: an unticked one sends an empty (but real) POST.
    form = ImportConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        valid_only = form.cleaned_data["valid_only"]
        plan, result = services.client_import_apply(
            client_import=client_import, valid_only=valid_only, user=request.user
        )
        if result is not None:
            messages.success(
                request, _("Import abgeschlossen: %(summary)s.") % {"summary": result.summary()}
            )
            return redirect("clients:list")
        messages.error(
            request,
            _(
                "Es wurde nichts importiert: Die Datei enthält Fehler. Korrigieren Sie die "
                "Datei oder wählen Sie „nur die gültigen Zeilen importieren“."
            ),
        )
    else:
        plan = importing.plan_import(bytes(client_import.content))
    context = {"form": form, "plan": plan, "client_import": client_import}
    return render(request, "clients/client_import_preview.html", context)
