"""LTI Deep Linking 2.0: an instructor adds Wayfinder content to a course from the LMS.

1. The LMS launches Wayfinder with an LtiDeepLinkingRequest (its "add activity", "external tool"
   or "link selection" screen). The launch checks the deep-linking settings
   (deeplinking/settings.py) and lands here, on the picker (deeplinking/routing.py).
2. GET  /deeplinking/  the picker: what the registered content providers offer this launch;
   providers not ready yet are shown as coming soon. Learners get a friendly refusal.
3. POST /deeplinking/  the choice (or Cancel) -> providers are told what was placed (the
   learning paths remember the course) -> a page that posts the signed
   LtiDeepLinkingResponse to the LMS's deep_link_return_url (static/deeplinking-return.js;
   the form's own button without JavaScript). The LMS creates the links; launching one later
   opens the item's page (target_link_uri, or the custom parameter wayfinder_item).

Every page carries the launch token, so this works with third-party cookies blocked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from lti_tool.deeplinking import response as dl_response
from lti_tool.deeplinking.content import ContentRegistry, Offer, content_registry
from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.lti.context import DEEP_LINKING_REQUEST, LaunchContext
from lti_tool.lti.roles import Role
from lti_tool.lti.session import TOKEN_PARAM, current_launch
from lti_tool.numbers import as_id

bp = Blueprint("deeplinking", __name__, url_prefix="/deeplinking")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)


def _refusal(ctx: LaunchContext) -> Response | None:
    if ctx.message_type != DEEP_LINKING_REQUEST or not ctx.services.deep_linking_return_url:
        return Response(
            render_template("deeplinking/refused.html", ctx=ctx, reason="not_deep_linking"),
            status=400,
        )
    if not ctx.has(*STAFF):
        return Response(
            render_template("deeplinking/refused.html", ctx=ctx, reason="role"), status=403
        )
    return None


def _browsing(values: Any, registry: ContentRegistry) -> tuple[dict[str, str], dict[str, int]]:
    """What searchable providers were asked: `q_<kind>` and `page_<kind>`, or a page button
    `goto=<kind>:<page>` (a new search starts at page 1)."""
    queries: dict[str, str] = {}
    pages: dict[str, int] = {}
    goto_kind, _sep, goto_page = (values.get("goto") or "").partition(":")
    for provider in registry.providers():
        if provider.search is None:
            continue
        kind = provider.kind
        queries[kind] = (values.get(f"q_{kind}") or "").strip()[:200]
        raw = goto_page if goto_kind == kind else (values.get(f"page_{kind}") or "1")
        pages[kind] = as_id(raw) or 1
        if values.get("action") == "search":
            pages[kind] = 1
    return queries, pages


def _picker(
    ctx: LaunchContext,
    registry: ContentRegistry,
    *,
    selected: list[str],
    graded: list[str] | None = None,
    error: str = "",
    status: int = 200,
    queries: dict[str, str] | None = None,
    pages: dict[str, int] | None = None,
) -> Response:
    offers = registry.offers(ctx)
    queries, pages = queries or {}, pages or {}
    sections = []
    shown: set[str] = set()
    for provider in registry.providers():
        available = provider.available(ctx)
        mine = [o for o in offers.values() if o.kind == provider.kind]
        found = None
        if available and provider.search is not None:
            found = provider.search(
                ctx, queries.get(provider.kind, ""), pages.get(provider.kind, 1)
            )
            mine = mine + found.offers
        shown.update(o.key for o in mine)
        sections.append(
            {
                "provider": provider,
                "available": available,
                "offers": mine,
                "found": found,
                "query": queries.get(provider.kind, ""),
                # Listed under "Not available yet": not ready, or nothing to place for now.
                "later": not available or not mine,
                "label": provider.unavailable_label if not available else provider.empty_label,
                "help": provider.unavailable_help if not available else provider.empty_help,
            }
        )
    # Chosen on another page or before a search: kept, and listed so they can be unticked.
    elsewhere = [o for k, o in registry.resolve(ctx, selected).items() if k not in shown]
    page = render_template(
        "deeplinking/picker.html",
        ctx=ctx,
        sections=sections,
        elsewhere=elsewhere,
        multiple=ctx.services.deep_linking_accept_multiple,
        selected=selected,
        graded=graded or [],
        error=error,
        nothing_to_offer=not any(s["offers"] for s in sections) and not elsewhere,
    )
    return Response(page, status=status)


@bp.get("/")
def picker() -> Any:
    ctx = current_launch()
    refusal = _refusal(ctx)
    if refusal is not None:
        return refusal
    registry = content_registry()
    queries, pages = _browsing(request.args, registry)
    return _picker(ctx, registry, selected=[], queries=queries, pages=pages)


def _page_url(offer: Offer) -> str:
    # The link's own address: no launch token (lt=None), the LMS's launch brings a new one.
    return url_for(offer.endpoint, _external=True, **{**offer.values, TOKEN_PARAM: None})


@bp.post("/")
def place() -> Any:
    ctx = current_launch()
    refusal = _refusal(ctx)
    if refusal is not None:
        return refusal
    registry = content_registry()
    cancelled = request.form.get("action") == "cancel"
    keys = list(dict.fromkeys(request.form.getlist("item")))
    queries, pages = _browsing(request.form, registry)
    if not cancelled and (request.form.get("action") == "search" or request.form.get("goto")):
        # Searching or paging the picker: nothing is placed, what was ticked stays ticked.
        return _picker(
            ctx,
            registry,
            selected=keys,
            graded=request.form.getlist("graded"),
            queries=queries,
            pages=pages,
        )
    chosen: list[Offer] = []
    if not cancelled:
        # The chosen keys and the ticked gradebook columns, wherever they were listed.
        offers = registry.resolve(ctx, list(dict.fromkeys(keys + request.form.getlist("graded"))))
        error = ""
        if not keys:
            error = _("Choose what to add to the course, or Cancel to add nothing.")
        elif any(key not in offers for key in keys):
            error = " ".join((_("Something you chose is no longer available."), _("Choose again.")))
        elif len(keys) > 1 and not ctx.services.deep_linking_accept_multiple:
            error = " ".join((_("The LMS takes one item at a time here."), _("Choose one.")))
        if error:
            kept = [key for key in keys if key in offers]
            ticked = [key for key in request.form.getlist("graded") if key in offers]
            return _picker(
                ctx,
                registry,
                selected=kept,
                graded=ticked,
                error=error,
                status=400,
                queries=queries,
                pages=pages,
            )
        graded = set(request.form.getlist("graded"))
        # No line item where the LMS said it ignores them, nor where one was optional and
        # not ticked: what providers are told matches what the LMS receives.
        takes_line_items = ctx.services.deep_linking_accept_lineitem is not False
        chosen = [
            replace(offers[key], line_item=None)
            if not takes_line_items or (offers[key].line_item_optional and key not in graded)
            else offers[key]
            for key in keys
        ]
        for provider in registry.providers():
            mine = [offer for offer in chosen if offer.kind == provider.kind]
            if mine and provider.placed is not None:
                provider.placed(ctx, mine)
        db.session.commit()
    # Shown by the LMS, in the language the LMS asked for.
    message = (
        _("Nothing was added from Wayfinder.")
        if cancelled
        else _("Added from Wayfinder: %(titles)s.", titles=", ".join(o.title for o in chosen))
    )
    token = dl_response.sign(dl_response.response_claims(ctx, chosen, _page_url, message=message))
    return render_template(
        "deeplinking/return.html",
        ctx=ctx,
        return_url=ctx.services.deep_linking_return_url,
        token=token,
        chosen=chosen,
        cancelled=cancelled,
    )
