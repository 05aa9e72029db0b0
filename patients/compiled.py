"""Read-only queries over a page of patients, compiled to SQL once and run again.

The dashboard's row figures (adherence over seven days, the last pain, the pain average,
open alerts) are one query of a dozen correlated subqueries built from the shared clinical
definitions (``patients.clinical``). Django builds and compiles that query in Python at
every request, and building it cost more than PostgreSQL took to run it: ~19 ms against
~13 ms for a page of 50 patients (bench/README.md, "Pages at clinic scale"). Nothing in
the SQL depends on which patients are asked for, only on how many, so the SQL is compiled
once per key (the day, the time zone, the number of ids) and each request binds its own
ids in place of placeholder ones.

How a placeholder is found again: the query is built for ids no row can have (large
negative numbers), and their positions among the compiled parameters are noted. If the
compiled parameters do not hold each placeholder exactly once (a query that repeats or
drops the id list), the query is run as built, every time: correct, only slower.

Rows come back through Django's converters, so dates, datetimes and decimals are the
same Python values as the ORM gives, on SQLite as on PostgreSQL. The compiled form is kept
per database connection object (one per thread), at most ``LIMIT`` keys each.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

# Ids no row has: primary keys are positive.
PLACEHOLDER_BASE = -(2**62)
LIMIT = 32


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position among params, index among the ids)
    compiler: SQLCompiler


_by_connection: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compile(build: Callable[[list[int]], QuerySet], count: int, using: str) -> _Compiled | None:
    placeholders = [PLACEHOLDER_BASE - index for index in range(count)]
    query = build(placeholders).query
    compiler = query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    index_of = {placeholder: index for index, placeholder in enumerate(placeholders)}
    slots = tuple(
        (position, index_of[param])
        for position, param in enumerate(params)
        if type(param) is int and param in index_of
    )
    if sorted(index for _, index in slots) != list(range(count)):
        return None
    return _Compiled(sql=sql, params=tuple(params), slots=slots, compiler=compiler)


def rows_for_ids(
    key: Hashable,
    ids: list[int],
    build: Callable[[list[int]], QuerySet],
    *,
    using: str = "default",
) -> list[tuple]:
    """The rows of ``build(ids)``, a ``values_list()`` queryset filtered by ``ids``, as
    tuples. ``key`` names everything the SQL depends on besides the ids (the day, the
    time zone...): two calls with the same key and as many ids must build the same SQL."""
    if not ids:
        return []
    connection = connections[using]
    compiled_by_key = _by_connection.setdefault(connection, {})
    cache_key = (key, len(ids))
    if cache_key not in compiled_by_key:
        if len(compiled_by_key) >= LIMIT:
            compiled_by_key.clear()
        compiled_by_key[cache_key] = _compile(build, len(ids), using)
    compiled = compiled_by_key[cache_key]
    if compiled is None:
        return list(build(ids))
    params = list(compiled.params)
    for position, index in compiled.slots:
        params[position] = ids[index]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        fetched = cursor.fetchall()
    return list(compiled.compiler.results_iter(results=[fetched], tuple_expected=True))
