"""The German HTML pages of the emulated client portal.

A loopback demo tool: no login, no JavaScript, plain forms with
Post/Redirect/Get. Every value that reaches the markup goes through
`html.escape`, because client names come from the Board unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portalsync.emulator.store import ClientNotFound, InvalidListState, Store
from portalsync.emulator.validation import normalize_portal_id

# Rendering tens of thousands of rows helps nobody; the lists show the
# first rows and say how many there are in total.
MAX_ROWS_PER_LIST = 500
STYLESHEET_PATH = "/_static/emulator.css"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
CSS_CONTENT_TYPE = "text/css; charset=utf-8"

LIST_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("offered", "Board", "Vom RZL Board angeboten, im Portal noch nicht angelegt."),
    ("created", "Portal", "Im Portal angelegte Klienten."),
    ("inactive", "Inaktiv", "Vom Board deaktiviert – die Daten bleiben erhalten."),
)

STYLESHEET = """\
:root {
  --accent: #8a1538; --line: #d9d9de; --muted: #5f6170; --ok: #1e6b3a; --err: #a4161a;
}
* { box-sizing: border-box; }
body {
  margin: 0; color: #1f2030; background: #f6f6f8;
  font: 15px/1.45 system-ui, "Segoe UI", Roboto, Arial, sans-serif;
}
.topbar {
  display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: .75rem 1.5rem; background: var(--accent); color: #fff;
}
.brand { font-weight: 600; font-size: 1.1rem; }
.brand small { font-weight: 400; opacity: .85; }
.topbar nav a { color: #fff; margin-left: 1.25rem; text-decoration: none; }
.topbar nav a:hover, .topbar nav a[aria-current="page"] { text-decoration: underline; }
main { max-width: 76rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .25rem; }
.card h2 { margin-top: 0; }
.hint { color: var(--muted); margin: 0 0 .75rem; }
.count { color: var(--muted); font-weight: 400; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td {
  text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: middle;
}
th { background: #eeeef2; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: var(--muted); font-style: italic; }
.message { padding: .6rem .9rem; border-radius: 4px; margin: 0 0 1rem; border: 1px solid; }
.message.ok { color: var(--ok); background: #eaf5ee; border-color: #b7dcc4; }
.message.error { color: var(--err); background: #fbecec; border-color: #efbcbc; }
form.inline { margin: 0; }
button {
  font: inherit; padding: .3rem .8rem; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; white-space: nowrap;
}
button:hover { filter: brightness(1.1); }
.card {
  background: #fff; border: 1px solid var(--line); padding: 1.25rem 1.5rem; max-width: 36rem;
}
.field { margin-bottom: 1rem; }
.field label { display: block; font-weight: 600; margin-bottom: .25rem; }
.field input {
  width: 100%; padding: .4rem .5rem; font: inherit;
  border: 1px solid #b9bac4; border-radius: 4px;
}
dl.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0 0 1.25rem;
}
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap;
}
footer { text-align: center; color: var(--muted); font-size: .85rem; padding: 1rem; }
"""


@dataclass
class PageResult:
    """What the HTTP layer should send for a page request."""

    status: int
    body: str = ""
    content_type: str = HTML_CONTENT_TYPE
    location: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


# The portal shows legal forms by name; the sync API carries the Board's codes. (The
# emulator is a separate system: it keeps its own table instead of importing the Board's.)
LEGAL_FORM_LABELS = {
    "einzelunternehmen": "Einzelunternehmen",
    "privatperson": "Privatperson",
    "gesbr": "GesbR",
    "og": "OG",
    "kg": "KG",
    "gmbh_co_kg": "GmbH & Co KG",
    "gmbh": "GmbH",
    "flexco": "FlexCo",
    "ag": "AG",
    "se": "SE",
    "genossenschaft": "Genossenschaft",
    "privatstiftung": "Privatstiftung",
    "verein": "Verein",
}


def legal_form_label(code: object) -> str:
    """The legal form's name; an unknown code is shown as sent."""
    text = str(code or "")
    return LEGAL_FORM_LABELS.get(text, text)


def _local_zone() -> tzinfo:
    # The office works in Vienna; fall back to UTC on systems without tzdata.
    try:
        return ZoneInfo("Europe/Vienna")
    except ZoneInfoNotFoundError:
        return UTC


_ZONE = _local_zone()


def format_timestamp(value: str | None) -> str:
    """'2025-03-01T09:15:00.000Z' -> '01.03.2025, 10:15' in Vienna time."""
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(_ZONE).strftime("%d.%m.%Y, %H:%M")


def _layout(title: str, content: str, *, active: str, refresh: bool = False) -> str:
    refresh_tag = '\n<meta http-equiv="refresh" content="5">' if refresh else ""
    nav_items = (("/", "Klienten", "list"), ("/einstellungen", "Einstellungen", "settings"))
    current = ' aria-current="page"'
    nav = "".join(
        f'<a href="{href}"{current if key == active else ""}>{escape(label)}</a>'
        for href, label, key in nav_items
    )
    return f"""<!DOCTYPE html>
<html lang="de-AT">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh_tag}
<title>{escape(title)} – Klientenportal (Emulator)</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
<header class="topbar">
<span class="brand">Klientenportal <small>(Emulator)</small></span>
<nav>{nav}</nav>
</header>
<main>
{content}
</main>
<footer>Testumgebung – hier werden keine echten Portaldaten verarbeitet.</footer>
</body>
</html>
"""


def _message(text: str, kind: str) -> str:
    return f'<p class="message {kind}" role="status">{escape(text)}</p>'


def _client_row(item: Mapping[str, Any], with_create_button: bool) -> str:
    cells = [
        f'<td class="num">{escape(str(item["number"]))}</td>',
        f"<td>{escape(str(item['short_name'] or ''))}</td>",
        f"<td>{escape(str(item['name'] or ''))}</td>",
        f"<td>{escape(legal_form_label(item['legal_form']))}</td>",
        f"<td>{'betreut' if item['is_serviced'] else 'nicht betreut'}</td>",
        f"<td>{'aktiv' if item['receipt_sync_enabled'] else 'nicht aktiv'}</td>",
        f'<td class="num">{escape(str(item["version"]))}</td>',
        f"<td>{escape(format_timestamp(item['updated_at']))}</td>",
    ]
    if with_create_button:
        action = f"/clients/{quote(str(item['portal_id']), safe='-')}/create"
        cells.append(
            f'<td><form class="inline" method="post" action="{escape(action)}">'
            '<button type="submit">Im Portal anlegen</button></form></td>'
        )
    return "<tr>" + "".join(cells) + "</tr>"


def _client_table(
    state: str, title: str, hint: str, items: list[dict[str, Any]], total: int
) -> str:
    with_button = state == "offered"
    headers = [
        "Nummer",
        "Kurzbezeichnung",
        "Name",
        "Rechtsform",
        "Betreuungsstatus",
        "Belegsync",
        "Version",
    ]
    headers.append("zuletzt geändert")
    if with_button:
        headers.append('<span class="visually-hidden">Aktion</span>')
    head = "".join(f"<th>{h if h.startswith('<') else escape(h)}</th>" for h in headers)
    if items:
        body = "\n".join(_client_row(item, with_button) for item in items)
    else:
        empty = "Keine Klienten in dieser Liste."
        body = f'<tr><td class="empty" colspan="{len(headers)}">{empty}</td></tr>'
    more = ""
    if total > len(items):
        more = f'<p class="hint">Angezeigt werden die ersten {len(items)} von {total} Klienten.</p>'
    return f"""<section aria-labelledby="list-{state}">
<h2 id="list-{state}">{escape(title)} <span class="count">({total})</span></h2>
<p class="hint">{escape(hint)}</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
{more}</section>"""


def render_list_page(store: Store, message: str | None = None, error: str | None = None) -> str:
    """The start page with the three lists Board / Portal / Inaktiv."""
    counts = store.counts_by_list_state()
    parts = ["<h1>Klientenportal (Emulator)</h1>"]
    if message:
        parts.append(_message(message, "ok"))
    if error:
        parts.append(_message(error, "error"))
    for state, title, hint in LIST_SECTIONS:
        items = store.by_list_state(state, MAX_ROWS_PER_LIST)
        parts.append(_client_table(state, title, hint, items, counts.get(state, 0)))
    return _layout("Klienten", "\n".join(parts), active="list", refresh=True)


def render_settings_page(store: Store, message: str | None = None, error: str | None = None) -> str:
    """Settings page; the password itself is never rendered back."""
    if store.has_password():
        changed = format_timestamp(store.password_changed_at())
        status = f"hinterlegt (zuletzt geändert am {changed})"
    else:
        status = "noch keines hinterlegt – die Sync-API lehnt derzeit alle Anfragen ab"
    notices = ""
    if message:
        notices += _message(message, "ok")
    if error:
        notices += _message(error, "error")
    content = f"""<h1>Stammdaten / Portal / Sonstige Einstellungen</h1>
{notices}
<div class="card">
<h2>Service-Account für das RZL Board</h2>
<dl class="facts">
<dt>Benutzername</dt><dd>service</dd>
<dt>Passwort</dt><dd>{escape(status)}</dd>
</dl>
<form method="post" action="/einstellungen">
<div class="field">
<label for="password">Service-Account Passwort</label>
<input type="password" id="password" name="password" autocomplete="new-password" required>
</div>
<div class="field">
<label for="password_confirm">Passwort bestätigen</label>
<input type="password" id="password_confirm" name="password_confirm"
 autocomplete="new-password" required>
</div>
<button type="submit">Speichern</button>
</form>
</div>"""
    return _layout("Sonstige Einstellungen", content, active="settings")


def _form(body: bytes) -> dict[str, str]:
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


def _redirect(location: str) -> PageResult:
    return PageResult(status=303, location=location)


def _notice_page(title: str, text: str) -> str:
    """A simple page with a heading, one sentence and the way back."""
    content = f'<h1>{escape(title)}</h1>\n<p>{escape(text)} <a href="/">Zur Klientenliste</a></p>'
    return _layout(title, content, active="")


def _method_not_allowed(allowed: str) -> PageResult:
    page = _notice_page("Aktion nicht möglich", "Diese Aktion ist hier nicht vorgesehen.")
    return PageResult(405, page, headers=[("Allow", allowed)])


_LIST_MESSAGES = {
    "nicht-gefunden": "Dieser Klient ist im Portal nicht bekannt.",
    "nicht-angeboten": (
        "Dieser Klient steht nicht (mehr) in der Liste „Board“ "
        "und kann daher nicht angelegt werden."
    ),
}


def list_page(store: Store, query: Mapping[str, str]) -> PageResult:
    # Messages come from a fixed map; the query string never reaches the page verbatim.
    message = None
    created_id = query.get("angelegt")
    if created_id:
        item = store.get(created_id)
        if item is not None:
            message = f"„{item['short_name']}“ wurde im Portal angelegt."
    error = _LIST_MESSAGES.get(query.get("fehler", ""))
    return PageResult(200, render_list_page(store, message, error))


def create_client(store: Store, portal_id: str) -> PageResult:
    try:
        item = store.create(portal_id)
    except ClientNotFound:
        return _redirect("/?fehler=nicht-gefunden")
    except InvalidListState:
        return _redirect("/?fehler=nicht-angeboten")
    return _redirect(f"/?angelegt={quote(item['portal_id'], safe='-')}")


def settings_page(store: Store, query: Mapping[str, str]) -> PageResult:
    message = (
        "Das Service-Account Passwort wurde gespeichert."
        if query.get("gespeichert") == "1"
        else None
    )
    return PageResult(200, render_settings_page(store, message))


def save_settings(store: Store, body: bytes) -> PageResult:
    form = _form(body)
    password = form.get("password", "")
    confirmation = form.get("password_confirm", "")
    if not password:
        error = "Bitte ein Passwort eingeben."
    elif password != confirmation:
        error = "Die beiden Passwörter stimmen nicht überein. Es wurde nichts geändert."
    else:
        store.set_password(password)
        return _redirect("/einstellungen?gespeichert=1")
    return PageResult(400, render_settings_page(store, error=error))


def handle_page(
    store: Store, method: str, path: str, query: Mapping[str, str], body: bytes
) -> PageResult | None:
    """Route a request for the HTML UI; None means 'no such page'."""
    if path == STYLESHEET_PATH and method == "GET":
        return PageResult(
            200, STYLESHEET, CSS_CONTENT_TYPE, headers=[("Cache-Control", "max-age=3600")]
        )
    if path == "/":
        if method == "GET":
            return list_page(store, query)
        return _method_not_allowed("GET")
    if path == "/einstellungen":
        if method == "GET":
            return settings_page(store, query)
        if method == "POST":
            return save_settings(store, body)
        return _method_not_allowed("GET, POST")
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "clients" and parts[2] == "create":
        if method != "POST":
            return _method_not_allowed("POST")
        portal_id = normalize_portal_id(parts[1])
        if portal_id is None:
            return _redirect("/?fehler=nicht-gefunden")
        return create_client(store, portal_id)
    return None


def not_found_page() -> str:
    return _notice_page("Seite nicht gefunden", "Diese Adresse gibt es im Portal nicht.")


def error_page() -> str:
    text = "Im Portal-Emulator ist ein Fehler aufgetreten. Details stehen im Serverprotokoll."
    return _notice_page("Interner Fehler", text)
