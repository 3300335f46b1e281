"""Who is acting right now: the current request, or a label for work outside a request.

The middleware binds the request for the duration of a view, so the signal receivers
(client saved, deleted, bulk-changed) know the user without the services passing it on.
Context variables keep this per thread and per asyncio task.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Acting:
    request: HttpRequest | None = None
    label: str = ""


@dataclass(frozen=True)
class Operation:
    action: str
    detail: str


_acting: ContextVar[Acting | None] = ContextVar("audit_acting", default=None)
_operation: ContextVar[Operation | None] = ContextVar("audit_operation", default=None)


@contextmanager
def acting(*, request: HttpRequest | None = None, label: str = "") -> Iterator[None]:
    """Attribute audit entries written inside the block to `request`'s user, or to `label`
    (e.g. a management command) when there is no request."""
    token = _acting.set(Acting(request=request, label=label))
    try:
        yield
    finally:
        _acting.reset(token)


def current() -> Acting:
    return _acting.get() or Acting()


@contextmanager
def operation(action: str, *, detail: str = "") -> Iterator[None]:
    """Label the client writes inside the block as one operation, e.g. an import:
    bulk writes are recorded with `action`, single saves carry `detail`."""
    token = _operation.set(Operation(action=action, detail=detail))
    try:
        yield
    finally:
        _operation.reset(token)


def current_operation() -> Operation | None:
    return _operation.get()
