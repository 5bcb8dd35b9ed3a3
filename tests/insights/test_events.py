"""Learning events: recorded once, fed by paths and community, summarised per month exactly as
a recount from the raw table gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.insights import dashboard, events
from lti_tool.insights.models import LearningEvent, LearningMonth, Verb
from lti_tool.people.models import Person
from lti_tool.tenancy import CrossTenantWrite, tenant_scope
from tests.insights.conftest import new_registration, people


def months() -> list[tuple[Any, ...]]:
    return sorted(
        (str(m.month), m.verb, m.object_type, m.path_id, m.role_id, m.events, m.minutes)
        for m in db.session.scalars(select(LearningMonth))
    )


def test_an_event_is_recorded_once(tenant: int) -> None:
    (ana,) = people(tenant, 1, "ana")
    when = datetime(2026, 3, 5, 9)
    assert events.record_event(tenant, ana.id, Verb.SHARED, "tip", 7, occurred_at=when)
    assert not events.record_event(tenant, ana.id, "shared", "tip", "7", occurred_at=when)
    assert events.record_event(tenant, ana.id, Verb.RATED, "tip", 7, score=4, occurred_at=when)
    assert db.session.scalar(select(func.count()).select_from(LearningEvent)) == 2
    assert months() == [
        ("2026-03-01", "rated", "tip", 0, 0, 1, 0),
        ("2026-03-01", "shared", "tip", 0, 0, 1, 0),
    ]


def test_another_tenants_event_is_refused(tenant: int) -> None:
    (ana,) = people(tenant, 1, "ana")
    with tenant_scope(db.session, new_registration("other")), pytest.raises(CrossTenantWrite):
        events.record_event(tenant, ana.id, Verb.SHARED, "tip", 1)


def test_paths_and_community_record_their_events(clean_app: Any) -> None:
    with clean_app.app_context():
        reg = demo.seed("http://127.0.0.1:1", "http://localhost:1")
        with tenant_scope(db.session, reg.id):
            ana = db.session.scalar(select(Person).where(Person.sub == "ana"))
            assert ana is not None
            mine = {(e.verb, e.object_type) for e in events.events_of(ana.id)}
            # Ana's path (assigned, started, two steps done and the shadowing step both sides
            # signed off: lti_tool/devlauncher/demo_coaching.py) and her community question.
            assert {("assigned", "path"), ("started", "path"), ("completed", "step")} <= mine
            assert ("shared", "question") in mine or ("shared", "answer") in mine
            steps = [
                e
                for e in events.events_of(ana.id)
                if e.verb == "completed" and e.object_type == "step"
            ]
            assert len(steps) == 3 and all(e.minutes > 0 for e in steps)
            # Her two badges (one automatic, one from Ben) are awarded events, once each; the
            # shadowing session she took is Sam's "coached" event, with its minutes.
            awarded = [e for e in events.events_of(ana.id) if e.verb == "awarded"]
            assert len(awarded) == 2 and all(e.object_type == "badge" for e in awarded)
            sam = db.session.scalar(select(Person).where(Person.sub == "sam"))
            assert sam is not None
            coached = [e for e in events.events_of(sam.id) if e.verb == "coached"]
            # (his shadowing of Ana, and the past sessions the feedback demo gives him)
            assert coached and all(e.minutes > 0 for e in coached)
            assert len({e.object_id for e in coached}) == len(coached)
            assert not any(e.verb == "coached" for e in events.events_of(ana.id))
            # The demo's team: 20 completed the path months ago.
            assert (
                db.session.scalar(
                    select(func.count()).where(
                        LearningEvent.verb == "completed", LearningEvent.object_type == "path"
                    )
                )
                == 20
            )
            # The monthly summary kept by record_event equals a recount from the raw events.
            kept = months()
            assert events.rebuild_months(reg.id) > 0
            assert months() == kept
            # Seeding again records nothing twice.
            before = db.session.scalar(select(func.count()).select_from(LearningEvent))
            assert events.backfill(reg.id) == 0
            demo.seed("http://127.0.0.1:1", "http://localhost:1")
            assert db.session.scalar(select(func.count()).select_from(LearningEvent)) == before
            board = dashboard.build(12)
            completed = sum(row[-1] for row in board.completion_table.rows)
            assert completed == 20
            assert sum(board.hours) > 0
        db.session.rollback()


def test_every_demo_rating_has_its_rated_event(clean_app: Any) -> None:
    """The dashboard's engagement counts "rated" events and its feedback panel counts ratings:
    they agree only if every rating recorded its event, as feedback.services.rate does."""
    from lti_tool.feedback.models import Rating

    with clean_app.app_context():
        reg = demo.seed("http://127.0.0.1:1", "http://localhost:1")
        with tenant_scope(db.session, reg.id):
            ratings = {
                (r.person_id, r.kind, r.subject_id) for r in db.session.scalars(select(Rating))
            }
            rated = {
                (e.person_id, e.object_type, e.object_id)
                for e in db.session.scalars(
                    select(LearningEvent).where(LearningEvent.verb == Verb.RATED.value)
                )
            }
        db.session.rollback()
    kinds = {kind for _, kind, _ in ratings}
    assert {"step", "catalog_item", "coaching"} <= kinds, kinds
    assert ratings - rated == set()


def test_the_commands_backfill_and_rebuild(clean_app: Any) -> None:
    with clean_app.app_context():
        reg_id = demo.seed("http://127.0.0.1:1", "http://localhost:1").id
        with tenant_scope(db.session, reg_id):
            db.session.execute(LearningMonth.__table__.delete())
            db.session.execute(
                LearningEvent.__table__.delete().where(LearningEvent.object_type == "question")
            )
        db.session.commit()
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["insights", "backfill"])
    assert result.exit_code == 0 and "new learning events" in result.output
    assert int(result.output.split(": ")[1].split()[0]) >= 1  # the demo's questions again
    result = runner.invoke(args=["insights", "rebuild"])
    assert result.exit_code == 0 and "summary rows" in result.output
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        assert dashboard.build(12).engagement_table.rows[-1][2] >= 1  # questions this month
