"""Query rows streamed from PostgreSQL while it computes the rest: libpq's chunked rows mode (psycopg's `stream`).

`QuerySet.iterator()` reads a server-side cursor a chunk at a time and waits for each chunk to be computed; a
stream asks once, and the server goes on computing and sending rows while those already received are handled,
so the database's work and ours run side by side (the training-data export, docs/BENCHMARKS.md). Memory stays
one chunk of rows on our side, whatever the result's size.
"""

from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from itertools import chain
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

CHUNK_ROWS = 1000


class ConnectionBusy(RuntimeError):
    """A query was asked of a connection that is still streaming rows."""


class _StreamingCursor(psycopg.ClientCursor):
    """A cursor binding parameters client-side, as Django's own, whose `execute` starts streaming the result and
    whose iteration reads it: under Django's cursor wrapper the query is logged and counted like any other, its
    errors are Django's, and the execute wrappers (the slow-query log) time it to its first chunk of rows."""

    _first: tuple | None = None
    _rows: Iterator[tuple] = iter(())

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> "_StreamingCursor":
        self._rows = self.stream(query, params, size=CHUNK_ROWS)
        self._first = next(self._rows, None)  # sent, and the first chunk received
        return self

    def __iter__(self) -> Iterator[tuple]:
        # A chain, which has no `close`: a generator's would close the stream before `close` below chose how.
        return chain(() if self._first is None else (self._first,), self._rows)

    def close(self) -> None:
        if not self.connection.autocommit:
            # Cancelling would abort the transaction the query runs in (and with it the writes before it).
            with suppress(psycopg.Error):
                deque(self._rows, maxlen=0)
        # A stream left unread holds the connection's lock: psycopg cancels the query and drains it on close.
        self._rows.close()
        super().close()


def _refuse_query(*args: Any) -> None:
    raise ConnectionBusy("this connection is streaming rows: read them all (or close the stream) before a query")


def rows_streamed(queryset: QuerySet) -> Iterator[tuple]:
    """Yield the rows of a `values_list` queryset as PostgreSQL sends them, as its cursor gives them (without the
    fields' conversions from database values).

    The connection serves nothing else until the last row is read or the iterator closed: a query meanwhile
    raises `ConnectionBusy` (psycopg would wait for the stream forever). Closed early, the stream is cancelled,
    or in a transaction read to its end (a cancel would abort the transaction). The query is one statement, so
    `DATABASE_STATEMENT_TIMEOUT_MS` bounds how long its reader may take.
    """
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return
    if connection.vendor != "postgresql":  # SQLite (`make run`): its cursor reads rows as they are iterated
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            yield from cursor
        return
    # As `connection.cursor()` makes its cursors. The health check first: done later, in a query asked during the
    # stream, it would wait for the stream on psycopg's lock before `_refuse_query` could refuse that query.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    streaming = _StreamingCursor(connection.connection)
    # Wrapped as Django wraps its own: logged where queries are (tests count them).
    cursor = connection.make_debug_cursor(streaming) if connection.queries_logged else connection.make_cursor(streaming)
    with cursor:
        cursor.execute(sql, params)
        connection.execute_wrappers.append(_refuse_query)
        try:
            yield from cursor
        finally:
            connection.execute_wrappers.remove(_refuse_query)
