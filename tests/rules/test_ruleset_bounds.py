"""A rule set is refused, with a message naming the bound, when its YAML is nested too deep
or its phrases would make matching pathological (issue 11: a rules YAML nested 50,000 deep
was a 500, a pathological phrase froze the server 11 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rules import cli
from rules.ruleset import MAX_NESTING, RuleSetError, ruleset_from_text

HEAD = "ruleset: {id: x, version: '1'}\n"


def one_rule(*phrases: str) -> str:
    quoted = ", ".join(f'"{p}"' for p in phrases)
    return HEAD + f"rules:\n- id: a\n  match: [{quoted}]\n  select: {{kinds: [so]}}\n"


DEEP_FLOW = HEAD + "rules: " + "[" * 50_000 + "]" * 50_000 + "\n"
DEEP_BLOCK = HEAD + "rules:\n" + "".join(" " * i + "- \n" for i in range(3_000))


@pytest.mark.parametrize("text", [DEEP_FLOW, DEEP_BLOCK], ids=["flow", "block"])
def test_yaml_nested_deeper_than_the_bound_is_refused_naming_it(text: str) -> None:
    with pytest.raises(RuleSetError) as refused:
        ruleset_from_text(text, "province_rules.yaml")
    [problem] = refused.value.problems
    assert problem.startswith("province_rules.yaml:")
    assert f"nested deeper than {MAX_NESTING} levels" in problem


def test_nesting_within_the_bound_is_read() -> None:
    nested = HEAD + "rules: []\npolicy: {}\nextra: " + "[" * 40 + "]" * 40 + "\n"
    assert ruleset_from_text(nested, "ok.yaml").id == "x"


@pytest.mark.parametrize(("text", "named"), [
    (one_rule("[sở] " * 40 + "x"), "40 bracketed groups (at most 10)"),
    (one_rule("(" + "|".join(f"w{i}" for i in range(5_000)) + ")"), "characters (at most 500)"),
    (one_rule("(" + "|".join(f"w{i}" for i in range(100)) + ")"), "99 alternatives (at most 64"),
    (one_rule("[a [b [c [d]]]] x"), "nests brackets 4 deep (at most 3)"),
    (HEAD + "rules:\n- id: a\n  match: [" + ", ".join(f'"s{i}"' for i in range(3_000))
     + "]\n  select: {kinds: [so]}\n", "3000 phrases: a rule set has at most 2000"),
    (one_rule(*(f"[w{i}] [x{i}]" for i in range(30))), "30 phrases may start with any word"),
    (HEAD + "leader_titles: ['[a']\nrules: []\n", "'[' is never closed"),
])
def test_pathological_phrases_are_refused_naming_the_bound(text: str, named: str) -> None:
    with pytest.raises(RuleSetError) as refused:
        ruleset_from_text(text, "province_rules.yaml")
    assert any(named in p and p.startswith("province_rules.yaml:")
               for p in refused.value.problems), refused.value.problems


def test_rules_check_names_the_file_and_the_bound(tmp_path: Path) -> None:
    app = typer.Typer()
    cli.register(app)
    path = tmp_path / "deep_rules.yaml"
    path.write_text(DEEP_FLOW, encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert result.exit_code != 0
    assert str(path) in result.output and "nested deeper than 50 levels" in result.output
