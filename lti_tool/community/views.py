"""The community space: tips, questions and answers, moderation, notifications. Everything is
scoped to the launch's tenant; the rules of who may do what are in services.py.

Everyone launched
GET       /community/                       tips and questions; ?q= search, ?kind=, ?skill=
GET|POST  /community/new/<tip|question>     share a tip / ask a question
GET       /community/p/<id>                 a tip or a question with its answers
GET|POST  /community/p/<id>/edit, /a/<id>/edit        edit (the author, or a moderator)
POST      /community/p/<id>/answers         answer a question
POST      /community/<post|answer>/<id>/helpful|flag  mark helpful, flag for moderators
GET|POST  /community/<post|answer>/<id>/delete        confirm, then delete
GET       /community/<post|answer>/<id>/history       earlier versions and moderation steps
POST      /community/p/<id>/verify          verify a tip (instructors, experts in its skills)
POST      /community/a/<id>/accept          the asker accepts an answer
GET       /community/notifications          notifications; POST …/read; GET …/<id>/open
Leaders, moderators, experts
GET       /community/unanswered             questions waiting for an answer
Moderators (instructors and people made moderators)
GET       /community/review                 the review queue; POST /community/review/article
GET|POST  /community/<post|answer>/<id>/moderate  hide, restore, dismiss flags, with a reason
Instructors and administrators
GET|POST  /community/people                 experts and moderators; POST …/<id>/remove
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.community import services
from lti_tool.community.models import GrantKind, Kind, Status, Target
from lti_tool.errors import render_problem
from lti_tool.extensions import db
from lti_tool.i18n import _, ngettext
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_id, as_ids, page_number

bp = Blueprint("community", __name__, url_prefix="/community")


def _actor() -> services.Actor:
    cached = g.get("community_actor")
    if cached is None:
        ctx = current_launch()
        cached = services.actor(
            ctx.registration_id,
            ctx.person_id,
            is_instructor=ctx.is_instructor,
            is_leader=ctx.is_leader,
            is_administrator=ctx.is_administrator,
        )
        g.community_actor = cached
    return cached


def _limits() -> services.Limits:
    return services.Limits.from_config(current_app.config)


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


def _target(name: str) -> services.Target:
    try:
        return Target(name)
    except ValueError:
        abort(404)


def _row(target: Target, pk: int) -> Any:
    try:
        row = services.resolve(target, pk)
    except services.NotFound:
        abort(404)
    if not services.can_see(_actor(), row):
        abort(404)
    return row


def _post_of(target: Target, row: Any) -> Any:
    return row if target is Target.POST else row.post


def _deleted_already() -> Any:
    """An old page's form for something deleted since: it is not edited or deleted again."""
    flash(_("This was deleted, so it cannot be changed. A moderator can bring it back."), "error")
    return _see_other("community.index")


def _back_to(target: Target, row: Any) -> Any:
    post_row = _post_of(target, row)
    anchor = f"answer-{row.id}" if target is Target.ANSWER else None
    return _see_other("community.show", pk=post_row.id, _anchor=anchor)


@bp.errorhandler(services.Forbidden)
def _forbidden(_error: services.Forbidden) -> Any:
    db.session.rollback()
    return render_problem("forbidden_role")


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    def community_unread() -> int:
        ctx = g.get("launch")
        if ctx is None:
            return 0
        try:
            return services.unread_count(ctx.person_id)
        except SQLAlchemyError:  # an error page about the database must still render
            db.session.rollback()
            return 0

    return {"community_unread": community_unread}


@bp.context_processor
def _shared() -> dict[str, Any]:
    who = _actor() if g.get("launch") is not None else None
    return {"Kind": Kind, "Status": Status, "Target": Target, "who": who}


# --- browsing -------------------------------------------------------------------------------


