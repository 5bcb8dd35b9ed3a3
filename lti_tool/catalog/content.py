"""The catalog as content an instructor can place in a course (LTI Deep Linking): the whole
catalog, or one item with a gradebook column for the learner's completion of it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from lti_tool.catalog.models import CatalogItem
from lti_tool.deeplinking.content import ContentProvider, LineItem, Offer, register_provider
from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext

MAX_OFFERS = 200


def _offers(_ctx: LaunchContext) -> list[Offer]:
    offers = [
        Offer(
            kind="catalog",
            item_id="all",
            title="Catalog: pick courses for your own goals",
            text="Every course the company offers, with search, filters and why each fits the "
            "learner, and their personal plan.",
            endpoint="catalog.index",
        )
    ]
    rows = db.session.scalars(
        select(CatalogItem)
        .where(CatalogItem.hidden.is_(False), CatalogItem.gone_at.is_(None))
        .order_by(CatalogItem.featured.desc(), CatalogItem.title)
        .limit(MAX_OFFERS)
    )
    for row in rows:
        offers.append(
            Offer(
                kind="catalog",
                item_id=str(row.id),
                title=row.title,
                text=(row.summary[:200] or f"A {row.format_label} from the catalog.")
                + " Learners add it to their plan; completing it is scored 1 of 1.",
                endpoint="catalog.item",
                values={"pk": str(row.id)},
                line_item=LineItem(
                    score_maximum=1.0,
                    label=row.title[:200],
                    tag="wayfinder",
                    resource_id=f"catalog:{row.id}",
                ),
            )
        )
    return offers


def _route(item_id: str) -> tuple[str, dict[str, str]] | None:
    if item_id == "all":
        return ("catalog.index", {})
    if item_id.isdigit():
        return ("catalog.item", {"pk": item_id})
    return None


def init_app(app: Flask) -> None:
    register_provider(
        ContentProvider(
            kind="catalog",
            title="Catalog",
            description="The company's course catalog, or one course from it, where people pick "
            "courses for their own goals.",
            offers=_offers,
            route=_route,
            position=40,
        ),
        app,
    )
