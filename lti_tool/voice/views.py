"""The learners' voice: training suggestions with votes, and pulse surveys per job role.
Everything is scoped to the launch's tenant; who may do what is in services.py.

Everyone launched
GET       /voice/                           suggestions: open ones by votes (?status=, ?q=, ?page=)
GET|POST  /voice/new                        suggest a training; the first submit shows similar
                                            open suggestions to vote for instead
GET       /voice/<id>                       one suggestion, its votes and the trainer's answer
POST      /voice/<id>/vote, …/<id>/withdraw vote for it, take the vote back
GET       /voice/mine                       what I suggested and voted for, with the answers
GET       /voice/pulse                      surveys open for me (trainers: every survey)
GET|POST  /voice/pulse/<id>                 answer a survey, once
Trainers (instructor or administrator)
POST      /voice/<id>/decide                answer, plan or close a suggestion with a message
GET|POST  /voice/pulse/new                  schedule a survey (?again=<id>: a new run of it)
GET       /voice/pulse/<id>/results         its aggregates (hidden below the minimum group);
                                            …/results.csv the same; …/compare every run
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import NotFound as HttpNotFound

from lti_tool.errors import render_problem
from lti_tool.extensions import db
from lti_tool.i18n import _, date_text, number
from lti_tool.insights import charts
from lti_tool.insights.dashboard import _safe
from lti_tool.lti.models import utcnow
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.voice import charts as voice_charts
from lti_tool.voice import services
from lti_tool.voice.models import MAX_QUESTIONS, STATUS_LABELS, Status

bp = Blueprint("voice", __name__, url_prefix="/voice")


def _actor() -> services.Actor:
    cached = g.get("voice_actor")
    if cached is None:
        ctx = current_launch()
        cached = services.Actor(
            registration_id=ctx.registration_id,
            person_id=ctx.person_id,
            name=services.person(ctx.person_id).display_name,
            is_instructor=ctx.is_instructor,
            is_administrator=ctx.is_administrator,
        )
        g.voice_actor = cached
    return cached


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


def _page_arg() -> int:
    page = services.as_id(request.args.get("page", "1"))
    return page if page is not None and 0 < page < 100_000 else 1


def _today() -> Any:
    return utcnow().date()


def _minimum() -> int:
    return int(current_app.config.get("VOICE_PULSE_MIN_GROUP", 5))


def _render(template: str, **context: Any) -> str:
    return render_template(
        template,
        ctx=current_launch(),
        who=_actor(),
        STATUS_LABELS=STATUS_LABELS,
        Status=Status,
        **context,
    )


@bp.errorhandler(services.Forbidden)
def _forbidden(_error: services.Forbidden) -> Any:
    db.session.rollback()
    return render_problem("forbidden_role")


@bp.errorhandler(services.NotFound)
def _not_found(_error: services.NotFound) -> Any:
    return current_app.handle_http_exception(HttpNotFound())


# --- suggestions ----------------------------------------------------------------------------


@bp.get("/")
@launch_required()
def index() -> str:
    status = request.args.get("status", Status.OPEN.value)
    if status not in {s.value for s in Status} and status != "all":
        status = Status.OPEN.value
    query = request.args.get("q", "")
    page = services.suggestions("" if status == "all" else status, query, _page_arg())
    return _render(
        "voice/index.html",
        page=page,
        status=status,
        query=query,
        counts=services.status_counts(),
        voted=services.voted_ids(_actor().person_id, [s.id for s in page.rows]),
        skills=services.skill_names({s.skill_id for s in page.rows}),
    )


@bp.route("/new", methods=["GET", "POST"])
@launch_required()
def new() -> Any:
    who = _actor()
    source = request.form if request.method == "POST" else request.args
    form = services.SuggestionForm(
        title=source.get("title", ""),
        details=source.get("details", ""),
        skill_id=source.get("skill_id", ""),
    )
    errors: dict[str, str] = {}
    similar: list[Any] = []
    checked = False
    if request.method == "POST":
        errors = services.check_suggestion(form)
        if not errors and request.form.get("confirm") != "1":
            similar = services.similar(form.title, form.details)
            checked = True
        if not errors and not similar:
            row, errors = services.suggest(who, form)
            if row is not None:
                db.session.commit()
                flash(
                    _(
                        "Your suggestion is posted. Colleagues can vote for it, and you will be "
                        "told when a trainer answers."
                    ),
                    "success",
                )
                return _see_other("voice.show", pk=row.id)
    return _render(
        "voice/new.html",
        form=form,
        errors=errors,
        similar=similar,
        checked=checked,
        voted=services.voted_ids(who.person_id, [s.id for s in similar]),
        skills=services.skill_choices(),
        title_max=services.TITLE_MAX,
        details_max=services.DETAILS_MAX,
    ), (400 if errors else 200)


def _show(row: Any, decision: services.DecisionForm | None = None, errors: Any = None) -> str:
    who = _actor()
    path, item = services.linked(row)
    if decision is None:
        decision = services.DecisionForm(
            status="" if row.status == Status.OPEN.value else row.status,
            message=row.message,
            path_id=str(row.path_id or ""),
            catalog_item_id=str(row.catalog_item_id or ""),
        )
    trainer = who.is_trainer
    return _render(
        "voice/show.html",
        s=row,
        voted=services.has_voted(who.person_id, row.id),
        skill=services.skill_names({row.skill_id}).get(row.skill_id or 0),
        path=path,
        item=item,
        decision=decision,
        errors=errors or {},
        decisions=services.DECISIONS,
        paths=services.path_choices() if trainer else [],
        items=services.catalog_choices() if trainer else [],
    )


@bp.get("/<int:pk>")
@launch_required()
def show(pk: int) -> str:
    return _show(services.suggestion(pk))


@bp.post("/<int:pk>/vote")
@launch_required()
def vote(pk: int) -> Any:
    row = services.suggestion(pk)
    problem = services.vote(_actor(), row)
    if problem:
        db.session.rollback()
        flash(problem, "error")
    else:
        db.session.commit()
        flash(_("Your vote is counted. You can take it back at any time."), "success")
    return _back(pk)


@bp.post("/<int:pk>/withdraw")
@launch_required()
def withdraw(pk: int) -> Any:
    row = services.suggestion(pk)
    if services.withdraw(_actor(), row):
        db.session.commit()
        flash(_("Your vote is withdrawn."), "success")
    else:
        flash(_("You had not voted for this suggestion."), "error")
    return _back(pk)


def _back(pk: int) -> Any:
    """Votes come from the list, the suggestion, or the similar ones while suggesting."""
    back = request.form.get("back", "")
    if back == "index":
        return _see_other("voice.index", _anchor=f"s{pk}")
    return _see_other("voice.show", pk=pk)


@bp.post("/<int:pk>/decide")
@launch_required()
def decide(pk: int) -> Any:
    row = services.suggestion(pk)
    form = services.DecisionForm(
        status=request.form.get("status", ""),
        message=request.form.get("message", ""),
        path_id=request.form.get("path_id", ""),
        catalog_item_id=request.form.get("catalog_item_id", ""),
    )
    errors = services.decide(_actor(), row, form)
    if errors:
        db.session.rollback()
        return _show(services.suggestion(pk), form, errors), 400
    db.session.commit()
    done = {
        Status.OPEN.value: _("The suggestion is now open."),
        Status.ANSWERED.value: _(
            "The suggestion is now answered. The person who suggested it and its voters are told."
        ),
        Status.PLANNED.value: _(
            "The suggestion is now planned. The person who suggested it and its voters are told."
        ),
        Status.CLOSED.value: _(
            "The suggestion is now closed. The person who suggested it and its voters are told."
        ),
    }
    flash(done[row.status], "success")
    return _see_other("voice.show", pk=pk)


@bp.get("/mine")
@launch_required()
def mine() -> str:
    own, backed = services.mine(_actor().person_id)
    return _render("voice/mine.html", own=own, backed=backed)


# --- pulse surveys --------------------------------------------------------------------------


@bp.get("/pulse")
@launch_required()
def pulse() -> str:
    who = _actor()
    today = _today()
    return _render(
        "voice/pulse.html",
        today=today,
        open_rows=services.open_for(who.person_id, today),
        rows=services.surveys() if who.is_trainer else [],
        counts=services.answer_counts() if who.is_trainer else {},
    )


@bp.route("/pulse/new", methods=["GET", "POST"])
@launch_required()
def new_pulse() -> Any:
    who = _actor()
    if not who.is_trainer:
        raise services.Forbidden("pulse")
    today = _today()
    errors: dict[str, str] = {}
    again = services.as_id(request.args.get("again", ""))
    if request.method == "POST":
        form = services.SurveyForm(
            title=request.form.get("title", ""),
            audience=request.form.get("audience", ""),
            questions=[request.form.get(f"q{i + 1}", "") for i in range(MAX_QUESTIONS)],
            comment_question=request.form.get("comment_question", ""),
            opens_on=request.form.get("opens_on", ""),
            closes_on=request.form.get("closes_on", ""),
            series=request.form.get("series", ""),
        )
        row, errors = services.schedule(who, form, today)
        if row is not None:
            db.session.commit()
            flash(
                _(
                    "“%(title)s” is scheduled for %(audience)s, %(opens)s to %(closes)s.",
                    title=row.title,
                    audience=row.audience,
                    opens=date_text(row.opens_on, "dd MMM"),
                    closes=date_text(row.closes_on, "dd MMM y"),
                ),
                "success",
            )
            return _see_other("voice.results", pk=row.id)
    elif again is not None:
        form = services.form_from(services.survey(again), today)
    else:
        form = services.SurveyForm(
            # Wayfinder's suggested wording, in the trainer's language (they can change it).
            questions=[
                _("The training I had this month helps me in my calls."),
                _("I know what to learn next and why."),
                _("I get time to learn during my shifts."),
                "",
                "",
            ],
            comment_question=_("What one thing would make learning here better?"),
            opens_on=today.isoformat(),
            closes_on=(today.fromordinal(today.toordinal() + 14)).isoformat(),
        )
    return _render(
        "voice/pulse_form.html",
        form=form,
        errors=errors,
        roles=services.role_choices(),
        max_questions=MAX_QUESTIONS,
    ), (400 if errors else 200)


@bp.route("/pulse/<int:pk>", methods=["GET", "POST"])
@launch_required()
def answer(pk: int) -> Any:
    who = _actor()
    row = services.survey(pk)
    today = _today()
    errors: dict[str, str] = {}
    values = {f"q{i + 1}": request.form.get(f"q{i + 1}", "") for i in range(len(row.questions))}
    comment = request.form.get("comment", "")
    refused = ""
    if request.method == "POST":
        try:
            errors = services.answer(who, row, values, comment, today)
        except services.Refused as why:
            db.session.rollback()
            refused = str(why)
        else:
            if not errors:
                db.session.commit()
                flash(_("Thank you: your answers are saved, without your name."), "success")
                return _see_other("home.index")
    if not refused:
        if not services.is_asked(who.person_id, row):
            refused = _("This survey is for another job role.")
        elif not row.is_open(today):
            refused = services.why_not_open(row, today)
        elif services.has_responded(who.person_id, row.id):
            refused = _("You answered this survey already. Thank you!")
    status = 400 if errors else (409 if refused and request.method == "POST" else 200)
    return _render(
        "voice/answer.html",
        survey=row,
        values=values,
        comment=comment,
        errors=errors,
        refused=refused,
        comment_max=services.COMMENT_MAX,
    ), status


@bp.route("/pulse/<int:pk>/end", methods=["GET", "POST"])
@launch_required()
def end_pulse(pk: int) -> Any:
    """Close an open survey now, or cancel one that has not opened; a page that says what will
    happen, then the button."""
    who = _trainer()
    row = services.survey(pk)
    today = _today()
    refused = ""
    if request.method == "POST":
        title = row.title
        try:
            done = services.end(who, row, request.form.get("action", ""), today)
        except services.Refused as why:
            db.session.rollback()
            refused = str(why)
        else:
            db.session.commit()
            if done == "cancel":
                flash(_("“%(title)s” is cancelled: nobody will be asked.", title=title), "success")
                return _see_other("voice.pulse")
            flash(_("“%(title)s” is closed: it takes no more answers.", title=title), "success")
            return _see_other("voice.results", pk=pk)
    return _render(
        "voice/end.html",
        survey=row,
        action=services.end_action(row, today),
        answers=services.answer_count(row.id),
        refused=refused,
        minimum=_minimum(),
    ), (409 if refused else 200)


def _trainer() -> services.Actor:
    who = _actor()
    if not who.is_trainer:
        raise services.Forbidden("pulse results")
    return who


@bp.get("/pulse/<int:pk>/results")
@launch_required()
def results(pk: int) -> str:
    _trainer()
    row = services.survey(pk)
    result = services.results(row, _minimum(), _today())
    chart = None
    if not result.hidden and result.questions:
        averages = "; ".join(
            _("Q%(num)s %(average)s", num=i + 1, average=number(q.average))
            for i, q in enumerate(result.questions)
        )
        chart = voice_charts.averages(
            "pulse-averages",
            _("Average answer per statement, %(title)s", title=row.title),
            _(
                "Average on the 1 (disagree) to 5 (agree) scale: %(averages)s. The same numbers "
                "are in the table below.",
                averages=averages,
            ),
            [(_("Q%(num)s", num=i + 1), q.average) for i, q in enumerate(result.questions)],
        )
    return _render(
        "voice/results.html",
        survey=row,
        result=result,
        chart=chart,
        runs=len(services.runs(row)),
        today=_today(),
    )


@bp.get("/pulse/<int:pk>/results.csv")
@launch_required()
def results_csv(pk: int) -> Response:
    _trainer()
    row = services.survey(pk)
    out = io.StringIO()
    writer = csv.writer(out)
    for line in services.csv_rows(services.results(row, _minimum(), _today())):
        writer.writerow([_safe(v) for v in line])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="wayfinder-pulse-{pk}.csv"'},
    )


@bp.get("/pulse/<int:pk>/compare")
@launch_required()
def compare(pk: int) -> str:
    _trainer()
    row = services.survey(pk)
    minimum = _minimum()
    runs = [(r, services.results(r, minimum, _today())) for r in services.runs(row)]
    shown = [(r, res) for r, res in runs if not res.hidden]
    chart = None
    if shown:
        n = max(len(res.questions) for _r, res in shown)
        series = []
        for i in range(n):
            values = [
                res.questions[i].average if i < len(res.questions) else 0.0 for _r, res in shown
            ]
            series.append((_("Q%(num)s", num=i + 1), values))
        chart = charts.line_chart(
            "pulse-runs",
            _("Average answer per run, %(title)s", title=row.title),
            _("Average on the 1 to 5 scale of each question in each run with enough answers."),
            [date_text(r.opens_on, "MMM y") for r, _res in shown],
            series,
        )
    return _render("voice/compare.html", survey=row, runs=runs, chart=chart, minimum=minimum)
