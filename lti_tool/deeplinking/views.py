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
from lti_tool.lti.context import DEEP_LINKING_REQUEST, LaunchContext
from lti_tool.lti.roles import Role
from lti_tool.lti.session import TOKEN_PARAM, current_launch

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


def _picker(
    ctx: LaunchContext,
    registry: ContentRegistry,
    *,
    selected: list[str],
    graded: list[str] | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    offers = registry.offers(ctx)
    sections = []
    for provider in registry.providers():
        available = provider.available(ctx)
        mine = [o for o in offers.values() if o.kind == provider.kind]
        sections.append(
            {
                "provider": provider,
                "available": available,
                "offers": mine,
                # Listed under "Not available yet": not ready, or nothing to place for now.
                "later": not available or not mine,
                "label": provider.unavailable_label if not available else provider.empty_label,
                "help": provider.unavailable_help if not available else provider.empty_help,
            }
        )
    page = render_template(
        "deeplinking/picker.html",
        ctx=ctx,
        sections=sections,
        multiple=ctx.services.deep_linking_accept_multiple,
        selected=selected,
        graded=graded or [],
        error=error,
        nothing_to_offer=not offers,
    )
    return Response(page, status=status)


@bp.get("/")
def picker() -> Any:
    ctx = current_launch()
    refusal = _refusal(ctx)
    if refusal is not None:
        return refusal
    return _picker(ctx, content_registry(), selected=[])


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
    chosen: list[Offer] = []
    if not cancelled:
        offers = registry.offers(ctx)
        error = ""
        if not keys:
            error = "Choose what to add to the course, or Cancel to add nothing."
        elif any(key not in offers for key in keys):
            error = "Something you chose is no longer available. Choose again."
        elif len(keys) > 1 and not ctx.services.deep_linking_accept_multiple:
            error = "The LMS takes one item at a time here. Choose one."
        if error:
            kept = [key for key in keys if key in offers]
            ticked = [key for key in request.form.getlist("graded") if key in offers]
            return _picker(ctx, registry, selected=kept, graded=ticked, error=error, status=400)
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
    message = (
        "Nothing was added from Wayfinder."
        if cancelled
        else f"Added from Wayfinder: {', '.join(o.title for o in chosen)}."
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
