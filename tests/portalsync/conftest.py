from typing import Any

import pytest


@pytest.fixture(params=[1, 200], ids=["single", "batch"])
def engine_mode(request: pytest.FixtureRequest, settings: Any) -> int:
    """Run a test with one PUT per client and with the batch endpoint (200 per request).

    The engine's promises (order, one push per version, coalescing) must not depend on
    how many clients share a request.
    """
    settings.PORTALSYNC_BATCH_SIZE = request.param
    return request.param
