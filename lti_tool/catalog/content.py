"""The catalog as content an instructor can place in a course (LTI Deep Linking): the whole
catalog, or one item with a gradebook column for the learner's completion of it. The picker
searches the catalog (the catalog page's own search: PostgreSQL full-text, a fallback on SQLite)
and pages through it, PICK_PAGE items at a time, so any item of a large catalog can be placed."""

from __future__ import annotations

from typing import cast

from flask import Flask
from sqlalchemy import select

from lti_tool.catalog import services
from lti_tool.catalog.models import CatalogItem
from lti_tool.deeplinking.content import (
    ContentProvider,
    LineItem,
    Offer,
    OfferPage,
    register_provider,
)
from lti_tool.extensions import db
from lti_tool.i18n import _, _l
from lti_tool.lti.context import LaunchContext
from lti_tool.numbers import as_id

PICK_PAGE = 25


def _whole(_ctx: LaunchContext) -> list[Offer]:
    return [
        Offer(
            kind="catalog",
            item_id="all",
            title=_("Catalog: pick courses for your own goals"),
            text=_(
                "Every course the company offers, with search, filters and why each fits the "
                "learner, and their personal plan."
            ),
            endpoint="catalog.index",
        )
    ]


def _offer(row: CatalogItem) -> Offer:
    return Offer(
        kind="catalog",
        item_id=str(row.id),
        title=row.title,
        text=(row.summary[:200] or _("A %(format)s from the catalog.", format=row.format_label))
        + " "
        + _("Learners add it to their plan; completing it is scored 1 of 1."),
        endpoint="catalog.item",
        values={"pk": str(row.id)},
        line_item=LineItem(
            score_maximum=1.0,
            label=row.title[:200],
            tag="wayfinder",
            resource_id=f"catalog:{row.id}",
        ),
    )


def _search(_ctx: LaunchContext, query: str, page: int) -> OfferPage:
    found = services.search(
        services.Filters(q=query.strip()[:200], page=max(1, page)), per_page=PICK_PAGE
    )
    return OfferPage([_offer(r.item) for r in found.results], found.total, found.page, found.pages)


def _lookup(_ctx: LaunchContext, item_id: str) -> Offer | None:
    if item_id == "all":
        return _whole(_ctx)[0]
    pk = as_id(item_id)
    if pk is None:
        return None
    row = db.session.scalar(
        select(CatalogItem).where(
            CatalogItem.id == pk,
            CatalogItem.hidden.is_(False),
            CatalogItem.gone_at.is_(None),
        )
    )
    return _offer(row) if row is not None else None


def _route(item_id: str) -> tuple[str, dict[str, str]] | None:
    if item_id == "all":
        return ("catalog.index", {})
    if as_id(item_id) is not None:
        return ("catalog.item", {"pk": item_id})
    return None


def init_app(app: Flask) -> None:
    register_provider(
        ContentProvider(
            kind="catalog",
            title=cast(str, _l("Catalog")),
            description=cast(
                str,
                _l(
                    "The company's course catalog, or one course from it, where people pick "
                    "courses for their own goals."
                ),
            ),
            offers=_whole,
            route=_route,
            position=40,
            search=_search,
            lookup=_lookup,
            search_label=cast(str, _l("Search the catalog")),
        ),
        app,
    )
