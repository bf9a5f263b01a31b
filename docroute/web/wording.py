"""The engine's reasons said in Vietnamese, for the pages that clerks and inspectors read.

The rules engine, the router and the audit write every reason in English, and the API, the
CLI and the stored data keep it that way: other tools read it, and a delivery's history is
hash-chained as written. The people who use the pages read Vietnamese. `Wording.say` turns a
stored reason into Vietnamese using `SENTENCES`. Each entry pairs an English sentence as the
engine writes it with its Vietnamese twin.

A reason is read whole, or as pieces joined by "; " (a line's reason joins the reasons of
its parts that way), and a piece may end in bracketed remarks (`TAILS`). A reason that no
sentence reads is shown as written, never half in one language: the tests run the seeds and
the pages' documents through it and fail on any reason left in English.

In a template, `{name}` stands for any text, copied as it is: names of bodies, quoted words
of the document. `{name:kind}` converts the text:
- `day` turns 2025-07-01 into 01/07/2025, `time` an ISO moment into Vietnam time;
- `or` turns "A or B" into "A hoặc B";
- `rule` turns a rule set's own text (a rule's description or `when_empty`) into its
  Vietnamese, from the rule sets the process knows (`description_vi`, `when_empty_vi`);
- `say` says another reason (one quoted inside this one);
- `who` says "the clerk" (a decision with no name recorded) as "văn thư";
- `categories` says the condition of a category that depends on a policy flag.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from docroute.web.vietnam_time import vn_date, vn_time
from rules.ruleset import RuleSet

# (English as the engine writes it, Vietnamese). Longer and more specific sentences first:
# the first that reads a piece whole wins.
SENTENCES: tuple[tuple[str, str], ...] = (
    # rules.explain and audit.explanations: why an agency does or does not receive.
    ("{a} receives the document through a catch-up delivery of replay {id} (rules {v}); under "
     "rules {v2} alone it would not: {why:say}",
     "{a} nhận văn bản qua một lần gửi bù của lần chạy lại {id} (bộ quy tắc {v}); riêng theo bộ "
     "quy tắc {v2} thì không: {why}"),
    ("{a} receives the document through line(s) {lines}", "{a} nhận văn bản theo dòng {lines}"),
    ("{a} is not a recipient: no line of the document names it or a category it belongs to "
     "(its categories: no category rule)",
     "{a} không phải nơi nhận: không dòng nào của văn bản nêu cơ quan này, và cơ quan này không "
     "thuộc nhóm nào trong bộ quy tắc"),
    ("{a} is not a recipient: no line of the document names it or a category it belongs to "
     "(its categories: {categories:categories})",
     "{a} không phải nơi nhận: không dòng nào của văn bản nêu cơ quan này hay nhóm mà cơ quan "
     "này thuộc về (nhóm của cơ quan: {categories})"),
    ("{a} is not a recipient: line {n}: {why:say}", "{a} không phải nơi nhận: dòng {n}: {why}"),
    ("line {n}: {why:say}", "dòng {n}: {why}"),
    # `Như Điều 3` read in the document's own article: what it could not read there.
    ("in {where}, read for '{q}': {why:say}", "trong {where}, khi đọc cho '{q}': {why}"),
    ("{r} (only while policy flag '{f}' is on; on)",
     "{r} (chỉ khi bật cờ chính sách '{f}'; cờ đang bật)"),
    ("{r} (only while policy flag '{f}' is on; off)",
     "{r} (chỉ khi bật cờ chính sách '{f}'; cờ đang tắt)"),
    ("no agency '{id}' in directory '{d}'", "không có cơ quan mã '{id}' trong danh bạ '{d}'"),
    ("'{q}' names it, but the line was read as: {why:say}",
     "'{q}' nêu cơ quan này, nhưng dòng được đọc là: {why}"),
    ("'{q}' is only close to its name: offered to the clerk, never delivered",
     "'{q}' chỉ gần giống tên cơ quan này: đã gợi ý cho văn thư, không bao giờ tự gửi"),
    ("'{q}' is close to its name ({score}/100) but names no agency",
     "'{q}' gần giống tên cơ quan này ({score}/100) nhưng không là cơ quan nào"),
    ("'{q}' is close to its name ({score}/100) but names {ids}",
     "'{q}' gần giống tên cơ quan này ({score}/100) nhưng là {ids}"),
    ("'{q}' means the Kính gửi addressees, and Kính gửi does not name it",
     "'{q}' là các cơ quan ở phần Kính gửi, mà phần Kính gửi không nêu cơ quan này"),
    ("'{q}' (rule '{r}') did not select it: {why:say}",
     "'{q}' (quy tắc '{r}') không chọn cơ quan này: {why}"),
    ("its kind '{k}' counts under rule '{r}' only while policy flag '{f}' is on, and it is off "
     "in rules {rs} {v}",
     "loại '{k}' chỉ thuộc quy tắc '{r}' khi bật cờ chính sách '{f}', mà cờ này đang tắt trong "
     "bộ quy tắc {rs} {v}"),
    ("its kind '{k}' is not among {kinds}", "loại '{k}' không nằm trong {kinds}"),
    ("it has none of the tags {tags}", "cơ quan không có nhãn nào trong {tags}"),
    ("its level is '{level}', the rule selects level '{wanted}'",
     "cơ quan ở cấp '{level}', quy tắc chọn cấp '{wanted}'"),
    ("the rule names the units of a body, but no single body stands before it",
     "quy tắc chỉ các đơn vị của một cơ quan, nhưng ngay trước đó không có đúng một cơ quan"),
    ("the rule names the units of a body, but no single body stands after it",
     "quy tắc chỉ các đơn vị của một cơ quan, nhưng ngay sau đó không có đúng một cơ quan"),
    ("the rule names an area, but no single People's Committee's area stands after it",
     "quy tắc chỉ một địa bàn, nhưng ngay sau đó không có đúng một địa bàn của một Ủy ban nhân "
     "dân"),
    ("the rule is relative to the sender, and the sender is not known (pass --sender)",
     "quy tắc tùy thuộc cơ quan gửi, mà chưa biết cơ quan gửi là ai"),
    ("it lies outside the area of {a}", "cơ quan này nằm ngoài địa bàn của {a}"),
    ("it is not a unit under {a}", "cơ quan này không phải đơn vị thuộc {a}"),
    ("it lies outside the rule's scope '{scope}' for this sender",
     "cơ quan nằm ngoài phạm vi '{scope}' của quy tắc đối với cơ quan gửi này"),
    ("it is the sender itself", "đó chính là cơ quan gửi"),
    ("it ended on {end:day}, before the document's date {on:day}",
     "cơ quan đã thôi hoạt động từ ngày {end}, trước ngày của văn bản {on}"),
    ("it exists only from {start:day}, after the document's date {on:day}",
     "cơ quan chỉ có từ ngày {start}, sau ngày của văn bản {on}"),
    # rules.lines: what one part of a line names.
    ("no agency named '{q}' in directory '{d}'",
     "không có cơ quan nào tên '{q}' trong danh bạ '{d}'"),
    ("did you mean {names:or}?", "có phải là {names}?"),
    ("'{q}' is ambiguous: it names {n} agencies: {names}",
     "'{q}' chưa rõ là cơ quan nào: khớp {n} cơ quan: {names}"),
    ("'{q}' is ambiguous: it names {n} agencies", "'{q}' chưa rõ là cơ quan nào: khớp {n} cơ quan"),
    ("write which one", "hãy ghi rõ cơ quan nào"),
    ("'{q}' is not split at 'và', because not every part of it names a body of directory "
     "'{d}' on its own",
     "'{q}' không được tách ở chữ 'và', vì không phải phần nào cũng tự là tên một cơ quan "
     "trong danh bạ '{d}'"),
    ("'{q}' names {a}, the People's Committee of the sender's territory",
     "'{q}' là {a}, Ủy ban nhân dân của địa bàn cơ quan gửi"),
    ("'{q}' names {a}, which ended on {end:day} and has no successor in the directory on "
     "{on:day}",
     "'{q}' là {a}, đã thôi hoạt động từ ngày {end} và danh bạ không có cơ quan kế thừa vào "
     "ngày {on}"),
    ("'{q}' names {a}, which ended on {end:day}", "'{q}' là {a}, đã thôi hoạt động từ ngày {end}"),
    ("its successor on {on:day} is {path}: the sender itself",
     "cơ quan kế thừa vào ngày {on} là {path}: chính cơ quan gửi"),
    ("its successor on {on:day} is {path}", "cơ quan kế thừa vào ngày {on} là {path}"),
    ("'{q}' names {a}, which exists only from {start:day}",
     "'{q}' là {a}, chỉ có từ ngày {start}"),
    ("'{q}' names an agency, which exists not on that date",
     "'{q}' là một cơ quan không tồn tại vào ngày đó"),
    ("'{q}' names {a}, which exists not on that date",
     "'{q}' là {a}, không tồn tại vào ngày đó"),
    ("the document is dated {on:day}", "văn bản đề ngày {on}"),
    ("'{q}' names {a}", "'{q}' là {a}"),
    ("'{q}': the sender's own leaders ({a})", "'{q}': lãnh đạo của chính cơ quan gửi ({a})"),
    ("'{q}': the sender's own leaders", "'{q}': lãnh đạo của chính cơ quan gửi"),
    ("'{q}': the sender itself ({a})", "'{q}': chính cơ quan gửi ({a})"),
    ("internal, not a delivery", "việc nội bộ, không chuyển đi"),
    ("'{q}': no People's Committee of that level above the sender {a} in the directory",
     "'{q}': danh bạ không có Ủy ban nhân dân cấp đó bên trên cơ quan gửi {a}"),
    ("'{q}': the sender ({a}) is not a body of that kind, so whose units are meant is not "
     "clear",
     "'{q}': cơ quan gửi ({a}) không phải loại cơ quan đó, nên chưa rõ là các đơn vị của cơ "
     "quan nào"),
    ("'{q}': the sender ({a}) is not a body of that kind, so whose leaders are meant is not "
     "clear",
     "'{q}': cơ quan gửi ({a}) không phải loại cơ quan đó, nên chưa rõ là lãnh đạo của cơ quan "
     "nào"),
    ("archive copy (Lưu: the registry and the drafting unit): never a delivery",
     "bản lưu (Lưu: văn thư và đơn vị soạn thảo): không bao giờ chuyển đi"),
    ("'{q}' read by rule '{r}': {what:rule} ({a})",
     "'{q}' đọc theo quy tắc '{r}': {what} ({a})"),
    ("'{q}' read by rule '{r}': {what:rule}", "'{q}' đọc theo quy tắc '{r}': {what}"),
    ("'{q}' read by rule '{r}'", "'{q}' đọc theo quy tắc '{r}'"),
    ("'Như trên': the Kính gửi lines {lines} named no agency",
     "'Như trên': các dòng Kính gửi {lines} không nêu cơ quan nào"),
    ("'Như trên': the addressees of Kính gửi (lines {lines})",
     "'Như trên': các cơ quan ở phần Kính gửi (dòng {lines})"),
    ("'Như trên' refers to Kính gửi, and the document has no Kính gửi block",
     "'Như trên' chỉ tới phần Kính gửi, nhưng văn bản không có phần Kính gửi"),
    ("'{q}': the text has no {where} to read the bodies from",
     "'{q}': văn bản không có {where} để biết các cơ quan"),
    ("'{q}': {where} names no agency of the directory",
     "'{q}': {where} không nêu cơ quan nào có trong danh bạ"),
    ("'{q}': the bodies named in {where}", "'{q}': các cơ quan nêu tại {where}"),
    ("the document was issued in '{place}', outside the directory '{d}' ({province}): use "
     "that province's directory or pass --sender",
     "văn bản ban hành tại '{place}', ngoài danh bạ '{d}' ({province}): hãy dùng danh bạ của "
     "tỉnh đó hoặc ghi rõ cơ quan gửi"),
    # rules.selection: why a category chose nobody (after the words of the line).
    ("'{q}' has no members on {on:day}: the last of them ended on {end:day}",
     "'{q}' không còn cơ quan nào vào ngày {on}: cơ quan cuối cùng thôi hoạt động từ ngày {end}"),
    ("'{q}' has no members on {on:day}: the first of them begins on {start:day}",
     "'{q}' chưa có cơ quan nào vào ngày {on}: cơ quan đầu tiên có từ ngày {start}"),
    ("'{q}' has no members in the directory on {on:day}",
     "'{q}' không có cơ quan nào trong danh bạ vào ngày {on}"),
    ("'{q}' names the units of a body, but no single body stands before it",
     "'{q}' chỉ các đơn vị của một cơ quan, nhưng ngay trước đó không có đúng một cơ quan"),
    ("'{q}' names the units of a body, but no single body stands after it",
     "'{q}' chỉ các đơn vị của một cơ quan, nhưng ngay sau đó không có đúng một cơ quan"),
    ("'{q}' names an area, but no single People's Committee's area stands after it",
     "'{q}' chỉ một địa bàn, nhưng ngay sau đó không có đúng một địa bàn của một Ủy ban nhân "
     "dân"),
    ("'{q}' is relative to the sender, and the sender is not known (pass --sender)",
     "'{q}' tùy thuộc cơ quan gửi, mà chưa biết cơ quan gửi là ai"),
    ("'{q}' {what:rule}", "'{q}' {what}"),
    # rules.expansion: a line with nothing read, and text the reader could not place.
    ("nothing on this line names a recipient", "dòng này không nêu nơi nhận nào"),
    ("text in the {block} block that docroute could not read as a recipient: check whether "
     "it names one",
     "nội dung trong phần {block} mà docroute không đọc được thành nơi nhận: hãy xem nội dung "
     "này có nêu cơ quan nào không"),
    # router: an edXML packet's receivers, bodies abolished before the sending day, and the
    # clerk's decisions.
    ("named in the packet's To ({who})", "có tên trong phần nơi nhận (To) của gói tin ({who})"),
    ("successor of {id}: {a} ended on {end:day}, before the sending day {day:day}",
     "kế thừa {id}: {a} đã thôi hoạt động từ ngày {end}, trước ngày gửi {day}"),
    ("{a} ended on {end:day}, before the sending day {day:day}, and no successor exists that "
     "day: not sent",
     "{a} đã thôi hoạt động từ ngày {end}, trước ngày gửi {day}, và ngày đó không có cơ quan "
     "kế thừa: không gửi"),
    ("the clerk decides who receives it", "văn thư quyết định cơ quan nào nhận"),
    ("resolved by {who:who}: '{q}' means {a}", "{who} đã xác định: '{q}' là {a}"),
    ("marked not a recipient by {who:who}: no reason given",
     "{who} đánh dấu không phải nơi nhận: không ghi lý do"),
    ("marked not a recipient by {who:who}: {why}", "{who} đánh dấu không phải nơi nhận: {why}"),
    # consumers, foundation, audit: what became of a delivery (its failure, its history).
    ("planned by rules {v} as of {on:day}",
     "lập kế hoạch theo bộ quy tắc {v}, tính theo ngày {on}"),
    ("webhook answered HTTP {status}", "đã chuyển qua webhook (HTTP {status})"),
    ("webhook refused with HTTP {status} | the agency's server answered: {why}",
     "webhook bị từ chối (HTTP {status}) | máy chủ của cơ quan trả lời: {why}"),
    ("webhook refused with HTTP {status} | (the agency's answer is kept for auditors)",
     "webhook bị từ chối (HTTP {status}) | (câu trả lời của cơ quan được lưu cho thanh tra)"),
    ("webhook refused with HTTP {status}", "webhook bị từ chối (HTTP {status})"),
    ("webhook redirected to {url}", "webhook bị chuyển hướng tới {url}"),
    ("set that URL as the channel", "hãy đặt địa chỉ đó làm kênh nhận của cơ quan"),
    ("webhook not sent: {error}", "chưa gửi webhook: {error}"),
    ("the agency's webhook channel has no URL", "kênh webhook của cơ quan chưa có địa chỉ"),
    ("webhook failed 1 attempt: {error}", "gửi webhook không được sau 1 lần thử: {error}"),
    ("webhook failed {n} attempts: {error}", "gửi webhook không được sau {n} lần thử: {error}"),
    ("e-mail failed {n} attempts: {error}",
     "gửi thư điện tử không được sau {n} lần thử: {error}"),
    ("the agency's e-mail channel has no address", "kênh thư điện tử của cơ quan chưa có địa chỉ"),
    ("the mail server refused {target}: {why}", "máy chủ thư từ chối {target}: {why}"),
    ("the mail server answered {code}: {why}", "máy chủ thư trả lời {code}: {why}"),
    ("mailed to {target}", "đã gửi thư tới {target}"),
    ("available in the agency's inbox", "đã có trong hộp thư của cơ quan trên docroute"),
    ("edXML POST to {target} refused with HTTP {status}: {why}",
     "gói edXML gửi tới {target} bị từ chối (HTTP {status}): {why}"),
    ("edXML POST to {target} failed: {error}", "gửi gói edXML tới {target} không được: {error}"),
    ("the {kind} channel raised an unexpected error: {error}",
     "kênh {kind} gặp lỗi ngoài dự kiến: {error}"),
    ("no channel {kind} in this worker", "tiến trình gửi này không có kênh {kind}"),
    ("gave up after {n} rounds of attempts", "đã dừng sau {n} đợt thử"),
    ("next round at {at:time}", "đợt thử tiếp theo lúc {at}"),
    ("a re-send under the same Idempotency-Key ({why})",
     "có thể là bản gửi lại với cùng Idempotency-Key ({why})"),
    ("retry requested", "đã yêu cầu gửi lại"),
    ("the document was updated", "văn bản đã được cập nhật"),
    ("backfill of replay {id} (rules {v})", "gửi bù theo lần chạy lại {id} (bộ quy tắc {v})"),
    ("added by an update ({who})", "được thêm khi cập nhật văn bản ({who})"),
    ("the document records no snapshot (routed before snapshots were kept, or not routed "
     "yet): answered with today's data",
     "văn bản không ghi dữ liệu đã dùng khi chuyển (chuyển trước khi lưu dữ liệu, hoặc chưa "
     "chuyển): trả lời theo dữ liệu hôm nay"),
)

# Bracketed remarks at the end of a piece: "<piece> (<remark>)".
TAILS: tuple[tuple[str, str], ...] = (
    ("addressed to its leadership", "gửi lãnh đạo cơ quan"),
    ("corrected: diacritics restored in '{q}'", "đã sửa: thêm dấu cho '{q}'"),
    ("corrected: a missing or extra space in '{q}'",
     "đã sửa: thiếu hoặc thừa dấu cách trong '{q}'"),
    ("corrected: a doubled letter in '{q}'", "đã sửa: chữ cái gõ lặp trong '{q}'"),
    ("the unit addressed in brackets after '{q}'", "đơn vị ghi trong ngoặc sau '{q}'"),
    ("before the bracketed '{q}'", "trước phần trong ngoặc '{q}'"),
    ("included because policy flag '{f}' is on", "có vì cờ chính sách '{f}' đang bật"),
    ("successor: {id}", "cơ quan kế thừa: {id}"),
    ("{what:rule}", "{what}"),
)


# Longer reasons are shown as written: every run of pieces may be tried, and a pathological
# line (a thousand names on one line) would cost more than the page is worth.
MAX_CHARS = 4000
MAX_PIECES = 40


def _day(text: str) -> str | None:
    try:
        return vn_date(text)
    except ValueError:
        return None


def _time(text: str) -> str | None:
    try:
        return vn_time(text)
    except ValueError:
        return None


def _or(text: str) -> str:
    return text.replace(" or ", " hoặc ")


_CONDITION = re.compile(r"\(only while policy flag '([^']*)' is on; (on|off)\)")


def _categories(text: str) -> str:
    """An agency's categories (`rules.explain.memberships`): rule ids, some with the policy
    flag they depend on."""
    return _CONDITION.sub(
        lambda m: f"(chỉ khi bật cờ chính sách '{m[1]}'; cờ đang "
                  f"{'bật' if m[2] == 'on' else 'tắt'})", text)


def _key(text: str) -> str:
    """A rule set's text as reasons quote it: spaces folded, no final full stop."""
    return " ".join(text.split()).rstrip(".")


