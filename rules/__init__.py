"""docroute's rules engine: read a document, expand its recipient lines into agencies.

Pure Python: no network, no database. The service (router/) calls `expand` as of each
document's date; the CLI (`docroute expand`) prints the same answer for a clerk.
"""

from rules.defaults import default_directory, default_ruleset
from rules.directory import Agency, Directory, DirectoryError, load_directory
from rules.document import Document, read_document
from rules.expansion import (
    Expansion,
    LineOutcome,
    Reason,
    Recipient,
    UnknownSenderError,
    expand,
    segmenter_for,
)
from rules.ruleset import RuleSet, RuleSetError, load_ruleset

__all__ = [
    "Agency",
    "Directory",
    "DirectoryError",
    "Document",
    "Expansion",
    "LineOutcome",
    "Reason",
    "Recipient",
    "RuleSet",
    "RuleSetError",
    "UnknownSenderError",
    "default_directory",
    "default_ruleset",
    "expand",
    "load_directory",
    "load_ruleset",
    "read_document",
    "segmenter_for",
]
