"""Shared fixtures of the rules engine's tests: the seeds, the shipped data, test directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules import Directory, RuleSet, default_directory, default_ruleset, load_directory

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
TEST_DATA = ROOT / "tests" / "data"


def seed_text(prefix: str) -> str:
    """The text of the seed whose file name starts with `prefix` (e.g. '004')."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert matches, f"seed {prefix}_*.txt not found in {SEEDS}: is shared/ beside the repo?"
    return matches[0].read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def khanh_hoa() -> Directory:
    """The shipped Khánh Hòa directory."""
    return default_directory()


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The shipped default rule set."""
    return default_ruleset()


@pytest.fixture(scope="session")
def ba_to() -> Directory:
    """The Ba Tơ (Quảng Ngãi) test directory, generated from the unit packages."""
    return load_directory(TEST_DATA / "ba_to")


@pytest.fixture(scope="session")
def quang_tri() -> Directory:
    """The Quảng Trị test directory (bodies seed 001 names)."""
    return load_directory(TEST_DATA / "quang_tri" / "directory.yaml")


@pytest.fixture(scope="session")
def ha_tinh() -> Directory:
    """The Hà Tĩnh test directory (bodies seed 003 names)."""
    return load_directory(TEST_DATA / "ha_tinh" / "directory.yaml")
