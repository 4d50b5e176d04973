"""Redis is configured for caching: reachable, maxmemory and an evicting policy, TTL round trip.

``[tool.pytest_release.predeploy.redis]``: ``url`` or ``url_env`` (default ``REDIS_URL``),
``policies`` (eviction policies accepted), ``min_maxmemory_mb``. A deployment without
Redis declares the item not applicable in the attestations file.
"""

from __future__ import annotations

import os

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config
from pytest_release.probes.redis_check import RedisError, check_redis, redis_config


@pytest.mark.checklist("pre.environment.redis")
def test_redis_configured(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "redis", redis_config)
    url = config.url or os.environ.get(config.url_env)
    if not url:
        inconclusive(
            f"no Redis URL: set url or ${config.url_env} in [tool.pytest_release.predeploy.redis]; "
            "if the deployment uses no Redis, add [[not_applicable]] item = "
            "'pre.environment.redis' "
            "to the attestations file"
        )
    try:
        result = check_redis(config, url)
    except RedisError as exc:
        pytest.fail(
            f"Redis is not usable: {exc}; check the URL, that redis-server runs and the password",
            pytrace=False,
        )
    evidence.attach("redis", result.evidence(), "json")
    if result.problems:
        pytest.fail("\n".join(result.problems), pytrace=False)
