"""The built-in badge pictures: a small set of SVG designs instructors choose from (no uploads,
so nothing to scan, resize or moderate). Files live in lti_tool/static/recognition/."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static" / "recognition"

DESIGNS: dict[str, str] = {
    "star": "Gold star",
    "shield": "Blue shield",
    "heart": "Red heart",
    "bolt": "Purple lightning bolt",
    "compass": "Teal compass",
    "book": "Green open book",
    "bubble": "Orange speech bubble",
    "medal": "Bronze medal",
}


@lru_cache(maxsize=16)
def data_uri(design: str) -> str:
    """The picture as a data: URI, so an exported badge carries its own image."""
    svg = (STATIC / f"{design}.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
