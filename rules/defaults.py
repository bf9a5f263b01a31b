"""The directory and rule set that ship with docroute (Khánh Hòa; the default policy)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rules.directory import Directory, load_directory
from rules.ruleset import RuleSet, load_ruleset

DATA = Path(__file__).parent / "data"
DEFAULT_DIRECTORY = DATA / "khanh_hoa"
DEFAULT_RULES = DATA / "default_rules.yaml"


@cache
def default_directory() -> Directory:
    """The shipped Khánh Hòa directory, loaded once."""
    return load_directory(DEFAULT_DIRECTORY)


@cache
def default_ruleset() -> RuleSet:
    """The shipped default rule set, loaded once."""
    return load_ruleset(DEFAULT_RULES)
