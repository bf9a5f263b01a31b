"""Attachments: manifest references linked to base64 files, and the zipped-attachment quirk.

The official SDK library (I1) zips every file that is not pdf/doc/docx/"xsl"/"xslx" and says
`application/zip` while keeping the original `AttachmentName`; its manifest says
`application/zip` for every file. So the bytes decide, never the manifest (notes §3.6).
"""

from __future__ import annotations

import binascii
import io
import lzma
import mimetypes
import zipfile
import zlib
from dataclasses import dataclass

from edxml.errors import PacketError, too_large
from edxml.limits import Limits
from edxml.packet import Attachment
from edxml.xmltree import Node

ZIP_MAGIC = b"PK\x03\x04"
# A zip holding one of these is an office document (OOXML .docx/.xlsx/.pptx, ODF .odt/.ods),
# which is a zip itself: the file, never an SDK wrapper to undo.
_OFFICE_MARKERS = frozenset({"[Content_Types].xml", "mimetype"})
_ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}


@dataclass(frozen=True)
class _Reference:
    content_id: str | None
    name: str | None
    content_type: str | None
    description: str | None


def _bare(content_id: str | None) -> str | None:
    return content_id.removeprefix("cid:").strip() or None if content_id else None


def read_attachments(root: Node, limits: Limits) -> tuple[tuple[Attachment, ...], list[str]]:
    """Every attached file, decoded, described from its own element or else its reference;
    and a warning for each file the manifest lists that the packet does not carry."""
    references = [
        _Reference(_bare(r.text("ContentId")), r.text("AttachmentName"),
                   r.text("ContentType"), r.text("Description"))
        for manifest in _all(root, "edXMLManifest", "Manifest")
        for r in manifest.children("Reference")
    ]
    # Every AttachmentEncoded block, wherever the producer put it: a file is never dropped
    # because it sits in a second block or inside the envelope.
    files = [node for encoded in root.find_all("AttachmentEncoded")
             for node in encoded.children("Attachment")]
    budget = _Budget(limits.unzipped_total_bytes)
    carried: set[int] = set()
    attachments = []
    index = _Index(references)
    for position, node in enumerate(files, start=1):
        reference = _linked(node, index, position)
        if reference is not None:
            carried.add(id(reference))
        attachments.append(_attachment(node, reference, limits, position, budget))
    warnings = [
        f"the manifest lists {r.name or r.content_id!r}, which the packet does not carry"
        for r in references if id(r) not in carried
    ]
    return tuple(attachments), warnings


class _Budget:
    """What the packet's zipped attachments may still unzip to, all together."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    def take(self, name: str, size: int) -> None:
        self.used += size
        if self.used > self.total:
            raise too_large(f"What the packet's zipped attachments unzip to (up to {name!r})",
                            self.used, self.total, "unzipped_total_bytes")

    @property
    def left(self) -> int:
        return self.total - self.used


def _all(root: Node, *names: str) -> list[Node]:
    return [found for name in names if (found := root.find(name)) is not None]


class _Index:
    """The manifest's references by ContentId (without `cid:`) and by name, first one wins."""

    def __init__(self, references: list[_Reference]) -> None:
        self.references = references
        self.by_id: dict[str, _Reference] = {}
        self.by_name: dict[str, _Reference] = {}
        for reference in references:
            if reference.content_id:
                self.by_id.setdefault(reference.content_id, reference)
            if reference.name:
                self.by_name.setdefault(reference.name, reference)


def _linked(node: Node, index: _Index, position: int) -> _Reference | None:
    # By ContentId without `cid:`, else by name, else by position (I4 writes the bare id).
    content_id, name = _bare(node.text("ContentId")), node.text("AttachmentName")
    if content_id and content_id in index.by_id:
        return index.by_id[content_id]
    if name and name in index.by_name:
        return index.by_name[name]
    references = index.references
    return references[position - 1] if position <= len(references) else None


def _attachment(
    node: Node, reference: _Reference | None, limits: Limits, position: int, budget: _Budget
) -> Attachment:
    name = node.text("AttachmentName") or (reference.name if reference else None)
    name = name or f"attachment-{position}"
    declared = node.text("ContentType") or (reference.content_type if reference else None)
    data = _decode(node.text("ContentTransferEncoded") or "", name, limits)
    unzipped = False
    if _zipped_quirk(data, declared, name):
        entry = _single_entry(data, name, limits, budget)
        if entry is not None:
            data, unzipped = entry, True
            budget.take(name, len(data))
    content_type = _content_type(name, declared, unzipped)
    description = node.text("Description") or (reference.description if reference else None)
    content_id = _bare(node.text("ContentId")) or (reference.content_id if reference else None)
    return Attachment(name, content_type, data, description, content_id, unzipped)


def _decode(text: str, name: str, limits: Limits) -> bytes:
    encoded = "".join(text.split())
    if len(encoded) * 3 // 4 > limits.attachment_bytes:
        raise too_large(f"Attachment {name!r}", len(encoded) * 3 // 4,
                        limits.attachment_bytes, "attachment_bytes")
    try:
        return binascii.a2b_base64(encoded, strict_mode=True)
    except ValueError as error:  # binascii.Error, or a letter outside ASCII
        raise PacketError(f"Attachment {name!r} is not valid base64 ({error})") from None


def _media_type(declared: str | None) -> str:
    # `Application/ZIP; charset=binary` is application/zip (RFC 2045: case-insensitive,
    # parameters after ';').
    return (declared or "").split(";", 1)[0].strip().lower()


def _zipped_quirk(data: bytes, declared: str | None, name: str) -> bool:
    return (
        data.startswith(ZIP_MAGIC)
        and _media_type(declared) in _ZIP_TYPES
        and not name.lower().endswith(".zip")
    )


def _single_entry(data: bytes, name: str, limits: Limits, budget: _Budget) -> bytes | None:
    """The one file an SDK-zipped attachment holds; None when the zip is an office document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [e for e in archive.infolist() if not e.is_dir()]
            if _OFFICE_MARKERS & {e.filename for e in entries}:
                return None
            if len(entries) != 1:
                raise PacketError(
                    f"Attachment {name!r} is a zip of {len(entries)} files; "
                    "a zipped attachment must hold exactly one"
                )
            entry = entries[0]
            if entry.flag_bits & 0x1:
                raise PacketError(f"Attachment {name!r} is a password-protected zip; send the "
                                  "file without a password")
            if entry.file_size > limits.unzipped_bytes:
                raise too_large(f"Attachment {name!r} unzipped", entry.file_size,
                                limits.unzipped_bytes, "unzipped_bytes")
            with archive.open(entry) as stream:
                # The header's size can lie: read one byte past the limits to know.
                content = stream.read(min(limits.unzipped_bytes, budget.left) + 1)
    except PacketError:
        raise
    # What damaged bytes make zipfile and its decompressors raise: their own errors, a short
    # stream (EOFError), a bad offset (ValueError), more than BadZipFile.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError,
            ValueError, RuntimeError, zlib.error, lzma.LZMAError) as error:
        raise PacketError(f"Attachment {name!r} is a broken zip ({error})") from None
    if len(content) > limits.unzipped_bytes:
        raise too_large(f"Attachment {name!r} unzipped", len(content),
                        limits.unzipped_bytes, "unzipped_bytes")
    return content


def _content_type(name: str, declared: str | None, unzipped: bool) -> str:
    guessed, _ = mimetypes.guess_type(name)
    if unzipped or not declared or (_media_type(declared) in _ZIP_TYPES and guessed):
        return guessed or "application/octet-stream"
    return declared
