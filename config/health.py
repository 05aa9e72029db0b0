"""/healthz: 200 when the database and the broker answer, 503 naming what failed; each
failure is logged with its error (the response names only the part)."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as error:  # any driver error means "not answering"
        logger.error(
            "health check: the database does not answer: %s: %s", type(error).__name__, error
        )
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception as error:  # refused, timed out, bad URL: all mean "not answering"
        logger.error(
            "health check: the broker at %s does not answer: %s: %s",
            celery_app.connection_for_write().as_uri(),  # the password masked
            type(error).__name__,
            error,
        )
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    failing = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not failing else "fail",
        **{name: "ok" if ok else "fail" for name, ok in checks.items()},
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
