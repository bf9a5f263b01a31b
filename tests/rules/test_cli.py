"""`docroute expand`, `docroute directory check` and `docroute rules check` as a clerk uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rules import cli
from rules.defaults import DEFAULT_DIRECTORY
from tests.rules.conftest import SEEDS, TEST_DATA


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """A `docroute` app with the rules engine's commands."""
    app = typer.Typer()
    cli.register(app)
    return app


def seed(prefix: str) -> str:
    """Path of a seed file."""
    return str(next(SEEDS.glob(f"{prefix}_*.txt")))


def test_expand_json_has_the_contract_keys(app: typer.Typer) -> None:
    """`expand --json` prints the document, every line and the recipients with reasons."""
    result = CliRunner().invoke(
        app, ["expand", seed("000"), "--json", "--sender", "kh.ban-qlda-phat-trien-tinh"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["document"]["number"] == "911/BC-BQL"
    assert data["document"]["date"] == "2022-07-22"
    assert [ln["section"] for ln in data["lines"]] == ["kinh_gui", "noi_nhan", "noi_nhan"]
    assert data["lines"][1]["notes"] == {"electronic_only": True, "purpose": ["report"]}
    assert data["recipients"][0]["id"] == "kh.so-noi-vu"
    assert data["recipients"][0]["reasons"][0]["rules_version"] == data["rules_version"]


def test_expand_table_puts_unresolved_lines_first(app: typer.Typer) -> None:
    """The readable table opens with the unresolved lines and their reasons."""
    result = CliRunner().invoke(
        app, ["expand", seed("004"), "--as-of", "2026-03-01", "--sender", "kh.ubnd-tinh"]
    )
    assert result.exit_code == 0, result.output
    head = result.output.split("LINES")[0]
    assert "1 UNRESOLVED LINE(S)" in head
    assert "UBND các huyện, thị xã, thành phố" in head
    assert "abolished on 2025-07-01" in head


def test_expand_with_another_directory(app: typer.Typer) -> None:
    """--directory points at another province's directory."""
    result = CliRunner().invoke(
        app,
        [
            "expand",
            seed("002"),
            "--json",
            "--directory",
            str(TEST_DATA / "ba_to"),
            "--sender",
            "qn.ubnd-huyen-535",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["recipients"]) == 22


def test_bad_inputs_get_messages_naming_the_problem(app: typer.Typer, tmp_path: Path) -> None:
    """A missing file, bad UTF-8, a bad date and an unknown sender each get a clear message."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"N\xc6\xa1i nh\xe1\xba\xadn:\n- S\xff;\n")
    runner = CliRunner()
    cases = [
        (["expand", str(tmp_path / "none.txt")], "cannot read the file"),
        (["expand", str(bad)], f"{bad}:2: byte"),
        (["expand", seed("000"), "--as-of", "22/07/2022"], "write YYYY-MM-DD"),
        (["expand", seed("000"), "--sender", "kh.nowhere"], "sender 'kh.nowhere' is not"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert message in result.output, result.output


def test_directory_check_reports_file_line_and_field(app: typer.Typer, tmp_path: Path) -> None:
    """`directory check` exits 1 and names file, line, entry and field of each problem."""
    broken = tmp_path / "d.yaml"
    broken.write_text(
        "agencies:\n  - id: x.a\n    name: A\n    kind: sở\n    level: tinh\n    source: test\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["directory", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:2: agency 'x.a': field 'kind': 'sở' is not one of" in result.output


def test_directory_check_accepts_the_shipped_directory(app: typer.Typer) -> None:
    """The shipped Khánh Hòa directory passes `directory check` with its counts."""
    result = CliRunner().invoke(app, ["directory", "check", str(DEFAULT_DIRECTORY)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "dvsn" in result.output


def test_rules_check_names_a_bad_rule(app: typer.Typer, tmp_path: Path) -> None:
    """`rules check` names the file, the rule and the field of a bad rule."""
    bad = tmp_path / "r.yaml"
    bad.write_text(
        "ruleset: {id: x, version: '1'}\nrules:\n  - id: so\n    match: ['[các sở']\n"
        "    select: {kinds: [so]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: rule 'so': field 'match'" in result.output
