"""Registrations (one per LMS tenant), their deployments, Wayfinder's own signing keys, and a
log of launch outcomes for the admin's diagnostics."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class PlatformKind(enum.StrEnum):
    MOODLE = "moodle"
    CANVAS = "canvas"
    OTHER = "other"


class DeploymentStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    DISABLED = "disabled"


class KeyStatus(enum.StrEnum):
    NEXT = "next"
    CURRENT = "current"
    RETIRED = "retired"


class Registration(db.Model):  # type: ignore[name-defined,misc]
    """One LMS tenant: an (issuer, client_id) pair. Moodle makes one per dynamic registration."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("issuer", "client_id", name="uq_registrations_issuer_client"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    platform: Mapped[PlatformKind] = mapped_column(
        Enum(
            PlatformKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=PlatformKind.OTHER,
    )
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500), default="")
    auth_audience: Mapped[str] = mapped_column(String(500), default="")
    key_set_url: Mapped[str] = mapped_column(String(500))
    # Origins of the LMS pages that frame Wayfinder, when they differ from the issuer's
    # (Canvas customers on their own domain). Used for CSP frame-ancestors.
    frame_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # "manual" (CLI) or "dynamic" (LTI Dynamic Registration).
    registered_via: Mapped[str] = mapped_column(String(20), default="manual")
    platform_version: Mapped[str] = mapped_column(String(100), default="")
    # What the platform granted at dynamic registration: {"scopes", "messages", "claims"}.
    granted: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    @property
    def platform_origin(self) -> str:
        """Where the LMS pages that embed Wayfinder live (for frame-ancestors)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

    @property
    def auth_origin(self) -> str:
        """The OIDC auth endpoint's origin: the target origin for LTI Platform Storage messages."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.auth_login_url)
        return f"{parts.scheme}://{parts.netloc}"


class Deployment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint(
            "registration_id", "deployment_id", name="uq_deployments_registration_dep"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[DeploymentStatus] = mapped_column(
        Enum(
            DeploymentStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeploymentStatus.ACTIVE,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_launch_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    registration: Mapped[Registration] = relationship(back_populates="deployments")


class ToolKey(db.Model):  # type: ignore[name-defined,misc]
    """Wayfinder's RSA signing keys. One is current, one is next (already published so platforms
    cache it before it signs anything), retired ones stay published for a grace period."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[KeyStatus] = mapped_column(
        Enum(
            KeyStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        )
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LaunchEvent(db.Model):  # type: ignore[name-defined,misc]
    """One login or launch outcome. Failures carry a cause code and the plain-words explanation
    shown to the person; never the id_token or any secret."""

    __tablename__ = "launch_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    stage: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool] = mapped_column(default=False)
    code: Mapped[str] = mapped_column(String(60), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    issuer: Mapped[str] = mapped_column(String(255), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    deployment_id: Mapped[str] = mapped_column(String(255), default="")
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), nullable=True, index=True
    )
