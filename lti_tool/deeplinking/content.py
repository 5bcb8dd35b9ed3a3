"""What an instructor can place in a course: a small registry of *content providers*.

Each feature registers one provider (a kind such as ``path`` or ``catalog``) that says what it can
offer a given launch: title, description, the Wayfinder page a placed link opens, custom
parameters and, for graded things, a line item (always, or when the instructor ticks it), and
optionally a ``placed`` callback told what was placed. A provider that is not ready yet is listed as
"coming soon" with help text and cannot be picked. Registering a provider of the same kind again
replaces it, so a feature swaps its placeholder for the real thing by registering itself.

The registry lives in ``app.extensions`` (one per app, no module-level state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from lti_tool.i18n import _l
from lti_tool.lti.context import LaunchContext

ITEM_PARAMETER = "wayfinder_item"  # custom parameter naming the placed item, "<kind>:<id>"
_EXTENSION = "wayfinder_content_providers"


@dataclass(frozen=True)
class LineItem:
    """A gradebook column the LMS creates with the link (Deep Linking 2.0, lineItem)."""

    score_maximum: float
    label: str
    tag: str = ""
    resource_id: str = ""

    def claim(self) -> dict[str, Any]:
        item: dict[str, Any] = {"scoreMaximum": self.score_maximum, "label": self.label}
        if self.tag:
            item["tag"] = self.tag
        if self.resource_id:
            item["resourceId"] = self.resource_id
        return item


@dataclass(frozen=True)
class Offer:
    """One thing an instructor can place: it becomes an ltiResourceLink in the LMS."""

    kind: str
    item_id: str
    title: str
    text: str
    endpoint: str  # the Wayfinder page a launch of the placed link opens
    values: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    line_item: LineItem | None = None
    # Sent only when the instructor ticks "with a gradebook column" for it in the picker.
    line_item_optional: bool = False
    # Offers sharing a group are listed together under it (a path's steps under the path).
    group: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item_id}"

    def custom_parameters(self) -> dict[str, str]:
        return {**self.custom, ITEM_PARAMETER: self.key}


@dataclass(frozen=True)
class OfferPage:
    """One page of a searchable provider's offers (see ContentProvider.search)."""

    offers: list[Offer]
    total: int
    page: int = 1
    pages: int = 1


def _always(_ctx: LaunchContext) -> bool:
    return True


def _nothing(_ctx: LaunchContext) -> list[Offer]:
    return []


def _nowhere(_item_id: str) -> tuple[str, dict[str, str]] | None:
    return None


@dataclass(frozen=True)
class ContentProvider:
    kind: str
    title: str
    description: str
    offers: Callable[[LaunchContext], list[Offer]] = _nothing
    # Where a launch carrying ``wayfinder_item=<kind>:<id>`` goes: (endpoint, values), or None.
    route: Callable[[str], tuple[str, dict[str, str]] | None] = _nowhere
    available: Callable[[LaunchContext], bool] = _always
    # Words people read: lazily translated (_l) for providers made when the app starts.
    unavailable_label: str = _l("Coming soon")
    unavailable_help: str = ""
    # Shown when the provider is available but has nothing to offer this launch.
    empty_label: str = _l("Nothing to add yet")
    empty_help: str = ""
    position: int = 100
    # Called with what was chosen from this provider, before the answer goes to the LMS (in
    # the request's transaction: add and flush, never commit), e.g. to remember the placement.
    placed: Callable[[LaunchContext, list[Offer]], None] | None = None
    # Providers with more than a page of things (the catalog): the picker shows `offers` (the
    # fixed ones) and then `search(ctx, query, page)`, with a search box and pages; `lookup`
    # finds any one of them by item id, so a choice made on another page still counts.
    search: Callable[[LaunchContext, str, int], OfferPage] | None = None
    lookup: Callable[[LaunchContext, str], Offer | None] | None = None
    search_label: str = _l("Search")


class ContentRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, ContentProvider] = {}

    def register(self, provider: ContentProvider) -> None:
        self._providers[provider.kind] = provider

    def unregister(self, kind: str) -> None:
        self._providers.pop(kind, None)

    def get(self, kind: str) -> ContentProvider | None:
        return self._providers.get(kind)

    def providers(self) -> list[ContentProvider]:
        return sorted(self._providers.values(), key=lambda p: (p.position, p.title))

    def offers(self, ctx: LaunchContext) -> dict[str, Offer]:
        """Everything this launch may place, by key, from the providers available to it."""
        found: dict[str, Offer] = {}
        for provider in self.providers():
            if provider.available(ctx):
                for offer in provider.offers(ctx):
                    found[offer.key] = offer
        return found

    def resolve(self, ctx: LaunchContext, keys: list[str]) -> dict[str, Offer]:
        """The offers behind these keys, wherever they are listed (a search page or not);
        keys that name nothing this launch may place are left out."""
        found = self.offers(ctx)
        resolved = {key: found[key] for key in keys if key in found}
        for key in keys:
            if key in resolved:
                continue
            kind, _sep, item_id = key.partition(":")
            provider = self._providers.get(kind)
            if provider is None or provider.lookup is None or not provider.available(ctx):
                continue
            offer = provider.lookup(ctx, item_id)
            if offer is not None and offer.key == key:
                resolved[key] = offer
        return resolved

    def route(self, key: str) -> tuple[str, dict[str, str]] | None:
        kind, _sep, item_id = key.strip().partition(":")
        provider = self._providers.get(kind)
        return provider.route(item_id) if provider and item_id else None


def content_registry(app: Flask | None = None) -> ContentRegistry:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions[_EXTENSION]  # type: ignore[no-any-return]


def register_provider(provider: ContentProvider, app: Flask | None = None) -> None:
    """For features: offer your content to instructors placing Wayfinder in a course."""
    content_registry(app).register(provider)


def init_app(app: Flask) -> None:
    from lti_tool.deeplinking.builtin import BUILTIN_PROVIDERS

    registry = ContentRegistry()
    for provider in BUILTIN_PROVIDERS:
        registry.register(provider)
    app.extensions[_EXTENSION] = registry
