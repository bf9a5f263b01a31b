"""Parsing packet bytes safely, and finding elements by namespace and local name.

defusedxml refuses DTDs, entity declarations and external references, so neither an entity
bomb nor an XXE reaches the standard library's parser. Lookups ignore prefixes and element
order: producers disagree on both (shared/docs/edxml.md §3.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from edxml.errors import PacketError, too_large
from edxml.limits import Limits
from edxml.values import clean

ANY = "*"  # a namespace set that matches every namespace (legacy producers bind prefixes wrongly)


def parse(data: bytes, limits: Limits) -> Element:
    """The root element of the packet bytes, or a PacketError saying why not."""
    if len(data) > limits.packet_bytes:
        raise too_large("The packet", len(data), limits.packet_bytes, "packet_bytes")
    if not data.strip():
        raise PacketError("The packet is empty")
    _check_declared_encoding(data)
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise PacketError(
            f"The packet declares a DTD, an entity or an external reference, which edXML never "
            f"needs and docroute refuses ({type(error).__name__})",
            code="unsafe_xml",
        ) from None
    except ParseError as error:
        line, column = error.position
        raise PacketError(
            f"The packet is not well-formed XML at line {line}, column {column + 1}: "
            f"{str(error).split(':')[0]}",
            code="malformed_xml",
        ) from None
    except (LookupError, ValueError) as error:
        # The declaration names an encoding Python does not know ("UFT-8"), or a multi-byte
        # one expat cannot take ("UTF-32").
        declared = _DECLARATION.match(data.removeprefix(b"\xef\xbb\xbf")[:300])
        name = declared.group(1).decode() if declared else "?"
        raise PacketError(
            f"The packet declares encoding {name!r}, which docroute cannot read ({error}); "
            'declare encoding="UTF-8" and send it in UTF-8',
            code="unknown_encoding",
        ) from None


_DECLARATION = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_UNICODE = {"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii"}


def _check_declared_encoding(data: bytes) -> None:
    # A producer that declares a single-byte encoding over UTF-8 bytes (string-built XML,
    # notes §7.4) would be read as mojibake: names match nothing, the Nơi nhận routes nowhere.
    # Genuine windows-1258 or Latin-1 Vietnamese is almost never valid UTF-8, so valid UTF-8
    # with non-ASCII bytes under such a declaration is the mismatch, refused by name.
    declared = _DECLARATION.match(data.removeprefix(b"\xef\xbb\xbf")[:300])
    if declared is None or declared.group(1).decode().lower() in _UNICODE:
        return
    if data.isascii():
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    name = declared.group(1).decode()
    raise PacketError(
        f"The packet declares encoding {name!r} but its bytes are UTF-8: read as {name} its "
        "Vietnamese text would be garbled; declare encoding=\"UTF-8\" (or send the packet "
        f"in {name})",
        code="wrong_encoding",
    )


def split(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag such as `{ns}Local`."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


class Node:
    """An element looked into by local name, accepting only the given namespaces."""

    def __init__(self, element: Element, namespaces: frozenset[str]) -> None:
        self.element = element
        self.namespaces = namespaces

    @property
    def local(self) -> str:
        """The element's local name."""
        return split(self.element.tag)[1]

    def _accepts(self, tag: object) -> bool:
        if not isinstance(tag, str):  # comments and processing instructions
            return False
        namespace, _ = split(tag)
        return ANY in self.namespaces or namespace in self.namespaces

    def children(self, name: str) -> Iterator[Node]:
        """Direct children with this local name, in document order."""
        for child in self.element:
            if self._accepts(child.tag) and split(child.tag)[1] == name:
                yield Node(child, self.namespaces)

    def child(self, name: str) -> Node | None:
        """The first direct child with this local name."""
        return next(self.children(name), None)

    def find(self, name: str) -> Node | None:
        """The first descendant (depth first) with this local name."""
        return next(self.find_all(name), None)

    def find_all(self, name: str) -> Iterator[Node]:
        """Every descendant with this local name, depth first (document order)."""
        for element in self.element.iter():
            accepted = element is not self.element and self._accepts(element.tag)
            if accepted and split(element.tag)[1] == name:
                yield Node(element, self.namespaces)

    def text(self, *path: str) -> str | None:
        """The cleaned text at a path of child names; None when absent or empty."""
        node: Node | None = self
        for name in path:
            node = node.child(name) if node else None
        return clean("".join(node.element.itertext())) if node else None

    def texts(self, *path: str) -> list[str]:
        """The cleaned non-empty texts of every element at the path's last step."""
        *parents, last = path
        node: Node | None = self
        for name in parents:
            node = node.child(name) if node else None
        if node is None:
            return []
        found = (clean("".join(c.element.itertext())) for c in node.children(last))
        return [text for text in found if text]
