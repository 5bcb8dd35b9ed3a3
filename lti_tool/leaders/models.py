"""A leader's dismissal of the stall nudge for one of their teams: hidden until ``until``
(a week later); the nudge comes back after that if the team is still stalled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.tenancy import TenantScoped


class NudgeDismissal(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "leader_nudge_dismissals"
    __table_args__ = (
        UniqueConstraint("team_id", "person_id", name="uq_leader_nudge_dismissals_team_person"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(DateTime)
    dismissed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
