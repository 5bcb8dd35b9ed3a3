"""Rating learning, and reading the ratings back.

- ``subject`` finds what a person is about to rate and whether they may: a step they completed,
  a catalog item they enrolled in or completed, a coaching session they were coached in (the
  coach does not rate their own session).
- ``rate`` saves (or changes) a rating and records one "rated" learning event the first time:
  changing it later updates the event's score but never counts twice.
- ``waiting`` is the short "Waiting for your rating" list: completions of the last 14 days not
  rated and not dismissed, in one query.
- The catalog's "how people in your role rated it" reads this table too (``role_ratings``), and
  suggestions weigh what people in the person's role rated well (``role_averages``). Either
  counts only from ``MIN_GROUP`` raters, so nobody's rating can be singled out.

Adds and flushes, never commits (the view commits once).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
    update,
)

from lti_tool.catalog.models import CatalogItem, PlanItem, PlanStatus
from lti_tool.coaching.models import CoachingOffer, CoachingSession, SessionStatus
from lti_tool.extensions import db
from lti_tool.feedback.models import Dismissal, Kind, Rating, RoleAverage
from lti_tool.i18n import _, _l
from lti_tool.insights.events import record_event
from lti_tool.insights.models import LearningEvent, Verb
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id
from lti_tool.paths.models import Assignment, PathNode, StepProgress
from lti_tool.roles import services as roles

COMMENT_MAX = 1000
MIN_GROUP = 3  # ratings by role are shown or used only from this many raters (privacy)
WAITING_DAYS = 14
WAITING_SHOWN = 5

REFUSED = {
    Kind.STEP: _l("You can rate a step once you have completed it."),
    Kind.CATALOG_ITEM: _l("You can rate an item once you have enrolled in it or completed it."),
    Kind.COACHING: _l("Only the person coached can rate a session, once both sides signed it off."),
}


@dataclass(frozen=True)
class Subject:
    kind: Kind
    subject_id: str
    item_key: str
    title: str


def _kind(value: str) -> Kind | None:
    try:
        return Kind(value)
    except ValueError:
        return None


def _step(person_id: int, subject_id: str) -> Subject | None:
    path_part, _sep, key = subject_id.partition(":")
    path_id = as_id(path_part)
    if path_id is None or not key:
        return None
    row = db.session.execute(
        select(PathNode.title)
        .select_from(StepProgress)
        .join(Assignment, Assignment.id == StepProgress.assignment_id)
        .join(
            PathNode,
            and_(
                PathNode.version_id == Assignment.version_id, PathNode.key == StepProgress.step_key
            ),
        )
        .where(
            Assignment.person_id == person_id,
            Assignment.path_id == path_id,
            StepProgress.step_key == key,
            StepProgress.completed_at.is_not(None),
            StepProgress.evidence != "waived",
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    return Subject(Kind.STEP, subject_id, subject_id, row[0])


def _catalog_item(person_id: int, subject_id: str) -> Subject | None:
    item_id = as_id(subject_id)
    if item_id is None:
        return None
    row = db.session.execute(
        select(CatalogItem.title)
        .join(PlanItem, PlanItem.item_id == CatalogItem.id)
        .where(
            PlanItem.person_id == person_id,
            PlanItem.item_id == item_id,
            PlanItem.status.in_((PlanStatus.ENROLLED.value, PlanStatus.COMPLETED.value)),
        )
        .limit(1)
    ).first()
    return None if row is None else Subject(Kind.CATALOG_ITEM, subject_id, subject_id, row[0])


def _coaching(person_id: int, subject_id: str) -> Subject | None:
    session_id = as_id(subject_id)
    if session_id is None:
        return None
    row = db.session.execute(
        select(CoachingSession.offer_id, CoachingOffer.title)
        .join(CoachingOffer, CoachingOffer.id == CoachingSession.offer_id)
        .where(
            CoachingSession.id == session_id,
            CoachingSession.learner_id == person_id,
            CoachingSession.status == SessionStatus.COMPLETED.value,
        )
    ).first()
    if row is None:
        return None
    return Subject(Kind.COACHING, subject_id, str(row[0]), row[1])


def subject(person_id: int, kind: Kind, subject_id: str) -> Subject | None:
    """What the person would rate, or None when they may not rate it (yet)."""
    finder = {Kind.STEP: _step, Kind.CATALOG_ITEM: _catalog_item, Kind.COACHING: _coaching}
    return finder[kind](person_id, subject_id)


def mine(person_id: int, kind: Kind, subject_id: str) -> Rating | None:
    return db.session.scalar(
        select(Rating).where(
            Rating.person_id == person_id,
            Rating.kind == kind.value,
            Rating.subject_id == subject_id,
        )
    )


def mine_for(person_id: int, kind: Kind, subject_ids: list[str]) -> dict[str, Rating]:
    """The person's ratings of several subjects of one kind (a path page), in one query."""
    if not subject_ids:
        return {}
    return {
        r.subject_id: r
        for r in db.session.scalars(
            select(Rating).where(
                Rating.person_id == person_id,
                Rating.kind == kind.value,
                Rating.subject_id.in_(subject_ids),
            )
        )
    }


