"""Reading a packet: which family it is, then a document packet or a status packet.

Family A (root `edXML` in the QCVN 102 namespace) is read fully, with or without prefixes and
in any element order; the same shape in no namespace at all (a producer forgot xmlns) is read
by local name with a warning. Family C (a status inside a SOAP header, the `edXML` prefix bound
to the SOAP namespace by its producer) is read leniently, with a warning, also when a gateway
wraps it base64 in `<message><content>`. Families B (`e-doc.vn` SOAP) and D (`go.vn/eDoc`) are
refused by name, as the notes recommend (notes §2, §6).
"""

from __future__ import annotations

import binascii

from edxml.errors import PacketError
from edxml.fields import read_document, read_status
from edxml.limits import Limits
from edxml.packet import NAMESPACE, DocumentPacket, StatusPacket
from edxml.xmltree import ANY, Node, parse, split

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
EDOC_VN = "http://www.e-doc.vn/Schema/"
GO_VN = "http://www.go.vn/eDoc"
_FAMILY_A = frozenset({NAMESPACE, ""})  # unprefixed children of an unprefixed root: no namespace


def read_packet(data: bytes, limits: Limits | None = None) -> DocumentPacket | StatusPacket:
    """The packet in these bytes, or a PacketError naming what is wrong."""
    limits = limits or Limits()
    root = parse(data, limits)
    namespace, local = split(root.tag)
    if local == "message" and namespace == "":
        return _gateway_message(Node(root, frozenset({""})), limits)
    if namespace == NAMESPACE and local in ("edXML", "edXMLEnvelope"):
        return _family_a(Node(root, _FAMILY_A), limits, ())
    if namespace == "" and local in ("edXML", "edXMLEnvelope"):
        # A string-built packet that forgot xmlns: QCVN 102 by its shape, read by local name.
        return _family_a(Node(root, _FAMILY_A), limits, (
            f"the packet's elements are in no namespace (QCVN 102 puts them in {NAMESPACE}); "
            "read by their names",))
    if namespace == SOAP and local == "Envelope":
        return _soap(Node(root, frozenset({ANY})))
    if namespace in (GO_VN, EDOC_VN):
        raise PacketError(
            f"This is a pre-QCVN 102 packet (namespace {namespace}), which hubs no longer "
            f"accept; send a QCVN 102 edXML packet (root edXML, namespace {NAMESPACE})",
            code="unsupported_packet",
        )
    shown = f"{{{namespace}}}{local}" if namespace else local
    raise PacketError(
        f"The root element is {shown}, not an edXML packet (root edXML in namespace {NAMESPACE})",
        code="not_edxml",
    )


def _family_a(root: Node, limits: Limits,
              warnings: tuple[str, ...]) -> DocumentPacket | StatusPacket:
    header = root.find("MessageHeader")
    if header is None:
        raise PacketError("The packet has no MessageHeader (edXMLEnvelope/edXMLHeader)")
    if header.child("StatusCode") is not None:
        return read_status(header, warnings)
    return read_document(root, header, limits, warnings)


def _soap(envelope: Node) -> StatusPacket:
    header = envelope.child("Header")
    status = header.child("Status") if header else None
    if status is None:
        body = envelope.child("Body")
        status = body.find("Status") if body else None
    if status is not None:
        # ResponseFor first, `edXML` bound to the SOAP namespace: family C (notes §6).
        return read_status(status, ("read from a legacy SOAP status (family C)",))
    if envelope.find("MessageHeader") is not None:
        raise PacketError(
            "This is a legacy SOAP document packet (e-doc.vn, family B), which docroute does not "
            f"read; send a QCVN 102 edXML packet (root edXML, namespace {NAMESPACE})",
            code="unsupported_packet",
        )
    raise PacketError("The SOAP envelope holds neither a Status nor an edXML packet")


def _gateway_message(message: Node, limits: Limits) -> DocumentPacket | StatusPacket:
    # A provincial gateway's wrapper: the packet sits base64 in <content> (notes §6).
    content = message.text("content")
    if not content:
        raise PacketError("The gateway <message> has no <content>")
    try:
        inner = binascii.a2b_base64("".join(content.split()), strict_mode=True)
    except ValueError as error:  # binascii.Error, or a letter outside ASCII
        raise PacketError(f"The gateway <message> content is not base64 ({error})") from None
    if split(parse(inner, limits).tag)[1] == "message":
        raise PacketError("The gateway <message> wraps another <message>")
    return read_packet(inner, limits)
