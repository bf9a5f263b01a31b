"""The tables of the service: the database is the source of truth for what happened."""

from foundation.models.channel import AgencyChannel, ChannelKind
from foundation.models.delivery import Delivery, DeliveryEvent, DeliveryState
from foundation.models.document import Document
from foundation.models.edxml import HubMessage, HubState, StatusReport
from foundation.models.outbox import OutboxMessage, ProcessedMessage
from foundation.models.people import AdminAction, Person, UploadedFile, WebSession
from foundation.models.scorecard import NO_DUE_DAY, ScorecardChange, ScorecardDay
from foundation.models.snapshot import DataSnapshot, SnapshotActivation
from foundation.models.token import ApiToken, Role

__all__ = [
    "NO_DUE_DAY",
    "AdminAction",
    "AgencyChannel",
    "ApiToken",
    "ChannelKind",
    "DataSnapshot",
    "Delivery",
    "DeliveryEvent",
    "DeliveryState",
    "Document",
    "HubMessage",
    "HubState",
    "OutboxMessage",
    "Person",
    "ProcessedMessage",
    "Role",
    "ScorecardChange",
    "ScorecardDay",
    "SnapshotActivation",
    "StatusReport",
    "UploadedFile",
    "WebSession",
]
