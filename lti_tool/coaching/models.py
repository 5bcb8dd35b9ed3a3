"""Peer coaching and shadowing, per tenant.

A person *offers* coaching or shadowing on some skills and adds *slots* (a date and time, a
length, a place or a call link). Someone else books a slot: directly when the offer says so,
otherwise as a request the coach confirms or declines. The booking is a *session*. A slot holds
at most one live session (``CoachingSlot.session_id``, set by a conditional UPDATE so that two
people cannot take it at once); a cancelled or declined session frees it again.

After the slot's time both sides sign off (a shadowing session ticks its checklist first). Once
both did, the session is evidence for the learner's path step chosen at booking (or one matched
by kind and skill), recorded through lti_tool.paths.services. A side that did not come is marked
as a no-show by the other side; that is never evidence.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.i18n import N_, _
from lti_tool.i18n_stored import said_again
from lti_tool.id_lists import ids_of
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.tenancy import TenantScoped


class OfferKind(enum.StrEnum):
    COACHING = "coaching"
    SHADOWING = "shadowing"

    @property
    def label(self) -> str:
        return {"coaching": _("Coaching"), "shadowing": _("Shadowing")}[self.value]


class Booking(enum.StrEnum):
    DIRECT = "direct"  # the first person to book a slot has it
    REQUEST = "request"  # the coach confirms or declines each request


class SessionStatus(enum.StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"  # both sides signed off
    DECLINED = "declined"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {
            "requested": _("waiting for the coach"),
            "confirmed": _("booked"),
            "completed": _("done, both signed off"),
            "declined": _("declined"),
            "cancelled": _("cancelled"),
            "no_show": _("no-show"),
        }[self.value]

    @property
    def live(self) -> bool:
        """Holds its slot."""
        return self in (SessionStatus.REQUESTED, SessionStatus.CONFIRMED)


class CoachingOffer(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "coaching_offers"
    __table_args__ = (Index("ix_coaching_offers_active", "registration_id", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=OfferKind.COACHING.value)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    booking: Mapped[str] = mapped_column(String(20), default=Booking.REQUEST.value)
    skill_ids: Mapped[list[int]] = mapped_column(JSON, default=list, info=ids_of("skills"))
    # Shadowing: what the learner watches for, ticked during the session.
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    coach: Mapped[Person] = relationship()

    @property
    def offer_kind(self) -> OfferKind:
        return OfferKind(self.kind)

    @property
    def direct(self) -> bool:
        return self.booking == Booking.DIRECT.value


class CoachingSlot(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "coaching_slots"
    __table_args__ = (Index("ix_coaching_slots_offer_start", "offer_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("coaching_offers.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    place: Mapped[str] = mapped_column(String(500), default="")
    # The live session holding the slot (None: free). Taken by a conditional UPDATE.
    session_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    offer: Mapped[CoachingOffer] = relationship()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def place_is_link(self) -> bool:
        return self.place.startswith(("https://", "http://"))


# Written for the other side to read, so stored in English (the coach's or learner's page
# language is not the reader's) and said again in the reader's language when shown.
WITHDRAWN = N_("The coach withdrew the offer.")
ABSENT = N_("Did not come.")
REASONS = (WITHDRAWN, ABSENT)
COUNTS_FOR_STEP = N_("“%(step)s” on %(path)s")
COUNTS_FOR_SKILL = N_("the skill %(names)s")
COUNTS_FOR_SKILLS = N_("the skills %(names)s")
COUNTS_FOR = (COUNTS_FOR_STEP, COUNTS_FOR_SKILL, COUNTS_FOR_SKILLS)


class CoachingSession(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "coaching_sessions"
    __table_args__ = (
        Index("ix_coaching_sessions_learner", "learner_id", "status"),
        Index("ix_coaching_sessions_coach", "coach_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_slots.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(ForeignKey("coaching_offers.id", ondelete="CASCADE"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.REQUESTED.value)
    # Copied from the slot when booked, so a session keeps its time after the slot changes.
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    note: Mapped[str] = mapped_column(Text, default="")  # the learner's, when booking
    skill_ids: Mapped[list[int]] = mapped_column(JSON, default=list, info=ids_of("skills"))
    # The learner's path step this session is evidence for (chosen at booking, or matched).
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("path_assignments.id", ondelete="SET NULL"), nullable=True
    )
    step_key: Mapped[str] = mapped_column(String(40), default="")
    # [{"text": ..., "done": bool}], copied from the offer.
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    coach_signed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    coach_note: Mapped[str] = mapped_column(Text, default="")
    learner_signed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    learner_note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Cancelled, declined or marked as a no-show: by whom, when, why.
    ended_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    # No-show: the person who did not come.
    absent_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    # What the sign-off counted for, in words ("step “…” of …", "skill De-escalation").
    evidence_for: Mapped[str] = mapped_column(String(500), default="")

    slot: Mapped[CoachingSlot] = relationship()
    offer: Mapped[CoachingOffer] = relationship()
    coach: Mapped[Person] = relationship(foreign_keys=[coach_id])
    learner: Mapped[Person] = relationship(foreign_keys=[learner_id])
    ended_by: Mapped[Person | None] = relationship(foreign_keys=[ended_by_id])

    @property
    def state(self) -> SessionStatus:
        return SessionStatus(self.status)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def offer_kind(self) -> OfferKind:
        return OfferKind(self.kind)

    @property
    def is_shadowing(self) -> bool:
        return self.kind == OfferKind.SHADOWING.value

    @property
    def end_reason_text(self) -> str:
        """Why it ended, in the page's language where Wayfinder wrote it (a person's own words
        as they wrote them)."""
        return said_again(self.end_reason, REASONS)

    @property
    def evidence_text(self) -> str:
        """What the sign-off counted for, in the page's language."""
        return said_again(self.evidence_for, COUNTS_FOR)
