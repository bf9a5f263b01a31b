"""The benchmarks run as modules of the `bench` package, with no sys.path edits of their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["expand", "audit", "pipeline", "replay"])
def test_a_benchmark_imports_the_project_when_run_as_a_module(name: str) -> None:
    # `--help` parses after every import: bench.audit must not shadow the audit package.
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
    assert "sys.path" not in (ROOT / "bench" / f"{name}.py").read_text(encoding="utf-8")
