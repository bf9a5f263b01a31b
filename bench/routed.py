"""Routed documents as the router stores them, and a fast fill of a scratch PostgreSQL database.

The templates are real: the seed documents and two broadcasts ("Các sở, ban, ngành", "UBND các
xã, phường") read and expanded by the shipped rules, so each stored document carries its whole
text and expansion, and each delivery its agency's reasons and categories, as `router.routing`
writes them. The fill repeats the templates with `generate_series` inside PostgreSQL (a million
deliveries in about a minute here), dating documents evenly over the year before `NOW`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints

from router import recipients
from router.routing import categories_of

PG_ADMIN = os.environ.get("DOCROUTE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SENDER = "kh.ubnd-tinh"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
BROADCASTS = (
    "Các sở, ban, ngành (VBĐT);\n- UBND các huyện, thị xã, thành phố (VBĐT);",
    "UBND các xã, phường, thị trấn (VBĐT);",
)
BROADCAST = """Số: {number}/TB-UBND
Khánh Hòa, ngày 2 tháng 3 năm 2026
THÔNG BÁO
Về việc thử nghiệm
Nội dung thông báo.
Nơi nhận:
- {lines}
- Lưu: VT.
"""


@dataclass(frozen=True)
class Template:
    """One routed document: its stored fields and its recipients with their reasons."""

    text: str
    fields: dict[str, Any]
    expansion: dict[str, Any]
    recipients: list[dict[str, Any]]


def templates() -> list[Template]:
    """The seeds and the broadcasts, each read and expanded as the router does."""
    routing = recipients.shipped()
    texts = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts += [BROADCAST.format(number=n + 1, lines=lines) for n, lines in enumerate(BROADCASTS)]
    out = []
    for text in texts:
        parsed = recipients.read(text)
        view = routing.expand(parsed, SENDER, parsed.date).to_json()
        fields = {"doc_type": parsed.doc_type, "issuer": parsed.issuer,
                  "issuer_code": parsed.issuer_code, "urgency": parsed.urgency,
                  "subject": parsed.subject, "rules_version": str(view.get("rules_version"))}
        out.append(Template(text, fields, view, list(view.get("recipients", []))))
    return [t for t in out if t.recipients]


async def create_database() -> str:
    """A scratch database; returns its asyncpg URL."""
    name = f"docroute_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(url: str) -> None:
    """Drop a scratch database made by `create_database`."""
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


async def load_templates(connection: Any, found: list[Template]) -> list[int]:
    """Copy the templates into temporary tables; returns the recipients of each."""
    await connection.execute(
        "CREATE TEMP TABLE tpl_doc (t int, text text, doc_type text, issuer text,"
        " issuer_code text, urgency text, subject text, rules_version text, expansion json);"
        "CREATE TEMP TABLE tpl_rcp (t int, k int, agency_id text, agency_name text,"
        " reasons json, categories text)")
    await connection.copy_records_to_table("tpl_doc", records=[
        (n, t.text, t.fields["doc_type"], t.fields["issuer"], t.fields["issuer_code"],
         t.fields["urgency"], t.fields["subject"], t.fields["rules_version"],
         json.dumps(t.expansion, ensure_ascii=False)) for n, t in enumerate(found)])
    await connection.copy_records_to_table("tpl_rcp", records=[
        (n, k, r["id"], r.get("name") or r["id"],
         json.dumps(r.get("reasons", []), ensure_ascii=False),
         categories_of(r.get("reasons", [])))
        for n, t in enumerate(found) for k, r in enumerate(t.recipients)])
    return [len(t.recipients) for t in found]


def documents_for(deliveries: int, sizes: list[int]) -> int:
    """How many documents (templates in turn) make at least `deliveries` deliveries."""
    cycle = sum(sizes)
    whole, rest = divmod(deliveries, cycle)
    count = whole * len(sizes)
    for size in sizes:
        if rest <= 0:
            break
        rest -= size
        count += 1
    return count


# Document g of `total` is dated g/total of a year before NOW (so a smaller fill holds the
# most recent part of the year of a larger one). Deliveries: 90% delivered (80% of them with
# a receipt, one in five of those 02 = rejected, the others confirmed within a day or so of
# the deadline), 7% pending (some waiting for a later round), 3% failed.
FILL_DOCUMENTS = """
INSERT INTO document (id, text, number, doc_type, issuer, issuer_code, date, urgency, subject,
                      sender, issuer_key, created_at, routed_at, rules_version, expansion)
SELECT md5('d' || g)::uuid::text, t.text, g || '/BENCH', t.doc_type, t.issuer, t.issuer_code,
       s.day::date, t.urgency, t.subject, '{sender}', '{sender}', s.day, s.day + interval '2 s',
       t.rules_version, t.expansion
FROM generate_series($1::int, $2::int - 1) g
JOIN tpl_doc t ON t.t = g % $4::int
CROSS JOIN LATERAL (SELECT $5::timestamptz - interval '365 days' * (g::float8 / $3) AS day) s
"""
FILL_DELIVERIES = """
INSERT INTO delivery (id, document_id, agency_id, agency_name, state, receipt, channel, failure,
                      reasons, categories, due_at, escalate_at, confirmed_at, attempt_rounds,
                      retry_at, event_count, last_hash, created_at, updated_at)
SELECT md5('v' || g || '.' || k)::uuid::text, md5('d' || g)::uuid::text, agency_id,
       agency_name, state, receipt, 'webhook',
       CASE WHEN state = 'failed' THEN 'HTTP 410 Gone from the agency''s webhook' END,
       reasons, categories, due, due + interval '8 hours',
       CASE WHEN receipt IS NOT NULL AND receipt <> '02'
            THEN due + interval '1 hour' * (y * 36 - 30) END,
       CASE WHEN state = 'pending' AND x > 0.95 THEN 2 ELSE 0 END,
       CASE WHEN state = 'pending' AND x > 0.95 THEN $5::timestamptz + interval '1 hour' END,
       1, md5('h' || g || '.' || k), day, day
FROM (
  SELECT g, r.k, r.agency_id, r.agency_name, r.reasons, r.categories, s.day, x, y,
         s.day + interval '3 days' AS due,
         CASE WHEN x < 0.90 THEN 'delivered' WHEN x < 0.97 THEN 'pending' ELSE 'failed' END
           AS state,
         CASE WHEN x < 0.90 AND y < 0.8
              THEN (ARRAY['01','03','03','05','02'])[1 + floor(y * 6.25)::int] END AS receipt
  FROM generate_series($1::int, $2::int - 1) g
  JOIN tpl_rcp r ON r.t = g % $4::int
  CROSS JOIN LATERAL (SELECT $5::timestamptz - interval '365 days' * (g::float8 / $3) AS day,
                             random() + 0 * g AS x, random() + 0 * g AS y) s
) rows
"""


async def fill(url: str, first: int, last: int, total: int, templates_count: int) -> None:
    """Documents [first, last) of a fill of `total` documents, with their deliveries."""
    connection = await asyncpg.connect(url)
    try:
        await load_templates(connection, templates())
        args = (first, last, total, templates_count, NOW)
        for chunk in range(first, last, 20_000):  # one transaction per chunk, bounded WAL
            end = min(chunk + 20_000, last)
            await connection.execute(FILL_DOCUMENTS.format(sender=SENDER), chunk, end, *args[2:])
            await connection.execute(FILL_DELIVERIES, chunk, end, *args[2:])
        for table in ("document", "delivery"):
            await connection.execute(f"VACUUM ANALYZE {table}")
    finally:
        await connection.close()
