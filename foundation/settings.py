"""The service's settings, read once from `DOCROUTE_*` environment variables and the config
file (`config_file()`)."""

from __future__ import annotations

import math
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, NonNegativeFloat, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from foundation.broker import DELIVERIES_PER_MESSAGE

# RabbitMQ closes a consumer's channel when it holds a message unacked this long (default).
CONSUMER_TIMEOUT_SECONDS = 30 * 60


class Settings(BaseSettings):
    """Where the service keeps its data, which broker it uses, and how it talks to agencies.

    The defaults run everything embedded: a SQLite file and an in-process queue.
    """

    model_config = SettingsConfigDict(env_prefix="DOCROUTE_", extra="ignore")

    # One place wherever a command is started from (not a folder of the current directory):
    # the user's data directory, unless the environment or the config file says otherwise.
    database_url: str = Field(default_factory=lambda: default_database_url())
    # Unset means the in-process queue; set it to run on RabbitMQ.
    amqp_url: str | None = None
    # Every queue and exchange name starts with this, so test runs never share queues.
    queue_prefix: str = "docroute"

    host: str = "127.0.0.1"
    port: int = 8000
    # Base of the confirm links put in e-mails.
    public_url: str = "http://127.0.0.1:8000"
    # Key of the HMAC that signs webhook bodies and confirm links. Required unless
    # `development` is on (then a random one is kept in var/signing-secret): a default
    # known to everyone would let anyone forge a confirm link.
    signing_secret: SecretStr | None = None
    # A local trial (`make run` sets it with `docroute serve --development`).
    development: bool = False
    # Webhook URLs on loopback, link-local or private addresses are refused unless this is on
    # (foundation.addresses): for test rigs and closed networks.
    allow_private_webhooks: bool = False
    # How long an e-mail's confirm link stays valid.
    confirm_link_days: float = 30.0

    max_upload_bytes: int = 10 * 1024 * 1024
    # edXML: this deployment's mã định danh on the hub (its TraceHeader), and the hub it polls
    # (see docroute/hub.py); unset, packets name the sending agency and no hub is polled.
    edxml_system_id: str | None = None
    hub_url: str | None = None
    hub_system_id: str | None = None
    hub_secret: str | None = None
    hub_poll_seconds: float = 60.0
    # How often edXML packets for agencies' own systems (an `edxml URL` channel: statuses to a
    # sender, recall requests, updates) are POSTed (consumers/edxml_outbound.py); 0: never.
    edxml_outbox_seconds: float = 5.0
    # How often the scorecard's pending changes are folded into its daily totals
    # (foundation/scorecard_days.py); the scorecard is exact whenever it is read, folding only
    # keeps `scorecard_change` short.
    scorecard_fold_seconds: float = 30.0
    # What reading one upload may cost (docroute.extraction): uncompressed size of a .docx,
    # pages of a PDF, seconds, and the memory of the worker process that reads it.
    upload_max_uncompressed_bytes: int = 50 * 1024 * 1024
    upload_max_pages: int = 500
    upload_seconds: float = 20.0
    upload_memory_bytes: int = 1024 * 1024 * 1024
    # RabbitMQ 3.10 quorum queues have no default limit: a poison message would loop forever.
    delivery_limit: int = 5
    prefetch: int = 200
    batch_size: int = 100
    consumer_tasks: int = 4
    # The deliveries queue carries up to 50 deliveries per message (foundation.broker), so its
    # consumers hold few messages: 8 × 50 = 400 deliveries per worker. Even if all of them
    # go to one host that trickles its answers (a round of 3 attempts, each cut at its 20 s
    # deadline, 16 at a time, plus the backoff; by webhook or e-mail alike) they are settled
    # in about 25 minutes, inside RabbitMQ's 30-minute consumer timeout;
    # settings that could not promise that are refused (`_settled_within_consumer_timeout`).
    delivery_prefetch: int = 8
    # Messages per batch: a batch takes those already waiting, up to this many, so the
    # default takes every message the worker holds. The bound above counts every held
    # delivery whatever the batches, so this may be as large as the prefetch; larger batches
    # cost fewer queries and round trips per delivery (2 per batch were a third of
    # PostgreSQL's CPU per delivery, by bench/pipeline.py).
    delivery_batch: int = 8
    publish_timeout: float = 10.0
    relay_batch: int = 500
    relay_idle_seconds: float = 0.05

    # Seconds to connect, per attempt (the e-mail channel's socket reads too); each
    # attempt, webhook or e-mail, ends at twice this whatever the server does.
    webhook_timeout: float = 10.0
    # Webhook requests in flight per delivery worker: the size of the webhook channel's
    # aiohttp connection pool; further sends wait in the connector's queue. (aiohttp rather
    # than httpx: httpcore's pool took about half a worker's CPU, by bench/pipeline.py.)
    webhook_concurrency: int = 16
    # One round of attempts, within seconds (the e-mail channel's too).
    webhook_attempts: int = 3
    webhook_backoff_seconds: float = 0.5
    # After a round ends in a transient fault (host down, 5xx, timeout) the delivery waits
    # in the database, not in a held message, this long before each later round; when the
    # schedule runs out it fails. Default: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h (~10.3 h).
    retry_schedule_seconds: list[NonNegativeFloat] = [60, 300, 900, 3600, 10800, 21600]
    # How often the relaying process looks for deliveries whose next round is due.
    retry_poll_seconds: float = 5.0
    # The recovery sweep (foundation.recovery), run by every relaying process: every this
    # many seconds, it queues again documents accepted but not routed, and deliveries planned
    # but not settled, that have waited longer than `sweep_after_seconds`.
    sweep_every_seconds: float = 30.0
    sweep_after_seconds: float = 300.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "docroute@localhost"

    # Sent outbox rows and processed-message ids are deleted after this many days.
    retention_days: float = 7.0

    # A province's own directory (file or folder) and rule set; unset: the shipped ones.
    directory_path: Path | None = None
    rules_path: Path | None = None

    # The web interface: this many failed sign-ins in a row lock an account for
    # `login_lockout_minutes`; a session lasts `session_hours`. Session cookies are Secure
    # when the request came over HTTPS (directly or as X-Forwarded-Proto from a trusted
    # proxy); `secure_cookies=true` makes them Secure always.
    login_attempts: int = 5
    login_lockout_minutes: float = 15.0
    session_hours: float = 12.0
    secure_cookies: bool = False

    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    # Fault tests only: the name of a crash point where the process SIGKILLs itself.
    crash_at: str | None = None

    @model_validator(mode="after")
    def _settled_within_consumer_timeout(self) -> Settings:
        # Only RabbitMQ takes messages back; the in-process queue waits as long as it takes.
        worst = self.worst_case_hold_seconds()
        if self.amqp_url and worst > 0.9 * CONSUMER_TIMEOUT_SECONDS:
            raise ValueError(
                f"a delivery worker could hold a message {worst / 60:.0f} minutes when an "
                "agency's host is down, past RabbitMQ's 30-minute consumer timeout: lower "
                "DOCROUTE_DELIVERY_PREFETCH, DOCROUTE_WEBHOOK_ATTEMPTS or "
                "DOCROUTE_WEBHOOK_TIMEOUT, or raise DOCROUTE_WEBHOOK_CONCURRENCY"
            )
        return self

    def worst_case_hold_seconds(self) -> float:
        """How long a worker may hold its last message if every delivery it holds goes to
        one host that answers a byte at a time: each takes every attempt's full deadline
        (twice `webhook_timeout`, for webhook and e-mail alike), `concurrency` at a time, and
        the backoff comes on top."""
        held = self.delivery_prefetch * DELIVERIES_PER_MESSAGE
        rounds = math.ceil(held / max(self.webhook_concurrency, 1))
        waits = range(self.webhook_attempts - 1)
        backoff = sum(min(self.webhook_backoff_seconds * (1 << n), 30.0) for n in waits)
        return rounds * self.webhook_attempts * 2 * self.webhook_timeout + backoff

    def secret(self) -> str:
        """The signing secret; in development mode a local random one; else SettingsError."""
        if self.signing_secret is not None:
            value = self.signing_secret.get_secret_value()
            if self.development or (len(value) >= MIN_SECRET and value not in KNOWN_SECRETS):
                return value
            raise SettingsError(
                "DOCROUTE_SIGNING_SECRET", f"must be at least {MIN_SECRET} characters and "
                "not a published default; generate one, e.g. `python3 -c \"import secrets; "
                "print(secrets.token_urlsafe(32))\"`")
        if self.development:
            return local_secret(LOCAL_SECRET)
        raise SettingsError(
            "DOCROUTE_SIGNING_SECRET", "is not set: outside development mode docroute needs "
            "its own secret to sign webhooks and confirm links (for a local trial use "
            "`docroute serve --development`, as `make run` does)")

    @property
    def embedded_queue(self) -> bool:
        """True when no broker URL is set and the in-process queue is used."""
        return not self.amqp_url

    @property
    def on_postgres(self) -> bool:
        """True when the database is PostgreSQL (row locks with SKIP LOCKED are available)."""
        return self.database_url.startswith("postgresql")


