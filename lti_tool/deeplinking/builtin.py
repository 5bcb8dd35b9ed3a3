"""The content Wayfinder can place today, and placeholders for what the other features will offer.

Features register their own providers (same kind) when they exist: learning paths
(paths/content.py), the community space (community/content.py); until then the picker lists
them as coming soon, with help text.
"""

from __future__ import annotations

from lti_tool.deeplinking.content import ContentProvider, Offer
from lti_tool.i18n import _, _l
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.roles import Role


def _home_offers(_ctx: LaunchContext) -> list[Offer]:
    return [
        Offer(
            kind="home",
            item_id="home",
            title="Wayfinder",
            text=_(
                "Each person's Wayfinder home: what to learn next and why, their learning path "
                "and progress, for leaders their team, for trainers their paths and reports."
            ),
            endpoint="home.index",
        )
    ]


def _home_route(item_id: str) -> tuple[str, dict[str, str]] | None:
    return ("home.index", {}) if item_id == "home" else None


def _roster_available(ctx: LaunchContext) -> bool:
    return ctx.course is not None and ctx.has(Role.INSTRUCTOR, Role.ADMINISTRATOR)


def _roster_offers(_ctx: LaunchContext) -> list[Offer]:
    return [
        Offer(
            kind="roster",
            item_id="course",
            title=_("Course roster (instructors)"),
            text=" ".join(
                (
                    _("Everyone enrolled in this course as Wayfinder sees them, with roster sync."),
                    _("Only instructors can open it: hide it from learners in the LMS."),
                )
            ),
            endpoint="roster.index",
        )
    ]


def _roster_route(item_id: str) -> tuple[str, dict[str, str]] | None:
    return ("roster.index", {}) if item_id == "course" else None


def _not_yet(_ctx: LaunchContext) -> bool:
    return False


BUILTIN_PROVIDERS = (
    ContentProvider(
        kind="home",
        title=_l("Wayfinder home"),
        description=_l("One link to Wayfinder that shows each person the page for their role."),
        offers=_home_offers,
        route=_home_route,
        position=10,
    ),
    ContentProvider(
        kind="roster",
        title=_l("Course roster"),
        description=_l("A link for the course's instructors to its roster and roster sync."),
        offers=_roster_offers,
        route=_roster_route,
        available=_roster_available,
        unavailable_label=_l("Not available here"),
        unavailable_help=_l("The roster belongs to a course: add Wayfinder from inside a course."),
        position=20,
    ),
    ContentProvider(
        kind="catalog",
        title=_l("Catalog"),
        description=_l(
            "The company's course catalog, where people pick courses for their own goals."
        ),
        available=_not_yet,
        unavailable_help=_l("The catalog is being built."),
        position=40,
    ),
    ContentProvider(
        kind="community",
        title=_l("Community space"),
        description=_l("Tips, questions and answers from colleagues, moderated by your trainers."),
        available=_not_yet,
        unavailable_help=_l("The community space is being built."),
        position=50,
    ),
)