@bp.get("/")
@launch_required()
def index() -> str:
    q = request.args.get("q", "")
    kind = request.args.get("kind", "")
    skill_id = as_id(request.args.get("skill"))
    page = page_number(request.args.get("page"))
    feed = services.search(q, kind=kind, skill_id=skill_id, page=page)
    return render_template(
        "community/index.html",
        ctx=current_launch(),
        feed=feed,
        q=q,
        kind=kind,
        skill_id=skill_id,
        skills=services.skills(),
        open_flags=services.open_flag_count() if _actor().is_moderator else 0,
    )


@bp.get("/p/<int:pk>")
@launch_required()
def show(pk: int) -> str:
    who = _actor()
    try:
        row = services.visible_post(who, pk)
    except services.NotFound:
        abort(404)
    answers = services.answers_of(who, row)
    experts = (
        services.experts_for([s.id for s in row.skills], exclude={row.author_id or 0})
        if not row.is_tip
        else []
    )
    return render_template(
        "community/show.html",
        ctx=current_launch(),
        post=row,
        answers=answers,
        experts=experts,
        helpful_posts=services.my_helpful(who.person_id, Target.POST, [row.id]),
        helpful_answers=services.my_helpful(who.person_id, Target.ANSWER, [a.id for a in answers]),
        may_verify=services.may_verify(who, row),
        due=services.review_due(row, _limits()),
        hidden_reason=_status_reason(Target.POST, row),
        answer_reasons={a.id: _status_reason(Target.ANSWER, a) for a in answers if not a.visible},
        draft=request.args.get("draft", ""),
        errors={},
    )


def _status_reason(target: Target, row: Any) -> str:
    if row.visible:
        return ""
    action = services.last_action(target, row.id, "hide" if row.status == "hidden" else "delete")
    return action.reason if action else ""


# --- posting --------------------------------------------------------------------------------


def _post_form() -> services.PostForm:
    return services.PostForm(
        title=request.form.get("title", ""),
        body=request.form.get("body", ""),
        skill_ids=as_ids(request.form.getlist("skills")),
        contact_reason=request.form.get("contact_reason", ""),
        kb_url=request.form.get("kb_url", ""),
        reason=request.form.get("reason", ""),
        notify_experts=request.form.get("notify_experts") == "1",
    )


def _flash_notes(notes: list[str]) -> None:
    for note in notes:
        flash(note, "info")


@bp.route("/new/<kind>", methods=["GET", "POST"])
@launch_required()
def new(kind: str) -> Any:
    try:
        chosen = Kind(kind)
    except ValueError:
        abort(404)
    who = _actor()
    preset = as_id(request.args.get("skill"))
    form = services.PostForm(skill_ids=[preset] if preset else [])
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = _post_form()
        try:
            saved = services.create_post(who, chosen, form, _limits())
        except services.RateLimited as exc:
            errors, status = {"form": str(exc)}, 429
        else:
            if saved.row is not None and saved.repeated:
                flash(_("You posted this a moment ago: here it is (no copy was made)."), "success")
                return _see_other("community.show", pk=saved.row.id)
            if saved.row is not None:
                db.session.commit()
                flash(
                    _("Your tip is shared.") if chosen is Kind.TIP else _("Your question is up."),
                    "success",
                )
                _flash_notes(saved.notes)
                return _see_other("community.show", pk=saved.row.id)
            errors, status = saved.errors, 400
    return render_template(
        "community/post_form.html",
        ctx=current_launch(),
        kind=chosen,
        form=form,
        errors=errors,
        skills=services.skills(),
        row=None,
        limits=services.LIMITS,
    ), status


