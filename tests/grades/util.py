"""Recording progress the way a feature would (its own transaction), and running the sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.grades import jobs as grade_jobs
from lti_tool.grades import services
from lti_tool.grades.models import ScoreSend
from lti_tool.people.models import Person
from lti_tool.tenancy import tenant_scope
from tests.jobs.util import drain


def record(
    app: Any,
    registration_id: int,
    course_id: int,
    sub: str,
    item_key: str,
    score: float | None,
    activity: str = "Completed",
    grading: str = "FullyGraded",
) -> int:
    with app.app_context(), tenant_scope(db.session, registration_id):
        person = db.session.scalar(select(Person).where(Person.sub == sub))
        assert person is not None
        rows = services.record_progress(
            db.session,
            person,
            item_key,
            score,
            100.0 if score is not None else None,
            activity,
            grading,
            f"score {score}",
            course_id=course_id,
            label=f"Path {item_key}",
        )
        db.session.commit()
        grade_jobs.dispatch_sync(registration_id)
        return len(rows)


def sync(app: Any) -> int:
    return drain(app)


def sends(app: Any) -> list[ScoreSend]:
    with app.app_context():
        rows = list(db.session.scalars(select(ScoreSend).order_by(ScoreSend.id)))
        for row in rows:
            db.session.expunge(row)
        return rows
