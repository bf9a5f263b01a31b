"""The database engine and sessions, on SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import orjson
from sqlalchemy import JSON, ColumnElement, String, any_, bindparam, event, insert, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.kept import KeptAnswer

SessionFactory = async_sessionmaker[AsyncSession]
# Seconds to open a connection, and to answer a reachability probe.
CONNECT_TIMEOUT = 3.0
# The PostgreSQL pool of each process: connections kept, and opened beyond them under load.
POOL_SIZE = 10
MAX_OVERFLOW = 10
# Seconds a checkout waits for a connection while all are in use, then raises
# sqlalchemy.exc.TimeoutError (the API's 503 `database_busy`). SQLAlchemy's default; read
# when an engine is made, so a test may shorten it.
POOL_TIMEOUT = 30.0


def create_engine(url: str) -> AsyncEngine:
    """An async engine for the URL; SQLite gets WAL and immediate write locks."""
    # JSON columns (reasons, expansions, outbox payloads) through orjson: the standard
    # library's encoder was a visible share of the router's CPU (bench/pipeline.py).
    json_codec = {"json_serializer": to_json, "json_deserializer": orjson.loads}
    if not url.startswith("sqlite"):
        # A short connect timeout: during an outage a connection attempt must fail fast so
        # that /ready, the API's 503 and the consumers' wait notice it (asyncpg waits 60 s).
        engine = create_async_engine(
            url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_timeout=POOL_TIMEOUT,
            connect_args={"timeout": CONNECT_TIMEOUT}, **json_codec
        )
        _check_on_checkout(engine)
        return engine
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **json_codec)
    _serialise_sqlite_writers(engine)
    return engine


# A pooled connection idle for longer than this is pinged when it is checked out; one used
# more recently is only checked for a close the event loop has already seen.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "docroute_returned_at"


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Hand out only live connections, as pool_pre_ping does, for fewer round trips.

    SQLAlchemy's asyncpg pre-ping costs three round trips per checkout (BEGIN, `;`,
    ROLLBACK, for pgbouncer's transaction mode), and a checkout precedes every session: in
    every process that was a visible share of the CPU (bench/pipeline.py). Here a connection
    the server closed (a restart, a terminated backend: asyncpg sees the close as it
    happens) is replaced without a round trip; one idle for more than
    PING_AFTER_IDLE_SECONDS is pinged with one (`;`, outside any transaction), which finds
    a server gone silently. Either way the pool then replaces every connection older than
    now, as a failed pre-ping does (InvalidatePoolError from a checkout listener).
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()  # fresh: no ping at its first checkout

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise InvalidatePoolError("the connection was closed while in the pool")
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            # fetchrow, as SQLAlchemy pings: asyncpg fails on the empty answer to execute(";").
            dbapi_connection.run_async(lambda driver: driver.fetchrow(";"))
        except Exception as error:
            if is_outage(error):
                raise InvalidatePoolError(f"ping failed: {error!r}") from error
            raise


def to_json(value: Any) -> str:
    """The text a JSON column stores for this value (the engines' serializer)."""
    return json_bytes(value).decode()


def json_bytes(value: Any) -> bytes:
    """`to_json` as UTF-8 bytes: for a statement that reads them as text with
    `FROM_UTF8`, a large JSON text then skips being decoded here and encoded again by asyncpg."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


# SQL of the text held by a BYTEA parameter or value of UTF-8 bytes (`json_bytes`); {} is it.
FROM_UTF8 = "convert_from({}, 'UTF8')"



def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    # A deferred SQLite transaction that reads and then writes fails at once with "database is
    # locked" when another writer got in between; BEGIN IMMEDIATE waits for the lock instead.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions that keep loaded rows usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def single_statement_sessions(engine: AsyncEngine) -> SessionFactory:
    """Sessions for work of one statement (a lookup): on PostgreSQL the statement commits on
    its own, which spares a transaction's BEGIN and ROLLBACK, two round trips of three; one
    statement is atomic and sees the same rows either way. On SQLite, `session_factory`'s."""
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    # Made once per engine: a submission asks for them per document, and building the
    # AUTOCOMMIT engine and its session factory cost about 19 us each time.
    made = _SINGLE_STATEMENTS.get(engine)
    if made is None:
        made = session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))
        _SINGLE_STATEMENTS[engine] = made
    return made


_SINGLE_STATEMENTS: weakref.WeakKeyDictionary[AsyncEngine, SessionFactory] = (
    weakref.WeakKeyDictionary())


def postgres_single_statements(sessions: SessionFactory) -> SessionFactory | None:
    """`single_statement_sessions` on the engine of `sessions` on PostgreSQL; None on SQLite,
    where a path that counts on them keeps its transaction (any BEGIN there takes the write
    lock, and a statement outside one gains nothing)."""
    engine = engine_of(sessions)
    return single_statement_sessions(engine) if engine.dialect.name == "postgresql" else None