@bp.route("/p/<int:pk>/edit", methods=["GET", "POST"])
@launch_required()
def edit_post(pk: int) -> Any:
    who = _actor()
    row = _row(Target.POST, pk)
    if row.status == Status.DELETED.value:
        return _deleted_already()
    if row.author_id != who.person_id and not who.is_moderator:
        raise services.Forbidden("edit")
    form = services.PostForm(
        title=row.title,
        body=row.body_md,
        skill_ids=[s.id for s in row.skills],
        contact_reason=row.contact_reason,
        kb_url=row.kb_url,
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _post_form()
        saved = services.edit_post(who, row, form)
        if saved.row is not None:
            db.session.commit()
            flash(
                _("Your changes are saved. The earlier version is kept in the history."), "success"
            )
            _flash_notes(saved.notes)
            return _see_other("community.show", pk=row.id)
        errors = saved.errors
    return render_template(
        "community/post_form.html",
        ctx=current_launch(),
        kind=Kind(row.kind),
        form=form,
        errors=errors,
        skills=services.skills(),
        row=row,
        limits=services.LIMITS,
    ), (400 if errors else 200)


@bp.post("/p/<int:pk>/answers")
@launch_required()
def add_answer(pk: int) -> Any:
    who = _actor()
    row = _row(Target.POST, pk)
    body = request.form.get("body", "")
    try:
        saved = services.create_answer(who, row, body, _limits())
    except services.RateLimited as exc:
        return _show_with_draft(row, body, {"body": str(exc)}, 429)
    if saved.row is None:
        return _show_with_draft(row, body, saved.errors, 400)
    if saved.repeated:
        flash(_("You posted this answer a moment ago: here it is (no copy was made)."), "success")
        return _see_other("community.show", pk=row.id, _anchor=f"answer-{saved.row.id}")
    db.session.commit()
    flash(_("Your answer is posted."), "success")
    _flash_notes(saved.notes)
    return _see_other("community.show", pk=row.id, _anchor=f"answer-{saved.row.id}")


def _show_with_draft(row: Any, body: str, errors: dict[str, str], status: int) -> Any:
    who = _actor()
    answers = services.answers_of(who, row)
    return render_template(
        "community/show.html",
        ctx=current_launch(),
        post=row,
        answers=answers,
        experts=[],
        helpful_posts=services.my_helpful(who.person_id, Target.POST, [row.id]),
        helpful_answers=services.my_helpful(who.person_id, Target.ANSWER, [a.id for a in answers]),
        may_verify=services.may_verify(who, row),
        due=services.review_due(row, _limits()),
        hidden_reason="",
        answer_reasons={},
        draft=body,
        errors=errors,
    ), status


@bp.route("/a/<int:pk>/edit", methods=["GET", "POST"])
@launch_required()
def edit_answer(pk: int) -> Any:
    who = _actor()
    row = _row(Target.ANSWER, pk)
    if row.status == Status.DELETED.value:
        return _deleted_already()
    if row.author_id != who.person_id and not who.is_moderator:
        raise services.Forbidden("edit")
    body, reason = row.body_md, ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        body, reason = request.form.get("body", ""), request.form.get("reason", "")
        saved = services.edit_answer(who, row, body, reason)
        if saved.row is not None:
            db.session.commit()
            flash(
                _("Your changes are saved. The earlier version is kept in the history."), "success"
            )
            _flash_notes(saved.notes)
            return _back_to(Target.ANSWER, row)
        errors = saved.errors
    return render_template(
        "community/answer_form.html",
        ctx=current_launch(),
        row=row,
        body=body,
        reason=reason,
        errors=errors,
    ), (400 if errors else 200)


# --- reactions ------------------------------------------------------------------------------


@bp.post("/<target>/<int:pk>/helpful")
@launch_required()
def helpful(target: str, pk: int) -> Any:
    chosen = _target(target)
    row = _row(chosen, pk)
    try:
        added = services.mark_helpful(_actor(), chosen, row)
    except services.Forbidden:
        flash(_("You can mark other people's posts and answers as helpful, not your own."), "error")
        return _back_to(chosen, row)
    db.session.commit()
    flash(_("Marked as helpful. Thank you!") if added else _("You marked this already."), "success")
    return _back_to(chosen, row)


@bp.post("/<target>/<int:pk>/flag")
@launch_required()
def flag(target: str, pk: int) -> Any:
    chosen = _target(target)
    row = _row(chosen, pk)
    try:
        added = services.flag(_actor(), chosen, row, request.form.get("reason", ""))
    except ValueError as exc:
        flash(str(exc), "error")
        return _back_to(chosen, row)
    db.session.commit()
    flash(
        _("Thank you: a moderator will look at it.")
        if added
        else _("You flagged this already; a moderator will look at it."),
        "success",
    )
    return _back_to(chosen, row)


@bp.post("/p/<int:pk>/verify")
@launch_required()
def verify(pk: int) -> Any:
    row = _row(Target.POST, pk)
    services.verify(_actor(), row, request.form.get("note", ""))
    db.session.commit()
    flash(_("The tip is verified: everyone sees your name on it."), "success")
    return _see_other("community.show", pk=pk)


@bp.post("/a/<int:pk>/accept")
@launch_required()
def accept(pk: int) -> Any:
    row = _row(Target.ANSWER, pk)
    accepted = services.accept(_actor(), row)
    db.session.commit()
    flash(_("Marked as the answer that solved it.") if accepted else _("Unmarked."), "success")
    return _back_to(Target.ANSWER, row)


# --- delete, history, moderation ------------------------------------------------------------


@bp.route("/<target>/<int:pk>/delete", methods=["GET", "POST"])
@launch_required()
def delete(target: str, pk: int) -> Any:
    chosen = _target(target)
    who = _actor()
    row = _row(chosen, pk)
    if row.status == Status.DELETED.value:
        return _deleted_already()
    if row.author_id != who.person_id and not who.is_moderator:
        raise services.Forbidden("delete")
    error = ""
    if request.method == "POST":
        try:
            services.delete(who, chosen, row, request.form.get("reason", ""))
        except ValueError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Deleted. A moderator can bring it back if it was a mistake."), "success")
            if chosen is Target.POST:
                return _see_other("community.index")
            return _back_to(chosen, row)
    return render_template(
        "community/confirm_delete.html",
        ctx=current_launch(),
        target=chosen,
        row=row,
        post=_post_of(chosen, row),
        error=error,
    ), (400 if error else 200)


@bp.get("/<target>/<int:pk>/history")
@launch_required()
def history(target: str, pk: int) -> str:
    chosen = _target(target)
    row = _row(chosen, pk)
    actions = services.actions_on(chosen, pk)
    return render_template(
        "community/history.html",
        ctx=current_launch(),
        target=chosen,
        row=row,
        post=_post_of(chosen, row),
        revisions=services.revisions(chosen, pk),
        actions=actions,
    )


@bp.route("/<target>/<int:pk>/moderate", methods=["GET", "POST"])
@launch_required()
def moderate(target: str, pk: int) -> Any:
    chosen = _target(target)
    who = _actor()
    if not who.is_moderator:
        raise services.Forbidden("moderate")
    row = _row(chosen, pk)
    error = ""
    if request.method == "POST":
        action = request.form.get("action", "")
        reason = request.form.get("reason", "")
        steps = {
            "hide": services.hide,
            "restore": services.restore,
            "dismiss": services.dismiss_flags,
        }
        if action not in steps:
            abort(400)
        try:
            steps[action](who, chosen, row, reason)
        except ValueError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(
                {
                    "hide": _("Hidden. Only moderators and the author see it now."),
                    "restore": _("Restored: everyone sees it again."),
                    "dismiss": _("Flags dismissed; the content stays as it is."),
                }[action],
                "success",
            )
            return _see_other("community.review")
    flags = services.open_flags(chosen, pk)
    return render_template(
        "community/moderate.html",
        ctx=current_launch(),
        target=chosen,
        row=row,
        post=_post_of(chosen, row),
        flags=flags,
        actions=services.actions_on(chosen, pk),
        error=error,
    ), (400 if error else 200)


@bp.get("/review")
@launch_required()
def review() -> str:
    who = _actor()
    return render_template(
        "community/review.html",
        ctx=current_launch(),
        queue=services.review_queue(who, _limits()),
        review_days=_limits().review_days,
    )


@bp.post("/review/article")
@launch_required()
def article_changed() -> Any:
    try:
        count = services.mark_article_changed(
            _actor(), request.form.get("kb_url", ""), request.form.get("reason", "")
        )
    except ValueError as exc:
        flash(str(exc), "error")
        return _see_other("community.review")
    db.session.commit()
    flash(
        ngettext(
            "%(num)s tip linking that article is now due for review.",
            "%(num)s tips linking that article are now due for review.",
            count,
        )
        if count
        else _("No tip links that article: check the address (it must match exactly)."),
        "success" if count else "info",
    )
    return _see_other("community.review")


@bp.get("/unanswered")
@launch_required()
def unanswered() -> str:
    who = _actor()
    mine, others = services.unanswered_for(who)
    return render_template(
        "community/unanswered.html", ctx=current_launch(), mine=mine, others=others
    )


# --- notifications --------------------------------------------------------------------------


@bp.get("/notifications")
@launch_required()
def notifications() -> str:
    ctx = current_launch()
    rows = services.notifications(ctx.person_id)
    return render_template(
        "community/notifications.html",
        ctx=ctx,
        rows=rows,
        text_of=services.notification_text,
    )


@bp.post("/notifications/read")
@launch_required()
def read_all() -> Any:
    services.mark_read(current_launch().person_id)
    db.session.commit()
    flash(_("All notifications are marked as read."), "success")
    return _see_other("community.notifications")


@bp.post("/notifications/<int:pk>/open")
@launch_required()
def open_notification(pk: int) -> Any:
    ctx = current_launch()
    try:
        row = services.notification(ctx.person_id, pk)
    except services.NotFound:
        abort(404)
    services.mark_read(ctx.person_id, pk)
    db.session.commit()
    if row.coaching_session_id is not None:
        return _see_other("coaching.session", pk=row.coaching_session_id)
    item_link = services.notification_item_link(row)
    if item_link:
        return _see_other(item_link, pk=row.subject_id)
    if row.kind in services.NOTIFICATION_LINKS:
        return _see_other(services.NOTIFICATION_LINKS[row.kind])
    if row.post_id is None:
        return _see_other("community.notifications")
    anchor = f"answer-{row.answer_id}" if row.answer_id else None
    return _see_other("community.show", pk=row.post_id, _anchor=anchor)


# --- experts and moderators -----------------------------------------------------------------


@bp.route("/people", methods=["GET", "POST"])
@launch_required()
def people() -> Any:
    who = _actor()
    if not who.manages_grants:
        raise services.Forbidden("grants")
    error = ""
    values = {"person": "", "kind": GrantKind.EXPERT.value, "skill": ""}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        skill_id = as_id(values["skill"])
        row, error = services.add_grant(who, values["person"], values["kind"], skill_id)
        if row is not None:
            db.session.commit()
            name = row.person.display_name
            if row.kind == "moderator":
                flash(_("%(name)s is now a moderator.", name=name), "success")
            else:
                skill = row.skill.name  # type: ignore[union-attr]
                flash(
                    _("%(name)s is now an expert in %(skill)s.", name=name, skill=skill), "success"
                )
            return _see_other("community.people")
    return render_template(
        "community/people.html",
        ctx=current_launch(),
        grants=services.grants(),
        skills=services.skills(),
        values=values,
        error=error,
    ), (400 if error else 200)


@bp.post("/people/<int:pk>/remove")
@launch_required()
def remove_grant(pk: int) -> Any:
    try:
        services.remove_grant(_actor(), pk)
    except services.NotFound:
        abort(404)
    db.session.commit()
    flash(_("Removed."), "success")
    return _see_other("community.people")
