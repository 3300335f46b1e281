"""CSRF protection is enforced on every form: without the token a post is refused with
a German page; every form on every page carries the token."""

import re
from typing import Any

from django.urls import reverse

from tests.factories import make_client
from tests.security.conftest import ADMIN, ANON
from tests.security.test_permissions import EXPECTED

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.DOTALL | re.IGNORECASE)


def _post_urls(client_pk: int, state_pk: int) -> list[str]:
    kwargs = {"clients:edit": {"pk": client_pk}, "portalsync:retry": {"pk": state_pk}}
    return [
        reverse(row.name, kwargs=kwargs.get(row.name))
        for row in EXPECTED
        if row.method == "post" and row.name != "logout"
    ]


def test_every_post_without_the_token_is_refused_with_the_german_page(
    browser_for: Any,
) -> None:
    client = make_client(number=27, portal_enabled=True)
    browser = browser_for(ADMIN, enforce_csrf_checks=True)
    urls = [*_post_urls(client.pk, client.sync_state.pk), reverse("logout")]

    statuses = {url: browser.post(url) for url in urls}

    for url, response in statuses.items():
        assert response.status_code == 403, url
        assert "<h1>Formular abgelaufen</h1>" in response.content.decode(), url


def test_logging_in_without_the_token_is_refused(browser_for: Any) -> None:
    browser = browser_for(ANON, enforce_csrf_checks=True)

    response = browser.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403


def test_every_form_on_every_page_carries_the_token(browser_for: Any) -> None:
    client = make_client(number=27, portal_enabled=True)
    browser = browser_for(ADMIN, enforce_csrf_checks=True)
    pages = [
        reverse(row.name, kwargs={"pk": client.pk} if row.name == "clients:edit" else None)
        for row in EXPECTED
        if row.method == "get" and row.admin == 200 and row.name not in ("health",)
    ]
    post_forms = 0

    for url in pages:
        for form in FORM.findall(browser.get(url).content.decode()):
            if 'method="post"' in form.lower():
                post_forms += 1
                assert 'name="csrfmiddlewaretoken"' in form, (url, form[:120])

    assert post_forms >= len(pages)  # at least the log-out form on each page


def test_a_post_with_the_token_from_the_page_is_accepted(browser_for: Any) -> None:
    browser = browser_for(ADMIN, enforce_csrf_checks=True)
    page = browser.get(reverse("portalsync:settings")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(reverse("portalsync:full_resync"), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
