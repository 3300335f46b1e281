import time
from collections.abc import Callable
from typing import Any, TypeVar

from clients.forms import ClientForm
from clients.models import Client

T = TypeVar("T")


def client_form_data(client: Client, **changes: Any) -> dict[str, Any]:
    """The POST body the client form sends for `client`, with `changes` applied."""
    data: dict[str, Any] = {}
    for name in ClientForm.Meta.fields:
        value = changes.get(name, getattr(client, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        else:
            data[name] = str(value)
    return data


def wait_for(probe: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
