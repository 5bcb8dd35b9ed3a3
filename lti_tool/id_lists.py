"""JSON columns that list ids of another table's rows: the skills a path step builds, a
learner's interests. They are not foreign keys, so the database neither checks them nor follows
a deletion: whoever deletes such a row takes its id out of every list (``remove``), in the same
transaction.

A column says whose ids it lists where it is declared::

    skill_ids: Mapped[list[int]] = mapped_column(JSON, default=list, info=ids_of("skills"))

``holds(column, id)`` finds the rows whose list holds an id in SQL, on SQLite (``json_each``)
and PostgreSQL (``jsonb`` containment), so nothing but those rows is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from lti_tool.extensions import db

INFO_KEY = "lists_ids_of"


def ids_of(table: str) -> dict[str, str]:
    """The ``info`` of a JSON column listing ids of rows of ``table``."""
    return {INFO_KEY: table}


def columns_listing(table: str) -> list[InstrumentedAttribute[Any]]:
    """Every mapped JSON column marked as listing ids of ``table``'s rows."""
    from lti_tool import models  # noqa: F401  (every model, so none is missed)

    found = []
    for mapper in db.Model.registry.mappers:  # type: ignore[attr-defined]
        for prop in mapper.column_attrs:
            if any(c.info.get(INFO_KEY) == table for c in prop.columns):
                found.append(getattr(mapper.class_, prop.key))
    return sorted(found, key=lambda c: (c.class_.__tablename__, c.key))


class holds(FunctionElement[bool]):
    """``holds(column, value)``: the JSON list in ``column`` has ``value`` as an item."""

    type = Boolean()
    inherit_cache = True
    name = "holds"


@compiles(holds, "sqlite")
def _holds_sqlite(element: holds, compiler: SQLCompiler, **kw: Any) -> str:
    # The column's name and a bound parameter's placeholder, as SQLAlchemy compiled them.
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    listed = f"SELECT 1 FROM json_each({column}) AS listed WHERE listed.value = {value}"  # noqa: S608
    return f"EXISTS ({listed})"


@compiles(holds, "postgresql")
def _holds_postgresql(element: holds, compiler: SQLCompiler, **kw: Any) -> str:
    # The column's name and a bound parameter's placeholder, as SQLAlchemy compiled them.
    column, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({column} AS JSONB) @> jsonb_build_array({value}))"


def remove(table: str, value: int, registration_id: int) -> int:
    """Take ``value`` out of every list of ``table``'s ids held by rows of the registration;
    returns how many rows changed. Only the rows holding it are read."""
    changed = 0
    for column in columns_listing(table):
        model = column.class_
        query = select(model).where(model.registration_id == registration_id, holds(column, value))
        for row in db.session.scalars(query):
            before = getattr(row, column.key) or []
            after = [item for item in before if item != value]
            if after != before:
                setattr(row, column.key, after)
                changed += 1
    db.session.flush()
    return changed
