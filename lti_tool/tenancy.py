"""Tenant isolation: every row of user data belongs to one registration (one LMS tenant).

Rather than trusting each query to remember a WHERE clause, the session carries the tenant of the
current request (set once the launch is known) and an ORM event adds
``registration_id = <tenant>`` to every SELECT, UPDATE and DELETE touching a TenantScoped model,
including relationship loads and joins. New rows for another tenant are refused at flush.
Cross-tenant work (CLI, admin of the whole installation) runs outside a tenant scope.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ForeignKey, Integer, bindparam, event, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

TENANT_KEY = "wayfinder_registration_id"


class TenantScoped:
    """Mixin for models holding a tenant's data."""

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )


class CrossTenantWrite(RuntimeError):
    """A row of one tenant was about to be written while serving another."""


def set_tenant(session: Any, registration_id: int | None) -> None:
    if registration_id is None:
        session.info.pop(TENANT_KEY, None)
    else:
        session.info[TENANT_KEY] = registration_id


def current_tenant(session: Any) -> int | None:
    return session.info.get(TENANT_KEY)


@contextmanager
def tenant_scope(session: Any, registration_id: int) -> Iterator[None]:
    previous = current_tenant(session)
    set_tenant(session, registration_id)
    try:
        yield
    finally:
        set_tenant(session, previous)


# The tenant goes into each scoped statement as a bound parameter of this name, so the criteria
# below are one object for the whole process and a statement scoped once is scoped for good.
TENANT_PARAM = "wayfinder_tenant"

_TENANT = bindparam(TENANT_PARAM, type_=Integer)
_CRITERIA = with_loader_criteria(
    TenantScoped,
    lambda cls: cls.registration_id == _TENANT,
    include_aliases=True,
)

# Statements built once (module-level or functools.cache'd queries) keep their scoped copy here,
# and with it SQLAlchemy's cache key: executing them again costs no new analysis. Statements
# built per call are new objects each time and simply drop out of this weak mapping.
_SCOPED: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def _scoped(statement: Any) -> Any:
    scoped = _SCOPED.get(statement)
    if scoped is None:
        scoped = _SCOPED[statement] = statement.options(_CRITERIA)
    return scoped


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    tenant = state.session.info.get(TENANT_KEY)
    if tenant is None or state.is_column_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        params = state.parameters
        if params is None or isinstance(params, Mapping):
            state.statement = _scoped(state.statement)
            state.parameters = {**(params or {}), TENANT_PARAM: tenant}
        else:
            # A bulk UPDATE by primary key (a list of rows): SQLAlchemy applies no loader
            # criteria to it, so its rows are checked here instead.
            _refuse_foreign_keys(state, tenant, params)


def _refuse_foreign_keys(state: ORMExecuteState, tenant: int, rows: Any) -> None:
    mapper = state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, TenantScoped):
        return
    (pk,) = mapper.primary_key  # tenant-scoped models have one integer key
    attribute = mapper.get_property_by_column(pk).key
    ids = [row[attribute] for row in rows]
    table = mapper.local_table
    # Core on the session's connection: no ORM event, so not scoped to the tenant itself.
    foreign = (
        state.session.connection()
        .execute(
            select(table.c[pk.name])
            .where(table.c[pk.name].in_(ids), table.c.registration_id != tenant)
            .limit(1)
        )
        .first()
    )
    if foreign is not None:
        raise CrossTenantWrite(
            f"{mapper.class_.__name__} {foreign[0]} of another registration updated while "
            f"serving registration {tenant}"
        )


@event.listens_for(Session, "before_flush")
def _refuse_foreign_rows(session: Session, _ctx: Any, _instances: Any) -> None:
    tenant = session.info.get(TENANT_KEY)
    if tenant is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TenantScoped) and obj.registration_id not in (None, tenant):
            raise CrossTenantWrite(
                f"{type(obj).__name__} of registration {obj.registration_id} written while "
                f"serving registration {tenant}"
            )
