"""Property: element order and prefixes never change what a packet says.

Each fixture is re-serialised with its sibling elements shuffled (repeated elements such as `To`
and `Place` keep their relative order, which carries meaning) and with prefixes everywhere or
nowhere; every variant must read back as the same packet.
"""

from __future__ import annotations

import random
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edxml import read_packet
from edxml.packet import NAMESPACE
from tests.edxml.conftest import packet_bytes

FIXTURES = ["cong_van_15_sdk_shape.edxml", "unprefixed_reordered.edxml", "status_03.edxml"]


def _shuffle(element: ET.Element, rng: random.Random) -> None:
    children = list(element)
    rank = {tag: rng.random() for tag in {child.tag for child in children}}
    # A stable sort by a random rank per tag: tags interleave anew, same-tag order stays.
    element.attrib.clear()  # the reader reads no attribute; ElementTree cannot unprefix them
    for child in children:
        element.remove(child)
    for child in sorted(children, key=lambda c: rank[c.tag]):
        element.append(child)
        _shuffle(child, rng)


def _variant(data: bytes, rng: random.Random, prefixed: bool) -> bytes:
    root = ET.fromstring(data)
    _shuffle(root, rng)
    if prefixed:
        ET.register_namespace("edXML", NAMESPACE)
        return ET.tostring(root, encoding="utf-8")
    return ET.tostring(root, encoding="utf-8", default_namespace=NAMESPACE)


@pytest.mark.parametrize("name", FIXTURES)
@settings(max_examples=25, deadline=None)
@given(rng=st.randoms(use_true_random=False), prefixed=st.booleans())
def test_order_and_prefixes_do_not_matter(name: str, rng: random.Random, prefixed: bool) -> None:
    original = packet_bytes(name)
    assert read_packet(_variant(original, rng, prefixed)) == read_packet(original)
