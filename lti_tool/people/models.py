"""People, courses (LTI contexts) and memberships, each owned by one registration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.lti.models import utcnow
from lti_tool.lti.roles import Role
from lti_tool.tenancy import TenantScoped


class Person(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("registration_id", "sub", name="uq_people_registration_sub"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    preferred_name: Mapped[str] = mapped_column(String(80), default="")
    job_role: Mapped[str] = mapped_column(String(120), default="")
    # The language their LMS last sent ("es-419", "es_mx"); what is written for them while
    # someone else acts, or a job runs, is written in it (i18n.speaking_to).
    locale: Mapped[str] = mapped_column(String(35), default="", server_default="")
    # The time zone their LMS last sent ("America/Mexico_City"), or "": see lti_tool.timezones.
    timezone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")

    @property
    def _full_name(self) -> str:
        return (
            self.preferred_name
            or self.name
            or " ".join(p for p in (self.given_name, self.family_name) if p)
        )

    @property
    def has_name(self) -> bool:
        """Whether the LMS shared a name (else lists show the email or the LMS's user id)."""
        return bool(self._full_name)

    @property
    def display_name(self) -> str:
        """The person's name, or "Colleague" (in the page's language) when the LMS shares none."""
        return self._full_name or _("Colleague")

    @property
    def known_as(self) -> str:
        """For lists where staff pick or tell people apart: the name, else the email, else the
        LMS's user id, which two people never share (where the LMS shares neither name nor
        email, everyone is "Colleague" by `display_name`)."""
        if self.has_name or not (self.email or self.sub):
            return self.display_name
        return self.email or _("Colleague (LMS user %(id)s)", id=self.sub)


class Course(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "courses"
    __table_args__ = (
        UniqueConstraint("registration_id", "context_id", name="uq_courses_registration_context"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The NRPS context_memberships_url of the latest launch that carried one (roster sync).
    roster_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    roster_synced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The AGS claim of the latest launch that carried one (grade write-back, lti_tool/grades):
    # the course's line items URL and the scopes granted. Kept here so the launch, which has
    # this row in hand, writes them only when they change and reads nothing more.
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    ags_scopes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="course")


class Membership(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("course_id", "person_id", name="uq_memberships_course_person"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    lti_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship(back_populates="memberships")
    course: Mapped[Course] = relationship(back_populates="memberships")

    @property
    def role_labels(self) -> list[str]:
        """The course roles in the page's language ("Learner", "Aprendiz"), as recorded."""
        known = {role.value: role for role in Role}
        return [known[name].label if name in known else name.capitalize() for name in self.roles]
