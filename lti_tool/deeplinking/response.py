"""The LtiDeepLinkingResponse: the chosen items as ltiResourceLink content items in a JWT signed
with Wayfinder's current tool key (LTI Deep Linking 2.0, section 4.5), which the browser posts to
the LMS's deep_link_return_url as the ``JWT`` form field.

The private key object is parsed once per process (keys.private_key_object): parsing a PEM costs
~40 ms, signing with the parsed key well under a millisecond.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import jwt

from lti_tool.deeplinking.content import Offer
from lti_tool.lti import keys
from lti_tool.lti.context import (
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID,
    DL_CONTENT_ITEMS,
    DL_DATA,
    DL_MSG,
    MESSAGE_TYPE,
    VERSION,
    LaunchContext,
)

RESPONSE_SECONDS = 600


def content_item(offer: Offer, url: str, *, with_line_item: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": offer.title,
        "text": offer.text,
        "url": url,
        "custom": offer.custom_parameters(),
    }
    if offer.line_item is not None and with_line_item:
        item["lineItem"] = offer.line_item.claim()
    return item


def response_claims(
    ctx: LaunchContext,
    offers: Sequence[Offer],
    page_url: Callable[[Offer], str],
    message: str = "",
) -> dict[str, Any]:
    services = ctx.services
    # Send line items unless the platform said it ignores them (accept_lineitem false).
    with_line_items = services.deep_linking_accept_lineitem is not False
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ctx.client_id,
        "aud": ctx.issuer,
        "iat": now,
        "exp": now + RESPONSE_SECONDS,
        "nonce": secrets.token_urlsafe(24),
        DEPLOYMENT_ID: ctx.deployment_id,
        MESSAGE_TYPE: DEEP_LINKING_RESPONSE,
        VERSION: "1.3.0",
        DL_CONTENT_ITEMS: [
            content_item(offer, page_url(offer), with_line_item=with_line_items) for offer in offers
        ],
    }
    if services.deep_linking_data is not None:
        claims[DL_DATA] = services.deep_linking_data  # echoed unchanged
    if message:
        claims[DL_MSG] = message
    return claims


def sign(claims: dict[str, Any]) -> str:
    key = keys.current_key()
    signing_key = keys.private_key_object(key.kid, key.private_pem)
    return jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": key.kid})
