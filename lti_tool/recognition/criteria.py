"""Who meets a badge's criterion, and in what words (the award's evidence).

Each criterion is answered for a set of people in one query (or for everyone in the tenant when
``person_ids`` is None, as ``flask recognition award`` asks). Coaching sessions given come from
lti_tool/coaching (``coaching_sessions_given``) and a person's level in a skill from the self
and leader ratings of lti_tool/paths/personal.py (``skill_levels``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from lti_tool.community.models import Kind, Post, Status
from lti_tool.extensions import db
from lti_tool.i18n import N_, Nn_
from lti_tool.i18n_stored import said_again, written
from lti_tool.paths.models import Assignment, Path
from lti_tool.people.models import Person
from lti_tool.recognition.models import Badge, Criterion
from lti_tool.roles.models import Skill


def coaching_sessions_given(person_ids: Iterable[int] | None) -> dict[int, int]:
    """Coaching sessions each person has given (as the coach), by person id; people with none
    may be left out. None asks for everyone in the tenant.

    A session counts once both sides signed it off (lti_tool/coaching: status completed)."""
    from lti_tool.coaching.models import CoachingSession, SessionStatus

    stmt = (
        select(CoachingSession.coach_id, func.count())
        .where(CoachingSession.status == SessionStatus.COMPLETED.value)
        .group_by(CoachingSession.coach_id)
    )
    if person_ids is not None:
        stmt = stmt.where(CoachingSession.coach_id.in_(set(person_ids)))
    return {int(pid): int(n) for pid, n in db.session.execute(stmt)}


def skill_levels(skill_id: int, person_ids: Iterable[int] | None) -> dict[int, int]:
    """Each person's current level (1-5) in one skill, by person id; people with no known level
    may be left out. None asks for everyone in the tenant.

    From the ratings of lti_tool/paths/personal.py: the leader's rating where there is one,
    else the person's own."""
    from lti_tool.paths.personal_models import Rater, SkillRating

    stmt = select(SkillRating.person_id, SkillRating.rater, SkillRating.level).where(
        SkillRating.skill_id == skill_id
    )
    if person_ids is not None:
        stmt = stmt.where(SkillRating.person_id.in_(set(person_ids)))
    levels: dict[int, int] = {}
    for pid, rater, level in db.session.execute(stmt):
        if rater == Rater.LEADER.value or pid not in levels:
            levels[int(pid)] = int(level)
    return levels


# The evidence is stored in English as written (the exported badge carries it); award pages say
# it again in the reader's language (``evidence_text``).
GAVE_SESSIONS = Nn_(
    "Gave %(num)s coaching session (the badge asks for %(need)s).",
    "Gave %(num)s coaching sessions (the badge asks for %(need)s).",
)
SHARED_TIPS = Nn_(
    "Shared %(num)s tip that experts verified (the badge asks for %(need)s).",
    "Shared %(num)s tips that experts verified (the badge asks for %(need)s).",
)
REACHED = N_("Reached level %(level)s in %(name)s (the badge asks for %(need)s).")
COMPLETED = N_("Completed the learning path “%(title)s” on %(date)s.")
COMPLETED_ANY = N_("Completed a learning path on %(date)s.")
EVIDENCE = (GAVE_SESSIONS, SHARED_TIPS, REACHED, COMPLETED, COMPLETED_ANY)
EVIDENCE_DATE = "%d %B %Y"


def evidence_text(evidence: str) -> str:
    """An award's stored evidence in the page's language, its date written as the page writes
    dates; evidence Wayfinder did not write is shown as it is."""
    return said_again(evidence, EVIDENCE, dates={"date": (EVIDENCE_DATE, "dd MMMM y")})


@dataclass(frozen=True)
class Met:
    person_id: int
    evidence: str


def _limit(stmt: object, column: object, person_ids: set[int] | None) -> object:
    return stmt if person_ids is None else stmt.where(column.in_(person_ids))  # type: ignore[attr-defined]


def who_meets(badge: Badge, person_ids: Iterable[int] | None = None) -> list[Met]:
    """The people (of the current tenant) meeting the badge's criterion, with the evidence."""
    wanted = None if person_ids is None else set(person_ids)
    if wanted is not None and not wanted:
        return []
    kind = badge.criterion_enum
    if kind is Criterion.PATH_COMPLETED:
        return _paths_completed(badge, wanted)
    if kind is Criterion.VERIFIED_TIPS:
        return _verified_tips(badge, wanted)
    # The two counting functions answer by person id: keep only this tenant's people.
    scope = wanted if wanted is not None else set(everyone())
    if kind is Criterion.COACHING_GIVEN:
        counts = coaching_sessions_given(wanted)
        need = max(badge.threshold, 1)
        return [
            Met(pid, written(GAVE_SESSIONS, num=n, need=need))
            for pid, n in sorted(counts.items())
            if n >= need and pid in scope
        ]
    if kind is Criterion.SKILL_LEVEL:
        if badge.skill_id is None:
            return []
        skill = db.session.get(Skill, badge.skill_id)
        name = skill.name if skill else "the skill"
        levels = skill_levels(badge.skill_id, wanted)
        return [
            Met(pid, written(REACHED, level=level, name=name, need=badge.threshold))
            for pid, level in sorted(levels.items())
            if level >= badge.threshold and pid in scope
        ]
    return []  # Criterion.LEADER: only a leader or trainer awards it


def _paths_completed(badge: Badge, wanted: set[int] | None) -> list[Met]:
    stmt = (
        select(Assignment.person_id, func.min(Assignment.completed_at))
        .where(Assignment.completed_at.is_not(None))
        .group_by(Assignment.person_id)
    )
    title = ""
    if badge.path_id is not None:
        stmt = stmt.where(Assignment.path_id == badge.path_id)
        path = db.session.get(Path, badge.path_id)
        title = path.title if path else ""
    stmt = _limit(stmt, Assignment.person_id, wanted)  # type: ignore[assignment]
    out = []
    for pid, when in db.session.execute(stmt):  # type: ignore[call-overload]
        day = f"{when:{EVIDENCE_DATE}}"
        words = (
            written(COMPLETED, title=title, date=day) if title else written(COMPLETED_ANY, date=day)
        )
        out.append(Met(pid, words))
    return out


def _verified_tips(badge: Badge, wanted: set[int] | None) -> list[Met]:
    need = max(badge.threshold, 1)
    count = func.count(Post.id)
    stmt = (
        select(Post.author_id, count)
        .where(
            Post.kind == Kind.TIP.value,
            Post.status == Status.VISIBLE.value,
            Post.verified_at.is_not(None),
            Post.author_id.is_not(None),
        )
        .group_by(Post.author_id)
        .having(count >= need)
    )
    stmt = _limit(stmt, Post.author_id, wanted)  # type: ignore[assignment]
    return [
        Met(pid, written(SHARED_TIPS, num=n, need=need))
        for pid, n in db.session.execute(stmt)  # type: ignore[call-overload]
        if pid is not None
    ]


def everyone() -> list[int]:
    return list(db.session.scalars(select(Person.id)))