def engine_of(sessions: SessionFactory) -> AsyncEngine:
    """The engine a session factory opens its sessions on."""
    engine = sessions.kw.get("bind")
    assert isinstance(engine, AsyncEngine), "sessions made by session_factory(engine)"
    return engine


async def reachable(engine: AsyncEngine, timeout: float = CONNECT_TIMEOUT) -> bool:
    """True when the database answers `SELECT 1` within `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means unreachable, which is all a probe says
        return False
    return True


# Seconds an answer of FreshProbe is taken as still true.
PROBE_FRESH_SECONDS = 1.0


class FreshProbe:
    """Whether the database answers `SELECT 1` on a connection of the probe's own.

    Outside the engine's pool: a probe through it would wait in the queue of the request
    that just failed, and call the database unreachable when only this process's
    connections are all in use. Callers at the same moment share one probe and its answer
    holds for PROBE_FRESH_SECONDS, so that a burst of failed requests does not open a
    connection each, adding to the load it is asked about (`foundation.kept`).
    """

    def __init__(self, url: str, timeout: float = CONNECT_TIMEOUT) -> None:
        self._engine = create_async_engine(
            url, poolclass=NullPool, connect_args={"timeout": timeout})
        self._timeout = timeout
        self._kept = KeptAnswer(self._probe, PROBE_FRESH_SECONDS)

    async def answers(self) -> bool:
        """True when the database answered just now, or answers a fresh connection."""
        return await self._kept.get()

    async def _probe(self) -> bool:
        return await reachable(self._engine, self._timeout)

    async def dispose(self) -> None:
        """Close the probe's engine (it keeps no connection between probes)."""
        await self._engine.dispose()


# What a database outage raises through the ORM, or straight from asyncpg (COPY goes to the
# driver); a connection refused or cut is an OSError or a TimeoutError underneath, and a
# server shutting down says so (asyncpg's OperatorInterventionError: AdminShutdownError...).
_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError, OSError, TimeoutError,
)
# A pool's checkout that gave up waiting is no DBAPIError, yet the database's all the same.
DATABASE_FAULTS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeoutError, *_LOST)


def is_outage(error: BaseException) -> bool:
    """True when the error says the database could not be reached or went away (as opposed
    to a statement it refused)."""
    for seen in _causes(error):
        if isinstance(seen, DBAPIError):
            if seen.connection_invalidated:
                return True
            if isinstance(seen, OperationalError | InterfaceError) and not _sqlite_refusal(seen):
                return True
        elif isinstance(seen, _LOST):
            return True
    return False


def pool_exhausted(error: BaseException) -> bool:
    """True when a checkout waited POOL_TIMEOUT seconds with every pooled connection in use:
    this process is busy, which says nothing of the database."""
    return any(isinstance(seen, PoolTimeoutError) for seen in _causes(error))


def timed_out(error: BaseException) -> bool:
    """True when a connection or a statement ran out of time (asyncpg's connect timeout is
    a TimeoutError): the database may be gone silent, or only slow under load; a probe tells."""
    return any(isinstance(seen, TimeoutError) for seen in _causes(error))


def _causes(error: BaseException) -> Iterator[BaseException]:
    # The error, then what it wraps: a DBAPIError's driver error, else its cause or context.
    seen: BaseException | None = error
    for _ in range(10):  # a chain of causes is short; a cycle must not hang us
        if seen is None:
            return
        yield seen
        seen = seen.orig if isinstance(seen, DBAPIError) else seen.__cause__ or seen.__context__


