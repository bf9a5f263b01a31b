"""The rule set: how recipient phrases map to selections of agencies, under a versioned policy.

A rule set is a YAML file (the default ships as rules/data/default_rules.yaml; a province can
supply its own). Phrases are written as clerks write them and compiled to token patterns:
`[optional|words]`, `(required|alternatives)`, `#` for a number; commas are always optional and
abbreviations are expanded, so `[các] sở, ban, ngành` also matches `Cac so ban nganh`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from rules.directory import KINDS, LEVELS
from rules.text import Abbreviations, Span, Tokens, raw_tokens, spanned_tokens, words

ACTIONS = frozenset({"select", "archive", "as_above", "as_article", "union", "ask"})
# "country": every province and the centre ("UBND các tỉnh, thành phố trực thuộc Trung ương");
# "province": the home province of the directory only.
SCOPES = frozenset(
    {"country", "province", "sender_area", "under_sender", "children_of_previous"}
    | {"children_of_next", "area_of_next"}
)
# Scopes whose body is named right after the phrase (`thuộc Sở Y tế`, `thuộc huyện Vạn Ninh`).
ANCHORED_SCOPES = frozenset({"children_of_next", "area_of_next"})
# Bounds of a rule set (issue 11): YAML nested deeper, or phrases past these, are refused with
# a message naming the bound, so that loading and matching stay cheap whatever is uploaded.
# A phrase becomes one regular expression; its optional groups are where matching backtracks
# (each can match or not), so their number bounds the work of one match.
MAX_NESTING = 50  # levels of YAML lists / mappings
MAX_PHRASES = 2000  # phrases in the whole rule set (match, leader titles, scope qualifiers)
MAX_PHRASE_CHARS = 500
MAX_PHRASE_GROUPS = 10  # [..] and (..) groups in one phrase
MAX_PHRASE_DEPTH = 3  # groups inside groups
MAX_PHRASE_ALTERNATIVES = 64  # '|' in one phrase
MAX_OPEN_PHRASES = 20  # phrases that may start with any word (tried at every word of a line)

_PHRASE_PART = re.compile(r"\[|\]|\(|\)|\||#|[^\[\]()|#]+")


class RuleSetError(ValueError):
    """A rule-set file is not valid; `problems` names file, rule and field of each error."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Selector:
    """Which agencies a rule chooses: by kind, tag and level, within a scope."""

    kinds: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    level: str | None = None
    scope: str = "province"


@dataclass(frozen=True)
class PolicyAddition:
    """Kinds a rule also selects while a policy flag is on (e.g. ĐVSN in "sở, ban, ngành")."""

    flag: str
    kinds: frozenset[str]


@dataclass(frozen=True)
class Rule:
    """One way of writing a category, and what it selects."""

    id: str
    category: str
    action: str
    phrases: tuple[str, ...]
    patterns: tuple[Phrase, ...]
    select: Selector | None = None
    also: tuple[PolicyAddition, ...] = ()
    when_empty: str | None = None
    whole_line: bool = False
    description: str = ""
    # The description and `when_empty` in Vietnamese, for the pages people read (the
    # reasons themselves stay in English: the API, the CLI and the stored data keep them).
    description_vi: str = ""
    when_empty_vi: str | None = None
    # For a `union` rule ("sở, ban, ngành, đoàn thể"): the rules whose selections it joins.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of rules with its policy flags and abbreviation table."""

    id: str
    version: str
    policy: Mapping[str, bool]
    abbreviations: Abbreviations
    leader_titles: tuple[Phrase, ...]
    sender_words: frozenset[Tokens]
    rules: tuple[Rule, ...]
    description: str = ""
    source: str = ""
    generic_names: frozenset[Tokens] = field(default=frozenset())
    # Words that tell bodies apart (kind, level): a near match differing in them is another body.
    distinguishing: frozenset[Tokens] = field(default=frozenset())
    # Bodies that take a level after them, so a list may share it ("HĐND, UBND tỉnh").
    list_heads: frozenset[Tokens] = field(default=frozenset())
    # Short forms valid only in a list after a prefix ("Sở: XD, TC"), by prefix.
    list_abbreviations: Mapping[Tokens, Abbreviations] = field(default_factory=dict)
    # Words after a category that only restate the province ("trên địa bàn tỉnh").
    scope_qualifiers: tuple[Phrase, ...] = ()
    # Centrally-run cities, where "Thành phố" is the provincial level.
    centrally_run_cities: frozenset[Tokens] = field(default=frozenset())

    def tokens(self, text: str) -> Tokens:
        """Normalise `text` to tokens with abbreviations expanded."""
        return self.abbreviations.expand(raw_tokens(text))

    def spanned(self, text: str) -> tuple[Tokens, list[Span]]:
        """`tokens`, with each token's span in `text` (for quoting what the clerk wrote)."""
        tokens, spans = spanned_tokens(text)
        return self.abbreviations.expand_spanned(tokens, spans)

    def flag(self, name: str) -> bool:
        """The value of a policy flag (False when the rule set does not set it)."""
        return bool(self.policy.get(name, False))

    def with_policy(self, version: str | None = None, **flags: bool) -> RuleSet:
        """A copy with some policy flags changed (and a new version, which a change must carry)."""
        policy = {**self.policy, **flags}
        return replace(self, policy=policy, version=version or f"{self.version}+{_flags(flags)}")

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)


