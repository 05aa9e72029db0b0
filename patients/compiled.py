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
negative numbers), and their positions among the compiled parameters are noted; a query
that names the ids twice (a subquery and the outer query) gets them bound in both places.
If a placeholder is missing, or shows up changed (as text, say, or written into the SQL
itself), the query is run as built, every time: correct, only slower.

Rows come back through Django's converters, so dates, datetimes and decimals are the
same Python values as the ORM gives, on SQLite as on PostgreSQL. The compiled form is kept
per database connection object (one per thread), at most ``LIMIT`` keys each, the least
recently used dropped first.

``instances_for_ids`` does the same for a queryset of model instances (``select_related``
and annotations included), which is most of a page's reads: building and compiling a
plain query costs Django 1-3 ms of Python, often more than PostgreSQL takes to answer it.
Instances are made as Django's own ``ModelIterable`` makes them (``from_db``, the related
populators, the annotations); what it does besides (objects already known to a related
manager's queryset) is not needed for a queryset that starts from a manager.
``prefetch_related`` on the built queryset is ignored: prefetch on the instances
(``prefetch_related_objects``, or ``attach_children`` for children read the same way).

On PostgreSQL the compiled SQL is also a prepared statement of the connection, unless
prepared statements are turned off (``DATABASE_PREPARED_STATEMENTS``, docs/operations.md).
Django sends every query with its parameters written in (psycopg's client-side binding),
and PostgreSQL parses and plans it anew each time: for the story's summary figures,
planning took four times as long as running. Here the parameters other than the ids are
written into the SQL exactly as that binding writes them (the day, the zone's start of
the day, the choices), and only the ids are sent apart, so the statement is parsed and
planned once per connection and its plan still knows the dates (a prepared statement
with the dates as parameters got a generic plan that was slower than planning afresh,
bench/README.md). The query still goes through Django's cursor wrapper: it is counted,
logged and its errors are Django's.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

# Ids no row has: primary keys are positive.
PLACEHOLDER_BASE = -(2**62)
PLACEHOLDER_MARK = str(PLACEHOLDER_BASE)[:12]  # what any placeholder shows, in any form
LIMIT = 128
ID_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position among params, index among the ids)
    compiler: SQLCompiler
    # PostgreSQL with prepared statements: the SQL with every parameter but the ids
    # written in, and the index among the ids of each placeholder left, in order.
    prepared_sql: str | None = None
    prepared_ids: tuple[int, ...] = ()
    # Django's converters for the selected columns, worked out once (``results_iter``
    # works them out at every call); None where Django reads composite fields itself.
    converters: dict | None = None
    # How rows become instances (``instances_for_ids``), worked out at its first use.
    instance_shape: dict = field(default_factory=dict)


# A placeholder or an escaped percent sign, as psycopg reads a query's text.
_PLACEHOLDER_OR_PERCENT = re.compile(r"(%%|%s)")


def _prepares(connection) -> bool:
    """Whether the connection is PostgreSQL's with prepared statements allowed (Django
    disallows them unless ``OPTIONS['prepare_threshold']`` is set; its own queries never
    prepare, client-side binding cannot)."""
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    return connection.connection.prepare_threshold is not None


def _with_literals(
    sql: str, params: tuple[Any, ...], slots: tuple[tuple[int, int], ...], connection
) -> tuple[str, tuple[int, ...]] | None:
    """``sql`` with each parameter that is not an id written in as psycopg's client-side
    binding writes it, and ``%s`` left for the ids; with the index among the ids of each
    ``%s`` left. None if the text does not hold one placeholder per parameter."""
    from psycopg import ClientCursor

    index_at = dict(slots)
    pieces = _PLACEHOLDER_OR_PERCENT.split(sql)
    if sum(piece == "%s" for piece in pieces) != len(params):
        return None
    written, order, position = [], [], 0
    with ClientCursor(connection.connection) as literal:
        for piece in pieces:
            if piece != "%s":
                written.append(piece)  # SQL text, or an escaped percent sign kept escaped
                continue
            if position in index_at:
                written.append("%s")
                order.append(index_at[position])
            else:
                written.append(literal.mogrify("%s", (params[position],)).replace("%", "%%"))
            position += 1
    return "".join(written), tuple(order)


_by_connection: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compile(build: Callable[[list[int]], QuerySet], count: int, using: str) -> _Compiled | None:
    placeholders = [PLACEHOLDER_BASE - index for index in range(count)]
    query = build(placeholders).query
    compiler = query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    index_of = {placeholder: index for index, placeholder in enumerate(placeholders)}
    slots = []
    for position, param in enumerate(params):
        if type(param) is int and param in index_of:
            slots.append((position, index_of[param]))
        elif PLACEHOLDER_MARK in str(param):  # changed on its way: cannot be bound again
            return None
    if PLACEHOLDER_MARK in sql or {index for _, index in slots} != set(range(count)):
        return None
    prepared = None
    if _prepares(connections[using]):
        prepared = _with_literals(sql, tuple(params), tuple(slots), connections[using])
    columns = [column[0] for column in compiler.select[0 : compiler.col_count]]
    return _Compiled(
        sql=sql,
        params=tuple(params),
        slots=tuple(slots),
        compiler=compiler,
        prepared_sql=prepared[0] if prepared else None,
        prepared_ids=prepared[1] if prepared else (),
        converters=None
        if compiler.has_composite_fields(columns)
        else compiler.get_converters(columns),
    )


def _converted(compiled: _Compiled, fetched: list) -> Iterable:
    """The fetched rows through Django's converters, as ``results_iter`` gives them."""
    if compiled.converters is None:
        return compiled.compiler.results_iter(results=[fetched])
    if compiled.converters:
        return compiled.compiler.apply_converters(fetched, compiled.converters)
    return fetched


def _compiled_for(
    key: Hashable, ids: list[int], build: Callable[[list[int]], QuerySet], using: str
) -> _Compiled | None:
    compiled_by_key = _by_connection.setdefault(connections[using], {})
    cache_key = (key, len(ids))
    if cache_key in compiled_by_key:
        # The latest used last: the least recently used goes first when full.
        compiled_by_key[cache_key] = compiled = compiled_by_key.pop(cache_key)
        return compiled
    if len(compiled_by_key) >= LIMIT:
        del compiled_by_key[next(iter(compiled_by_key))]
    compiled_by_key[cache_key] = compiled = _compile(build, len(ids), using)
    return compiled


def _bindable(ids: list[int]) -> bool:
    """Ids a database column can hold. Another (an id from an address, too large for any
    column) is the id of no row: the queries here filter by their ids, so they find
    nothing, where binding it would fail (SQLite) or be compared as a decimal."""
    return all(type(pk) is int and ID_RANGE[0] <= pk <= ID_RANGE[1] for pk in ids)


def _fetch(compiled: _Compiled, ids: list[int], using: str) -> list[list]:
    connection = connections[using]
    if compiled.prepared_sql is not None and _prepares(connection):
        with _prepared_cursor(connection) as cursor:
            cursor.execute(compiled.prepared_sql, [ids[index] for index in compiled.prepared_ids])
            return cursor.fetchall()
    params = list(compiled.params)
    for position, index in compiled.slots:
        params[position] = ids[index]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        return cursor.fetchall()


def _prepared_cursor(connection):
    """A cursor of the connection that binds its parameters on the server and prepares
    every statement it runs, set up and wrapped as Django sets up and wraps its own
    (``connection.cursor()``): counted by the query-count tests, logged when queries are,
    errors turned into Django's."""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    with connection.wrap_database_errors:
        cursor = _prepared_cursor_class()(connection.connection)
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, cursor)
        return connection._prepare_cursor(cursor)


