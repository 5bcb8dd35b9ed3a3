"""The community space as content an instructor can place in a course (LTI Deep Linking)."""

from __future__ import annotations

from typing import cast

from flask import Flask

from lti_tool.deeplinking.content import ContentProvider, Offer, register_provider
from lti_tool.i18n import _, _l
from lti_tool.lti.context import LaunchContext


def _offers(_ctx: LaunchContext) -> list[Offer]:
    return [
        Offer(
            kind="community",
            item_id="space",
            title=_("Community: tips and questions"),
            text=_(
                "Tips and how-tos from colleagues, verified by experts, and questions answered "
                "by peers, moderated by your trainers."
            ),
            endpoint="community.index",
        )
    ]


def _route(item_id: str) -> tuple[str, dict[str, str]] | None:
    return ("community.index", {}) if item_id == "space" else None


def init_app(app: Flask) -> None:
    register_provider(
        ContentProvider(
            kind="community",
            title=cast(str, _l("Community space")),
            description=cast(
                str, _l("Tips, questions and answers from colleagues, moderated by your trainers.")
            ),
            offers=_offers,
            route=_route,
            position=50,
        ),
        app,
    )
