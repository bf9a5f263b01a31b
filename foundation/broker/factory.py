"""Chooses the broker the settings ask for."""

from __future__ import annotations

from foundation.broker import Broker
from foundation.broker.memory import MemoryBroker
from foundation.broker.rabbit import RabbitBroker
from foundation.settings import Settings


def make_broker(settings: Settings) -> Broker:
    """RabbitMQ when DOCROUTE_AMQP_URL is set, otherwise the in-process queue."""
    if settings.amqp_url:
        return RabbitBroker(
            settings.amqp_url,
            settings.queue_prefix,
            settings.delivery_limit,
            prefetch=settings.prefetch,
            batch_size=settings.batch_size,
            tasks=settings.consumer_tasks,
            publish_timeout=settings.publish_timeout,
        )
    return MemoryBroker(settings.delivery_limit, settings.batch_size, settings.consumer_tasks)
