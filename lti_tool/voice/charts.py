"""The pulse results chart: one horizontal bar per statement on the 1-5 scale, drawn on the
server as SVG like lti_tool.insights.charts (same classes, so insights.css colours it)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from lti_tool.i18n import _, number

W = 340
LEFT, RIGHT, TOP, ROW = 34, 16, 26, 34


def averages(chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, float]]) -> Markup:
    """rows: (short label, average from 1 to 5)."""
    height = TOP + ROW * max(1, len(rows)) + 22
    plot_w = W - LEFT - RIGHT

    def x(v: float) -> float:
        return LEFT + plot_w * (v - 1) / 4

    cid = escape(chart_id)
    parts = [
        f'<svg class="chart" id="{cid}" viewBox="0 0 {W} {height}" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-t">{escape(title)}</title><desc id="{cid}-d">{escape(desc)}</desc>',
    ]
    bottom = height - 22
    for v in range(1, 6):
        parts.append(
            f'<line class="grid" x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{TOP - 6}" y2="{bottom}"/>'
            f'<text class="tick" x="{x(v):.1f}" y="{bottom + 16}" text-anchor="middle">{v}</text>'
        )
    disagree, agree = escape(_("disagree")), escape(_("agree"))
    parts.append(
        f'<text class="tick" x="{LEFT}" y="{TOP - 12}">{disagree}</text>'
        f'<text class="tick" x="{W - RIGHT}" y="{TOP - 12}" text-anchor="end">{agree}</text>'
    )
    for i, (label, value) in enumerate(rows):
        y = TOP + ROW * i + 6
        width = max(0.0, x(value) - LEFT)
        tip = escape(_("%(label)s: %(value)s of 5", label=label, value=number(value)))
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar s0" x="{LEFT}" y="{y}" width="{width:.1f}" height="20">'
            f"<title>{tip}</title></rect>"
            f'<text class="row-label" x="{LEFT + width + 4:.1f}" y="{y + 15}">{escape(number(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())
