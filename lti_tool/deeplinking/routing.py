"""Where a launch goes: a deep-linking request to the picker; a launch of a placed link (custom
parameter ``wayfinder_item=<kind>:<id>``) to that item's page. Anything else: None, and the
launch view follows target_link_uri as before (placed links also carry the item's page URL)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from lti_tool.deeplinking.content import ITEM_PARAMETER, content_registry
from lti_tool.lti.context import DEEP_LINKING_REQUEST, Claims


def launch_target(claims: Claims) -> str | None:
    if claims.message_type == DEEP_LINKING_REQUEST:
        return url_for("deeplinking.picker")
    key = (claims.custom.get(ITEM_PARAMETER) or "").strip()
    route = content_registry().route(key) if key else None
    if route is None:
        return None
    endpoint, values = route
    arguments: dict[str, Any] = dict(values)
    return url_for(endpoint, **arguments)
