"""How each agency receives its documents: its inbox (the default), a webhook, e-mail or edXML."""

import datetime
import enum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class ChannelKind(enum.StrEnum):
    """The ways a document can reach an agency."""

    INBOX = "inbox"
    WEBHOOK = "webhook"
    EMAIL = "email"
    # QCVN 102 packets: through the hub (target "hub") or POSTed to the agency's system (a URL).
    EDXML = "edxml"


class AgencyChannel(SQLModel, table=True):
    """The channel set for one agency; agencies without a row use their inbox."""

    __tablename__ = "agency_channel"

    agency_id: str = Field(primary_key=True, max_length=100)
    kind: str = Field(default=ChannelKind.INBOX, max_length=20)
    target: str | None = Field(default=None, max_length=500)
    updated_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
