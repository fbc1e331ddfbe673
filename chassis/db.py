"""The database dependency: one PostgreSQL database per service, one transaction per worker.

The transaction commits before the entrypoint answers (see chassis.entrypoints), so a caller
never sees a reply for a change that did not commit; on error it rolls back.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg2
from nameko.extensions import DependencyProvider
from psycogreen.eventlet import patch_psycopg
from sqlalchemy import bindparam, create_engine, event, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

from chassis.config import Settings, settings_from
from chassis.contracts.events import build_envelope, check_publisher
from chassis.errors import NotFound
from chassis.metrics import DB_STATEMENTS
from chassis.tables import outbox

# Without this psycopg2 blocks every green thread while it waits on the server.
patch_psycopg()


# A pooled connection used again within this many seconds of its return is not pinged first.
PING_IDLE_SECONDS = 1.0


def make_engine(
    url: str, *, ping_idle_seconds: float | None = PING_IDLE_SECONDS, **options: Any
) -> Engine:
    """An engine whose pool pings a connection before its use only when it has been idle
    for `ping_idle_seconds` (None: never). SQLAlchemy's `pool_pre_ping` pings at every
    checkout: a round trip more in every transaction, a tenth of a busy punch's. A database
    that went away (a restart takes longer than that) is found by the ping as before; one
    that fails a connection in use within the second fails that transaction, and SQLAlchemy
    then drops the pool's older connections."""
    pooled = "poolclass" not in options
    if pooled:
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 20)
    engine = create_engine(url, **options)
    if pooled and ping_idle_seconds is not None and not options.get("pool_pre_ping"):
        _ping_when_idle(engine, ping_idle_seconds)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def taken(dbapi_connection, record, proxy) -> None:
        returned_at = record.info.get("returned_at")  # None: just connected
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            # As pool_pre_ping pings: in autocommit, so no transaction is left open.
            engine.dialect.do_ping(dbapi_connection)
        except psycopg2.Error as exc:
            # The database went away (a restart): every connection the pool holds is as old,
            # so all are dropped, and this checkout connects again.
            raise InvalidatePoolError(f"a pooled connection failed its ping: {exc}") from exc


