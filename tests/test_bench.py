"""The benchmarks run as modules of the `bench` package, with no sys.path edits of their own,
and the pipeline bench finishes or fails with a message: it never hangs."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pipeline import Sink, StalledError, _wait_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["expand", "audit", "pipeline", "replay", "webhook_post",
                                  "stages"])
def test_a_benchmark_imports_the_project_when_run_as_a_module(name: str) -> None:
    # `--help` parses after every import: bench.audit must not shadow the audit package.
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
    assert "sys.path" not in (ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8")


def _last_line(bench: str, *args: str) -> str:
    """Run `python -m bench.<bench> args` to its end (it must succeed): its last line."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{bench}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=170, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_pipeline_bench_runs_a_tiny_round_to_its_figures() -> None:
    # PostgreSQL and RabbitMQ, workers, the floor's client: every delivery the bench waits for
    # is one the router plans (a province merged since the document's date counts once).
    last = _last_line("pipeline", "--documents", "1", "--recipients", "8", "--rounds", "1",
                      "--stall-seconds", "20")
    assert last.startswith("pipeline: CPU per delivery "), last
    assert "plain POST" in last and "ratio" in last


def test_the_webhook_post_bench_sends_every_way_and_prints_its_line() -> None:
    # Its sink is a child process: every POST of every way is answered (the channel's are
    # asserted delivered inside the bench), and the last line is the one tools read.
    last = _last_line("webhook_post", "--posts", "50", "--rounds", "1")
    assert re.fullmatch(r"webhook_post: plain [\d.]+ us, channel [\d.]+ us \([\d.]+x plain\), "
                        r"signing [\d.]+ us per POST \(50 posts, median of 1 rounds\)", last), last


def test_the_stages_bench_routes_what_it_submitted_and_prints_its_line() -> None:
    # PostgreSQL and RabbitMQ: it ends only once the router has routed every document the
    # API took and the worker has delivered every delivery the router planned (it fails
    # after a minute without progress otherwise).
    last = _last_line("stages", "--documents", "2", "--recipients", "8")
    assert re.fullmatch(r"stages: api [\d.]+ ms, router [\d.]+ ms, read [\d.]+ ms, "
                        r"read\+expand [\d.]+ ms per document of 8 recipients; "
                        r"delivery [\d.]+ us, plain POST [\d.]+ us per delivery", last), last


def test_waiting_for_deliveries_that_never_come_fails_naming_them() -> None:
    sink = Sink()
    with pytest.raises(StalledError, match=r"waiting for 3 deliveries: 0 of 3 .* none in the last"):
        asyncio.run(_wait_for(sink, 3, "3 deliveries", [], stall=0.05))


def test_waiting_fails_when_a_worker_has_exited() -> None:
    worker = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    worker.wait(timeout=60)
    with pytest.raises(StalledError, match="exited with status 3"):
        asyncio.run(_wait_for(Sink(), 1, "1 delivery", [worker], stall=60))