# What a placeholder may stand for. Most hold no "; ": a piece of a line's reason ends there.
# Neither a quoted text nor a body's name holds a quote, so "'{q}' names {a}" cannot swallow
# the next piece. A clerk's words (`why`), a quoted reason (`say`) and a rule set's text
# (`rule`: "Provincial departments and boards; ĐVSN ...") may hold anything.
_ANY = r"(?:(?!; ).)+?"
_PLACES = {"q": r"[^']*?", "a": r"(?:(?!; )[^'])+?", "why": r".+?", "say": r".+?", "rule": r".+?",
           "categories": r".+?"}


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    conversions: dict[str, str]
    vietnamese: str


@functools.cache
def _compiled(pairs: tuple[tuple[str, str], ...]) -> tuple[_Template, ...]:
    out = []
    for english, vietnamese in pairs:
        conversions: dict[str, str] = {}
        regex = []
        for literal, name, kind in re.findall(r"([^{]*)(?:\{(\w+)(?::(\w+))?\})?", english):
            regex.append(re.escape(literal))
            if name:
                regex.append(f"(?P<{name}>{_PLACES.get(name) or _PLACES.get(kind) or _ANY})")
                conversions[name] = kind
        out.append(_Template(re.compile("".join(regex)), conversions, vietnamese))
    return tuple(out)


