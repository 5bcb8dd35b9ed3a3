"""Insights: KPI metrics and values per person and day, KPI imports, learning events (and their
monthly summary that dashboards read), and saved impact reports. Every row belongs to a tenant.

The two large tables (``kpi_values``, ``learning_events``) carry ``registration_id`` without an
index of its own (as ``step_progress`` does): every query names a metric, a person or an object
first, and an index on the tenant alone would cost each of millions of inserts for nothing.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.lti.models import utcnow
from lti_tool.tenancy import TenantScoped


class Verb(enum.StrEnum):
    ASSIGNED = "assigned"
    STARTED = "started"
    COMPLETED = "completed"
    RATED = "rated"
    SHARED = "shared"
    COACHED = "coached"
    AWARDED = "awarded"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class KpiMetric(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A named KPI and which way is better. CSAT, AHT, FCR and QA score are made for every
    tenant (``services.ensure_standard_metrics``); instructors add others."""

    __tablename__ = "kpi_metrics"
    __table_args__ = (UniqueConstraint("registration_id", "key", name="uq_kpi_metrics_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))  # what the CSV names it (lower case)
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(20), default="")
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def direction(self) -> str:
        return _("higher is better") if self.higher_is_better else _("lower is better")


class KpiValue(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One person's value of one metric on one day (the newest import wins)."""

    __tablename__ = "kpi_values"
    __table_args__ = (
        UniqueConstraint("metric_id", "person_id", "day", name="uq_kpi_values_point"),
        Index("ix_kpi_values_person", "person_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Only the person is a foreign key (deleting a person, or their whole registration,
    # cascades through it). A foreign-key check per row on the tenant and the metric took
    # 60% of a 100,000-row import on PostgreSQL; kpi.delete_metric deletes a metric's values.
    registration_id: Mapped[int] = mapped_column(Integer)
    metric_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    import_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class KpiImport(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """An uploaded KPI file: kept from the preview to the apply (so the file travels once), then
    as the history of imports."""

    __tablename__ = "kpi_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_by: Mapped[str] = mapped_column(String(255), default="")
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LearningEvent(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One learning event, recorded once: (person, verb, object) is unique per tenant."""

    __tablename__ = "learning_events"
    __table_args__ = (
        UniqueConstraint(
            "registration_id",
            "person_id",
            "verb",
            "object_type",
            "object_id",
            name="uq_learning_events_once",
        ),
        Index("ix_learning_events_object", "object_type", "object_id", "verb"),
        Index("ix_learning_events_occurred", "registration_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    verb: Mapped[str] = mapped_column(String(20))
    # "path", "step" (object_id "<path id>:<step key>"), "tip", "question", "answer",
    # "catalog_item", "coaching", "badge"...
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200), default="")
    path_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The job role the event counts for: the path's role, else the person's role then.
    role_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LearningMonth(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """Events counted per month, verb, kind of object, path and role: what organisation-wide dashboards read
    (a few thousand rows instead of millions). Kept up to date by ``record_event``; rebuilt
    from ``learning_events`` by ``flask insights rebuild``. 0 stands for no path / no role."""

    __tablename__ = "learning_months"
    __table_args__ = (
        UniqueConstraint(
            "registration_id",
            "month",
            "verb",
            "object_type",
            "path_id",
            "role_id",
            name="uq_learning_months_key",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # its first day
    verb: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(30))
    path_id: Mapped[int] = mapped_column(Integer, default=0)
    role_id: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class ImpactReport(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A computed impact report: what was asked and what was found, at the time it was run."""

    __tablename__ = "impact_reports"
    __table_args__ = (Index("ix_impact_reports_ran", "registration_id", "ran_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(40), default="")
    metric_id: Mapped[int] = mapped_column(ForeignKey("kpi_metrics.id", ondelete="CASCADE"))
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_roles.id", ondelete="SET NULL"), nullable=True
    )
    window_days: Mapped[int] = mapped_column(Integer)
    min_group: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ran_by: Mapped[str] = mapped_column(String(255), default="")
    ran_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class XapiOutbox(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A learning event waiting to be sent to the LRS as an xAPI statement (only when
    XAPI_ENDPOINT is set); deleted once the LRS took it."""

    __tablename__ = "xapi_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("learning_events.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
