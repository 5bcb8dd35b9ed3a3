"""Charts drawn on the server as SVG: they work inside any LMS iframe, without JavaScript and
under the Content Security Policy (no style attributes: colours come from classes in
insights.css). Each chart is an image with a title and a description for screen readers; the
page shows the same numbers in a table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from lti_tool.i18n import _, number, short_number

W, H = 340, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 22, 24, 36


def _nice_max(value: float) -> float:
    """The top of an axis with four equal steps of 1, 2 or 5 times a power of ten (whole
    numbers whenever the data are at least 4)."""
    if value <= 0:
        return 4.0
    quarter = value / 4
    exp = 10 ** math.floor(math.log10(quarter))
    for step in (1, 2, 5, 10):
        if quarter <= step * exp:
            return 4 * step * exp
    return 40 * exp


def _num(value: float) -> str:
    """A number the chart shows (a tick, a tooltip), as the page's language writes it."""
    if abs(value) >= 1000:
        return short_number(value)
    return number(value, 0 if value == int(value) else 1)


def _open(chart_id: str, title: str, desc: str, height: int = H) -> list[str]:
    return [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {W} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
    ]


def _y_axis(parts: list[str], top: float, unit: str, low: float = 0.0) -> None:
    plot_h = H - TOP - BOTTOM
    for k in range(5):
        value = low + (top - low) * k / 4
        y = H - BOTTOM - plot_h * k / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_num(value))}</text>"
        )
    if unit:
        parts.append(f'<text class="tick" x="4" y="{TOP - 12}">{escape(unit)}</text>')