@functools.cache
def _prepared_cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # psycopg notes the query sent only when it is not prepared; Django's query
            # log (``last_executed_query``) reads that note.
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return PreparedCursor


def rows_for_ids(
    key: Hashable,
    ids: list[int],
    build: Callable[[list[int]], QuerySet],
    *,
    using: str = "default",
) -> list[tuple]:
    """The rows of ``build(ids)``, a ``values_list()`` queryset filtered by ``ids``, as
    tuples. ``key`` names everything the SQL depends on besides the ids (the day, the
    time zone...): two calls with the same key and as many ids must build the same SQL.
    An id no column can hold finds nothing (``_bindable``)."""
    if not ids or not _bindable(ids):
        return []
    compiled = _compiled_for(key, ids, build, using)
    if compiled is None:
        return list(build(ids))
    return [tuple(row) for row in _converted(compiled, _fetch(compiled, ids, using))]


def instances_for_ids(
    key: Hashable,
    ids: list[int],
    build: Callable[[list[int]], QuerySet],
    *,
    using: str = "default",
) -> list[Model]:
    """The model instances of ``build(ids)``, a queryset filtered by ``ids`` (with
    ``select_related`` and annotations if it likes), in its order. ``key`` and ``ids`` as
    for ``rows_for_ids``."""
    if not ids or not _bindable(ids):
        return []
    compiled = _compiled_for(key, ids, build, using)
    if compiled is None:
        return list(build(ids))
    shape = compiled.instance_shape
    if not shape:  # as Django's ModelIterable works it out at every query
        compiler = compiled.compiler
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        shape.update(
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in select[start:end]],
            populators=get_related_populators(klass_info, select, using),
            annotations=list((compiler.annotation_col_map or {}).items()),
            model=klass_info["model"],
        )
    start, end, init_list = shape["start"], shape["end"], shape["init_list"]
    populators, annotations, model = shape["populators"], shape["annotations"], shape["model"]
    instances = []
    for row in _converted(compiled, _fetch(compiled, ids, using)):
        instance = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in annotations:
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances


def rows_of_patient(
    key: Hashable, patient: Model, build: Callable[[list[int]], QuerySet]
) -> list[Model]:
    """``instances_for_ids`` for one patient's rows (``build`` filters on
    ``patient_id__in``), each with ``patient`` as its patient, as the patient's related
    manager would leave them."""
    rows = instances_for_ids(key, [patient.pk], build)
    for row in rows:
        row.patient = patient
    return rows


def attach_children(parents: list[Model], related_name: str, children: list[Model]) -> None:
    """Make ``parent.<related_name>.all()`` answer the ``children`` that point at the
    parent (a reverse foreign key), in their order, and each child's parent the parent
    itself, without a query: what ``prefetch_related`` leaves behind, for children read
    with ``instances_for_ids``."""
    if not parents:
        return
    field = getattr(type(parents[0]), related_name).field  # the children's foreign key
    by_parent: dict[Any, list[Model]] = {parent.pk: [] for parent in parents}
    for child in children:
        by_parent.setdefault(getattr(child, field.attname), []).append(child)
    for parent in parents:
        queryset = getattr(parent, related_name).get_queryset()
        queryset._result_cache = by_parent[parent.pk]
        queryset._prefetch_done = True
        for child in queryset._result_cache:
            field.set_cached_value(child, parent)
        cache = parent.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[field.remote_field.cache_name] = queryset
