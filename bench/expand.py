"""Benchmark of the rules engine: parse+expand documents/s, and the directory's load time.

Run: .venv/bin/python -m bench.expand [--seconds 3]
Figures are per CPU-second of this process (see `rate`). Prints, beside each figure, a
baseline measured in the same run on the same machine:
- for documents/s, the floor cost of touching the text (NFC + splitting lines), so the
  figure can be read against what the machine does for free;
- for the directory, PyYAML's C loader alone on the same files (the floor of any YAML load).
Goals (issue 2): >= 1,000 seed documents/s on one core; the directory loaded in < 200 ms.
The layout corpus (issue 9): documents built from known items in every layout the reader
reads (tests/rules/layout_gen.py), read (header and blocks) per CPU-second, so that robustness
does not cost speed unnoticed.
Issue 13: the national data (the centre, 63 former and 34 current provinces) loaded and the
home province's directory indexed in < 1 s, first from YAML (empty cache), then from the
JSON cache of the unit tables; expansions use the home directory of the national data.
Issue 11: pathological recipient lines of 100 KB (one category over and over, a category of
many bodies, a name list with commas): CPU time and peak memory (tracemalloc) of read +
expand + the stored JSON, beside a normal document (seed 004) measured the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from pathlib import Path

import orjson
import yaml

from rules import (
    Directory,
    RuleSet,
    default_ruleset,
    expand,
    load_directory,
    load_national,
    read_document,
)
from rules.defaults import DATA, DEFAULT_DIRECTORY, HOME
from rules.provinces import place_index

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
BROADCAST = """Số: 1/TB-UBND
Khánh Hòa, ngày {day} tháng {month} năm {year}
THÔNG BÁO
Về việc thử nghiệm
Nội dung thông báo.
Nơi nhận:
- Các sở, ban, ngành (VBĐT);
- UBND các xã, phường, thị trấn (VBĐT);
- Lưu: VT.
"""


def layout_corpus(count: int = 300) -> list[str]:
    """`count` documents in layouts drawn at random (fixed seed) from the test generator's."""
    from tests.rules import layout_gen as gen

    pick = random.Random(9)
    docs = []
    for _ in range(count):
        items = pick.sample(gen.NOI_NHAN_ITEMS, pick.randint(2, 10))
        shape = gen.Layout(
            bullet=pick.choice(gen.BULLETS) or "-",
            separator=pick.choice(gen.SEPARATORS),
            last_end=".",
            terminated=True,
            wraps=tuple(pick.choice((0, 0, 2)) for _ in items),
            indent="",
            alone=tuple(pick.random() < 0.1 for _ in items),
            one_line=False,
            heading=pick.choice(gen.HEADINGS["noi_nhan"]),
            first_on_heading=False,
        )
        head = ["UBND TỈNH KHÁNH HÒA\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SỞ NỘI VỤ"]
        head += ["Số: 12/SNV-VP\tKhánh Hòa, ngày 3 tháng 4 năm 2024", "V/v thử nghiệm", ""]
        kinh_gui = ["Kính gửi:", "- Sở Tài chính;", "", "- Sở Y tế.", ""]
        body = [pick.choice(gen.BODIES), ""] * 3
        signature = ["", *pick.choice(gen.SIGNATURES), "", pick.choice(gen.NAMES)]
        lines = head + kinh_gui + body + gen.block_lines(items, shape) + signature
        docs.append("\n".join(lines))
    return docs


def rate(work: Callable[[], int], seconds: float) -> float:
    """Items per CPU-second of `work` (which returns how many items it did), over `seconds`.

    CPU time of this process, not wall time: on a shared 2-core machine another process
    steals wall time, not the CPU time this one actually spends."""
    done = 0
    start = time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        done += work()
    return done / elapsed


