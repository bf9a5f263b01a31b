"""edXML (QCVN 102:2016) packets: reading and writing document and status packets.

Pure Python, no database and no network: the service (`docroute/`) turns a packet into a
document or a receipt, and a delivery into a packet. The wire format and where real producers
disagree are in the implementer notes, `shared/docs/edxml.md` beside the repository
("the notes" below).
"""

from edxml.errors import PacketError
from edxml.limits import Limits
from edxml.packet import (
    Attachment,
    Business,
    BusinessType,
    DocumentPacket,
    Organization,
    Replacement,
    ResponseFor,
    Signer,
    Staff,
    StatusPacket,
    Trace,
)
from edxml.reader import read_packet
from edxml.view import packet_json
from edxml.writer import write_document, write_status

__all__ = [
    "Attachment",
    "Business",
    "BusinessType",
    "DocumentPacket",
    "Limits",
    "Organization",
    "PacketError",
    "Replacement",
    "ResponseFor",
    "Signer",
    "Staff",
    "StatusPacket",
    "Trace",
    "packet_json",
    "read_packet",
    "write_document",
    "write_status",
]