def ensure_database(url: str) -> bool:
    """Create the database named in `url` if it does not exist; True if it was created."""
    parsed = make_url(url)
    admin = parsed.set(database="postgres", drivername="postgresql")
    conn = psycopg2.connect(
        host=admin.host,
        port=admin.port,
        user=admin.username,
        password=admin.password,
        dbname="postgres",
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{parsed.database}"')
            return True
    finally:
        conn.close()


# Built once: a statement made anew for every event costs more CPU than sending it.
_INSERT_EVENT = insert(outbox).values(
    event_id=bindparam("event_id"),
    event_type=bindparam("event_type"),
    tenant_id=bindparam("tenant_id"),
    envelope=bindparam("envelope", type_=outbox.c.envelope.type),
)


class UnitOfWork:
    """A session plus the events its changes cause; both commit together.

    `source` is the service whose database this is: it may emit only the events that service
    publishes (chassis.contracts). Plain Python: domain code and its unit tests use it without
    nameko.
    """

    def __init__(
        self,
        session: Session,
        *,
        source: str,
        correlation_id: str | None = None,
        on_commit: Callable[[], None] | None = None,
    ):
        self.session = session
        self.source = source
        self.correlation_id = correlation_id
        # Told after a commit that wrote events (the outbox relay, so it publishes at once).
        self.on_commit = on_commit
        self.emitted: list[dict] = []
        self.finished = False

    def emit(self, event_type: str, data: dict, *, tenant_id: str | None) -> str:
        """Record an event in the outbox, in this transaction; returns its event id.

        Raises UnknownEvent or ForeignEvent (chassis.contracts.events) for an event this
        service does not publish, ValidationError for data that breaks the event's schema."""
        envelope = build_envelope(
            event_type,
            data,
            source=self.source,
            tenant_id=tenant_id,
            correlation_id=self.correlation_id,
        )
        self.session.execute(
            _INSERT_EVENT,
            {
                "event_id": envelope["event_id"],
                "event_type": event_type,
                "tenant_id": tenant_id,
                "envelope": envelope,
            },
        )
        self.emitted.append(envelope)
        return envelope["event_id"]

    def emit_many(self, event_type: str, items: list[tuple[dict, str | None]]) -> list[str]:
        """Record many events of one type, each (data, tenant_id), in one bulk insert (imports
        of thousands of people); returns their event ids. Refuses what `emit` refuses."""
        check_publisher(event_type, self.source)
        envelopes = [
            build_envelope(
                event_type,
                data,
                source=self.source,
                tenant_id=tenant_id,
                correlation_id=self.correlation_id,
                # The same code built every payload: checking the first in full is enough.
                full_check=index == 0,
            )
            for index, (data, tenant_id) in enumerate(items)
        ]
        if envelopes:
            # One statement over arrays: several times faster than a multi-row insert.
            self.session.execute(
                text(
                    f"INSERT INTO {outbox.name} (event_id, event_type, tenant_id, envelope) "
                    "SELECT e, :event_type, t, CAST(v AS jsonb) FROM unnest("
                    "CAST(:ids AS varchar[]), CAST(:tenants AS varchar[]), CAST(:bodies AS text[])"
                    ") AS u(e, t, v)"
                ),
                {
                    "event_type": event_type,
                    "ids": [e["event_id"] for e in envelopes],
                    "tenants": [e["tenant_id"] for e in envelopes],
                    "bodies": [json.dumps(e, separators=(",", ":")) for e in envelopes],
                },
            )
            self.emitted.extend(envelopes)
        return [e["event_id"] for e in envelopes]

    def commit(self) -> None:
        self.session.commit()
        self.finished = True
        if self.emitted and self.on_commit is not None:
            self.on_commit()
        self.emitted = []

    def checkpoint(self) -> None:
        """Commit what is done so far and carry on in a new transaction (a sweep working
        through a backlog in chunks, so each chunk's claims and locks end with it); the
        worker's own commit or rollback covers only what comes after."""
        self.session.commit()
        if self.emitted and self.on_commit is not None:
            self.on_commit()
        self.emitted = []

    def rollback(self) -> None:
        self.session.rollback()
        self.emitted.clear()
        self.finished = True

    def close(self) -> None:
        if not self.finished:
            self.session.rollback()
        self.session.close()


class Database(DependencyProvider):
    """Injects a UnitOfWork per worker, against the service's own database."""

    def __init__(self) -> None:
        self.units: dict[Any, UnitOfWork] = {}
        self.after_commit: list[Callable[[], None]] = []

    def setup(self) -> None:
        self.settings: Settings = settings_from(self.container.config)
        self.service_name = self.container.service_name
        # A small pool (chassis.config: db_pool_size): the platform's processes share one
        # PostgreSQL; workers beyond the pool's connections wait for one.
        self.engine = make_engine(
            self.settings.database_url(self.service_name),
            pool_size=self.settings.db_pool_size,
            max_overflow=self.settings.db_max_overflow,
        )
        # One connection for `probe`, in autocommit and never pinged: the event
        # consumer's duplicate check is then one round trip, not a checkout, a ping, the query
        # and a rollback (and the consumer, which serves every queue of the process, waits
        # for it).
        self.probe_engine = make_engine(
            self.settings.database_url(self.service_name),
            pool_size=1,
            max_overflow=0,
            ping_idle_seconds=None,
            isolation_level="AUTOCOMMIT",
        )
        statements = DB_STATEMENTS.labels(self.service_name)
        for engine in (self.engine, self.probe_engine):
            event.listen(engine, "before_cursor_execute", lambda *_: statements.inc())
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    def probe(self, statement: Any) -> Any:
        """The scalar a one-statement read answers, outside any unit of work, on the probe
        connection. A connection the database dropped (a restart) is replaced and the statement
        sent once more; any other failure is raised."""
        for attempt in (1, 2):
            try:
                with self.probe_engine.connect() as conn:
                    return conn.execute(statement).scalar()
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        self.engine.dispose()
        self.probe_engine.dispose()

    def kill(self) -> None:
        self.engine.dispose()
        self.probe_engine.dispose()

    def new_unit(self, correlation_id: str | None = None) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory(),
            source=self.service_name,
            correlation_id=correlation_id,
            on_commit=self._committed,
        )

    def _committed(self) -> None:
        for listener in self.after_commit:
            listener()

    def get_dependency(self, worker_ctx) -> UnitOfWork:
        unit = self.new_unit(worker_ctx.data.get("correlation_id"))
        self.units[worker_ctx] = unit
        return unit

    def finish(self, worker_ctx, exc_info):
        """Commit the worker's transaction, or roll it back; returns the (new) exc_info."""
        unit = self.units.get(worker_ctx)
        if unit is None or unit.finished:
            return exc_info
        if exc_info is not None:
            unit.rollback()
            return exc_info
        try:
            unit.commit()
        except Exception:
            unit.rollback()
            return sys.exc_info()
        return None

    def worker_teardown(self, worker_ctx) -> None:
        unit = self.units.pop(worker_ctx, None)
        if unit is not None:
            unit.close()

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A unit of work outside any worker (chassis housekeeping)."""
        unit = self.new_unit()
        try:
            yield unit
            unit.commit()
        except BaseException:
            unit.rollback()
            raise
        finally:
            unit.close()


Row = TypeVar("Row")


def owned_row(
    uow: UnitOfWork, model: type[Row], *, tenant_id: str, row_id: str, what: str, lock: bool = False
) -> Row:
    """The row of `model` with id `row_id` that belongs to `tenant_id` (locked for update when
    `lock`); NotFound naming `what` otherwise, so that another CBO's row does not exist."""
    query = select(model).where(
        model.id == row_id,  # type: ignore[attr-defined]
        model.tenant_id == tenant_id,  # type: ignore[attr-defined]
    )
    if lock:
        query = query.with_for_update()
    row = uow.session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"There is no such {what}.")
    return row


