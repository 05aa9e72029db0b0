"""A no-op task for measuring Celery's own throughput on the same broker and worker."""

import redis
from celery import shared_task
from django.conf import settings

_client = None


@shared_task(ignore_result=True)
def noop(counter_key: str) -> None:
    # The counter is how the benchmark knows when every task ran; one INCR is the
    # whole of the work.
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    _client.incr(counter_key)
