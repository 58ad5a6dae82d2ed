"""The health endpoint for load balancers and orchestrators: ``GET /healthz/``, no login."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from llmops_core.services.health import health_check


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the broker answer, else 503 naming what failed.

    ``worker_heartbeat_age_s`` is informative (seconds since a worker last ran beat's heartbeat
    task, null before the first one): web processes can serve without workers, so it does not
    make the check fail; alert on it instead.
    """
    health = health_check()
    return JsonResponse(health.as_dict(), status=200 if health.ok else 503)