@dataclass
class Wording:
    """Says the engine's reasons in Vietnamese, with the rule texts of these rule sets."""

    rulesets: Iterable[RuleSet] = ()
    rule_texts: dict[str, str] = field(init=False)
    # What each reason was said as: a page repeats the same reasons (one per recipient).
    _said: dict[str, str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.rule_texts = {}
        for ruleset in self.rulesets:
            for rule in ruleset.rules:
                for english, vietnamese in ((rule.description, rule.description_vi),
                                            (rule.when_empty, rule.when_empty_vi)):
                    if english and vietnamese:
                        self.rule_texts[_key(english)] = _key(vietnamese)

    def say(self, text: str | None) -> str:
        """The reason in Vietnamese; as written when no sentence reads it."""
        if not text:
            return text or ""
        said = self.said(text)
        return text if said is None else said

    def said(self, text: str) -> str | None:
        """The reason in Vietnamese, or None when some piece of it is read by no sentence."""
        if text not in self._said:
            self._said[text] = self._sentence(text)
        return self._said[text]

    def _sentence(self, text: str) -> str | None:
        stop = "." if text.endswith(".") else ""
        pieces = text[: len(text) - len(stop)].split("; ")
        if len(text) > MAX_CHARS or len(pieces) > MAX_PIECES:
            return None  # a pathological line: shown as written, rather than slowly
        # best[i]: the first i pieces said, when they can be. A piece may itself hold "; " (a
        # quoted reason, a clerk's words), so longer runs of pieces are tried too, after the
        # shorter ones: a sentence with a catch-all end would read a whole line otherwise.
        best: list[list[str] | None] = [[]] + [None] * len(pieces)
        for end in range(1, len(pieces) + 1):
            for start in reversed(range(end)):
                before = best[start]
                if before is None:
                    continue
                said = self._piece("; ".join(pieces[start:end]))
                if said is not None:
                    best[end] = [*before, said]
                    break
        done = best[-1]
        return None if done is None else "; ".join(done) + stop

    def _piece(self, text: str) -> str | None:
        # "<piece> (<remark>)" first: a sentence ending in a body's name would take the
        # remark for a part of the name.
        if text.endswith(")"):
            for at in (m.start() for m in re.finditer(r" \(", text)):
                remark = self._fill(TAILS, text[at + 2:-1])
                if remark is not None:
                    head = self._piece(text[:at])
                    if head is not None:
                        return f"{head} ({remark})"
        return self._fill(SENTENCES, text)

    def _fill(self, pairs: tuple[tuple[str, str], ...], text: str) -> str | None:
        for template in _compiled(pairs):
            found = template.pattern.fullmatch(text)
            if found is None:
                continue
            values = {name: self._convert(kind, value)
                      for name, value in found.groupdict().items()
                      for kind in (template.conversions[name],)}
            if all(v is not None for v in values.values()):
                return template.vietnamese.format(**values)
        return None

    def _convert(self, kind: str, value: str) -> str | None:
        converters: dict[str, Callable[[str], str | None]] = {
            "": lambda v: v, "day": _day, "or": _or,
            "time": _time, "rule": lambda v: self.rule_texts.get(_key(v)), "say": self.said,
            "who": lambda v: "văn thư" if v == "the clerk" else v,
            "categories": _categories,
        }
        return converters[kind](value)
