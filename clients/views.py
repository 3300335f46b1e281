import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import selectors, services
from clients.forms import ClientForm
from clients.models import Client

PAGE_SIZE = 50


@login_required
@permission_required("clients.view_client", raise_exception=True)
def client_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = Paginator(selectors.search_clients(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clients/client_list.html", {"page": page, "query": query})


def _save(request: HttpRequest, form: ClientForm, client: Client | None) -> Client | None:
    """Run the service; turn a late validation or uniqueness failure into form errors."""
    try:
        if client is None:
            return services.client_create(data=form.cleaned_data, user=request.user)
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        return services.client_update(client=client, data=data, user=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
    except IntegrityError:
        form.add_error(
            None,
            _("Klientennummer oder Kurzbezeichnung wurde soeben anderweitig vergeben."),
        )
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


@login_required
@permission_required("clients.view_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client.objects.select_related("sync_state"), pk=pk)
    can_change = request.user.has_perm("clients.change_client")
    if request.method == "POST" and not can_change:
        return render(request, "403.html", status=403)
    # The form validates a copy: the page header keeps showing the stored values.
    form = ClientForm(request.POST or None, instance=copy.copy(client))
    if request.method == "POST" and form.is_valid():
        if _save(request, form, client) is not None:
            messages.success(request, _("Die Änderungen wurden gespeichert."))
            return redirect(client)
    sync_state = getattr(client, "sync_state", None)
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "client": client, "sync_state": sync_state, "can_change": can_change},
    )