MIN_SECRET = 16
# Secrets that shipped in docroute's files at some point: refused outside development.
KNOWN_SECRETS = frozenset({"docroute-development-secret", "change-me-in-production"})
LOCAL_SECRET = Path("var/signing-secret")


class SettingsError(ValueError):
    """A setting that cannot work; names the environment variable to change."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def local_secret(path: Path) -> str:
    """The development secret kept in `path` (created once, readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def _xdg(variable: str, fallback: str) -> Path:
    return Path(os.environ.get(variable) or Path.home() / fallback)


def default_database_url() -> str:
    """The embedded database: `$XDG_DATA_HOME/docroute/docroute.sqlite3` (that is,
    `~/.local/share/docroute/docroute.sqlite3`), the same file for the CLI and the service."""
    path = _xdg("XDG_DATA_HOME", ".local/share") / "docroute" / "docroute.sqlite3"
    return f"sqlite+aiosqlite:///{path}"


def config_file() -> Path:
    """`DOCROUTE_CONFIG`, else `$XDG_CONFIG_HOME/docroute/docroute.env`: `DOCROUTE_*=...`
    lines read when present (the environment wins over the file)."""
    named = os.environ.get("DOCROUTE_CONFIG")
    if named:
        return Path(named)
    return _xdg("XDG_CONFIG_HOME", ".config") / "docroute" / "docroute.env"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment and the config file on first
    use."""
    return Settings(_env_file=config_file(), _env_file_encoding="utf-8")  # type: ignore[call-arg]
