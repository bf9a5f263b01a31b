"""Benchmark of a rule-change replay (audit/replays.py) over routed documents on PostgreSQL.

Run: .venv/bin/python -m bench.replay [--documents 10000 50000]
For each size, a scratch database is filled with routed documents as the router stores them
(bench/routed.py: whole text, expansion, deliveries with reasons), then, each in a fresh
process so that its peak memory is its own:
- the replay of the shipped rules over every document (`audit.replays.replay`), timed;
- the baseline of the same run: the expand-only rate of the same documents (read and expand
  each as of its stored date, nothing else), the floor of any replay.
Peak is the replay process's peak resident memory (imports and rules included).
Goals (issue 16): replay at least half the expand-only rate, peak under 300 MiB at 50k.
The last line reads `replay: <n> documents, <x> documents/s, expand-only <y> documents/s,
ratio <x/y>, peak <m> MiB` (for the largest size measured).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

import rules
from audit.replays import replay
from bench.routed import create_database, drop_database, fill, templates
from foundation.database import create_engine, session_factory
from foundation.migrate import migrate

SINCE = dt.date(2000, 1, 1)  # every document


async def _replay(url: str) -> dict[str, Any]:
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    try:
        start = time.perf_counter()
        result = await replay(session_factory(engine), ruleset, directory, SINCE)
        elapsed = time.perf_counter() - start
    finally:
        await engine.dispose()
    return {"documents": result.documents_checked, "seconds": elapsed,
            "changed": len(result.changes)}


async def _expand_only(url: str) -> dict[str, Any]:
    """Read and expand every document as of its stored date: what any replay must do."""
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT text, sender, expansion::json->>'as_of' AS as_of FROM document")
    finally:
        await connection.close()
    rules.expand(rules.read_document(""), directory, ruleset)  # the name index, built once
    start = time.perf_counter()
    for row in rows:
        sender = row["sender"] if directory.get(row["sender"] or "") else None
        as_of = dt.date.fromisoformat(row["as_of"]) if row["as_of"] else None
        rules.expand(rules.read_document(row["text"]), directory, ruleset, as_of=as_of,
                     sender=sender)
    return {"documents": len(rows), "seconds": time.perf_counter() - start}


def _child(what: str, url: str) -> dict[str, Any]:
    """Run one measurement in a fresh process; its figures and its peak resident memory."""
    # As a module from the project's root: run as a file, bench/ would come first on the
    # path and its audit.py would shadow the audit package.
    out = subprocess.run([sys.executable, "-m", "bench.replay", "--child", what, url],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


async def _filled(documents: int) -> str:
    found = templates()
    url = await create_database()
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    await migrate(engine)
    await engine.dispose()
    # Exactly `documents` documents (the templates in turn), dated over a year.
    await fill(url, 0, documents, documents, len(found))
    return url


def measure(documents: int) -> dict[str, Any]:
    """Fill, replay, expand, drop."""
    url = asyncio.run(_filled(documents))
    try:
        replayed = _child("replay", url)
        expanded = _child("expand", url)
    finally:
        asyncio.run(drop_database(url))
    rate = replayed["documents"] / replayed["seconds"]
    floor = expanded["documents"] / expanded["seconds"]
    return {"documents": replayed["documents"], "rate": rate, "floor": floor,
            "ratio": rate / floor, "peak": replayed["peak_mib"],
            "expand_peak": expanded["peak_mib"], "changed": replayed["changed"]}


def _available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def main() -> None:
    """Measure each size in turn; skip a size whose projected peak would not fit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        what, url = options.child
        figures = asyncio.run(_replay(url) if what == "replay" else _expand_only(url))
        figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    results: list[dict[str, Any]] = []
    for size in sorted(options.documents):
        if results and (need := results[-1]["peak"] * size / results[-1]["documents"]) > \
                _available_mib() / 2:
            print(f"-- {size:,} documents skipped: the replay's memory grew to "
                  f"{results[-1]['peak']:.0f} MiB at {results[-1]['documents']:,} documents, "
                  f"so ~{need:,.0f} MiB here, more than half of this machine's free memory")
            continue
        f = measure(size)
        results.append(f)
        print(f"-- {f['documents']:,} routed documents ({f['changed']} changed by the replay)")
        print(f"replay        {f['rate']:8.0f} documents/s, peak {f['peak']:8.0f} MiB")
        print(f"expand-only   {f['floor']:8.0f} documents/s, peak {f['expand_peak']:8.0f} MiB"
              " (baseline, same documents, same run)")
        print(f"ratio {f['ratio']:.2f} (goal >= 0.5); peak goal < 300 MiB at 50,000")
    last = results[-1]
    print(f"replay: {last['documents']} documents, {last['rate']:.0f} documents/s, "
          f"expand-only {last['floor']:.0f} documents/s, ratio {last['ratio']:.2f}, "
          f"peak {last['peak']:.0f} MiB")


if __name__ == "__main__":
    main()
