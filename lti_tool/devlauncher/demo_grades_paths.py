"""Demo data for learning paths in the gradebook: the Tier 1 path is already placed in the demo
course (by Chloe, with a gradebook column), as an activity the launcher lists with "Open as
Ana" / "Open as Chloe". Its first launch sends everyone's progress so far (Ana's) to the pretend
LMS's gradebook; each later change of Ana's (a step done, Ben's sign-off) follows. Placing the
path again through the deep-linking flow works the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.devlauncher.demo import DEMO_PATH
from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.paths import placements
from lti_tool.paths.models import Path
from lti_tool.people.models import Course
from lti_tool.tenancy import tenant_scope

DEMO_PLACED_LINK = "demo-course-tier1-path"  # the pretend LMS's resource link id


def _demo_path() -> Path | None:
    return db.session.scalar(select(Path).where(Path.title == DEMO_PATH))


def seed_path_placement(reg: Registration, course: Course) -> None:
    """The Tier 1 path placed in the demo course, graded. Added once."""
    with tenant_scope(db.session, reg.id):
        path = _demo_path()
        if path is None or placements.placement(course.id, placements.item_key(path.id)):
            return
        placements.record_placed(
            reg.id, course.id, path.id, "", path.title, graded=True, placed_by="Chloe Chen"
        )


def placed_path_item(reg_id: int, tool_url: str) -> dict[str, Any] | None:
    """The activity as the pretend LMS keeps it (what a launch of it carries)."""
    with tenant_scope(db.session, reg_id):
        path = _demo_path()
        if path is None:
            return None
        item_id = placements.item_id(path.id)
        return {
            "id": DEMO_PLACED_LINK,
            "title": path.title,
            "url": f"{tool_url.rstrip('/')}/paths/placed/{item_id}",
            "custom": {
                "wayfinder_path": str(path.id),
                "wayfinder_item": placements.item_key(path.id),
            },
        }
