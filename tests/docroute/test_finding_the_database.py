"""The CLI and the service find the same database wherever they are started from: the config
file (or the environment), else the user's data directory, never the current folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import free_port

DOCROUTE = str(Path(sys.executable).with_name("docroute"))
ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "XDG_"))}
    # A configured secret: outside development mode `serve` refuses to start without one.
    return {**base, "HOME": str(home), "DOCROUTE_LOG_FORMAT": "json",
            "DOCROUTE_SIGNING_SECRET": "a-test-secret-of-enough-length", **extra}


def _serve(env: dict[str, str], cwd: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """`docroute serve` started in `cwd`, and the line it prints once listening."""
    server = subprocess.Popen(
        [DOCROUTE, "serve", "--port", str(port)], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("docroute listening on"):
            return server, line.strip()
    server.kill()
    raise AssertionError("docroute serve exited before listening")


def _stop(server: subprocess.Popen[str]) -> None:
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0


def test_serve_and_cli_share_the_default_database_from_any_folder(tmp_path: Path) -> None:
    """No configuration: both use ~/.local/share/docroute; a token issued by the CLI in one
    folder opens the API of a service started in another, which says where it listens."""
    home, here, there = tmp_path / "home", tmp_path / "a", tmp_path / "b"
    for folder in (home, here, there):
        folder.mkdir()
    env, port = _env(home), free_port()
    server, said = _serve(env, here, port)
    try:
        database = home / ".local" / "share" / "docroute" / "docroute.sqlite3"
        assert said == (f"docroute listening on http://127.0.0.1:{port} "
                        f"(database: sqlite+aiosqlite:///{database}; in-process queue)")
        token = subprocess.run(
            [DOCROUTE, "tokens", "issue", "--role", "auditor"], cwd=there, env=env,
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout.strip().splitlines()[-1]
        answer = httpx.get(f"http://127.0.0.1:{port}/v1/audit/verify",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200, answer.text
    finally:
        _stop(server)
    assert not (here / "var").exists() and not (there / "var").exists()


def test_a_config_file_names_the_database_for_both(tmp_path: Path) -> None:
    """DOCROUTE_CONFIG names a file of DOCROUTE_* lines; serve and the CLI both read it."""
    config, database = tmp_path / "docroute.env", tmp_path / "shared.sqlite3"
    config.write_text(f"DOCROUTE_DATABASE_URL=sqlite+aiosqlite:///{database}\n", encoding="utf-8")
    env, port = _env(tmp_path, DOCROUTE_CONFIG=str(config)), free_port()
    server, said = _serve(env, tmp_path, port)
    try:
        assert f"database: sqlite+aiosqlite:///{database};" in said
    finally:
        _stop(server)
    assert database.exists()


def test_make_run_takes_a_port() -> None:
    """`make run PORT=8123` serves on that port (shown without running it: `make -n`)."""
    shown = subprocess.run(["make", "-n", "-C", str(ROOT), "run", "PORT=8123"],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    assert ".venv/bin/docroute serve --development --port 8123" in shown
