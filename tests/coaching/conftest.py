"""Coaching test helpers: the community's launched people (Chloe imports the starter set), and a
published Tier 1 path built through the services, with shadowing, coaching and check steps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from lti_tool.coaching.models import CoachingSession
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.paths import services as paths
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import ana, ben, chloe, dev, launcher, sam  # noqa: F401

STAFF = paths.Actor("Chloe Chen", None, is_staff=True)


def publish_tier1_path(app: Any, registration_id: int) -> dict[str, str]:
    """Publish a Tier 1 agent path (assigned to everyone holding the role); its keys by title."""
    with app.app_context(), tenant_scope(db.session, registration_id):
        tier1 = roles.match_role("Tier 1 agent")
        assert tier1 is not None
        skill = {s.name: str(s.id) for s in roles.skills()}
        p, errors = paths.save_path(
            registration_id, None, {"title": "First 90 days", "role_id": str(tier1.id)}, STAFF
        )
        assert p is not None, errors
        v = p.versions[0]
        week, _ = paths.save_node(v, None, True, {"title": "Week 1", "rule": "any_order"}, [])
        assert week is not None
        keys = {}
        for title, kind, skills in (
            ("Shadow a senior agent", "shadowing", ["Call control"]),
            ("Coaching on de-escalation", "coaching", ["De-escalation"]),
            ("Quality check", "check", ["Compliance"]),
        ):
            row, errors = paths.save_node(
                v,
                None,
                False,
                {
                    "title": title,
                    "kind": kind,
                    "parent_id": str(week.id),
                    "format": "live",
                    "checklist": "Greets the caller\nVerifies identity" if kind == "check" else "",
                },
                [skill[s] for s in skills],
            )
            assert row is not None, errors
            keys[title] = row.key
        paths.publish(v, STAFF)
        db.session.commit()
        return keys


def person_id(app: Any, sub: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(Person.id).where(Person.sub == sub))
        assert found is not None
        return found


def started(app: Any, session_id: int) -> None:
    """The session's time has come: move it (and its slot) an hour into the past."""
    with app.app_context():
        row = db.session.get(CoachingSession, session_id)
        assert row is not None
        row.starts_at = row.slot.starts_at = utcnow() - timedelta(hours=1)
        db.session.commit()