def _x_labels(parts: list[str], labels: Sequence[str], xs: list[float]) -> None:
    every = max(1, math.ceil(len(labels) / 4))
    for i, (text, x) in enumerate(zip(labels, xs, strict=True)):
        if (len(labels) - 1 - i) % every:  # counted from the newest, which is always named
            continue
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def short(label: str) -> str:
    """ "Mar 2026" -> "Mar 26"."""
    month, _space, year = label.partition(" ")
    return f"{month} {year[-2:]}" if year else label


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "",
    top: float | None = None,
    low: float = 0.0,
) -> Markup:
    """One line per series; a None value (a month without data) leaves a gap in its line.
    ``low`` and ``top`` fix the axis (a 1-5 rating reads best on 1-5, whole stars)."""
    parts = _open(chart_id, title, desc)
    if top is None:
        top = _nice_max(max((v for _name, vs in series for v in vs if v is not None), default=0.0))
    _y_axis(parts, top, unit, low)
    n = len(labels)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    xs = [LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    _x_labels(parts, [short(x) for x in labels], xs)
    for k, (name, values) in enumerate(series):
        points = [
            None if v is None else (x, H - BOTTOM - plot_h * (v - low) / (top - low))
            for x, v in zip(xs, values, strict=True)
        ]
        run: list[tuple[float, float]] = []
        for point in [*points, None]:
            if point is not None:
                run.append(point)
                continue
            if len(run) > 1:
                parts.append(
                    f'<polyline class="line s{k}" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                    + '"/>'
                )
            run = []
        for point, v, lab in zip(points, values, labels, strict=True):
            if point is None or v is None:
                continue
            parts.append(
                f'<circle class="dot s{k}" cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3">'
                f"<title>{escape(name)}, {escape(lab)}: {escape(_num(v))}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str = "",
) -> Markup:
    parts = _open(chart_id, title, desc)
    top = _nice_max(max(values, default=0.0))
    _y_axis(parts, top, unit)
    n = max(1, len(labels))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / n
    xs = [LEFT + slot * (i + 0.5) for i in range(len(labels))]
    _x_labels(parts, [short(x) for x in labels], xs)
    for x, v, lab in zip(xs, values, labels, strict=True):
        h = plot_h * v / top
        parts.append(
            f'<rect class="bar s0" x="{x - slot * 0.35:.1f}" y="{H - BOTTOM - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}">'
            f"<title>{escape(lab)}: {escape(_num(v))} {escape(unit)}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())


def forest_plot(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float, float, float, bool]],
) -> Markup:
    """One line per result: its estimate and 95% interval in "better" units (right = better),
    around a zero line. rows: (label, estimate, low, high, conclusive)."""
    row_h = 44
    height = TOP + row_h * max(1, len(rows)) + 28
    parts = _open(chart_id, title, desc, height)
    span = max((max(abs(lo), abs(hi), abs(est)) for _name, est, lo, hi, _yes in rows), default=1.0)
    span = _nice_max(span)
    left, right = 22, W - 22
    mid = (left + right) / 2

    def x(v: float) -> float:
        return mid + (right - left) / 2 * v / span

    bottom = height - 24
    parts.append(f'<line class="zero" x1="{mid}" x2="{mid}" y1="{TOP}" y2="{bottom}"/>')
    for v in (-span, -span / 2, 0.0, span / 2, span):
        parts.append(
            f'<text class="tick" x="{x(v):.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{escape(_num(v))}</text>"
        )
    worse, better = escape(_("worse")), escape(_("better"))
    parts.append(
        f'<text class="tick" x="{left}" y="{bottom - 4}">{worse}</text>'
        f'<text class="tick" x="{right}" y="{bottom - 4}" text-anchor="end">{better}</text>'
    )
    for i, (name, est, lo, hi, conclusive) in enumerate(rows):
        y = TOP + row_h * i + 30
        kind = "ci-yes" if conclusive else "ci-no"
        parts.append(
            f'<text class="row-label" x="{left}" y="{y - 12}">{escape(_clip(name, 46))}</text>'
            f'<line class="ci {kind}" x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y}" y2="{y}"/>'
            f'<rect class="est {kind}" x="{x(est) - 5:.1f}" y="{y - 5}" width="10" height="10">'
            # str(): a plain string plus Markup would escape the SVG written before it.
            "<title>"
            + str(
                escape(
                    _(
                        "%(name)s: %(estimate)s (95%% CI %(low)s to %(high)s)",
                        name=name,
                        estimate=_num(round(est, 1)),
                        low=_num(round(lo, 1)),
                        high=_num(round(hi, 1)),
                    )
                )
            )
            + "</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())


def slope_chart(
    chart_id: str,
    title: str,
    desc: str,
    groups: Sequence[tuple[str, float, float]],
    unit: str = "",
) -> Markup:
    """Before and after means of each group, joined by a line."""
    parts = _open(chart_id, title, desc)
    values = [v for _name, b, a in groups for v in (b, a)]
    if not values:
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 (every text above went through escape())
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.25 or abs(hi) * 0.05 or 1.0
    low, top = lo - pad, hi + pad
    plot_h = H - TOP - BOTTOM

    def y(v: float) -> float:
        return H - BOTTOM - plot_h * (v - low) / (top - low)

    for k in range(5):
        value = low + (top - low) * k / 4
        yy = y(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">'
            f"{escape(number(value))}</text>"
        )
    if unit:
        parts.append(f'<text class="tick" x="4" y="{TOP - 12}">{escape(unit)}</text>')
    xb, xa = LEFT + 60, W - RIGHT - 60
    before_word, after_word = _("Before"), _("After")
    parts.append(
        f'<text class="tick" x="{xb}" y="{H - BOTTOM + 16}" text-anchor="middle">'
        f"{escape(before_word)}</text>"
        f'<text class="tick" x="{xa}" y="{H - BOTTOM + 16}" text-anchor="middle">'
        f"{escape(after_word)}</text>"
    )
    for k, (name, before, after) in enumerate(groups):
        tip_before = _("%(group)s before: %(value)s", group=name, value=number(before))
        tip_after = _("%(group)s after: %(value)s", group=name, value=number(after))
        parts.append(
            f'<line class="line s{k}" x1="{xb}" x2="{xa}" y1="{y(before):.1f}" '
            f'y2="{y(after):.1f}"/>'
            f'<circle class="dot s{k}" cx="{xb}" cy="{y(before):.1f}" r="4">'
            f"<title>{escape(tip_before)}"
            "</title></circle>"
            f'<circle class="dot s{k}" cx="{xa}" cy="{y(after):.1f}" r="4">'
            f"<title>{escape(tip_after)}"
            "</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())
