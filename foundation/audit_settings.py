"""The audit's settings: working calendar, deadline allowances and the supervisor agency.

Read from a YAML file named by `DOCROUTE_AUDIT_FILE` (see docs/audit-settings.example.yaml);
without one, the defaults of `foundation.calendar` and `foundation.deadlines` apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict

from foundation.calendar import WorkingCalendar, calendar_from
from foundation.deadlines import DEFAULT_POLICY, DeadlinePolicy, policy_from


class AuditEnvironment(BaseSettings):
    """`DOCROUTE_AUDIT_*` variables."""

    model_config = SettingsConfigDict(env_prefix="DOCROUTE_AUDIT_", extra="ignore")

    file: Path | None = None
    # Escalations go here; unset, they go to the document's sender.
    supervisor: str | None = None
    remind_every_seconds: float = 60.0


@dataclass(frozen=True)
class AuditSettings:
    """Everything the deadlines and reminders need."""

    calendar: WorkingCalendar
    policy: DeadlinePolicy
    supervisor: str | None
    remind_every_seconds: float


def load_audit_settings(environment: AuditEnvironment | None = None) -> AuditSettings:
    """The settings from the environment and the file it names (errors name the file)."""
    env = environment or AuditEnvironment()
    data: dict[str, object] = {}
    if env.file is not None:
        try:
            loaded = yaml.safe_load(env.file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ValueError(f"{env.file}: cannot read the audit settings: {error}") from error
        if not isinstance(loaded, dict):
            raise ValueError(f"{env.file}: expected a mapping with calendar/deadlines/supervisor")
        data = loaded
    calendar = data.get("calendar")
    deadlines = data.get("deadlines")
    try:
        return AuditSettings(
            calendar=calendar_from(calendar) if isinstance(calendar, dict) else WorkingCalendar(),
            policy=policy_from(deadlines) if isinstance(deadlines, dict) else DEFAULT_POLICY,
            supervisor=env.supervisor or _text(data.get("supervisor")),
            remind_every_seconds=env.remind_every_seconds,
        )
    except ValueError as error:
        raise ValueError(f"{env.file}: {error}") from error


def _text(value: object) -> str | None:
    return str(value) if value else None


@lru_cache
def get_audit_settings() -> AuditSettings:
    """The process's audit settings, read once."""
    return load_audit_settings()
