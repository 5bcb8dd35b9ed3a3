"""Coaching and shadowing pages, and the peer pages of the community (digest, skills, team).
Everything is scoped to the launch's tenant; who may do what is in services.py.

Everyone launched (blueprint ``coaching``)
GET       /coaching/                          your sessions (upcoming, to sign off, past), your
                                              offers, offers from colleagues (?skill=, ?kind=)
GET|POST  /coaching/offers/new, …/<id>/edit   offer coaching or shadowing on skills
GET|POST  /coaching/offers/<id>/withdraw      confirm, then withdraw (booked sessions cancelled)
GET       /coaching/offers/<id>               an offer with its slots; book one
POST      /coaching/offers/<id>/slots         the coach adds a slot
GET|POST  /coaching/slots/<id>/edit, …/remove the coach changes or removes a slot
POST      /coaching/slots/<id>/book           book (or ask for) a slot
GET       /coaching/s/<id>                    a session: its two sides, the learner's leader,
                                              instructors and administrators
POST      /coaching/s/<id>/<confirm|decline|cancel|checklist|signoff|noshow>

The community's peer pages (blueprint ``peers``)
GET       /community/digest?role=&week=       the week's top tips, answers, verified posts by
                                              people of a job role
GET       /community/skills/, …/<id>          skills; one skill's posts, path steps, coaches,
                                              experts (and catalog items once wired)
GET       /community/team?days=               leaders: their team's contributions
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from lti_tool import timezones
from lti_tool.coaching import peers, services
from lti_tool.coaching.models import Booking, OfferKind, SessionStatus
from lti_tool.errors import render_problem
from lti_tool.extensions import db
from lti_tool.i18n import _, date_text, ngettext
from lti_tool.lti.models import utcnow
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_id, as_ids
from lti_tool.paths.models import STEP_KIND_LABELS
from lti_tool.roles import services as roles

bp = Blueprint("coaching", __name__, url_prefix="/coaching")
peers_bp = Blueprint("peers", __name__, url_prefix="/community")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)


def _actor() -> services.Actor:
    ctx = current_launch()
    return services.Actor(
        ctx.registration_id, ctx.person_id, ctx.name or "Someone", ctx.has(*STAFF)
    )


def _tz() -> ZoneInfo:
    """Slots are shown, and typed, in the zone of the person at the keyboard."""
    return timezones.current()


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


def _found(getter: Any, *args: Any) -> Any:
    try:
        return getter(*args)
    except services.NotFound:
        abort(404)


def _shared() -> dict[str, Any]:
    from lti_tool.community.views import _actor as community_actor

    tz = _tz()
    return {
        "who": community_actor() if g.get("launch") is not None else None,
        "local": lambda moment: services.to_local(moment, tz),
        "tz_name": timezones.shown(tz),
        "OfferKind": OfferKind,
        "SessionStatus": SessionStatus,
        "Booking": Booking,
        "STEP_KIND_LABELS": STEP_KIND_LABELS,
        "leads_team": lambda: (
            g.get("launch") is not None and peers.leads_a_team(current_launch().person_id)
        ),
    }


bp.context_processor(_shared)
peers_bp.context_processor(_shared)


def _forbidden(_error: Exception) -> Any:
    db.session.rollback()
    return render_problem("forbidden_role")


bp.errorhandler(services.Forbidden)(_forbidden)
peers_bp.errorhandler(services.Forbidden)(_forbidden)


# --- the coaching page ----------------------------------------------------------------------


@bp.get("/")
@launch_required()
def index() -> str:
    ctx = current_launch()
    skill_id = as_id(request.args.get("skill"))
    kind = request.args.get("kind", "")
    found = services.offers(skill_id=skill_id, exclude_coach=ctx.person_id)
    if kind in (OfferKind.COACHING.value, OfferKind.SHADOWING.value):
        found = [o for o in found if o.kind == kind]
    mine = services.offers_of(ctx.person_id)
    return render_template(
        "coaching/index.html",
        ctx=ctx,
        sessions=services.sessions_of(ctx.person_id),
        offers=found,
        mine=mine,
        free=services.free_slot_counts([o.id for o in found + mine]),
        skills=roles.skills(),
        skill_names={s.id: s.name for s in roles.skills()},
        skill_id=skill_id,
        kind=kind,
        step=request.args.get("step", ""),
    )


# --- offers ---------------------------------------------------------------------------------


def _offer_form_values() -> services.OfferForm:
    return services.OfferForm(
        kind=request.form.get("kind", ""),
        title=request.form.get("title", ""),
        description=request.form.get("description", ""),
        booking=request.form.get("booking", ""),
        skill_ids=as_ids(request.form.getlist("skills")),
        checklist=request.form.get("checklist", ""),
        from_step=request.form.get("from_step", ""),
    )


def _offer_form(row: Any) -> Any:
    actor = _actor()
    if row is not None and row.coach_id == actor.person_id and not row.active:
        flash(_("This offer was withdrawn: make a new offer to give your time again."), "error")
        return _see_other("coaching.offer", pk=row.id)
    if row is not None and row.coach_id != actor.person_id:
        raise services.Forbidden("offer")
    if row is None:
        preset = as_id(request.args.get("skill"))
        form = services.OfferForm(
            kind=request.args.get("kind", OfferKind.COACHING.value),
            skill_ids=[preset] if preset else [],
        )
    else:
        form = services.OfferForm(
            kind=row.kind,
            title=row.title,
            description=row.description,
            booking=row.booking,
            skill_ids=list(row.skill_ids or []),
            checklist="\n".join(row.checklist or []),
        )
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _offer_form_values()
        try:
            saved, errors = services.save_offer(actor, row, form)
        except services.Refused as exc:
            flash(str(exc), "error")
            return _see_other("coaching.offer", pk=row.id if row else 0)
        if saved is not None:
            db.session.commit()
            flash(
                _("Your offer is saved. Add the times you are free below.")
                if row is None
                else _("Your offer is saved."),
                "success",
            )
            return _see_other("coaching.offer", pk=saved.id)
    return render_template(
        "coaching/offer_form.html",
        ctx=current_launch(),
        row=row,
        form=form,
        values={"title": form.title, "description": form.description, "checklist": form.checklist},
        errors=errors,
        skills=roles.skills(),
        steps=services.checklist_steps(),
    ), (400 if errors else 200)


@bp.route("/offers/new", methods=["GET", "POST"])
@launch_required()
def new_offer() -> Any:
    return _offer_form(None)


@bp.route("/offers/<int:pk>/edit", methods=["GET", "POST"])
@launch_required()
def edit_offer(pk: int) -> Any:
    return _offer_form(_found(services.offer, pk))


@bp.route("/offers/<int:pk>/withdraw", methods=["GET", "POST"])
@launch_required()
def withdraw_offer(pk: int) -> Any:
    actor = _actor()
    row = _found(services.offer, pk)
    if row.coach_id != actor.person_id:
        raise services.Forbidden("offer")
    if not row.active:  # a second click, or an old page
        flash(_("This offer is withdrawn already."), "error")
        return _see_other("coaching.offer", pk=pk)
    error, reason, invalid = "", request.form.get("reason", ""), False
    booked = services.booked_slots(row)
    if request.method == "POST":
        try:
            cancelled = services.withdraw_offer(actor, row, reason)
        except services.Refused as exc:
            error = str(exc)
            invalid = isinstance(exc, services.Invalid)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Your offer is withdrawn; %(num)s booked session cancelled and the person told.",
                    "Your offer is withdrawn; %(num)s booked sessions cancelled and the people told.",
                    cancelled,
                )
                if cancelled
                else _("Your offer is withdrawn."),
                "success",
            )
            return _see_other("coaching.index")
    return render_template(
        "coaching/confirm.html",
        ctx=current_launch(),
        title=_("Withdraw “%(title)s”?", title=row.title),
        message=(
            ngettext(
                "%(num)s slot is booked: that session is cancelled and the person who booked is "
                "told, with your reason.",
                "%(num)s slots are booked: those sessions are cancelled and the people who booked "
                "are told, with your reason.",
                len(booked),
            )
            if booked
            else _("Nobody has booked a slot. Your free slots go with the offer.")
        ),
        action=url_for("coaching.withdraw_offer", pk=pk),
        back=url_for("coaching.offer", pk=pk),
        button=_("Withdraw the offer"),
        need_reason=bool(booked),
        reason=reason,
        error=error,
        invalid=invalid,  # the reason is what was wrong, not the state of things
    ), (200 if not error else 400 if invalid else 409)


@bp.get("/offers/<int:pk>")
@launch_required()
def offer(pk: int) -> Any:
    return _offer_page(_found(services.offer, pk), {}, services.SlotForm(), {}, 200)


def _offer_page(
    row: Any,
    slot_errors: dict[str, str],
    slot_form: services.SlotForm,
    book_error: dict[int, str],
    status: int,
    book_field: str = "",
) -> Any:
    ctx = current_launch()
    own = row.coach_id == ctx.person_id
    slots = services.slots_of(row, upcoming_only=not own)
    sessions = {s.id: services.live_session_for(s) for s in slots if s.session_id}
    return render_template(
        "coaching/offer.html",
        ctx=ctx,
        offer=row,
        own=own,
        slots=slots,
        sessions=sessions,
        skills=services.skills_by_id(row.skill_ids or []),
        choices=[] if own else services.step_choices(ctx.person_id, row.offer_kind),
        step=request.values.get("step", ""),
        slot_form=slot_form,
        errors=slot_errors,
        book_error=book_error,
        book_field=book_field,
        now=utcnow(),
    ), status


@bp.post("/offers/<int:pk>/slots")
@launch_required()
def add_slot(pk: int) -> Any:
    row = _found(services.offer, pk)
    form = services.SlotForm(
        day=request.form.get("day", ""),
        at=request.form.get("at", ""),
        minutes=request.form.get("minutes", ""),
        place=request.form.get("place", ""),
    )
    try:
        added, errors = services.add_slot(_actor(), row, form, _tz())
    except services.Refused as exc:
        if not row.active:  # the page draws no slot form for a withdrawn offer: say it there
            flash(str(exc), "error")
            return _see_other("coaching.offer", pk=pk)
        errors, added = {"day": str(exc)}, None
    if added is None:
        return _offer_page(row, errors, form, {}, 400)
    db.session.commit()
    flash(_("Slot added: colleagues can book it now."), "success")
    return _see_other("coaching.offer", pk=pk, _anchor="slots")


@bp.route("/slots/<int:pk>/edit", methods=["GET", "POST"])
@launch_required()
def edit_slot(pk: int) -> Any:
    actor = _actor()
    row = _found(services.slot, pk)
    if row.offer.coach_id != actor.person_id:
        raise services.Forbidden("slot")
    local = services.to_local(row.starts_at, _tz())
    form = services.SlotForm(
        day=local.date().isoformat(),
        at=local.strftime("%H:%M"),
        minutes=str(row.minutes),
        place=row.place,
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = services.SlotForm(
            day=request.form.get("day", ""),
            at=request.form.get("at", ""),
            minutes=request.form.get("minutes", ""),
            place=request.form.get("place", ""),
        )
        errors = services.change_slot(actor, row, form, _tz())
        if not errors:
            db.session.commit()
            flash(
                _("Slot changed; the person who booked it is told.")
                if row.session_id
                else _("Slot changed."),
                "success",
            )
            return _see_other("coaching.offer", pk=row.offer_id, _anchor="slots")
    return render_template(
        "coaching/slot_form.html",
        ctx=current_launch(),
        slot=row,
        slot_form=form,
        errors=errors,
        booked=services.live_session_for(row),
    ), (400 if errors else 200)


@bp.route("/slots/<int:pk>/remove", methods=["GET", "POST"])
@launch_required()
def remove_slot(pk: int) -> Any:
    actor = _actor()
    row = _found(services.slot, pk)
    if row.offer.coach_id != actor.person_id:
        raise services.Forbidden("slot")
    live = services.live_session_for(row)
    booked = live is not None and live.state.live
    error, reason, invalid = "", request.form.get("reason", ""), False
    if request.method == "POST":
        try:
            services.remove_slot(actor, row, reason)
        except services.Refused as exc:
            error = str(exc)
            invalid = isinstance(exc, services.Invalid)
        else:
            db.session.commit()
            flash(
                _("Slot removed; the session is cancelled and the person told.")
                if booked
                else _("Slot removed."),
                "success",
            )
            return _see_other("coaching.offer", pk=row.offer_id, _anchor="slots")
    when = date_text(services.to_local(row.starts_at, _tz()), "EEE dd MMM y, HH:mm")
    return render_template(
        "coaching/confirm.html",
        ctx=current_launch(),
        title=_("Remove the slot of %(when)s?", when=when),
        message=(
            _(
                "%(name)s booked it: the session is cancelled and they are told, with your reason.",
                name=live.learner.display_name,
            )
            if booked and live is not None
            else _("Nobody has booked it.")
        ),
        action=url_for("coaching.remove_slot", pk=pk),
        back=url_for("coaching.offer", pk=row.offer_id),
        button=_("Remove the slot"),
        need_reason=booked,
        reason=reason,
        error=error,
        invalid=invalid,  # the reason is what was wrong, not the state of things
    ), (200 if not error else 400 if invalid else 409)


@bp.post("/slots/<int:pk>/book")
@launch_required()
def book(pk: int) -> Any:
    row = _found(services.slot, pk)
    try:
        session = services.book(
            _actor(), row, request.form.get("note", ""), request.form.get("step", "")
        )
    except services.AlreadyBooked as done:
        flash(str(done), "success")
        return _see_other("coaching.session", pk=done.session.id)
    except services.Invalid as exc:  # the person's form: corrected at the field, kept
        return _offer_page(
            row.offer, {}, services.SlotForm(), {row.id: str(exc)}, 400, book_field=exc.field
        )
    except services.Refused as exc:  # the slot is gone, started or withdrawn meanwhile
        return _offer_page(row.offer, {}, services.SlotForm(), {row.id: str(exc)}, 409)
    db.session.commit()
    flash(
        _("Booked: it is in your sessions, and the coach is told.")
        if session.state is SessionStatus.CONFIRMED
        else _("Request sent: the coach confirms or declines, and you are told."),
        "success",
    )
    return _see_other("coaching.session", pk=session.id)


# --- sessions -------------------------------------------------------------------------------


@bp.get("/s/<int:pk>")
@launch_required()
def session(pk: int) -> Any:
    return _session_page(pk, "", {}, 200)


def _session_page(pk: int, error: str, values: dict[str, str], status: int, field: str = "") -> Any:
    ctx = current_launch()
    row = _found(services.visible_session, _actor(), pk)
    now = utcnow()
    side = (
        "coach"
        if row.coach_id == ctx.person_id
        else "learner"
        if row.learner_id == ctx.person_id
        else ""
    )
    return render_template(
        "coaching/session.html",
        ctx=ctx,
        s=row,
        side=side,
        started=now >= row.starts_at,
        skills=services.skills_by_id(row.skill_ids or []),
        error=error,
        field=field,  # the field the error is about, when the form itself was wrong
        values=values,
    ), status


@bp.post("/s/<int:pk>/<action>")
@launch_required()
def session_action(pk: int, action: str) -> Any:
    actor = _actor()
    row = _found(services.visible_session, actor, pk)
    note = request.form.get("note", "")
    reason = request.form.get("reason", "")
    messages = {
        "confirm": _("Confirmed: it is in both your sessions."),
        "decline": _("Declined; they see your reason and the slot is free again."),
        "cancel": _("Cancelled; the other person is told and the slot is free again."),
        "checklist": _("Checklist saved."),
        "signoff": _("Signed off. The other side is asked to sign off too."),
        "noshow": _("Marked as a no-show. It does not count as evidence."),
    }
    if action not in messages:
        abort(404)
    try:
        if action == "confirm":
            services.confirm(actor, row)
        elif action == "decline":
            services.decline(actor, row, reason)
        elif action == "cancel":
            services.cancel(actor, row, reason)
        elif action == "checklist":
            services.tick(
                actor,
                row,
                as_ids(request.form.getlist("done")),
            )
        elif action == "signoff":
            if services.sign_off(actor, row, note):
                messages["signoff"] = (
                    _("Both of you signed off: it counts for %(what)s.", what=row.evidence_text)
                    if row.evidence_for
                    else _("Both of you signed off: it counts for the learner's record.")
                )
        else:
            services.mark_no_show(actor, row, note)
    except services.Refused as exc:
        db.session.rollback()
        invalid = isinstance(exc, services.Invalid)
        field = exc.field if isinstance(exc, services.Invalid) else ""
        values = {"note": note, "reason": reason, "action": action}
        # The form to correct (400), or the session's state says no: too early, ended (409).
        return _session_page(pk, str(exc), values, 400 if invalid else 409, field)
    db.session.commit()
    flash(messages[action], "success")
    return _see_other("coaching.session", pk=pk)


# --- digest, skills, team -------------------------------------------------------------------


@peers_bp.get("/digest")
@launch_required()
def digest() -> str:
    ctx = current_launch()
    all_roles = roles.roles()
    role_id = as_id(request.args.get("role")) or roles.effective_role_id(ctx.person_id)
    chosen = next((r for r in all_roles if r.id == role_id), None)
    monday = peers.parse_week(request.args.get("week", ""), utcnow().date())
    this_week = peers.monday_of(utcnow().date())
    return render_template(
        "coaching/digest.html",
        ctx=ctx,
        roles=all_roles,
        role=chosen,
        digest=peers.digest(chosen.id, monday) if chosen else None,
        monday=monday,
        week=peers.week_label(monday),
        previous=peers.week_label(monday - timedelta(days=7)),
        next=peers.week_label(monday + timedelta(days=7)) if monday < this_week else "",
    )


@peers_bp.get("/skills/")
@launch_required()
def skills() -> str:
    return render_template("coaching/skills.html", ctx=current_launch(), rows=peers.skill_index())


@peers_bp.get("/skills/<int:pk>")
@launch_required()
def skill(pk: int) -> str:
    ctx = current_launch()
    page = _found(peers.skill_page, pk, ctx.person_id)
    return render_template(
        "coaching/skill.html",
        ctx=ctx,
        page=page,
        free=services.free_slot_counts([o.id for o in page.offers]),
    )


@peers_bp.get("/team")
@launch_required()
def team() -> str:
    ctx = current_launch()
    if not (ctx.is_leader or peers.leads_a_team(ctx.person_id)):
        raise services.Forbidden("team")
    days = as_id(request.args.get("days")) or 30
    days = days if days in (7, 30, 90, 365) else 30
    return render_template(
        "coaching/team.html",
        ctx=ctx,
        team=peers.team_contributions(ctx.person_id, utcnow() - timedelta(days=days)),
        days=days,
        teams=roles.teams_led_by(ctx.person_id),
    )
