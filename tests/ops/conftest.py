"""Operations fixtures: the metrics token's headers."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def metrics_headers() -> dict[str, str]:
    """Authorization for GET /metrics with the test suite's METRICS_TOKEN."""
    return {"Authorization": f"Bearer {os.environ['METRICS_TOKEN']}"}
