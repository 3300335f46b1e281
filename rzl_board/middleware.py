"""Site-wide middleware: audit context and security headers."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.context import acting


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with DJANGO_TRUSTED_PROXY_COUNT = n the n-th
    address from the right of X-Forwarded-For (what the nearest trusted proxy saw).

    Used for the audit trail and for log-in throttling (django-axes); trusting more proxies
    than there are would let a client choose its own address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Makes the current request known to the audit trail while the view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(request=request):
            return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    Django 5.2 sets HSTS, nosniff, Referrer-Policy, COOP and (with XFrameOptionsMiddleware)
    X-Frame-Options itself; a CSP it does not. The policy allows only the self-hosted
    assets: no inline script or style, no other origin.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class MethodNotAllowedPageMiddleware:
    """A page instead of the empty body Django sends for a wrong method (405), e.g. when
    someone opens the address of a button (/abmelden/) in the browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
