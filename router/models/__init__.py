"""The tables of the service: the database is the source of truth for what happened."""

from router.models.channel import AgencyChannel, ChannelKind
from router.models.delivery import Delivery, DeliveryEvent, DeliveryState
from router.models.document import Document
from router.models.outbox import OutboxMessage, ProcessedMessage
from router.models.token import ApiToken, Role

__all__ = [
    "AgencyChannel",
    "ApiToken",
    "ChannelKind",
    "Delivery",
    "DeliveryEvent",
    "DeliveryState",
    "Document",
    "OutboxMessage",
    "ProcessedMessage",
    "Role",
]
