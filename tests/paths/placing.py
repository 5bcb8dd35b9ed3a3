"""Building a published path in a tenant (for deep-linking and gradebook tests)."""

from __future__ import annotations

from typing import Any

from lti_tool.extensions import db
from lti_tool.paths import services
from lti_tool.paths.models import Path
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope

CHLOE = services.Actor("Chloe Chen", None, is_staff=True)


def published_path(
    app: Any,
    registration_id: int,
    steps: tuple[str, ...] = ("Welcome call", "Billing basics", "First solo shift"),
    *,
    title: str = "Tier 1 agent: first 90 days",
    role: str = "Tier 1 agent",
) -> tuple[int, list[str]]:
    """A path for the role: one set of self-reported steps in any order, published. Returns its id
    and its steps' keys, in order."""
    with app.app_context(), tenant_scope(db.session, registration_id):
        roles.import_starter_set(registration_id)
        found = roles.match_role(role)
        assert found is not None
        p, errors = services.save_path(
            registration_id,
            None,
            {"title": title, "role_id": str(found.id), "description": "From day one."},
            CHLOE,
        )
        assert p is not None, errors
        version = p.versions[0]
        group, errors = services.save_node(
            version, None, True, {"title": "Getting started", "rule": "any_order"}, []
        )
        assert group is not None, errors
        keys = []
        for step in steps:
            row, errors = services.save_node(
                version,
                None,
                False,
                {
                    "title": step,
                    "kind": "link",
                    "url": "https://help.example.com/" + step.lower().replace(" ", "-"),
                    "self_report": "yes",
                    "format": "reading",
                    "parent_id": str(group.id),
                    "why": f"Why {step.lower()} matters.",
                },
                [],
            )
            assert row is not None, errors
            keys.append(row.key)
        services.publish(version, CHLOE)
        db.session.commit()
        return p.id, keys


def path_id(app: Any, registration_id: int, title: str) -> int:
    with app.app_context(), tenant_scope(db.session, registration_id):
        found = db.session.query(Path.id).filter(Path.title == title).scalar()
        assert found is not None
        return int(found)
