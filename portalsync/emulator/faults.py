"""Fault injection settings and the request log of the portal emulator.

Faults let tests and demos provoke every failure the Board has to survive:
refused logins, throttling, server errors, slow or hanging answers, reset
connections and the nasty case of a change that is applied although the
client never sees the answer.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypedDict

OUTCOMES: tuple[str, ...] = (
    "applied",
    "deduplicated",
    "conflict",
    "rejected",
    "unauthorized",
    "fault",
)

DEFAULT_HANG_SECONDS = 30.0
DEFAULT_TIMEOUT_SECONDS = 30.0

_RATE_FIELDS = (
    "error_rate",
    "timeout_rate",
    "reset_rate",
    "apply_then_timeout_rate",
    "throttle_rate",
)
_SECONDS_FIELDS = ("slow_seconds", "hang_seconds")


class RequestRecord(TypedDict):
    """One processed API item (each batch item gets its own record)."""

    method: str
    path: str
    portal_id: str | None
    version: int | None
    idempotency_key: str | None
    started: float
    ended: float
    status: int
    outcome: str


class RequestLog:
    """Thread-safe in-memory log of API items.

    Bounded so that a long-running demo server cannot grow without limit;
    the bound is far above what any test or benchmark produces.
    """

    def __init__(self, max_records: int = 500_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=max_records)

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def extend(self, records: list[RequestRecord]) -> None:
        with self._lock:
            self._records.extend(records)

    def snapshot(self) -> list[RequestRecord]:
        """A copy, so callers can iterate while requests keep arriving."""
        with self._lock:
            return [dict(record) for record in self._records]  # type: ignore[misc]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


@dataclass(frozen=True)
class FaultPlan:
    """What the emulator does to one API request, drawn once per request."""

    reset: bool = False
    unauthorized: bool = False
    throttle: bool = False
    retry_after: int | None = None
    error: bool = False
    timeout_seconds: float | None = None
    slow_seconds: float = 0.0
    hang_seconds: float | None = None

    @property
    def refuses(self) -> bool:
        """True if the request is answered without touching the portal data."""
        return (
            self.reset
            or self.unauthorized
            or self.throttle
            or self.error
            or self.timeout_seconds is not None
        )


class FaultConfigError(ValueError):
    """Raised with a German message when a fault configuration is invalid."""


@dataclass
class FaultConfig:
    """Mutable fault settings; every fault is off by default.

    Rates are probabilities between 0 and 1. All random decisions come from
    one `random.Random`, re-seeded whenever `seed` is assigned, so tests
    with a seed see the same sequence of faults every run.
    """

    unauthorized: bool = False
    error_rate: float = 0.0
    slow_seconds: float = 0.0
    timeout_rate: float = 0.0
    reset_rate: float = 0.0
    apply_then_timeout_rate: float = 0.0
    hang_seconds: float = DEFAULT_HANG_SECONDS
    retry_after: int | None = None
    throttle_rate: float = 0.0
    reject: dict[str, str] = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lock", threading.Lock())
        # Fault dice, not cryptography: a seedable PRNG is exactly what tests need.
        object.__setattr__(self, "_rng", random.Random(self.seed))  # noqa: S311

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "seed" and "_rng" in self.__dict__:
            with self._lock:
                object.__setattr__(self, "_rng", random.Random(value))  # noqa: S311

    # -- configuration -------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {item.name: _copy(getattr(self, item.name)) for item in fields(self)}

    def replace(self, data: Mapping[str, Any]) -> None:
        """Replace the whole configuration; missing keys fall back to defaults."""
        self._apply(self._validated(data, base=FaultConfig().to_dict()))

    def update(self, data: Mapping[str, Any]) -> None:
        """Change only the given keys (the dice are re-seeded only if `seed` is given)."""
        values = self._validated(data, base={})
        self._apply(values)

    def reset(self) -> None:
        self._apply(FaultConfig().to_dict())

    def _apply(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    @staticmethod
    def _validated(data: Mapping[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise FaultConfigError("Erwartet wird ein JSON-Objekt mit der Fehlerkonfiguration.")
        known = {item.name for item in fields(FaultConfig)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultConfigError(f"Unbekannte Einstellungen: {', '.join(unknown)}.")
        values = dict(base)
        for name, value in data.items():
            values[name] = _validated_value(name, value)
        return values

    # -- drawing faults ----------------------------------------------------

    def _roll(self, rate: float) -> bool:
        # Skipping the draw for disabled faults keeps a seeded sequence
        # independent of faults that are switched off.
        if rate <= 0:
            return False
        if rate >= 1:
            return True
        return self._rng.random() < rate

    def draw(self) -> FaultPlan:
        """Decide which fault (if any) hits the next API request."""
        with self._lock:
            if self._roll(self.reset_rate):
                return FaultPlan(reset=True)
            if self.unauthorized:
                return FaultPlan(unauthorized=True)
            if self._roll(self.throttle_rate):
                return FaultPlan(throttle=True, retry_after=self.retry_after)
            if self._roll(self.error_rate):
                return FaultPlan(error=True)
            if self._roll(self.timeout_rate):
                seconds = self.slow_seconds if self.slow_seconds > 0 else DEFAULT_TIMEOUT_SECONDS
                return FaultPlan(timeout_seconds=seconds)
            hang = self.hang_seconds if self._roll(self.apply_then_timeout_rate) else None
            return FaultPlan(slow_seconds=max(self.slow_seconds, 0.0), hang_seconds=hang)

    def rejected_clients(self) -> dict[str, str]:
        """The `reject` map with canonical (lowercase) portal ids."""
        return {
            str(portal_id).lower(): str(message) for portal_id, message in dict(self.reject).items()
        }


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _validated_value(name: str, value: Any) -> Any:
    """Check one configuration value and return it in its stored form."""
    if name == "unauthorized":
        if not isinstance(value, bool):
            raise FaultConfigError("„unauthorized“ muss true oder false sein.")
        return value
    if name in _RATE_FIELDS:
        if not _is_number(value) or not 0 <= value <= 1:
            raise FaultConfigError(f"„{name}“ muss eine Zahl zwischen 0 und 1 sein.")
        return float(value)
    if name in _SECONDS_FIELDS:
        if not _is_number(value) or value < 0:
            raise FaultConfigError(f"„{name}“ muss eine Sekundenanzahl ab 0 sein.")
        return float(value)
    if name in ("retry_after", "seed"):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise FaultConfigError(f"„{name}“ muss eine ganze Zahl ab 0 oder null sein.")
        return value
    if name == "reject":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise FaultConfigError("„reject“ muss ein Objekt Portal-ID → Fehlermeldung sein.")
        return {k.lower(): v for k, v in value.items()}
    raise FaultConfigError(
        f"Unbekannte Einstellung: {name}."
    )  # pragma: no cover - guarded by caller
