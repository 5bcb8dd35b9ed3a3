"""The built-in badge pictures: a small set of SVG designs instructors choose from (no uploads,
so nothing to scan, resize or moderate). Files live in lti_tool/static/recognition/."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from lti_tool.i18n import _l

STATIC = Path(__file__).resolve().parent.parent / "static" / "recognition"

# Each design's name, shown beside its picture in the badge form (lazy: read per request).
DESIGNS = {
    "star": _l("Gold star"),
    "shield": _l("Blue shield"),
    "heart": _l("Red heart"),
    "bolt": _l("Purple lightning bolt"),
    "compass": _l("Teal compass"),
    "book": _l("Green open book"),
    "bubble": _l("Orange speech bubble"),
    "medal": _l("Bronze medal"),
}


@lru_cache(maxsize=16)
def data_uri(design: str) -> str:
    """The picture as a data: URI, so an exported badge carries its own image."""
    svg = (STATIC / f"{design}.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
