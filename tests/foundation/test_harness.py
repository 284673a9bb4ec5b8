"""The test harness itself: runs side by side on one machine never share a Redis database."""

from __future__ import annotations

from tests import conftest


def test_runs_side_by_side_take_different_redis_databases(tmp_path):
    held = len(conftest._redis_claims)
    try:
        first, second = conftest.claim_redis_database(tmp_path), conftest.claim_redis_database(tmp_path)
        assert first != second
        assert {first, second} <= set(conftest.TEST_REDIS_DATABASES)
        assert 14 not in conftest.TEST_REDIS_DATABASES and 0 not in conftest.TEST_REDIS_DATABASES
        conftest._redis_claims.pop(held).close()  # the first run ends: its database is free again
        assert conftest.claim_redis_database(tmp_path) == first
    finally:
        while len(conftest._redis_claims) > held:
            conftest._redis_claims.pop().close()