def _flags(flags: Mapping[str, bool]) -> str:
    return ",".join(f"{k}={'on' if v else 'off'}" for k, v in sorted(flags.items()))


def load_ruleset(path: str | Path) -> RuleSet:
    """Load and validate a rule-set file; raises `RuleSetError` naming each problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError([f"{file}: cannot read: {exc}"]) from exc
    return ruleset_from_text(text, str(file))


class NestingError(yaml.YAMLError):
    """YAML nested deeper than MAX_NESTING."""

    def __init__(self, mark: Any) -> None:
        super().__init__(f"nested deeper than {MAX_NESTING} levels (the limit of a rule set)")
        self.problem_mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, refusing YAML nested deeper than MAX_NESTING before it recurses."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise NestingError(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def ruleset_from_text(text: str, name: str) -> RuleSet:
    """A rule set from YAML text (`name` stands for the file in error messages)."""
    try:
        data = yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader with a depth bound
    except NestingError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise RuleSetError([f"{name}:{line}: {exc}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        raise RuleSetError([f"{name}:{line}: not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("ruleset"), dict):
        raise RuleSetError([f"{name}: expected a 'ruleset:' header with id and version"])
    return _build(data, name)


def _build(data: dict[str, Any], file: str) -> RuleSet:
    problems = _phrase_problems(data, file)
    if problems:
        raise RuleSetError(problems)
    head = data["ruleset"]
    for key in ("id", "version"):
        if not head.get(key):
            problems.append(f"{file}: ruleset: field '{key}' is required")
    abbreviations = Abbreviations(
        {str(k): str(v) for k, v in (data.get("abbreviations") or {}).items()}
    )
    rules = tuple(
        rule
        for i, raw in enumerate(data.get("rules") or [])
        if (rule := _rule(raw, i, file, abbreviations, problems)) is not None
    )
    ids = [r.id for r in rules]
    problems.extend(
        f"{file}: rule '{d}': duplicate id" for d in sorted({i for i in ids if ids.count(i) > 1})
    )
    selecting = {r.id for r in rules if r.action == "select"}
    problems.extend(
        f"{file}: rule '{r.id}': field 'rules': '{part}' is no select rule of this file"
        for r in rules
        for part in r.parts
        if part not in selecting
    )
    if problems:
        raise RuleSetError(problems)
    return RuleSet(
        id=str(head["id"]),
        version=str(head["version"]),
        description=str(head.get("description", "")),
        policy={str(k): bool(v) for k, v in (data.get("policy") or {}).items()},
        abbreviations=abbreviations,
        leader_titles=tuple(
            compile_phrase(p, abbreviations) for p in data.get("leader_titles") or []
        ),
        sender_words=frozenset(
            words(abbreviations.expand(raw_tokens(str(w)))) for w in data.get("sender_words") or []
        ),
        rules=rules,
        source=file,
        generic_names=_word_set(data.get("generic_names"), abbreviations),
        distinguishing=_word_set(data.get("distinguishing_words"), abbreviations),
        list_heads=_word_set(data.get("list_heads"), abbreviations),
        list_abbreviations=_list_abbreviations(data.get("list_abbreviations"), abbreviations),
        centrally_run_cities=_word_set(data.get("centrally_run_cities"), abbreviations),
        scope_qualifiers=tuple(
            compile_phrase(str(p), abbreviations) for p in data.get("scope_qualifiers") or []
        ),
    )


def _list_abbreviations(raw: Any, abbreviations: Abbreviations) -> dict[Tokens, Abbreviations]:
    """Prefix -> its short forms. Keys are read through the general table first, because the
    line is: "TP" after "Sở:" arrives as "thành phố" and means "tư pháp"."""
    out: dict[Tokens, Abbreviations] = {}
    for prefix, table in (raw or {}).items():
        expanded = {
            " ".join(abbreviations.expand(raw_tokens(str(k)))): str(v)
            for k, v in (table or {}).items()
        }
        out[words(abbreviations.expand(raw_tokens(str(prefix))))] = Abbreviations(expanded)
    return out


def _word_set(raw: Any, abbreviations: Abbreviations) -> frozenset[Tokens]:
    """A YAML list of words or phrases as token tuples (abbreviations expanded)."""
    return frozenset(words(abbreviations.expand(raw_tokens(str(w)))) for w in raw or [])


def _rule(
    raw: Any, index: int, file: str, abbreviations: Abbreviations, problems: list[str]
) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(f"{file}: rule #{index + 1}: must be a mapping")
        return None
    where = f"{file}: rule '{raw.get('id', f'#{index + 1}')}'"
    errors = _rule_errors(raw)
    if errors:
        problems.extend(f"{where}: {e}" for e in errors)
        return None
    select = raw.get("select")
    try:
        patterns = tuple(compile_phrase(str(p), abbreviations) for p in raw["match"])
    except ValueError as exc:
        problems.append(f"{where}: field 'match': {exc}")
        return None
    return Rule(
        id=str(raw["id"]),
        category=str(raw.get("category", raw["id"])),
        action=str(raw.get("action", "select")),
        phrases=tuple(str(p) for p in raw["match"]),
        patterns=patterns,
        select=_selector(select) if isinstance(select, dict) else None,
        also=tuple(
            PolicyAddition(str(a["flag"]), frozenset(a.get("kinds") or ()))
            for a in raw.get("also") or []
        ),
        when_empty=raw.get("when_empty"),
        whole_line=bool(raw.get("whole_line", False)),
        description=str(raw.get("description", "")),
        description_vi=str(raw.get("description_vi", "")),
        when_empty_vi=raw.get("when_empty_vi"),
        parts=tuple(str(r) for r in raw.get("rules") or ()),
    )


def _rule_errors(raw: dict[str, Any]) -> list[str]:
    errors = []
    if not raw.get("id"):
        errors.append("field 'id': required")
    if not isinstance(raw.get("match"), list) or not raw["match"]:
        errors.append("field 'match': a non-empty list of phrases is required")
    action = raw.get("action", "select")
    if action not in ACTIONS:
        errors.append(f"field 'action': '{action}' is not one of {sorted(ACTIONS)}")
    select = raw.get("select")
    if action == "select" and not isinstance(select, dict):
        errors.append("field 'select': required for a select rule")
    if action == "union" and not (isinstance(raw.get("rules"), list) and raw["rules"]):
        errors.append("field 'rules': a union rule lists the rules whose selections it joins")
    if isinstance(select, dict):
        errors.extend(_selector_errors(select))
    for addition in raw.get("also") or []:
        if not isinstance(addition, dict) or "flag" not in addition:
            errors.append("field 'also': each entry needs 'flag' and 'kinds'")
        else:
            errors.extend(
                f"field 'also': unknown kind '{k}'"
                for k in addition.get("kinds") or []
                if k not in KINDS
            )
    return errors


def _selector_errors(select: dict[str, Any]) -> list[str]:
    errors = [
        f"field 'select.kinds': unknown kind '{k}'"
        for k in select.get("kinds") or []
        if k not in KINDS
    ]
    if select.get("level") is not None and select["level"] not in LEVELS:
        errors.append(f"field 'select.level': '{select['level']}' is not one of {sorted(LEVELS)}")
    if select.get("scope", "province") not in SCOPES:
        errors.append(
            f"field 'select.scope': '{select.get('scope')}' is not one of {sorted(SCOPES)}"
        )
    return errors


def _selector(select: dict[str, Any]) -> Selector:
    return Selector(
        kinds=frozenset(select.get("kinds") or ()),
        tags=frozenset(select.get("tags") or ()),
        level=select.get("level"),
        scope=str(select.get("scope", "province")),
    )


def _phrase_problems(data: dict[str, Any], file: str) -> list[str]:
    """Phrases past the bounds above (checked before anything is compiled)."""
    listed: list[tuple[str, Any]] = []
    for i, raw in enumerate(data.get("rules") or []):
        if isinstance(raw, dict) and isinstance(raw.get("match"), list):
            where = f"rule '{raw.get('id', f'#{i + 1}')}': field 'match'"
            listed += [(where, p) for p in raw["match"]]
    for key in ("leader_titles", "scope_qualifiers"):
        if isinstance(data.get(key), list):
            listed += [(f"field '{key}'", p) for p in data[key]]
    if len(listed) > MAX_PHRASES:
        return [f"{file}: {len(listed)} phrases: a rule set has at most {MAX_PHRASES}"]
    problems = [f"{file}: {where}: {problem}" for where, phrase in listed
                if (problem := phrase_problem(str(phrase))) is not None]
    if not problems:
        compiled = [compile_phrase(str(p), Abbreviations({})) for _, p in listed]
        if (open_ := sum(1 for c in compiled if c.firsts is None)) > MAX_OPEN_PHRASES:
            problems.append(f"{file}: {open_} phrases may start with any word (all optional, or "
                            f"a number first): a rule set has at most {MAX_OPEN_PHRASES}")
    return problems


def phrase_problem(phrase: str) -> str | None:
    """Why a phrase is refused, naming the bound it passes; None when it is fine."""
    short = phrase if len(phrase) <= 60 else phrase[:57] + "..."
    if len(phrase) > MAX_PHRASE_CHARS:
        return f"phrase '{short}' has {len(phrase)} characters (at most {MAX_PHRASE_CHARS})"
    groups = depth = deepest = 0
    for char in phrase:
        if char in "[(":
            groups, depth = groups + 1, depth + 1
            deepest = max(deepest, depth)
        elif char in "])":
            depth -= 1
    if groups > MAX_PHRASE_GROUPS:
        return f"phrase '{short}' has {groups} bracketed groups (at most {MAX_PHRASE_GROUPS})"
    if deepest > MAX_PHRASE_DEPTH:
        return (f"phrase '{short}' nests brackets {deepest} deep "
                f"(at most {MAX_PHRASE_DEPTH})")
    if phrase.count("|") > MAX_PHRASE_ALTERNATIVES:
        return (f"phrase '{short}' has {phrase.count('|')} alternatives "
                f"(at most {MAX_PHRASE_ALTERNATIVES} '|')")
    try:
        compile_phrase(phrase, Abbreviations({}))
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Phrase:
    """A compiled phrase: its regex over joined tokens, and the words it can start with."""

    regex: re.Pattern[str]
    # None when the phrase may start with anything (it is all optional, or starts with `#`).
    firsts: frozenset[str] | None


@dataclass(frozen=True)
class _Piece:
    regex: str
    firsts: frozenset[str] | None  # None: may start with anything
    nullable: bool


def compile_phrase(phrase: str, abbreviations: Abbreviations) -> Phrase:
    """Compile a phrase of the rule language (see the module docstring)."""
    parts = _PHRASE_PART.findall(phrase)
    piece, rest = _sequence(parts, 0, abbreviations)
    if rest != len(parts):
        raise ValueError(f"unbalanced brackets in phrase '{phrase}'")
    return Phrase(re.compile(piece.regex), None if piece.nullable else piece.firsts)


def _sequence(parts: list[str], i: int, abbreviations: Abbreviations) -> tuple[_Piece, int]:
    pieces: list[_Piece] = []
    while i < len(parts) and parts[i] not in ("]", ")", "|"):
        part = parts[i]
        if part in ("[", "("):
            piece, i = _group(parts, i, abbreviations)
        elif part == "#":
            piece, i = _Piece(r"(?:, )?(\d+) ", None, False), i + 1
        else:
            tokens = abbreviations.expand(words(raw_tokens(part)))
            regex = "".join(f"(?:, )?{re.escape(t)} " for t in tokens)
            firsts = frozenset(tokens[:1]) if tokens else frozenset()
            piece, i = _Piece(regex, firsts, not tokens), i + 1
        pieces.append(piece)
    return _concatenate(pieces), i


def _group(parts: list[str], i: int, abbreviations: Abbreviations) -> tuple[_Piece, int]:
    opening = parts[i]
    closing = "]" if opening == "[" else ")"
    alternatives: list[_Piece] = []
    i += 1
    while True:
        alt, i = _sequence(parts, i, abbreviations)
        alternatives.append(alt)
        if i >= len(parts):
            raise ValueError(f"'{opening}' is never closed")
        if parts[i] == "|":
            i += 1
            continue
        if parts[i] != closing:
            raise ValueError(f"'{opening}' closed by '{parts[i]}'")
        break
    regex = "(?:" + "|".join(a.regex for a in alternatives) + ")" + ("?" if closing == "]" else "")
    firsts = _union(a.firsts for a in alternatives)
    nullable = closing == "]" or any(a.nullable for a in alternatives)
    return _Piece(regex, firsts, nullable), i + 1


def _concatenate(pieces: list[_Piece]) -> _Piece:
    firsts: frozenset[str] | None = frozenset()
    for piece in pieces:
        firsts = _union((firsts, piece.firsts))
        if not piece.nullable:
            return _Piece("".join(p.regex for p in pieces), firsts, False)
    return _Piece("".join(p.regex for p in pieces), firsts, True)


def _union(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    out: frozenset[str] = frozenset()
    for one in sets:
        if one is None:
            return None
        out |= one
    return out
