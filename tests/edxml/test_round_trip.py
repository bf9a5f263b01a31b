"""Property: reading what docroute writes gives back the packet it was given.

Packets are generated from known field values (Vietnamese text with XML's special characters,
both kinds of packet, every business type, attachments of any bytes), written, read back and
compared field by field.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from edxml import (
    Attachment,
    Business,
    DocumentPacket,
    Organization,
    Replacement,
    ResponseFor,
    Signer,
    Staff,
    StatusPacket,
    Trace,
    read_packet,
    write_document,
    write_status,
)
from edxml.fields import STATUS_CODES
from edxml.values import VIETNAM

# Letters a clerk types (precomposed Vietnamese), digits, punctuation and what XML escapes.
_ALPHABET = st.sampled_from(
    "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ"
    "úùủũụứừửữựýỳỷỹỵ0123456789 ,.;:-/()&<>'\"%#"
)


def _clean(text: str) -> str | None:
    value = unicodedata.normalize("NFC", text).strip()
    return value or None


words = st.text(_ALPHABET, max_size=40).map(_clean)
some_words = st.text(_ALPHABET, min_size=1, max_size=40).map(_clean).filter(bool).map(str)
organ_ids = st.from_regex(r"[0-9A-Z]{1,3}(\.[0-9A-Z]{1,3}){0,4}", fullmatch=True)
days = st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31))
moments = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2099, 12, 31)).map(
    lambda m: m.replace(microsecond=0, tzinfo=VIETNAM))
small = st.integers(0, 99)


def organizations(organ_id: st.SearchStrategy[str | None]) -> st.SearchStrategy[Organization]:
    """Organization blocks with every field optional but the given id."""
    return st.builds(Organization, organ_id, words, words, words, words, words, words, words)


staff = st.builds(Staff, words, words, words, words)
response_for = st.builds(ResponseFor, organ_ids | st.none(), words, days | st.none(), words)
attachments = st.builds(
    Attachment, some_words,
    st.sampled_from(["application/pdf", "application/msword", "image/png", "text/plain"]),
    st.binary(max_size=300), words,
)


@st.composite
def businesses(draw: st.DrawFn) -> Business:
    """New, recall, update (with what changed) or replace (with what it replaces)."""
    doc_type = draw(st.integers(0, 3))
    changes = draw(st.none() | st.tuples(st.booleans(), st.booleans(),
                                         st.lists(st.tuples(organ_ids, st.sampled_from([0, 1])),
                                                  max_size=3)))
    return Business(
        doc_type=doc_type, reason=draw(words), document_id=draw(words),
        paper=draw(st.sampled_from(["0", "1"])), staff=draw(staff),
        content_changed=changes[0] if changes else None,
        receivers_changed=changes[1] if changes else None,
        receivers=tuple(changes[2]) if changes else (),
        replaces=tuple(draw(st.lists(st.builds(Replacement, some_words, st.lists(
            organ_ids, max_size=3).map(tuple)), max_size=2))),
    )


documents = st.builds(
    DocumentPacket,
    sender=organizations(organ_ids),
    to=st.lists(organizations(organ_ids), min_size=1, max_size=4).map(tuple),
    document_id=words, number=words, notation=words, date=days | st.none(), place=words,
    type_code=small | st.none(), type_detail=small | st.none(), type_name=words,
    subject=words, content=words, signer=st.builds(Signer, words, words, words),
    due_date=days | st.none(), priority=st.integers(0, 4) | st.none(),
    steering_type=small | st.none(), sphere=words, typer_notation=words,
    promulgation_amount=small | st.none(), page_amount=small | st.none(),
    appendixes=st.lists(some_words, max_size=3).map(tuple),
    response_for=st.lists(response_for, max_size=2).map(tuple),
    to_places=st.lists(some_words, max_size=6).map(tuple),
    traces=st.lists(st.builds(Trace, organ_ids, moments | st.none()), max_size=3).map(tuple),
    business=businesses(),
    attachments=st.lists(attachments, max_size=3).map(tuple),
)


@settings(max_examples=80, deadline=None)
@given(documents)
def test_a_written_document_packet_reads_back_the_same(packet: DocumentPacket) -> None:
    assert read_packet(write_document(packet)) == packet


statuses = st.builds(
    StatusPacket,
    sender=organizations(organ_ids),
    response_for=st.builds(ResponseFor, organ_ids, words, days | st.none(), some_words),
    status_code=st.sampled_from(STATUS_CODES),
    description=words, timestamp=moments | st.none(), staff=staff,
)


@settings(max_examples=80, deadline=None)
@given(statuses)
def test_a_written_status_packet_reads_back_the_same(packet: StatusPacket) -> None:
    assert read_packet(write_status(packet)) == packet