def insert_rows(
    uow: UnitOfWork,
    model: Any,
    rows: list[dict[str, Any]],
    *,
    returning: str | None = None,
    on_conflict: str = "DO NOTHING",
) -> list[Any]:
    """Insert many rows of `model` (a mapped class or a table; rows with the same keys) as one
    statement with one
    parameter, a JSON array the server turns into rows. Neither a VALUES list compiled anew
    for each batch (SQLAlchemy caches no PostgreSQL `INSERT … ON CONFLICT`), nor psycopg2's
    executemany (a round trip a row: what SQLAlchemy sends for such an insert given a list).
    Rows that clash with one already there (on any unique key) are left out, unless
    `on_conflict` (what follows `ON CONFLICT`, as SQL) says otherwise; `returning` names a
    column whose values of the rows written are returned, in the rows' order. Columns the
    rows leave out take the database's defaults, not the model's Python ones."""
    if not rows:
        return []
    table = getattr(model, "__table__", model)
    names = tuple(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("insert_rows: every row must have the same keys")
    statement = _rows_statement(table, names, returning, on_conflict)
    # As the ORM's own statements do: the session's pending changes go first (a text statement
    # does not flush them), so the rows meet what the transaction has already changed.
    uow.session.flush()
    result = uow.session.execute(statement, {"rows": json.dumps(rows, default=str)})
    return list(result.scalars()) if returning else []


def _recordset_shape(table: Any, names: tuple[str, ...], dialect: Any) -> str:
    """The columns `names` of `table` as json_to_recordset's record type ("name" type, …)."""
    return ", ".join(f'"{n}" {table.c[n].type.compile(dialect=dialect)}' for n in names)


@functools.lru_cache(maxsize=256)
def _rows_statement(
    table: Any, names: tuple[str, ...], returning: str | None, on_conflict: str
) -> Any:
    dialect = postgresql.dialect()
    shape = _recordset_shape(table, names, dialect)
    quoted = ", ".join(f'"{n}"' for n in names)
    # In the rows' order (a serial column numbers them so, as reporting's log needs).
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({quoted}) "
        f"SELECT {quoted} FROM ROWS FROM (json_to_recordset(CAST(:rows AS json)) AS ({shape})) "
        f"WITH ORDINALITY AS x({quoted}, row_number) ORDER BY row_number "
        f"ON CONFLICT {on_conflict}"
    )
    if returning:
        return text(f'{sql} RETURNING "{returning}"').columns(table.c[returning])
    return text(sql)


def update_rows(uow: UnitOfWork, model: Any, rows: list[dict[str, Any]], *, key: str) -> None:
    """Set the columns each of `rows` names (every row the same ones, `key` among them) on the
    row of `model` whose `key` is the row's, in one UPDATE whose one parameter is a JSON array
    (as `insert_rows`: the ORM would send an UPDATE a row, psycopg2's executemany a round trip
    each); `updated_at`, when the table has one, becomes now() as the ORM's onupdate makes it.
    The session's objects of those rows are not refreshed: the caller keeps them in step (or
    holds none)."""
    if not rows:
        return
    names = tuple(rows[0])
    if key not in names or any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("update_rows: every row must have the same keys, the key among them")
    # As the ORM's own statements do: the session's pending changes go first.
    uow.session.flush()
    statement = _update_statement(getattr(model, "__table__", model), names, key)
    uow.session.execute(statement, {"rows": json.dumps(rows, default=str)})


@functools.lru_cache(maxsize=64)
def _update_statement(table: Any, names: tuple[str, ...], key: str) -> Any:
    dialect = postgresql.dialect()
    shape = _recordset_shape(table, names, dialect)
    sets = [f'"{n}" = v."{n}"' for n in names if n != key]
    if "updated_at" in table.c and "updated_at" not in names:
        sets.append('"updated_at" = now()')
    return text(
        f"UPDATE {dialect.identifier_preparer.format_table(table)} AS t SET {', '.join(sets)} "
        f"FROM json_to_recordset(CAST(:rows AS json)) AS v({shape}) "
        f'WHERE t."{key}" = v."{key}"'
    )


def database_of(container: Any) -> Database | None:
    """The service's Database dependency, for extensions that work outside a worker."""
    for dependency in container.dependencies:
        if isinstance(dependency, Database):
            return dependency
    return None