def best_ms(work: Callable[[], object], repeat: int = 7) -> float:
    """The best CPU time of `work` over `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times) * 1000


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    files = sorted(DEFAULT_DIRECTORY.glob("*.yaml"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    yaml_ms = best_ms(lambda: [yaml.load(f.read_text("utf-8"), Loader=loader) for f in files])
    load_ms = best_ms(lambda: load_directory(DEFAULT_DIRECTORY, check_links=False))
    rules = default_ruleset()
    directory = national_figures(rules)
    fresh = [load_directory(DEFAULT_DIRECTORY, check_links=False) for _ in range(7)]
    index_ms = best_ms(lambda: expand(read_document(""), fresh.pop(), rules))
    fresh.append(load_directory(DEFAULT_DIRECTORY, check_links=False))

    seeds = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    day = dt.date(2023, 3, 1)

    def touch() -> int:
        for text in seeds:
            unicodedata.normalize("NFC", text).splitlines()
        return len(seeds)

    def seed_docs() -> int:
        for text in seeds:
            expand(read_document(text), directory, rules, day, "kh.ubnd-tinh")
        return len(seeds)

    corpus = layout_corpus()

    def read_corpus() -> int:
        for text in corpus:
            read_document(text)
        return len(corpus)

    def expand_corpus() -> int:
        for text in corpus:
            expand(read_document(text), directory, rules, day, "kh.ubnd-tinh")
        return len(corpus)

    expand(read_document(seeds[0]), directory, rules, day)  # build the name index once
    floor = rate(touch, seconds)
    seed_rate = rate(seed_docs, seconds)
    read_rate = rate(read_corpus, seconds)
    corpus_rate = rate(expand_corpus, seconds)
    print(f"single-province folder {DEFAULT_DIRECTORY.name}: {len(fresh[0].agencies)} agencies"
          f" in {len(files)} files")
    print(f"  load+validate   {load_ms:8.1f} ms   (baseline: YAML C loader alone {yaml_ms:.1f} ms;"
          f" goal < 200 ms)")
    print(f"  name index      {index_ms:8.1f} ms   (built once per directory and rule set)")
    print(f"seeds ({len(seeds)} documents), parse+expand on one core:")
    print(f"  {seed_rate:10.0f} documents/s   (baseline NFC+split {floor:,.0f}/s;"
          f" ratio {seed_rate / floor:.4f}; goal >= 1,000/s)")
    print(f"layout corpus ({len(corpus)} documents, every layout of issue 9), on one core:")
    print(f"  {read_rate:10.0f} documents/s read (header and blocks)")
    print(f"  {corpus_rate:10.0f} documents/s read+expand")
    for year, month in ((2024, 5), (2026, 3)):
        text = BROADCAST.format(day=1, month=month, year=year)
        result = expand(read_document(text), directory, rules, sender="kh.ubnd-tinh")
        count = len(result.recipients)

        def broadcast(text: str = text) -> int:
            expand(read_document(text), directory, rules, sender="kh.ubnd-tinh")
            return 1

        docs = rate(broadcast, seconds)
        print(f"broadcast to every commune as of {year}-{month:02d} ({count} recipients):")
        print(f"  {docs:10.0f} documents/s = {docs * count:,.0f} recipients/s")
    pathological_figures(directory, rules, seeds[4] if len(seeds) > 4 else seeds[0])


# Lines that once cost hundreds of bytes per byte of input (issue 11: a 1.25 MB line of
# `Sở Sở ...` took 75 s and 9.3 GB).
PATHOLOGICAL = {"Sở Sở ...": "Sở ", "UBND các xã, ...": "UBND các xã, ",
                "Sở Y tế, ...": "Sở Y tế, "}


def pathological_text(unit: str, size: int) -> str:
    """A document whose Nơi nhận holds one line of `unit` repeated to `size` bytes."""
    line = unit * (size // len(unit.encode()))
    return ("Số: 1/UBND\nKhánh Hòa, ngày 1 tháng 3 năm 2026\nTHÔNG BÁO\nNội dung.\n"
            f"Nơi nhận:\n- {line};\n- Lưu: VT.\n")


def cost(text: str, directory: Directory, rules: RuleSet) -> tuple[float, int, int]:
    """CPU seconds and peak bytes of read + expand + JSON, and the JSON's size."""
    tracemalloc.start()
    start = time.process_time()
    expansion = expand(read_document(text), directory, rules, sender="kh.ubnd-tinh")
    size = len(orjson.dumps(expansion.to_json()))
    spent = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return spent, peak, size


def pathological_figures(directory: Directory, rules: RuleSet, normal: str) -> None:
    """Print the cost of 100 KB pathological lines beside a normal document's."""
    spent, peak, size = cost(normal, directory, rules)
    print("pathological recipient lines of 100 KB (read+expand+JSON, tracemalloc on):")
    print(f"  normal document ({len(normal.encode()):,} bytes): {spent * 1000:8.1f} ms,"
          f" peak {peak / 2**20:6.1f} MiB, JSON {size:,} bytes   (baseline)")
    for name, unit in PATHOLOGICAL.items():
        text = pathological_text(unit, 100_000)
        spent, peak, size = cost(text, directory, rules)
        print(f"  {name:<18} {spent * 1000:8.1f} ms, peak {peak / 2**20:6.1f} MiB"
              f" ({peak / len(text.encode()):.0f} bytes per input byte), JSON {size:,} bytes")


def national_figures(rules: RuleSet) -> Directory:
    """Print the national data's load figures; return the home province's directory."""
    units = sorted((DATA / "national" / "units").glob("*.yaml"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    yaml_ms = best_ms(lambda: [yaml.load(f.read_text("utf-8"), Loader=loader) for f in units], 3)
    with tempfile.TemporaryDirectory() as empty:
        os.environ["DOCROUTE_CACHE_DIR"] = empty
        cold_ms = best_ms(lambda: load_national(DATA, HOME), 1)  # the first run fills the cache
        warm_ms = best_ms(lambda: load_national(DATA, HOME), 5)

        def ready() -> Directory:
            national = load_national(DATA, HOME)
            home = national.directory(HOME)
            expand(read_document(""), home, rules)  # builds the name index
            place_index(national)
            return home

        ready_ms = best_ms(ready, 3)
        home = ready()
    del os.environ["DOCROUTE_CACHE_DIR"]
    national = load_national(DATA, HOME)
    total = sum(len(g) for g in national.groups.values()) + len(national.shared)
    print(f"national data: {total} entries ({len(national.provinces)} provinces, the centre)")
    print(f"  load, YAML      {cold_ms:8.1f} ms   (baseline: YAML C loader alone on the"
          f" {len(units)} unit tables {yaml_ms:.1f} ms)")
    print(f"  load, cached    {warm_ms:8.1f} ms   (unit tables from the JSON cache)")
    print(f"  ready to route  {ready_ms:8.1f} ms   (cached load + home directory {HOME} with its"
          f" name index + place index; goal < 1,000 ms)")
    print(f"  home directory: {len(home.agencies)} agencies")
    return home


if __name__ == "__main__":
    main()
