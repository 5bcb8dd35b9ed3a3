"""Learning events: one table every feature writes to and every dashboard and export reads.

The API is one function::

    record_event(registration_id, person_id, Verb.COMPLETED, "step", f"{path.id}:{key}",
                 title=node.title, path_id=path.id, minutes=node.minutes)

- ``verb`` is one of :class:`~lti_tool.insights.models.Verb`: assigned, started, completed,
  rated, shared, coached, awarded.
- ``object_type`` / ``object_id`` name what it is about: ``path`` (the path id), ``step``
  (``"<path id>:<step key>"``), ``tip``/``question``/``answer`` (the post or answer id),
  ``catalog_item``, ``coaching``, ``badge``... Any short name works; keep one per kind of thing.
- An event is **recorded once**: the same person, verb and object again changes nothing and
  returns False (so callers need not check first, and a retried request counts once).
- ``occurred_at`` defaults to now; ``minutes`` is learning time (completed steps: the step's
  minutes); ``score`` a rating; ``role_id`` the job role it counts for (default: the path's
  role, else the person's role at that moment).

It runs in the caller's transaction (adds and flushes, never commits: a change that rolls back
records nothing) and keeps the monthly summary (``learning_months``) up to date in the same
statement batch, so organisation-wide dashboards never aggregate the raw table.
Callers today: paths (assigned, started, completed for paths and steps) and community (shared
for tips, questions and answers). ``backfill`` records what happened before this table existed.
With ``XAPI_ENDPOINT`` set, each new event is also queued for the LRS (``insights.xapi``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from lti_tool.extensions import db
from lti_tool.insights import xapi
from lti_tool.insights.models import LearningEvent, LearningMonth, Verb
from lti_tool.lti.models import utcnow
from lti_tool.tenancy import CrossTenantWrite, current_tenant


def _insert(model: Any) -> Any:
    """The dialect's INSERT (both PostgreSQL and SQLite know ON CONFLICT)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def _role_for(person_id: int, path_id: int | None) -> int | None:
    from lti_tool.paths.models import Path
    from lti_tool.roles import services as roles

    if path_id is not None:
        role = db.session.scalar(select(Path.role_id).where(Path.id == path_id))
        if role is not None:
            return role
    return roles.effective_role_id(person_id)


def record_event(
    registration_id: int,
    person_id: int,
    verb: Verb | str,
    object_type: str,
    object_id: str | int,
    *,
    title: str = "",
    path_id: int | None = None,
    role_id: int | None = None,
    minutes: int = 0,
    score: float | None = None,
    occurred_at: datetime | None = None,
) -> bool:
    """Record the event unless it is already recorded; True when it is new."""
    verb = Verb(verb)
    tenant = current_tenant(db.session)
    if tenant is not None and tenant != registration_id:
        raise CrossTenantWrite(
            f"learning event of registration {registration_id} written while serving {tenant}"
        )
    when = occurred_at or utcnow()
    if role_id is None:
        role_id = _role_for(person_id, path_id)
    db.session.flush()  # the caller's pending rows first (the event may refer to them)
    inserted = db.session.execute(
        _insert(LearningEvent)
        .values(
            registration_id=registration_id,
            person_id=person_id,
            verb=verb.value,
            object_type=object_type[:30],
            object_id=str(object_id)[:80],
            title=title[:200],
            path_id=path_id,
            role_id=role_id,
            minutes=max(0, int(minutes)),
            score=score,
            occurred_at=when,
            recorded_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=["registration_id", "person_id", "verb", "object_type", "object_id"]
        )
        .returning(LearningEvent.id)
    ).first()
    if inserted is None:
        return False
    if xapi.enabled():
        xapi.queue(registration_id, inserted[0])
    _count(
        registration_id,
        (month_of(when), verb.value, object_type[:30], path_id or 0, role_id or 0),
        minutes,
    )
    return True


def _count(registration_id: int, key: tuple[date, str, str, int, int], minutes: int) -> None:
    month, verb, object_type, path_id, role_id = key
    stmt = _insert(LearningMonth).values(
        registration_id=registration_id,
        month=month,
        verb=verb,
        object_type=object_type,
        path_id=path_id,
        role_id=role_id,
        events=1,
        minutes=max(0, int(minutes)),
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                "registration_id",
                "month",
                "verb",
                "object_type",
                "path_id",
                "role_id",
            ],
            set_={
                "events": LearningMonth.events + stmt.excluded.events,
                "minutes": LearningMonth.minutes + stmt.excluded.minutes,
            },
        )
    )


