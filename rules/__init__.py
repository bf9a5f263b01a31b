"""docroute's rules engine: read a document, expand its recipient lines into agencies.

Pure Python: no network, no database. The service (router/) calls `expand` as of each
document's date; the CLI (`docroute expand`) prints the same answer for a clerk.
"""

from rules.defaults import default_directory, default_ruleset, national_directory
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
from rules.national import National, load_national
from rules.provinces import Choice, choose
from rules.ruleset import RuleSet, RuleSetError, load_ruleset

__all__ = [
    "Agency",
    "Choice",
    "Directory",
    "DirectoryError",
    "Document",
    "Expansion",
    "LineOutcome",
    "National",
    "Reason",
    "Recipient",
    "RuleSet",
    "RuleSetError",
    "UnknownSenderError",
    "choose",
    "default_directory",
    "default_ruleset",
    "expand",
    "load_directory",
    "load_national",
    "load_ruleset",
    "national_directory",
    "read_document",
    "segmenter_for",
]
