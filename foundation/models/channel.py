"""How each agency receives its documents: its inbox (the default), a webhook, e-mail or edXML."""

import datetime
import enum
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Column, DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from foundation.models.clock import utcnow


class ChannelKind(enum.StrEnum):
    """The ways a document can reach an agency."""

    INBOX = "inbox"
    WEBHOOK = "webhook"
    EMAIL = "email"
    # QCVN 102 packets: through the hub (target "hub") or POSTed to the agency's system (a URL).
    EDXML = "edxml"


class SecretText(TypeDecorator[SecretStr]):
    """A shared secret stored as text (the workers sign with it, so no hash will do), read
    back as a SecretStr: printed or logged, it shows as stars."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> SecretStr | None:
        return None if value is None else SecretStr(value)


class AgencyChannel(SQLModel, table=True):
    """The channel set for one agency; agencies without a row use their inbox."""

    __tablename__ = "agency_channel"

    agency_id: str = Field(primary_key=True, max_length=100)
    kind: str = Field(default=ChannelKind.INBOX, max_length=20)
    target: str | None = Field(default=None, max_length=500)
    # The agency's webhook secret (`whsec_<base64>`, Standard Webhooks), shown once to the
    # admin who set the channel or rotated it; None: signed with DOCROUTE_SIGNING_SECRET.
    secret: SecretStr | None = Field(default=None, sa_column=Column(SecretText))
    # After a rotation, the secret before it also signs until `previous_until` (None with a
    # date: the deployment's secret was the one before), so the agency can switch.
    previous_secret: SecretStr | None = Field(default=None, sa_column=Column(SecretText))
    previous_until: datetime.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    updated_at: datetime.datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