def rebuild_months(registration_id: int) -> int:
    """Recount the monthly summary from the events (after a bulk load or a repair)."""
    db.session.execute(
        delete(LearningMonth).where(LearningMonth.registration_id == registration_id)
    )
    month: Any
    if db.session.get_bind().dialect.name == "postgresql":
        month = func.date_trunc(literal_column("'month'"), LearningEvent.occurred_at).cast(db.Date)
    else:
        month = func.date(LearningEvent.occurred_at, literal_column("'start of month'"))
    # The same expression objects in SELECT and GROUP BY (PostgreSQL compares them as written).
    path_id = func.coalesce(LearningEvent.path_id, literal_column("0"))
    role_id = func.coalesce(LearningEvent.role_id, literal_column("0"))
    rows = (
        select(
            LearningEvent.registration_id,
            month,
            LearningEvent.verb,
            LearningEvent.object_type,
            path_id,
            role_id,
            func.count(),
            func.coalesce(func.sum(LearningEvent.minutes), literal_column("0")),
        )
        .where(LearningEvent.registration_id == registration_id)
        .group_by(
            LearningEvent.registration_id,
            month,
            LearningEvent.verb,
            LearningEvent.object_type,
            path_id,
            role_id,
        )
    )
    db.session.execute(
        LearningMonth.__table__.insert().from_select(
            [
                "registration_id",
                "month",
                "verb",
                "object_type",
                "path_id",
                "role_id",
                "events",
                "minutes",
            ],
            rows,
        )
    )
    return (
        db.session.scalar(
            select(func.count()).where(LearningMonth.registration_id == registration_id)
        )
        or 0
    )


def events_of(person_id: int, limit: int = 50) -> list[LearningEvent]:
    return list(
        db.session.scalars(
            select(LearningEvent)
            .where(LearningEvent.person_id == person_id)
            .order_by(LearningEvent.occurred_at.desc(), LearningEvent.id.desc())
            .limit(limit)
        )
    )


def backfill(registration_id: int) -> int:
    """Record, once, the events that happened before this table existed (assignments, starts,
    completed steps and paths, tips, questions and answers, coaching given, badges). Safe to
    run again: already recorded events are left alone. Returns how many were new."""
    from lti_tool.community.models import Answer, Post
    from lti_tool.paths.models import Assignment, Path, PathNode, StepProgress

    new = 0
    paths = {p.id: p for p in db.session.scalars(select(Path))}
    for a in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        p = paths.get(a.path_id)
        if p is None:
            continue
        new += record_event(
            registration_id,
            a.person_id,
            Verb.ASSIGNED,
            "path",
            p.id,
            title=p.title,
            path_id=p.id,
            occurred_at=a.assigned_at,
        )
        if a.started_at is not None:
            new += record_event(
                registration_id,
                a.person_id,
                Verb.STARTED,
                "path",
                p.id,
                title=p.title,
                path_id=p.id,
                occurred_at=a.started_at,
            )
        if a.completed_at is not None:
            new += record_event(
                registration_id,
                a.person_id,
                Verb.COMPLETED,
                "path",
                p.id,
                title=p.title,
                path_id=p.id,
                occurred_at=a.completed_at,
            )
        steps = {
            n.key: n
            for n in db.session.scalars(select(PathNode).where(PathNode.version_id == a.version_id))
        }
        for sp in db.session.scalars(
            select(StepProgress).where(
                StepProgress.assignment_id == a.id, StepProgress.completed_at.is_not(None)
            )
        ):
            node = steps.get(sp.step_key)
            if node is None or sp.completed_at is None:
                continue
            new += record_event(
                registration_id,
                a.person_id,
                Verb.COMPLETED,
                "step",
                f"{p.id}:{sp.step_key}",
                title=node.title,
                path_id=p.id,
                minutes=node.minutes,
                occurred_at=sp.completed_at,
            )
    for post in db.session.scalars(select(Post).where(Post.author_id.is_not(None))):
        assert post.author_id is not None
        new += record_event(
            registration_id,
            post.author_id,
            Verb.SHARED,
            post.kind,
            post.id,
            title=post.title,
            occurred_at=post.created_at,
        )
    for answer in db.session.scalars(select(Answer).where(Answer.author_id.is_not(None))):
        assert answer.author_id is not None
        new += record_event(
            registration_id,
            answer.author_id,
            Verb.SHARED,
            "answer",
            answer.id,
            occurred_at=answer.created_at,
        )
    from lti_tool.coaching import services as coaching
    from lti_tool.coaching.models import CoachingSession
    from lti_tool.recognition.models import Award, Badge

    for session in db.session.scalars(
        select(CoachingSession).where(CoachingSession.completed_at.is_not(None))
    ):
        new += coaching.record_coached(session)
    badges = dict(db.session.execute(select(Badge.id, Badge.name)).all())
    for award in db.session.scalars(select(Award)):
        new += record_event(
            registration_id,
            award.person_id,
            Verb.AWARDED,
            "badge",
            award.badge_id,
            title=badges.get(award.badge_id, ""),
            occurred_at=award.awarded_at,
        )
    return new