def refused_value(error: BaseException) -> bool:
    """True when the database refused a value (SQLSTATE class 22: too long for its column,
    a NUL character in text, a number out of range), not a statement or a connection."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    state = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None)
    return isinstance(state, str) and state.startswith("22")


def _sqlite_refusal(error: DBAPIError) -> bool:
    # SQLite's OperationalError also covers statements it refuses; only "locked" and "busy"
    # are the database being unavailable for a while.
    text_of = str(error.orig).lower()
    return "sqlite" in type(error.orig).__module__ and not (
        "locked" in text_of or "busy" in text_of or "unable to open" in text_of
    )


def on_postgres(session: AsyncSession) -> bool:
    """True when the session talks to PostgreSQL (else SQLite, the embedded default)."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def among(session: AsyncSession, column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """`column IN (values)`. On PostgreSQL, `column = ANY(:values)`: one array parameter
    instead of one per value, so the statement is compiled once however many values there
    are (rendering hundreds of parameters showed in the delivery workers' profile)."""
    return among_parameter(column, on_postgres(session), values=list(values))


def among_parameter(
    column: Any, postgres: bool, name: str | None = None, values: list[str] | None = None
) -> ColumnElement[bool]:
    """`among`, its values a parameter: `name`, given at execution, for a statement built
    once and kept (SQLAlchemy then computes its cache key once, not per execution); else an
    anonymous one bound to `values`. One array on PostgreSQL, an expanding IN on SQLite."""
    if postgres:
        array = bindparam(name, values, type_=ARRAY(String), unique=name is None)
        return cast(ColumnElement[bool], column == any_(array))
    return cast(ColumnElement[bool], column.in_(bindparam(name, values, expanding=True,
                                                          unique=name is None)))


async def insert_rows(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]
) -> None:
    """Insert plain-dict rows (all with the same keys) in the session's transaction.

    On PostgreSQL they go in through COPY on the session's own connection: for the router's
    plans (50 deliveries and their history rows) that took about 40% less client CPU and 25%
    less server CPU than SQLAlchemy's executemany, measured in isolation. On SQLite, a bulk
    insert.
    """
    if not rows:
        return
    if not on_postgres(session):
        await session.exec(insert(model), params=rows)
        return
    await session.flush()  # rows the session still holds (a document, say) go in first
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN with the first statement; COPY bypasses
        # it and would otherwise commit on its own.
        await connection.execute(text("SELECT 1"))
    table = cast(Any, model).__table__
    columns = list(rows[0])
    json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    records = [
        tuple(to_json(row[name]) if name in json else row[name] for name in columns)
        for row in rows
    ]
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


# The dialect `json_rows_insert` names the columns' types in (its constructor has no hints).
_POSTGRES: Any = cast(Any, PGDialect)()


def json_rows_insert(
    model: type[SQLModel],
    columns: Sequence[str],
    constants: Collection[str] = (),
    keys: Sequence[str] = (),
) -> str:
    """PostgreSQL: the SQL of an INSERT of rows sent as one JSON array of objects
    (`json_rows_params`), to be part of a larger statement (a CTE, say): rows that go in
    with other writes in one statement cost one round trip in all, where COPY costs two per
    table. One parameter written by one orjson call (UTF-8 bytes: `json_bytes`): array
    parameters cost asyncpg a type check and an encoding per element, about a tenth of the
    router's CPU (bench/pipeline.py). Columns in `constants` have one value for all rows:
    one parameter each. `keys` name further text fields of each row, not inserted: a WHERE
    the caller appends reads them as `u."<key>"`."""
    table = cast(Any, model).__table__
    fields, picks = [], []
    for name in columns:
        column_type = table.c[name].type
        is_json = isinstance(column_type, JSON)
        sql_type = "JSON" if is_json else column_type.compile(dialect=_POSTGRES)
        if name in constants:
            value = f"CAST(:{_param_name(table.name, name)} AS {'TEXT' if is_json else sql_type})"
            picks.append(f"CAST({value} AS JSON)" if is_json else value)
        else:
            fields.append(f'"{name}" {sql_type}')
            picks.append(f'u."{name}"')
    fields += [f'"{key}" TEXT' for key in keys]
    names = ", ".join(f'"{name}"' for name in columns)
    return (f'INSERT INTO "{table.name}" ({names}) SELECT {", ".join(picks)} '
            f"FROM json_to_recordset(CAST({_utf8(_rows_name(table.name))} "
            f'AS JSON)) AS u({", ".join(fields)})')


def json_rows_params(
    model: type[SQLModel],
    columns: Sequence[str],
    rows: list[dict[str, Any]],
    constants: Collection[str] = (),
) -> dict[str, Any]:
    """The parameters of `json_rows_insert(model, columns, constants, keys)` for these rows
    (each column in `constants` must have the same value in every row; each row holds its
    `keys` too; a row's fields that the statement does not name are ignored). Times go as
    ISO 8601 with their offset, JSON columns as the JSON they hold."""
    table = cast(Any, model).__table__
    params: dict[str, Any] = {_rows_name(table.name): json_bytes(rows)}
    for name, is_json in zip(columns, _json_columns(model, tuple(columns)), strict=True):
        if name in constants:
            value = rows[0][name]
            params[_param_name(table.name, name)] = to_json(value) if is_json else value
    return params


@functools.cache
def _json_columns(model: type[SQLModel], columns: tuple[str, ...]) -> tuple[bool, ...]:
    """Which of these columns are JSON (asked once per model and columns)."""
    table = cast(Any, model).__table__
    return tuple(isinstance(table.c[name].type, JSON) for name in columns)


def _rows_name(table: str) -> str:
    return f"{table}__json_rows"


def _utf8(parameter: str) -> str:
    return FROM_UTF8.format(f"CAST(:{parameter} AS BYTEA)")


def _param_name(table: str, column: str) -> str:
    # Two underscores: several tables' parameters share one statement.
    return f"{table}__{column}"


@asynccontextmanager
async def transaction(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction: committed on success, rolled back on any error."""
    async with sessions() as session, session.begin():
        yield session
