"""What a packet says, as plain values: a document packet or a status packet (QCVN 102).

The same values are what the reader returns and what the writer takes, so that reading what
docroute writes gives back what it was given.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"


class BusinessType(enum.IntEnum):
    """`Bussiness/BussinessDocType`: what the document packet does (unanimous in the notes)."""

    NEW = 0
    RECALL = 1  # thu hồi
    UPDATE = 2  # cập nhật
    REPLACE = 3  # thay thế


@dataclass(frozen=True)
class Organization:
    """An agency as a packet names it: mã định danh (`OrganId`) and its contact details."""

    organ_id: str | None = None
    name: str | None = None
    in_charge: str | None = None  # OrganizationInCharge: cơ quan chủ quản
    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class Signer:
    """`SignerInfo`: thẩm quyền ký, chức vụ, họ tên (any may be empty)."""

    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class Staff:
    """`StaffInfo`: the clerk who sent the packet."""

    department: str | None = None
    staff: str | None = None
    mobile: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ResponseFor:
    """The document a status (or a reply) points back to; `document_id` is the match key."""

    organ_id: str | None = None
    code: str | None = None  # số/ký hiệu in one string
    date: dt.date | None = None
    document_id: str | None = None


@dataclass(frozen=True)
class Trace:
    """One `TraceHeader`: a system that handled the packet, and when."""

    organ_id: str
    timestamp: dt.datetime | None = None


@dataclass(frozen=True)
class Replacement:
    """One `ReplacementInfo`: the replaced document and the receivers it applies to."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Business:
    """`TraceHeaderList/Bussiness`: new, recall, update or replace, and what changed."""

    doc_type: int = BusinessType.NEW
    reason: str | None = None
    document_id: str | None = None
    paper: str | None = None
    staff: Staff | None = None
    content_changed: bool | None = None  # BussinessDocumentInfo/DocumentInfo
    receivers_changed: bool | None = None  # BussinessDocumentInfo/DocumentReceiver
    # ReceiverList/Receiver: (OrganId, ReceiverType); ReceiverType's meaning is unconfirmed.
    receivers: tuple[tuple[str, int | None], ...] = ()
    replaces: tuple[Replacement, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """One attached file, decoded (and unzipped when the producer zipped it, see reader)."""

    name: str
    content_type: str
    data: bytes
    description: str | None = None
    # How the packet linked and carried the file: transport details, not the file itself.
    content_id: str | None = field(default=None, compare=False)
    unzipped: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class DocumentPacket:
    """A document packet (gói tin văn bản)."""

    sender: Organization
    to: tuple[Organization, ...] = ()
    document_id: str | None = None
    number: str | None = None
    notation: str | None = None
    date: dt.date | None = None
    place: str | None = None
    type_code: int | None = None
    type_detail: int | None = None
    type_name: str | None = None
    subject: str | None = None
    content: str | None = None
    signer: Signer = field(default_factory=Signer)
    due_date: dt.date | None = None
    priority: int | None = None
    steering_type: int | None = None
    sphere: str | None = None
    typer_notation: str | None = None
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: tuple[str, ...] = ()
    response_for: tuple[ResponseFor, ...] = ()
    to_places: tuple[str, ...] = ()
    traces: tuple[Trace, ...] = ()
    business: Business = field(default_factory=Business)
    attachments: tuple[Attachment, ...] = ()
    # What the reader tolerated but a clerk should know (an unknown priority, a legacy shape).
    warnings: tuple[str, ...] = ()

    @property
    def code(self) -> str | None:
        """Số/ký hiệu as displayed: `15/UBND-VP`."""
        if self.number and self.notation:
            return f"{self.number}/{self.notation}"
        return self.number or self.notation


@dataclass(frozen=True)
class StatusPacket:
    """A status packet (gói tin trạng thái): an agency reports what became of a document."""

    sender: Organization
    response_for: ResponseFor
    status_code: str  # two digits, "01".."16"
    description: str | None = None
    timestamp: dt.datetime | None = None
    staff: Staff | None = None
    warnings: tuple[str, ...] = ()


Packet = DocumentPacket | StatusPacket
