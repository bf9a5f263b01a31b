"""A document packet as a submission: the text the rules engine reads, and its named agencies.

The text comes from the main attachment (.docx, .pdf or .doc) when there is one; `ToPlaces` is the
Nơi nhận when the attachment has none (or there is no readable attachment), written as the
block a clerk would print, so that the rules engine reads it like any document. A packet with
no Nơi nhận anywhere (empty ToPlaces, as some producers write) has its `To` agencies as the
Nơi nhận: they are the receivers it names. For the same reason a ToPlaces "Như trên" (as above)
refers to the `To` agencies when the text has no Kính gửi block of its own.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from docroute.submission import Original, PacketFields, Submission
from edxml import Attachment, DocumentPacket
from router import recipients
from rules.sources import SourceError, text_from_bytes

# .txt too: docroute attaches a text submission as .txt, and reads it back the same way.
# .doc (Word 97-2003, read through antiword) is still what many offices attach.
MAIN_SUFFIXES = (".docx", ".pdf", ".doc", ".txt")
# OtherInfo/Priority to độ khẩn (notes §7.3); 0 (thường) and unknown values add none.
URGENCY = {1: "khan", 2: "thuong_khan", 3: "hoa_toc", 4: "hoa_toc_hen_gio"}


@dataclass(frozen=True)
class PacketText:
    """The text to route, where it came from, and what a clerk should know about it."""

    text: str
    source: str
    notes: tuple[str, ...] = ()
    main: Attachment | None = None


def packet_text(packet: DocumentPacket, to_names: Sequence[str] | None = None) -> PacketText:
    """The routing text of a document packet (see the module docstring). `to_names`: how to
    write each `To` should it stand in for the Nơi nhận (the directory's names of the
    agencies matched; by default the packet's own OrganName, else OrganId)."""
    notes: list[str] = []
    addressees = tuple(to_names if to_names is not None else
                       (o.name or o.organ_id or "" for o in packet.to))
    places = packet.to_places or addressees
    for attachment in packet.attachments:
        if PurePath(attachment.name.lower()).suffix not in MAIN_SUFFIXES:
            continue
        try:
            text = text_from_bytes(attachment.data, attachment.name)
        except SourceError as error:
            notes.append(f"attachment {attachment.name!r} could not be read: {error}")
            continue
        read = recipients.read(text)
        if read.noi_nhan or not places or (read.kinh_gui and not packet.to_places):
            return PacketText(text, f"attachment {attachment.name}", tuple(notes), attachment)
        source = "ToPlaces" if packet.to_places else "To"
        notes.append(f"attachment {attachment.name!r} has no Nơi nhận: {source} used")
        text = _addressed(text, packet, addressees, read.kinh_gui)
        return PacketText(_with_places(text, places),
                          f"attachment {attachment.name} + {source}", tuple(notes), attachment)
    if not packet.to_places:
        notes.append("the packet has no ToPlaces (Nơi nhận): its To used as the Nơi nhận")
    source = "ToPlaces" if packet.to_places else "To"
    text = _addressed(_heading(packet), packet, addressees, [])
    return PacketText(_with_places(text, places), f"packet fields + {source}", tuple(notes))


def _addressed(text: str, packet: DocumentPacket, addressees: Sequence[str],
               kinh_gui: Sequence[str]) -> str:
    # A ToPlaces 'Như trên' (as above) names the addressees, which a packet gives in To: a
    # text with no Kính gửi of its own gets them as one, so the line resolves to them.
    if kinh_gui or not any(_is_nhu_tren(place) for place in packet.to_places):
        return text
    lines = [name for name in addressees if name]
    if not lines:
        return text
    return f"{text}\n\nKính gửi:\n" + "\n".join(f"- {name};" for name in lines)


def _is_nhu_tren(place: str) -> bool:
    bare = unicodedata.normalize("NFD", place.lower())
    bare = "".join(c for c in bare if not unicodedata.combining(c)).replace("đ", "d")
    return bare.lstrip("-+–• ").startswith("nhu tren")


def _heading(packet: DocumentPacket) -> str:
    lines = [packet.sender.name or packet.sender.organ_id or ""]
    if packet.code:
        lines.append(f"Số: {packet.code}")
    if packet.date:
        day = packet.date
        lines.append(f"{packet.place or ''}, ngày {day.day} tháng {day.month} năm {day.year}")
    if packet.type_name:
        lines.append(packet.type_name.upper())
    if packet.subject:
        lines.append(packet.subject)
    return "\n".join(lines)


def _with_places(text: str, places: Sequence[str]) -> str:
    # One item per Place, each as printed; a bullet only where the clerk left none.
    items = [p if p.lstrip().startswith(("-", "+", "–")) else f"- {p}" for p in places if p]
    return f"{text}\n\nNơi nhận:\n" + "\n".join(items) + "\n"


def find_named(routing: recipients.RoutingRules, organ_id: str | None, name: str | None,
               day: dt.date | None) -> recipients.Match:
    """The agency a packet names, as `recipients.find_agency` finds it; a code a producer
    wrote in lower case that matches nothing as written is tried in upper case, as mã định
    danh are (notes §7.2). Directory ids, lower case by design, match as written first."""
    match = recipients.find_agency(routing, organ_id, name, day)
    if match.agency_id is None and organ_id and organ_id != organ_id.upper():
        upper = recipients.find_agency(routing, organ_id.upper(), None, day)
        if upper.how == "code":
            return upper
    return match


def named_agencies(
    packet: DocumentPacket, routing: recipients.RoutingRules
) -> tuple[recipients.Match, list[dict[str, Any]]]:
    """The sender and each `To`, matched to the directory by code or exact name. A matched
    To is named as the directory names it (the name its delivery carries), the packet's own
    OrganName kept beside it: the producer's text may be in capitals, decorated, or longer
    than a delivery's agency name can hold."""
    sender = find_named(routing, packet.sender.organ_id, packet.sender.name, packet.date)
    to = []
    for org in packet.to:
        match = find_named(routing, org.organ_id, org.name, packet.date)
        agency = routing.directory.get(match.agency_id) if match.agency_id else None
        to.append({"organ_id": org.organ_id, "name": agency.name if agency else org.name,
                   "organ_name": org.name, "agency_id": match.agency_id,
                   "matched_by": match.how})
    return sender, to


@dataclass(frozen=True)
class PacketIntake:
    """A document packet made ready for `submit`: the submission, its packet fields, the
    matched sender, and where the text came from."""

    submission: Submission
    fields: PacketFields
    sender: recipients.Match
    source: str
    notes: tuple[str, ...]


def packet_submission(packet: DocumentPacket, routing: recipients.RoutingRules) -> PacketIntake:
    """The submission for a document packet (sender set only when the directory knows it)."""
    sender, to = named_agencies(packet, routing)
    text = packet_text(packet, [str(o["name"] or o["organ_id"] or "") for o in to])
    stored = {
        "document_id": packet.document_id,
        "from": {"organ_id": packet.sender.organ_id, "name": packet.sender.name,
                 "agency_id": sender.agency_id},
        "to": to,
        "to_places": list(packet.to_places),
        "place": packet.place,
        "type": {"code": packet.type_code, "detail": packet.type_detail,
                 "name": packet.type_name},
        "signer": {"competence": packet.signer.competence, "position": packet.signer.position,
                   "full_name": packet.signer.full_name},
        "due_date": packet.due_date.isoformat() if packet.due_date else None,
        "steering_type": packet.steering_type,
        "business_type": packet.business.doc_type,
        "business_reason": packet.business.reason,
        "priority": packet.priority,
        "attachments": [{"name": a.name, "content_type": a.content_type, "size": len(a.data)}
                        for a in packet.attachments],
        "text_source": text.source,
        "warnings": list(packet.warnings),
    }
    submission = Submission(text=text.text, sender=sender.agency_id, number=packet.code,
                            date=packet.date)
    notes = text.notes if sender.agency_id else (*text.notes, f"sender not matched: {sender.how}")
    main = text.main or (packet.attachments[0] if packet.attachments else None)
    original = Original(main.name, main.content_type, main.data) if main else None
    fields = PacketFields(packet.document_id, stored, URGENCY.get(packet.priority or 0), original)
    return PacketIntake(submission, fields, sender, text.source, notes)
