"""Packets written for these tests from docs/edxml.md (none copied from another project)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def packet_bytes(name: str) -> bytes:
    """A fixture packet's bytes."""
    return (DATA / name).read_bytes()


@pytest.fixture
def sdk_shape() -> bytes:
    """A Khánh Hòa công văn in the official SDK library's shape (prefixes, CRLF, zipped xlsx)."""
    return packet_bytes("cong_van_15_sdk_shape.edxml")
