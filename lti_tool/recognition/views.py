"""Recognition pages: badges, awards and their Open Badges export, kudos, the team view and
"people near me". Everything is scoped to the launch's tenant; who may do what is in
services.py.

Everyone launched
GET       /recognition/                     my badges, what I can still earn, thanks received
GET       /recognition/badges               the tenant's badges; GET …/<id> one, with holders
GET       /recognition/awards/<id>          one award; its owner downloads …/credential.json
                                            (OB 3.0 OpenBadgeCredential) and …/credential.jwt
GET|POST  /recognition/thanks               thank a colleague (?person=, ?post=, ?answer=)
GET       /recognition/people/<id>          a colleague's badges and thanks; …/thanks pages
GET       /recognition/team                 the team view; GET /recognition/near people near me
POST      /recognition/visibility           leave or rejoin those two views (on the profile)
Leaders (their teams) and trainers (anyone)
GET|POST  /recognition/award                award a badge with a message
Trainers
GET|POST  /recognition/badges/new, …/<id>/edit, …/<id>/delete; POST …/<id>/restore
Anyone (no launch): GET /recognition/issuers/<key>, the issuer profile the credentials name
(the key is signed: see export.issuer_key).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import NotFound as HttpNotFound

from lti_tool.errors import render_problem
from lti_tool.extensions import db
from lti_tool.i18n import _, ngettext
from lti_tool.lti.models import Registration
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.recognition import criteria, designs, export, services
from lti_tool.recognition.models import CRITERION_LABELS, Criterion

bp = Blueprint("recognition", __name__, url_prefix="/recognition")


def _actor() -> services.Actor:
    cached = g.get("recognition_actor")
    if cached is None:
        ctx = current_launch()
        me = services.person(ctx.person_id)
        cached = services.Actor(
            registration_id=ctx.registration_id,
            person_id=ctx.person_id,
            name=me.display_name,
            is_instructor=ctx.is_instructor,
            is_leader=ctx.is_leader,
            is_administrator=ctx.is_administrator,
        )
        g.recognition_actor = cached
    return cached


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    page = services.as_id(raw)
    return page if page is not None and 0 < page < 100_000 else 1


def _render(template: str, **context: Any) -> str:
    return render_template(
        template,
        ctx=current_launch(),
        who=_actor(),
        DESIGNS=designs.DESIGNS,
        describe=services.describe,
        evidence_text=criteria.evidence_text,
        **context,
    )


@bp.errorhandler(services.Forbidden)
def _forbidden(_error: services.Forbidden) -> Any:
    db.session.rollback()
    return render_problem("forbidden_role")


@bp.errorhandler(services.NotFound)
def _not_found(_error: services.NotFound) -> Any:
    return current_app.handle_http_exception(HttpNotFound())


# --- my recognition -------------------------------------------------------------------------


@bp.get("/")
@launch_required()
def mine() -> str:
    who = _actor()
    awards = services.awards_of(who.person_id)
    received = services.kudos_page(who.person_id, "received", 1, services.PROFILE_KUDOS)
    return _render(
        "recognition/mine.html",
        awards=awards,
        towards=services.progress_towards(who.person_id, {a.badge_id for a in awards}),
        received=received,
        posts=services.kudos_posts(received.rows),
    )


# --- badges ---------------------------------------------------------------------------------


@bp.get("/badges")
@launch_required()
def badges() -> str:
    who = _actor()
    return _render(
        "recognition/badges.html",
        rows=services.badges(include_archived=who.manages_badges),
        counts=services.holder_counts(),
        held={a.badge_id for a in services.awards_of(who.person_id)},
    )


@bp.get("/badges/<int:pk>")
@launch_required()
def badge(pk: int) -> str:
    row = services.badge(pk)
    return _render("recognition/badge.html", badge=row, holders=services.holders(row, _page_arg()))


def _badge_form(row: Any) -> Any:
    who = _actor()
    if not who.manages_badges:
        raise services.Forbidden("badges")
    values = {
        "name": row.name if row else "",
        "description": row.description if row else "",
        "criteria_text": row.criteria_text if row else "",
        "design": row.design if row else "star",
        "criterion": row.criterion if row else Criterion.VERIFIED_TIPS.value,
        "path_id": str(row.path_id or "") if row else "",
        "skill_id": str(row.skill_id or "") if row else "",
        "count": str(row.threshold) if row else "3",
        "level": str(row.threshold) if row and row.criterion == "skill_level" else "4",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        saved, errors = services.save_badge(who, row, values)
        if saved is not None:
            awarded = services.award_automatic(who.registration_id, badge_id=saved.id)
            db.session.commit()
            if awarded:
                flash(
                    ngettext(
                        "The badge “%(name)s” is saved. %(num)s person already meets it and "
                        "received it.",
                        "The badge “%(name)s” is saved. %(num)s people already meet it and "
                        "received it.",
                        awarded,
                        name=saved.name,
                    ),
                    "success",
                )
            else:
                flash(_("The badge “%(name)s” is saved.", name=saved.name), "success")
            return _see_other("recognition.badge", pk=saved.id)
    return _render(
        "recognition/badge_form.html",
        badge=row,
        values=values,
        errors=errors,
        criteria=list(Criterion),
        CRITERION_LABELS=CRITERION_LABELS,
        paths=services.path_choices(),
        skills=services.skill_choices(),
    ), (400 if errors else 200)


@bp.route("/badges/new", methods=["GET", "POST"])
@launch_required()
def new_badge() -> Any:
    return _badge_form(None)


@bp.route("/badges/<int:pk>/edit", methods=["GET", "POST"])
@launch_required()
def edit_badge(pk: int) -> Any:
    return _badge_form(services.badge(pk))


@bp.route("/badges/<int:pk>/delete", methods=["GET", "POST"])
@launch_required()
def delete_badge(pk: int) -> Any:
    who = _actor()
    row = services.badge(pk)
    if not who.manages_badges:
        raise services.Forbidden("badges")
    if request.method == "POST" and row.archived:  # a second click, or an old page
        flash(
            _("“%(name)s” is archived already: nobody can earn it any more.", name=row.name),
            "error",
        )
        return _see_other("recognition.badge", pk=pk)
    if request.method == "POST":
        name = row.name
        outcome = services.delete_or_archive(who, row)
        db.session.commit()
        if outcome == "deleted":
            flash(_("The badge “%(name)s” is deleted.", name=name), "success")
            return _see_other("recognition.badges")
        flash(
            _(
                "“%(name)s” is archived: nobody can earn it any more, and the people who hold it "
                "keep it.",
                name=name,
            ),
            "success",
        )
        return _see_other("recognition.badge", pk=pk)
    held = services.holder_counts().get(row.id, 0)
    return _render("recognition/confirm_delete.html", badge=row, held=held)


@bp.post("/badges/<int:pk>/restore")
@launch_required()
def restore_badge(pk: int) -> Any:
    row = services.badge(pk)
    services.restore(_actor(), row)
    db.session.commit()
    flash(_("“%(name)s” can be earned again.", name=row.name), "success")
    return _see_other("recognition.badge", pk=pk)


# --- awarding by hand -----------------------------------------------------------------------


@bp.route("/award", methods=["GET", "POST"])
@launch_required()
def award_page() -> Any:
    who = _actor()
    if not who.may_award:
        raise services.Forbidden("award")
    values = {
        "badge_id": request.args.get("badge", ""),
        "person_id": request.args.get("person", ""),
        "message": "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        row, errors = services.award_by_hand(who, values)
        if row is not None:
            db.session.commit()
            flash(
                _(
                    "%(person)s received “%(badge)s” with your message.",
                    person=row.person.display_name,
                    badge=row.badge.name,
                ),
                "success",
            )
            return _see_other("recognition.award_detail", pk=row.id)
    return _render(
        "recognition/award.html",
        values=values,
        errors=errors,
        rows=services.badges(),
        people=services.awardable_people(who),
        pick_limit=services.PICK_LIMIT,
    ), (400 if errors else 200)


@bp.get("/awards/<int:pk>")
@launch_required()
def award_detail(pk: int) -> str:
    return _render("recognition/award_detail.html", award=services.award(pk))


def _own_award(pk: int) -> Any:
    row = services.award(pk)
    if row.person_id != _actor().person_id:
        raise services.Forbidden("export")
    return row


def _credential(pk: int) -> dict[str, Any]:
    row = _own_award(pk)
    reg = db.session.get(Registration, row.registration_id)
    assert reg is not None
    return export.credential(row, reg, request.url_root)


def _download_name(pk: int, ext: str) -> str:
    return f'attachment; filename="wayfinder-badge-{pk}.{ext}"'


@bp.get("/awards/<int:pk>/credential.json")
@launch_required()
def credential_json(pk: int) -> Any:
    response = jsonify(_credential(pk))
    response.mimetype = "application/ld+json"
    response.headers["Content-Disposition"] = _download_name(pk, "json")
    return response


@bp.get("/awards/<int:pk>/credential.jwt")
@launch_required()
def credential_jwt(pk: int) -> Any:
    response = make_response(export.signed(_credential(pk)))
    response.mimetype = "application/vc+jwt"
    response.headers["Content-Disposition"] = _download_name(pk, "jwt")
    return response


@bp.get("/issuers/<key>")
def issuer(key: str) -> Any:
    registration_id = export.registration_of_key(key)
    reg = db.session.get(Registration, registration_id) if registration_id else None
    if reg is None or not reg.enabled:
        abort(404)
    profile = export.issuer_profile(request.url_root, reg)
    profile["@context"] = [export.VC_CONTEXT, export.OB_CONTEXT]
    response = jsonify(profile)
    response.mimetype = "application/ld+json"
    return response


# --- kudos ----------------------------------------------------------------------------------


@bp.route("/thanks", methods=["GET", "POST"])
@launch_required()
def thanks() -> Any:
    who = _actor()
    source = request.form if request.method == "POST" else request.args
    form = services.KudosForm(
        person_id=source.get("person", ""),
        to=source.get("to", ""),
        message=source.get("message", "") if request.method == "POST" else "",
        post_id=source.get("post", ""),
        answer_id=source.get("answer", ""),
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        row, errors = services.give_kudos(who, form)
        if row is not None:
            db.session.commit()
            flash(_("Your thanks reached %(name)s.", name=row.recipient.display_name), "success")
            return _see_other("recognition.person", pk=row.to_id)
    recipient = None
    if services.as_id(form.person_id) is not None:
        recipient, _problem = services.kudos_recipient(form)
    return _render(
        "recognition/thanks.html",
        form=form,
        errors=errors,
        recipient=recipient,
        target=services.kudos_target(form),
        max_length=services.KUDOS_MAX,
    ), (400 if errors else 200)


@bp.get("/people/<int:pk>")
@launch_required()
def person(pk: int) -> str:
    return _render("recognition/person.html", profile=services.profile(pk))


@bp.get("/people/<int:pk>/thanks")
@launch_required()
def person_thanks(pk: int) -> str:
    direction = "given" if request.args.get("dir") == "given" else "received"
    who = services.person(pk)
    page = services.kudos_page(pk, direction, _page_arg())
    return _render(
        "recognition/thanks_list.html",
        person=who,
        direction=direction,
        page=page,
        posts=services.kudos_posts(page.rows),
    )


# --- the team view, people near me, visibility ----------------------------------------------


@bp.get("/team")
@launch_required()
def team() -> str:
    who = _actor()
    teams = services.teams_for(who)
    chosen = None
    raw = request.args.get("team", "")
    if services.as_id(raw) is not None:
        chosen = next((t for t in teams if t.id == services.as_id(raw)), None)
        if chosen is None:
            abort(404)
    elif teams:
        own = [t for t in teams if t.leader_id == who.person_id] or teams
        chosen = own[0]
    view = services.team_recognition(chosen) if chosen else None
    return _render(
        "recognition/team.html",
        teams=teams,
        view=view,
        me=services.visibility(who.person_id),
    )


@bp.get("/near")
@launch_required()
def near() -> str:
    who = _actor()
    return _render(
        "recognition/near.html",
        near=services.near_me(who),
        me=services.visibility(who.person_id),
    )


@bp.post("/visibility")
@launch_required()
def visibility() -> Any:
    services.set_visibility(
        _actor(),
        in_team_view=request.form.get("in_team_view") == "1",
        in_near_me=request.form.get("in_near_me") == "1",
    )
    db.session.commit()
    flash(_("Your choice is saved."), "success")
    back = request.form.get("back", "")
    if back in ("recognition.team", "recognition.near"):
        return _see_other(back)
    return _see_other("home.profile", _anchor="recognition")
