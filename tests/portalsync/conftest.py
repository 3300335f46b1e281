from typing import Any

import pytest
from django_q.conf import Conf


@pytest.fixture(params=[1, 200], ids=["single", "batch"])
def engine_mode(request: pytest.FixtureRequest, settings: Any) -> int:
    """Run a test with one PUT per client and with the batch endpoint (200 per request).

    The engine's promises (order, one push per version, coalescing) must not depend on
    how many clients share a request.
    """
    settings.PORTALSYNC_BATCH_SIZE = request.param
    return request.param


@pytest.fixture
def no_inline_kick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kicks go to a broker nobody reads, as in production without a worker: a save
    does not send; only an explicit drain (or a worker process) does."""
    monkeypatch.setattr(Conf, "SYNC", False)
