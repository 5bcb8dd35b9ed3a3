"""Learning paths as content an instructor places in a course (LTI Deep Linking), and where a
launch of a placed path goes.

Offers: each published path (with a gradebook column: percent complete out of 100) and each of
its steps on its own (a gradebook column when the instructor ticks it). A placed link carries
``wayfinder_item=path:<id>[.<step key>]`` (and ``wayfinder_path`` / ``wayfinder_step``), and
opens /paths/placed/<id>[.<step key>]:

GET /paths/placed/<item>   learners: their own path (My path) or that step's page; instructors
                           and administrators: the path's page (the editor). A launch of the
                           link records the placement's resource link (placements.py) and, the
                           first time, sends the course's current progress to its gradebook.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, url_for
from sqlalchemy import select

from lti_tool.deeplinking.content import ContentProvider, LineItem, Offer, register_provider
from lti_tool.extensions import db
from lti_tool.i18n import _, _l, ngettext
from lti_tool.jobs import services as jobs
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.paths import gradebook, placements, services
from lti_tool.paths.models import (
    Assignment,
    AssignmentStatus,
    Path,
    PathNode,
    PathVersion,
    StepKind,
    VersionStatus,
)
from lti_tool.paths.rules import build_tree

bp = Blueprint("path_links", __name__, url_prefix="/paths/placed")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)
TEXT_LIMIT = 220


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def published_paths() -> list[tuple[Path, PathVersion, list[PathNode]]]:
    """Every path of the tenant with a published version: the newest one and its steps, in
    tree order (three queries)."""
    versions: dict[int, PathVersion] = {}
    for v in db.session.scalars(
        select(PathVersion).where(PathVersion.status == VersionStatus.PUBLISHED.value)
    ):
        if v.path_id not in versions or v.number > versions[v.path_id].number:
            versions[v.path_id] = v
    if not versions:
        return []
    paths = db.session.scalars(
        select(Path).where(Path.id.in_(list(versions))).order_by(Path.title, Path.id)
    )
    nodes: dict[int, list[PathNode]] = {}
    for n in db.session.scalars(
        select(PathNode).where(PathNode.version_id.in_([v.id for v in versions.values()]))
    ):
        nodes.setdefault(n.version_id, []).append(n)
    out = []
    for p in paths:
        v = versions[p.id]
        steps = [item.node for item in build_tree(v, nodes.get(v.id, [])).steps() if item.node]
        out.append((p, v, steps))
    return out


def _line_item(title: str, key: str) -> LineItem:
    return LineItem(
        gradebook.SCORE_MAXIMUM, title[:255], tag=placements.LINE_ITEM_TAG, resource_id=key
    )


def _offers(_ctx: LaunchContext) -> list[Offer]:
    offers = []
    for p, _v, steps in published_paths():
        key = placements.item_key(p.id)
        what = (
            ngettext(
                "The learning path for %(role)s: %(num)s step.",
                "The learning path for %(role)s: %(num)s steps.",
                len(steps),
                role=p.role.name,
            )
            if p.role is not None
            else ngettext(
                "The learning path: %(num)s step.", "The learning path: %(num)s steps.", len(steps)
            )
        )
        how = _(
            "Each learner sees their own map and what to do next; their percent complete goes "
            "to the gradebook."
        )
        offers.append(
            Offer(
                kind=placements.KIND,
                item_id=placements.item_id(p.id),
                title=p.title,
                text=_short(f"{what} {how}" + (f" {p.description}" if p.description else "")),
                endpoint="path_links.open_placed",
                values={"item": placements.item_id(p.id)},
                custom={"wayfinder_path": str(p.id)},
                line_item=_line_item(p.title, key),
            )
        )
        for step in steps:
            step_key = placements.item_key(p.id, step.key)
            offers.append(
                Offer(
                    kind=placements.KIND,
                    item_id=placements.item_id(p.id, step.key),
                    title=step.title,
                    text=_short(
                        f"{StepKind(step.kind).label}. "
                        + (step.why or _("Each learner opens their own page for this step."))
                    ),
                    endpoint="path_links.open_placed",
                    values={"item": placements.item_id(p.id, step.key)},
                    custom={"wayfinder_path": str(p.id), "wayfinder_step": step.key},
                    line_item=_line_item(f"{p.title}: {step.title}", step_key),
                    line_item_optional=True,
                    group=p.title,
                )
            )
    return offers


def _route(item_id: str) -> tuple[str, dict[str, str]] | None:
    return (
        ("path_links.open_placed", {"item": item_id}) if placements.parse_item_id(item_id) else None
    )


def _placed(ctx: LaunchContext, offers: list[Offer]) -> None:
    """Remember in which course each path or step was placed (the deep-linking launch's)."""
    if ctx.course is None:
        return  # placed outside a course: the first launch of the link records it
    for offer in offers:
        parsed = placements.parse_item_id(offer.item_id)
        if parsed is None:
            continue
        path_id, step_key = parsed
        placements.record_placed(
            ctx.registration_id,
            ctx.course.id,
            path_id,
            step_key,
            offer.line_item.label if offer.line_item is not None else offer.title,
            graded=offer.line_item is not None,
            placed_by=ctx.name,
        )


PROVIDER = ContentProvider(
    kind=placements.KIND,
    # Lazy (the page's language); the picker reads them as text.
    title=_l("Learning path"),
    description=_l(
        "A learning path for a job role, or one of its steps, with a gradebook column for each "
        "learner's progress."
    ),
    offers=_offers,
    route=_route,
    placed=_placed,
    empty_label=_l("No published path yet"),
    empty_help=_l(
        "Publish a path under Learning paths (Manage paths) in Wayfinder first; it is listed "
        "here from then on."
    ),
    position=30,
)


# --- launching a placed path ----------------------------------------------------------------


def _confirm(ctx: LaunchContext, path: Path, step_key: str, title: str) -> None:
    """On the page a launch of the placed link leads to: remember the link, and the first
    time start sending the course's current progress to its gradebook (a background job)."""
    if g.get("just_launched") is not ctx or ctx.course is None or not ctx.resource_link_id:
        return
    row, news = placements.confirm_launch(
        ctx.registration_id,
        ctx.course.id,
        path.id,
        step_key,
        title,
        ctx.resource_link_id,
        lineitem_claim=bool(ctx.services.ags_lineitem_url),
    )
    job = (
        gradebook.start_backfill(row, f"first launch of the placed link by {ctx.name}")
        if news
        else None
    )
    db.session.commit()
    if job is not None:
        jobs.dispatch(job)  # RQ, or inline in development; the polling worker otherwise


@bp.get("/<item>")
@launch_required()
def open_placed(item: str) -> Any:
    ctx = current_launch()
    parsed = placements.parse_item_id(item)
    path = db.session.get(Path, parsed[0]) if parsed else None
    if parsed is None or path is None:
        return render_template("paths/placed.html", ctx=ctx, missing=True), 404
    step_key = parsed[1]
    step_title = ""
    if step_key:
        step_title = (
            db.session.scalar(
                select(PathNode.title)
                .join(PathVersion, PathVersion.id == PathNode.version_id)
                .where(PathVersion.path_id == path.id, PathNode.key == step_key)
                .order_by(PathVersion.number.desc())
                .limit(1)
            )
            or ""
        )
    _confirm(ctx, path, step_key, f"{path.title}: {step_title}" if step_title else path.title)
    if ctx.has(*STAFF):
        return redirect(url_for("paths.editor", pk=path.id), code=303)
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.person_id == ctx.person_id,
            Assignment.path_id == path.id,
            Assignment.status == AssignmentStatus.ACTIVE.value,
        )
    )
    if assignment is None:
        return render_template("paths/placed.html", ctx=ctx, missing=False, path=path)
    if step_key:
        step = services.learning(assignment.id).view.by_key.get(step_key)
        if step is not None and not step.is_set:
            return redirect(url_for("paths.step", aid=assignment.id, key=step_key), code=303)
        flash(
            _("That step is not in your version of the path; here is your path as it is."),
            "success",
        )
    return redirect(url_for("paths.my_path", _anchor=f"path-{assignment.id}"), code=303)


def init_app(app: Flask) -> None:
    register_provider(PROVIDER, app)
    app.register_blueprint(bp)
