"""Learning paths. Everything is scoped to the launch's tenant.

Everyone
GET       /paths/                                "My path": the map, what's next and why, due soon
GET|POST  /paths/a/<assignment>/<step key>       a step: what, why, how long, open it; start,
                                                 mark done or ask for a sign-off
Leaders, instructors and administrators
GET       /paths/people/<id>                     a person's paths (only people they lead; staff:
                                                 anyone)
GET       /paths/signoffs, POST …/<id>           sign-offs waiting for me: sign off or decline
GET|POST  /paths/assign/<path>                   assign by hand (leaders: their team)
Instructors and administrators
GET       /paths/manage                          paths with counts; assignment and completion by
                                                 role
GET|POST  /paths/manage/new, …/<id>/settings      title, job role, description
GET       /paths/manage/<id>                     the editor of the draft (or the published tree)
POST      /paths/manage/<id>/draft, …/rule, …/publish
GET|POST  /paths/manage/<id>/sets/new, …/steps/new, …/nodes/<n>/edit, …/nodes/<n>/delete
POST      /paths/manage/<id>/nodes/<n>/move
GET       /paths/manage/<id>/preview              the draft as a learner would see it
GET|POST  /paths/manage/<id>/move                move people to the newest version
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.i18n import _, ngettext
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.paths import personal, services, team
from lti_tool.paths.models import (
    STEP_KIND_LABELS,
    Format,
    Path,
    PathNode,
    PathVersion,
    Rule,
    StepKind,
    StepState,
)
from lti_tool.roles import services as roles

bp = Blueprint("paths", __name__, url_prefix="/paths")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)


def _actor() -> services.Actor:
    ctx = current_launch()
    return services.Actor(ctx.name or "Someone", ctx.person_id, ctx.has(*STAFF))


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


def _found(getter: Any, *args: Any) -> Any:
    try:
        return getter(*args)
    except services.NotFound:
        abort(404)


@bp.context_processor
def _shared() -> dict[str, Any]:
    return {
        "Rule": Rule,
        "StepKind": StepKind,
        "StepState": StepState,
        "Format": Format,
        "STEP_KIND_LABELS": STEP_KIND_LABELS,
        "kind_options": [(k.value, k.label) for k in StepKind],
        "format_options": [(f.value, f.label.capitalize()) for f in Format],
    }


# --- learners -------------------------------------------------------------------------------


@bp.get("/")
@launch_required()
def my_path() -> str:
    ctx = current_launch()
    rows = services.learning_of(ctx.person_id)
    return render_template(
        "paths/my_path.html",
        ctx=ctx,
        rows=rows,
        subject=None,
        role=roles.summary(ctx.person_id),
        waiting=len(services.signoffs_for(_actor())),
        **team.my_path_extras(ctx.person_id, rows),
    )


@bp.get("/people/<int:pk>")
@launch_required()
def person_path(pk: int) -> str:
    ctx = current_launch()
    who = _found(services.person, pk)
    if not team.may_view_learning(_actor(), who.id):
        raise LaunchError("forbidden_role")
    return render_template(
        "paths/my_path.html",
        ctx=ctx,
        rows=services.learning_of(who.id),
        subject=who,
        role=roles.summary(who.id),
        waiting=0,
        may_rate=personal.may_rate_as_leader(ctx.person_id, who.id),
    )


def _own_learning(assignment_id: int) -> services.Learning:
    ctx = current_launch()
    lr = _found(services.learning, assignment_id)
    if lr.assignment.person_id != ctx.person_id:
        if team.may_view_learning(_actor(), lr.assignment.person_id):
            return lr
        raise LaunchError("forbidden_role")
    return lr


@bp.route("/a/<int:aid>/<key>", methods=["GET", "POST"])
@launch_required()
def step(aid: int, key: str) -> Any:
    ctx = current_launch()
    lr = _own_learning(aid)
    item = lr.view.by_key.get(key)
    if item is None or item.is_set:
        abort(404)
    error, note = "", ""
    if request.method == "POST":
        action = request.form.get("action", "")
        note = request.form.get("note", "")
        try:
            if action == "start":
                services.start_step(lr, key, _actor())
                message = _("Started. Come back here to mark it done when you have finished.")
            elif action == "done":
                services.self_report(lr, key, _actor(), note)
                message = _("“%(step)s” is done.", step=item.title)
            elif action == "signoff":
                services.request_signoff(lr, key, _actor(), note)
                message = _("Sign-off requested. You will see the answer here and on My path.")
            elif action == "waive":
                services.waive(lr, key, _actor(), note)
                message = _("“%(step)s” is waived: it counts as done.", step=item.title)
            else:
                abort(400)
        except services.Forbidden as exc:
            raise LaunchError("forbidden_role") from exc
        except services.Refused as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(message, "success")
            return _see_other("paths.step", aid=aid, key=key)
    return render_template(
        "paths/step.html",
        ctx=ctx,
        lr=lr,
        item=item,
        own=lr.assignment.person_id == ctx.person_id,
        may_waive=services.may_waive(lr, _actor()),
        skills=services.skills_by_id(item.node.skill_ids if item.node else []),
        pending=lr.pending.get(key),
        decision=lr.last_decision.get(key),
        progress=lr.progress.get(key),
        error=error,
        note=note,
    ), (400 if error else 200)


# --- leaders: sign-offs and assigning -------------------------------------------------------


@bp.get("/signoffs")
@launch_required()
def signoffs() -> str:
    return _signoffs_page({}, {})


def _signoffs_page(errors: dict[int, str], values: dict[int, str]) -> Any:
    ctx = current_launch()
    actor = _actor()
    rows = services.signoffs_for(actor)
    return render_template(
        "paths/signoffs.html",
        ctx=ctx,
        rows=rows,
        errors=errors,
        values=values,
        team=services.team_members_of(ctx.person_id),
        is_qa=services.is_qa_analyst(ctx.person_id),
    ), (400 if errors else 200)


@bp.post("/signoffs/<int:pk>")
@launch_required()
def decide(pk: int) -> Any:
    row = _found(services.signoff, pk)
    note = request.form.get("note", "")
    approve = request.form.get("decision") == "approve"
    try:
        services.decide_signoff(row, _actor(), approve, note)
    except services.Forbidden as exc:
        raise LaunchError("forbidden_role") from exc
    except services.Refused as exc:
        return _signoffs_page({pk: str(exc)}, {pk: note})
    db.session.commit()
    who = row.person.display_name
    flash(
        _("Signed off “%(step)s” for %(person)s.", step=row.step_title, person=who)
        if approve
        else _(
            "Declined “%(step)s” for %(person)s; they see your note.",
            step=row.step_title,
            person=who,
        ),
        "success",
    )
    return _see_other("paths.signoffs")


@bp.route("/assign/<int:pk>", methods=["GET", "POST"])
@launch_required(Role.LEADER, *STAFF)
def assign(pk: int) -> Any:
    ctx = current_launch()
    p = _found(services.path, pk)
    actor = _actor()
    error = ""
    if request.method == "POST":
        ids = services.as_ids(request.form.getlist("person_id"))
        team = request.form.get("team_id", "")
        ref = request.form.get("person_ref", "")
        if ref.strip():
            found, why = roles.find_person(ref)
            if found is None:
                error = why
            else:
                ids.append(found.id)
        try:
            if error:
                raise services.Refused(error)
            added, had = services.assign_by_hand(p, actor, ids, services.as_id(team))
        except services.Forbidden as exc:
            raise LaunchError("forbidden_role") from exc
        except services.Refused as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Assigned “%(title)s” to %(num)s person; %(had)s already had it.",
                    "Assigned “%(title)s” to %(num)s people; %(had)s already had it.",
                    added,
                    title=p.title,
                    had=had,
                )
                if had
                else ngettext(
                    "Assigned “%(title)s” to %(num)s person.",
                    "Assigned “%(title)s” to %(num)s people.",
                    added,
                    title=p.title,
                ),
                "success",
            )
            return _see_other("paths.assign", pk=pk)
    return render_template(
        "paths/assign.html",
        ctx=ctx,
        path=p,
        published=services.newest_published(p),
        people=[] if actor.is_staff else services.assignable_people(actor),
        teams=services.assignable_teams(actor),
        error=error,
        person_ref=request.form.get("person_ref", ""),
    ), (400 if error else 200)


# --- instructors ----------------------------------------------------------------------------


@bp.get("/manage")
@launch_required(Role.LEADER, *STAFF)
def manage() -> str:
    ctx = current_launch()
    if not ctx.has(*STAFF):
        # Leaders come here only to pick a path to assign to their team.
        return render_template("paths/pick.html", ctx=ctx, rows=services.path_rows())
    return render_template(
        "paths/manage.html",
        ctx=ctx,
        rows=services.path_rows(),
        by_role=services.counts_by_role(),
        has_roles=bool(roles.roles()),
    )


def _path_form(row: Path | None) -> Any:
    ctx = current_launch()
    values = {
        "title": row.title if row else "",
        "role_id": str(row.role_id or "") if row else request.args.get("role_id", ""),
        "description": row.description if row else "",
    }
    errors: dict[str, str] = {}
    taken = None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        try:
            saved, errors = services.save_path(ctx.registration_id, row, values, _actor())
        except services.AlreadyCreated as done:
            flash(str(done), "success")
            return _see_other("paths.editor", pk=done.path.id)
        if saved is not None:
            db.session.commit()
            flash(_("Path “%(title)s” is saved.", title=saved.title), "success")
            return _see_other("paths.editor", pk=saved.id)
        if "title" in errors:  # the path whose title this is, to link to
            taken = services.title_taken(ctx.registration_id, row, values)
    return render_template(
        "paths/path_form.html",
        ctx=ctx,
        row=row,
        values=values,
        errors=errors,
        taken=taken,
        roles=roles.roles(),
    ), (400 if errors else 200)


@bp.route("/manage/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_path() -> Any:
    return _path_form(None)


@bp.route("/manage/<int:pk>/settings", methods=["GET", "POST"])
@launch_required(*STAFF)
def settings(pk: int) -> Any:
    return _path_form(_found(services.path, pk))


def _editor_version(p: Path) -> PathVersion:
    v = services.draft_of(p) or services.newest_published(p)
    if v is None:
        abort(404)
    return v


@bp.get("/manage/<int:pk>")
@launch_required(*STAFF)
def editor(pk: int) -> str:
    ctx = current_launch()
    p = _found(services.path, pk)
    v = _editor_version(p)
    nodes = services.nodes_of(v)
    from lti_tool.paths.rules import build_tree

    return render_template(
        "paths/editor.html",
        ctx=ctx,
        path=p,
        version=v,
        tree=build_tree(v, nodes),
        problems=services.problems(v) if v.is_draft else [],
        published=services.newest_published(p),
        skills=services.skills_by_id({s for n in nodes for s in n.skill_ids}),
        counts=services.path_rows_for(p),
    )


@bp.post("/manage/<int:pk>/draft")
@launch_required(*STAFF)
def start_draft(pk: int) -> Any:
    p = _found(services.path, pk)
    v = services.start_draft(p, _actor())
    db.session.commit()
    flash(
        _(
            "Draft version %(number)s is ready to edit. Learners see nothing until you publish.",
            number=v.number,
        ),
        "success",
    )
    return _see_other("paths.editor", pk=pk)


def _draft(p: Path) -> PathVersion:
    v = services.draft_of(p)
    if v is None:
        raise services.Refused(
            _(
                "This path has no draft to change: its published version never changes. "
                "Start a new draft from the path's page to edit it."
            )
        )
    return v


@bp.errorhandler(services.Refused)
def _refused(error: services.Refused) -> Any:
    db.session.rollback()
    return render_template("errors/http.html", title=_("Not possible now"), message=str(error)), 409


@bp.post("/manage/<int:pk>/rule")
@launch_required(*STAFF)
def root_rule(pk: int) -> Any:
    p = _found(services.path, pk)
    errors = services.save_root_rule(
        _draft(p), request.form.get("rule", ""), request.form.get("min_count", "")
    )
    if errors:
        flash(next(iter(errors.values())), "error")
    else:
        db.session.commit()
        flash(_("How the sets are completed is saved."), "success")
    return _see_other("paths.editor", pk=pk)


def _node_form(p: Path, row: PathNode | None, is_set: bool, gone: bool = False) -> Any:
    """The form of a set or step. ``gone``: an edit was sent for one deleted meanwhile; what
    was typed is shown as a new one to save again, and nothing is saved yet."""
    ctx = current_launch()
    v = _draft(p)
    if row is not None:
        values = {
            "title": row.title,
            "parent_id": str(row.parent_id or ""),
            "rule": row.rule,
            "min_count": str(row.min_count or ""),
            "kind": row.kind,
            "url": row.url,
            "why": row.why,
            "format": row.format,
            "minutes": str(row.minutes or ""),
            "due_days": "" if row.due_days is None else str(row.due_days),
            "required": "yes" if row.required else "no",
            "self_report": "yes" if row.self_report else "",
            "checklist": "\n".join(row.checklist or []),
        }
        chosen = [str(s) for s in row.skill_ids]
    else:
        values = {
            "title": "",
            "parent_id": request.args.get("parent", ""),
            "rule": Rule.IN_ORDER.value,
            "min_count": "",
            "kind": StepKind.LMS.value,
            "url": "",
            "why": "",
            "format": Format.VIDEO.value,
            "minutes": "",
            "due_days": "",
            "required": "yes",
            "self_report": "",
            "checklist": "",
        }
        chosen = []
    errors: dict[str, str] = {}
    if gone:
        values = {k: request.form.get(k, "") for k in values}
        chosen = request.form.getlist("skills")
    elif request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        chosen = request.form.getlist("skills")
        saved, errors = services.save_node(v, row, is_set, values, chosen)
        if saved is not None:
            db.session.commit()
            flash(
                _("Set “%(title)s” is saved.", title=saved.title)
                if is_set
                else _("Step “%(title)s” is saved.", title=saved.title),
                "success",
            )
            return _see_other("paths.editor", pk=p.id, _anchor=f"node-{saved.id}")
    return render_template(
        "paths/node_form.html",
        ctx=ctx,
        path=p,
        version=v,
        row=row,
        is_set=is_set,
        values=values,
        chosen=chosen,
        errors=errors,
        parents=services.parent_choices(v, row),
        skills=roles.skills(),
        gone=gone,
    ), (409 if gone else 400 if errors else 200)


@bp.route("/manage/<int:pk>/sets/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_set(pk: int) -> Any:
    return _node_form(_found(services.path, pk), None, True)


@bp.route("/manage/<int:pk>/steps/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_step(pk: int) -> Any:
    return _node_form(_found(services.path, pk), None, False)


def _gone(p: Path) -> Any:
    """The set or step was deleted meanwhile: in another tab, by a second click on Delete, or
    before the back button resent a form. Say so instead of "Not Found", and keep an edit's
    typed values."""
    if request.method == "POST" and request.endpoint == "paths.edit_node":
        return _node_form(p, None, is_set="kind" not in request.form, gone=True)
    flash(
        _(
            "That set or step is no longer in the draft: it was deleted (perhaps in another "
            "tab). Nothing else changed."
        ),
        "info",
    )
    return _see_other("paths.editor", pk=p.id)


@bp.route("/manage/<int:pk>/nodes/<int:nid>/edit", methods=["GET", "POST"])
@launch_required(*STAFF)
def edit_node(pk: int, nid: int) -> Any:
    p = _found(services.path, pk)
    try:
        row = services.node(_draft(p), nid)
    except services.NotFound:
        return _gone(p)
    return _node_form(p, row, row.is_set)


@bp.route("/manage/<int:pk>/nodes/<int:nid>/delete", methods=["GET", "POST"])
@launch_required(*STAFF)
def delete_node(pk: int, nid: int) -> Any:
    ctx = current_launch()
    p = _found(services.path, pk)
    v = _draft(p)
    try:
        row = services.node(v, nid)
    except services.NotFound:
        return _gone(p)
    if request.method == "POST":
        title = row.title
        gone = services.delete_node(v, row)
        db.session.commit()
        flash(
            ngettext(
                "“%(title)s” is deleted with the %(num)s item inside it.",
                "“%(title)s” is deleted with the %(num)s items inside it.",
                gone - 1,
                title=title,
            )
            if gone > 1
            else _("“%(title)s” is deleted.", title=title),
            "success",
        )
        return _see_other("paths.editor", pk=pk)
    inside = [n for n in services._subtree(row, services.nodes_of(v)) if n.id != row.id]
    return render_template("paths/confirm_delete.html", ctx=ctx, path=p, row=row, inside=inside)


@bp.post("/manage/<int:pk>/nodes/<int:nid>/move")
@launch_required(*STAFF)
def move_node(pk: int, nid: int) -> Any:
    p = _found(services.path, pk)
    v = _draft(p)
    try:
        row = services.node(v, nid)
    except services.NotFound:
        return _gone(p)
    if services.move_node(v, row, request.form.get("direction", "")):
        db.session.commit()
    return _see_other("paths.editor", pk=pk, _anchor=f"node-{nid}")


@bp.get("/manage/<int:pk>/preview")
@launch_required(*STAFF)
def preview(pk: int) -> str:
    ctx = current_launch()
    p = _found(services.path, pk)
    v = _editor_version(p)
    return render_template(
        "paths/preview.html", ctx=ctx, path=p, version=v, view=services.preview(v)
    )


@bp.post("/manage/<int:pk>/publish")
@launch_required(*STAFF)
def publish(pk: int) -> Any:
    p = _found(services.path, pk)
    newest = services.newest_published(p)
    sent = services.whole_number(request.form.get("version"))
    if services.draft_of(p) is None and newest is not None and sent == newest.number:
        # A second click, or the form resent from another tab or the history.
        flash(
            _("Version %(number)s is already published; nothing changed.", number=newest.number),
            "info",
        )
        return _see_other("paths.editor", pk=pk)
    v = _draft(p)
    if sent is not None and sent != v.number:
        # An old page's button must not publish a newer draft nobody reviewed from it.
        flash(
            _(
                "Not published: version %(sent)s was published meanwhile, and the draft is now "
                "v%(number)s. Review it here before publishing it.",
                sent=sent,
                number=v.number,
            ),
            "error",
        )
        return _see_other("paths.editor", pk=pk)
    try:
        added = services.publish(v, _actor())
    except services.Refused as exc:
        flash(_("Not published yet: %(problem)s", problem=str(exc)), "error")
        return _see_other("paths.editor", pk=pk)
    db.session.commit()
    older = sum(n for num, n in (services.path_rows_for(p).by_version.items()) if num < v.number)
    published = ngettext(
        "Version %(number)s is published. %(num)s person holding the role was assigned it.",
        "Version %(number)s is published. %(num)s people holding the role were assigned it.",
        added,
        number=v.number,
    )
    if older:
        published += " " + ngettext(
            "%(num)s person is on an older version: they stay there unless you move them.",
            "%(num)s people are on an older version: they stay there unless you move them.",
            older,
        )
    flash(published, "success")
    return _see_other("paths.editor", pk=pk)


@bp.route("/manage/<int:pk>/move", methods=["GET", "POST"])
@launch_required(*STAFF)
def move_version(pk: int) -> Any:
    ctx = current_launch()
    p = _found(services.path, pk)
    target = services.newest_published(p)
    if target is None:
        abort(404)
    if request.method == "POST":
        chosen = request.form.get("from_number", "")
        moved = services.move_to_version(p, target, _actor(), services.whole_number(chosen))
        db.session.commit()
        flash(
            ngettext(
                "Moved %(num)s person to version %(number)s; their completed steps carried over "
                "where the step still exists.",
                "Moved %(num)s people to version %(number)s; their completed steps carried over "
                "where the step still exists.",
                moved,
                number=target.number,
            ),
            "success",
        )
        return _see_other("paths.editor", pk=pk)
    return render_template(
        "paths/move.html",
        ctx=ctx,
        path=p,
        target=target,
        counts=services.path_rows_for(p).by_version,
    )
