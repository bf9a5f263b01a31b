"""What became of one line of a recipient block (and of each part of it).

Every line of `Kính gửi` and `Nơi nhận` gets exactly one `Outcome`; in JSON it is the enum's
string value, so readers of `docroute expand --json`, the API and stored expansions see the
same strings as before."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """One line's (or one part's) outcome."""

    RECIPIENTS = "recipients"  # agencies, each with its rule and reason
    EXCLUDED = "excluded"  # an archive copy, the sender's own leaders: with the reason
    UNRESOLVED = "unresolved"  # a question for the clerk, with the reason


# The category of text in a block the reader could not take for a recipient (its outcome is
# `Outcome.UNRESOLVED`): shown to the clerk, never resolved to an agency.
UNREAD = "unread"
