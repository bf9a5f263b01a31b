"""The directory and rule set that ship with docroute (the national data; the default policy)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rules.directory import Directory
from rules.national import National, load_national
from rules.ruleset import RuleSet, load_ruleset

DATA = Path(__file__).parent / "data"
DEFAULT_DIRECTORY = DATA / "khanh_hoa"
DEFAULT_RULES = DATA / "default_rules.yaml"
HOME = "kh"  # the province a deployment serves by default: Khánh Hòa


@cache
def national_directory() -> National:
    """The shipped national data (the centre and all provinces), loaded once."""
    return load_national(DATA, home=HOME)


def default_directory() -> Directory:
    """The shipped directory of the home province (Khánh Hòa), with the centre and every
    province's top bodies."""
    return national_directory().directory(HOME)


@cache
def default_ruleset() -> RuleSet:
    """The shipped default rule set, loaded once."""
    return load_ruleset(DEFAULT_RULES)
