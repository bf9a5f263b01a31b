"""Size limits on packets: the whole packet, each attachment, and what attachments unzip to."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bytes a reader accepts; the defaults fit real dispatches (scanned PDFs of a few MB)."""

    # The hub limit is not documented (notes §10); base64 makes a packet ~4/3 of its files.
    packet_bytes: int = 40 * MB
    attachment_bytes: int = 25 * MB
    unzipped_bytes: int = 50 * MB
    # All of a packet's zipped attachments together: without it a small packet of many
    # bombs, each under `unzipped_bytes`, would still unzip to gigabytes.
    unzipped_total_bytes: int = 100 * MB
