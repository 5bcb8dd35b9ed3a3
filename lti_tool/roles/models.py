"""Job roles, the skill framework, teams, and who holds which job role (per tenant).

A person's job role can come from several sources at once (the LTI custom parameter, an HR CSV
import, an administrator, an approved request). Each source's current choice is one
``PersonRole`` row with ``ended_at`` NULL; ended rows are the history. Which one counts is
decided in services.effective_role (see PRECEDENCE there).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.i18n import _l
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.tenancy import TenantScoped

LEVELS = (1, 2, 3, 4, 5)


class Source(enum.StrEnum):
    LTI = "lti"
    HR_CSV = "hr_csv"
    ADMIN = "admin"
    REQUEST = "request"

    @property
    def label(self) -> str:
        """The source's name in the page's language ("the HR import")."""
        return str(SOURCE_LABELS[self])

    @property
    def from_label(self) -> str:
        """Where a role came from, to follow a role's name ("from the HR import"): one phrase,
        so languages that join the preposition and article ("del LMS") can."""
        return str(FROM_SOURCE[self])


SOURCE_LABELS = {
    Source.LTI: _l("the LMS (LTI launch)"),
    Source.HR_CSV: _l("the HR import"),
    Source.ADMIN: _l("an administrator"),
    Source.REQUEST: _l("an approved request"),
}
FROM_SOURCE = {
    Source.LTI: _l("from the LMS (LTI launch)"),
    Source.HR_CSV: _l("from the HR import"),
    Source.ADMIN: _l("from an administrator"),
    Source.REQUEST: _l("from an approved request"),
}


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The request's state in the page's language ("approved")."""
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {
    # Translators: the state of a role-change request ("solicitud", feminine in Spanish)
    RequestStatus.PENDING: _l("pending"),
    RequestStatus.APPROVED: _l("approved"),
    RequestStatus.DECLINED: _l("declined"),
    RequestStatus.WITHDRAWN: _l("withdrawn"),
}


class JobRole(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "job_roles"
    __table_args__ = (UniqueConstraint("registration_id", "name", name="uq_job_roles_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Other spellings the LMS or HR system may use for this role ("Tier 2 agent" for Senior agent).
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set on rows the starter set created, so importing it again never duplicates or overwrites.
    starter_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    targets: Mapped[list[RoleSkillTarget]] = relationship(
        back_populates="role", cascade="all, delete-orphan", passive_deletes=True
    )


class Skill(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("registration_id", "name", name="uq_skills_name"),
        # SQLite would give a new row the id of the newest deleted one (the largest rowid, plus
        # one); AUTOINCREMENT never gives an id twice, as PostgreSQL's sequences.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Five short descriptions, of proficiency levels 1 to 5.
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    starter_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    def level_text(self, level: int) -> str:
        return self.levels[level - 1] if 0 < level <= len(self.levels) else ""


class RoleSkillTarget(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """The level a role needs in a skill; no row means the role does not need the skill."""

    __tablename__ = "role_skill_targets"
    __table_args__ = (UniqueConstraint("role_id", "skill_id", name="uq_role_skill_targets_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("job_roles.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)

    role: Mapped[JobRole] = relationship(back_populates="targets")


class Team(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("registration_id", "name", name="uq_teams_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    leader: Mapped[Person | None] = relationship(foreign_keys=[leader_id])
    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class TeamMember(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person belongs to at most one team."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("person_id", name="uq_team_members_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()


class PersonRole(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One source's choice of a person's job role; current while ended_at is NULL."""

    __tablename__ = "person_roles"
    __table_args__ = (Index("ix_person_roles_person_current", "person_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_roles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The role's name when assigned: history stays readable after a role is renamed or deleted.
    role_name: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(20))
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    set_by: Mapped[str] = mapped_column(String(255), default="")
    set_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    note: Mapped[str] = mapped_column(String(500), default="")

    role: Mapped[JobRole | None] = relationship()

    @property
    def source_enum(self) -> Source:
        return Source(self.source)


class RoleChangeRequest(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "role_change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("job_roles.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    role: Mapped[JobRole] = relationship()

    @property
    def status_label(self) -> str:
        return RequestStatus(self.status).label


class CareerGoal(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """The role a person is working towards."""

    __tablename__ = "career_goals"
    __table_args__ = (UniqueConstraint("person_id", name="uq_career_goals_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("job_roles.id", ondelete="CASCADE"))
    set_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    role: Mapped[JobRole] = relationship()