def rate(
    registration_id: int, person_id: int, kind_value: str, subject_id: str, stars: str, comment: str
) -> tuple[Rating | None, dict[str, str]]:
    """Save the person's rating; (the rating, {}) or (None, {field: what to fix})."""
    kind = _kind(kind_value)
    if kind is None:
        return None, {"stars": _("This cannot be rated.")}
    found = subject(person_id, kind, subject_id)
    if found is None:
        return None, {"stars": str(REFUSED[kind])}
    errors: dict[str, str] = {}
    stars = stars.strip()
    if as_id(stars) not in (1, 2, 3, 4, 5):
        errors["stars"] = _("Choose from 1 to 5 stars.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("Use at most %(num)s characters.", num=COMMENT_MAX)
    if errors:
        return None, errors
    now = utcnow()
    row = mine(person_id, kind, subject_id)
    if row is None:
        row = Rating(
            registration_id=registration_id,
            kind=kind.value,
            subject_id=subject_id,
            person_id=person_id,
            created_at=now,
            stars=int(stars),
        )
        db.session.add(row)
    row.item_key, row.title = found.item_key, found.title[:200]
    row.stars, row.comment, row.updated_at = int(stars), comment, now
    row.role_id = roles.effective_role_id(person_id)
    db.session.flush()
    path_id = int(subject_id.partition(":")[0]) if kind is Kind.STEP else None
    new = record_event(
        registration_id,
        person_id,
        Verb.RATED,
        kind.value,
        subject_id,
        title=found.title,
        path_id=path_id,
        score=float(row.stars),
        occurred_at=now,
    )
    if not new:  # a changed rating: the event keeps counting once, with the newest score
        db.session.execute(
            update(LearningEvent)
            .where(
                LearningEvent.person_id == person_id,
                LearningEvent.verb == Verb.RATED.value,
                LearningEvent.object_type == kind.value,
                LearningEvent.object_id == subject_id,
            )
            .values(score=float(row.stars))
        )
    return row, {}


# --- waiting for a rating -------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    kind: Kind
    subject_id: str
    title: str
    completed_at: datetime


@functools.cache
def _waiting_query() -> Any:
    """Built once (the home page asks it on every launch): the person, the cut-off and the
    limit are bound parameters."""
    person_id: Any = bindparam("person_id")
    since: Any = bindparam("since")
    steps = (
        select(
            literal(Kind.STEP.value).label("kind"),
            (cast(Assignment.path_id, String) + literal(":") + StepProgress.step_key).label("sid"),
            PathNode.title.label("title"),
            StepProgress.completed_at.label("at"),
        )
        .select_from(StepProgress)
        .join(Assignment, Assignment.id == StepProgress.assignment_id)
        .join(
            PathNode,
            and_(
                PathNode.version_id == Assignment.version_id, PathNode.key == StepProgress.step_key
            ),
        )
        .where(
            Assignment.person_id == person_id,
            StepProgress.completed_at >= since,
            # Waived steps were not taken; steps done by a coaching session are rated as
            # the session.
            StepProgress.evidence.not_in(("waived", "coaching")),
        )
    )
    items = (
        select(
            literal(Kind.CATALOG_ITEM.value).label("kind"),
            cast(PlanItem.item_id, String).label("sid"),
            CatalogItem.title.label("title"),
            PlanItem.completed_at.label("at"),
        )
        .join(CatalogItem, CatalogItem.id == PlanItem.item_id)
        .where(
            PlanItem.person_id == person_id,
            PlanItem.status == PlanStatus.COMPLETED.value,
            PlanItem.completed_at >= since,
        )
    )
    sessions = (
        select(
            literal(Kind.COACHING.value).label("kind"),
            cast(CoachingSession.id, String).label("sid"),
            CoachingOffer.title.label("title"),
            CoachingSession.completed_at.label("at"),
        )
        .join(CoachingOffer, CoachingOffer.id == CoachingSession.offer_id)
        .where(
            CoachingSession.learner_id == person_id,
            CoachingSession.status == SessionStatus.COMPLETED.value,
            CoachingSession.completed_at >= since,
        )
    )
    done = union_all(steps, items, sessions).subquery("done")
    return (
        select(done.c.kind, done.c.sid, done.c.title, done.c.at)
        .where(
            ~exists().where(
                Rating.person_id == person_id,
                Rating.kind == done.c.kind,
                Rating.subject_id == done.c.sid,
            ),
            ~exists().where(
                Dismissal.person_id == person_id,
                Dismissal.kind == done.c.kind,
                Dismissal.subject_id == done.c.sid,
            ),
        )
        .order_by(done.c.at.desc())
        .limit(bindparam("limit"))
    )


def waiting(
    person_id: int, limit: int = WAITING_SHOWN, now: datetime | None = None
) -> list[Waiting]:
    """Recent completions not rated and not dismissed, newest first: one query."""
    since = (now or utcnow()) - timedelta(days=WAITING_DAYS)
    rows = db.session.execute(
        _waiting_query(), {"person_id": person_id, "since": since, "limit": limit}
    )
    return [
        Waiting(Kind(kind), sid, title, at if isinstance(at, datetime) else _parse(at))
        for kind, sid, title, at in rows
    ]


def _parse(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def dismiss(registration_id: int, person_id: int, kind_value: str, subject_id: str) -> bool:
    kind = _kind(kind_value)
    if kind is None or not subject_id or len(subject_id) > 80:
        return False
    already = db.session.scalar(
        select(Dismissal.id).where(
            Dismissal.person_id == person_id,
            Dismissal.kind == kind.value,
            Dismissal.subject_id == subject_id,
        )
    )
    if already is None:
        db.session.add(
            Dismissal(
                registration_id=registration_id,
                person_id=person_id,
                kind=kind.value,
                subject_id=subject_id,
            )
        )
        db.session.flush()
    return True


# --- read by the catalog and by suggestions ------------------------------------------------


def role_averages(kind: Kind, subject_ids: Sequence[str], role_id: int) -> dict[str, RoleAverage]:
    """Per subject, the average stars of the raters who held ``role_id`` when they rated it;
    subjects with fewer than MIN_GROUP such raters are left out; averages rounded to one
    decimal, as pages show them. One statement."""
    if not subject_ids:
        return {}
    rows = db.session.execute(
        select(Rating.subject_id, func.avg(Rating.stars), func.count())
        .where(
            Rating.kind == kind.value,
            Rating.role_id == role_id,
            Rating.subject_id.in_(sorted(set(subject_ids))),
        )
        .group_by(Rating.subject_id)
        .having(func.count() >= MIN_GROUP)
    )
    return {sid: RoleAverage(round(float(avg), 1), count) for sid, avg, count in rows}


def ratings_of_item_by_role(item_id: int, role_id: int) -> list[Rating]:
    return list(
        db.session.scalars(
            select(Rating).where(
                Rating.kind == Kind.CATALOG_ITEM.value,
                Rating.subject_id == str(item_id),
                Rating.role_id == role_id,
            )
        )
    )
