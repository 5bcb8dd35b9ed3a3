"""Insights for instructors and administrators: dashboards, KPI import, impact reports.
Everything is scoped to the launch's tenant.

GET       /insights/                              dashboards (period, job role); charts + tables
GET       /insights/export/<table>.csv            any dashboard table as CSV (same filters)
GET       /insights/events.csv                    the learning events of the period
GET|POST  /insights/kpis                          metrics, import history; upload a KPI file
GET       /insights/kpis/imports/<id>             the preview: counts, first rows, bad rows
POST      /insights/kpis/imports/<id>/apply       import it (all or nothing)
GET       /insights/kpis/imports/<id>/problems.csv  every bad row
GET|POST  /insights/kpis/metrics/new, …/<id>/edit, …/<id>/delete
GET|POST  /insights/impact                        ask (path or step, KPI, window, role); run
GET       /insights/impact/<id>                   a report; …/<id>.csv its numbers
POST      /insights/impact/<id>/rerun; GET|POST …/<id>/delete
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.feedback import report as feedback_report
from lti_tool.i18n import _, ngettext, number
from lti_tool.insights import charts, dashboard, impact, kpi
from lti_tool.insights.models import ImpactReport, KpiImport, LearningEvent
from lti_tool.lti.models import utcnow
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_id
from lti_tool.paths import services as paths
from lti_tool.paths.models import Path
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import JobRole
from lti_tool.tenancy import tenant_scope

bp = Blueprint("insights", __name__, url_prefix="/insights")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)
PER_PAGE = 20
PROBLEMS_SHOWN = 200
EXPORT_BATCH = 5000
# The example on the KPI page: a file's column names stay as they are in every language.
EXAMPLE_FILE = """email,date,metric,value
ana@example.com,2026-03-02,CSAT,86.5
ana@example.com,2026-03-02,AHT,412
sam@example.com,2026-03-02,QA score,91"""


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


@bp.app_template_filter("kpi_words")
def kpi_words(text: str) -> str:
    """A metric's unit or description as shown (the standard ones in the page's language)."""
    return kpi.in_page_language(text)


def _csv(filename: str, text: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.context_processor
def _shared() -> dict[str, Any]:
    return {"charts": charts, "fmt": impact.fmt, "localized": impact.localized}


# --- dashboards -----------------------------------------------------------------------------


def _filters() -> tuple[int, int | None]:
    months = as_id(request.args.get("months")) or 12
    if months not in dashboard.PERIODS:
        months = 12
    role_id = as_id(request.args.get("role"))
    if role_id is not None and db.session.get(JobRole, role_id) is None:
        role_id = None
    return months, role_id


def _impact_table(rows: list[ImpactReport]) -> dashboard.Table:
    return dashboard.Table(
        "impact",
        _("Latest impact results"),
        [
            _("Path or step"),
            _("KPI"),
            _("Days"),
            _("Completed"),
            _("Compared"),
            _("Better by"),
            _("CI low"),
            _("CI high"),
            _("Conclusion"),
        ],
        [
            [
                impact.subject_of(r.result),
                r.result.get("metric", ""),
                r.window_days,
                r.result.get("n_treated", 0),
                r.result.get("n_control", 0),
                r.result.get("improvement"),
                r.result.get("improvement_low"),
                r.result.get("improvement_high"),
                _conclusion(r.result),
            ]
            for r in rows
        ],
        numeric_from=2,
    )


def _conclusion(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        return _("too few people")
    if not result.get("conclusive"):
        return _("no clear difference")
    return _("better") if result.get("improvement", 0) > 0 else _("worse")


def _forest(
    rows: list[ImpactReport],
) -> list[tuple[str, str, list[tuple[str, float, float, float, bool]]]]:
    """Results with a conclusion, one group (one chart, one axis) per KPI."""
    groups: dict[str, tuple[str, list[tuple[str, float, float, float, bool]]]] = {}
    for r in rows:
        if r.result.get("status") != "ok":
            continue
        _unit, items = groups.setdefault(r.result["metric"], (r.result.get("unit", ""), []))
        items.append(
            (
                ngettext(
                    "%(subject)s (%(num)s day)",
                    "%(subject)s (%(num)s days)",
                    r.window_days,
                    subject=impact.subject_of(r.result),
                ),
                r.result["improvement"],
                r.result["improvement_low"],
                r.result["improvement_high"],
                bool(r.result["conclusive"]),
            )
        )
    return [(name, kpi.in_page_language(unit), items) for name, (unit, items) in groups.items()]


@bp.get("/")
@launch_required(*STAFF)
def index() -> str:
    months, role_id = _filters()
    return dashboard_page(current_launch(), months, role_id)


def dashboard_page(ctx: Any, months: int, role_id: int | None) -> str:
    """The dashboard as served (also what bench/impact.py times)."""
    board = dashboard.build(months, role_id)
    latest = impact.latest_reports()
    feedback_series, feedback_table = feedback_report.dashboard_feedback(months, role_id)
    return render_template(
        "insights/index.html",
        ctx=ctx,
        board=board,
        months=months,
        role_id=role_id,
        periods=dashboard.PERIODS,
        job_roles=roles.roles(),
        latest=latest,
        forest=_forest(latest),
        impact_table=_impact_table(latest),
        feedback_series=feedback_series,
        feedback_table=feedback_table,
    )


@bp.get("/export/<key>.csv")
@launch_required(*STAFF)
def export(key: str) -> Response:
    months, role_id = _filters()
    if key == "impact":
        table = _impact_table(impact.latest_reports(limit=100))
    elif key == "feedback":
        table = feedback_report.dashboard_feedback(months, role_id)[1]
    else:
        found = dashboard.build(months, role_id).tables.get(key)
        if found is None:
            abort(404)
        table = found
    return _csv(f"wayfinder-{key}.csv", table.csv())


@bp.get("/events.csv")
@launch_required(*STAFF)
def events_csv() -> Response:
    months, role_id = _filters()
    since = dashboard.months_back(months)[0]
    # The answer streams after the view returned, when the request's tenant scope may be gone:
    # the tenant is named in the query itself and scoped again around each page.
    tenant = current_launch().registration_id
    query = (
        select(LearningEvent, Person.sub, Person.email)
        .join(Person, Person.id == LearningEvent.person_id)
        .where(LearningEvent.registration_id == tenant, LearningEvent.occurred_at >= since)
        .order_by(LearningEvent.id)
        .limit(EXPORT_BATCH)
    )
    if role_id is not None:
        query = query.where(LearningEvent.role_id == role_id)

    def batches() -> Iterator[Any]:
        """Pages by id (no cursor held open while the answer streams)."""
        last = 0
        while True:
            with tenant_scope(db.session, tenant):
                found = list(db.session.execute(query.where(LearningEvent.id > last)))
            yield from found
            if len(found) < EXPORT_BATCH:
                return
            last = found[-1][0].id
            db.session.expunge_all()

    rows = batches()

    def generate() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "occurred_at",
                "external_id",
                "email",
                "verb",
                "object_type",
                "object_id",
                "title",
                "path_id",
                "role_id",
                "minutes",
                "score",
            ]
        )
        for event, sub, email in rows:
            writer.writerow(
                [
                    event.occurred_at.isoformat(timespec="seconds"),
                    dashboard._safe(sub),
                    dashboard._safe(email),
                    event.verb,
                    event.object_type,
                    event.object_id,
                    dashboard._safe(event.title),
                    event.path_id or "",
                    event.role_id or "",
                    event.minutes,
                    "" if event.score is None else event.score,
                ]
            )
            if out.tell() > 65536:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="wayfinder-learning-events.csv"'},
    )


# --- KPIs -----------------------------------------------------------------------------------


def _kpi_page(problem: str = "", status: int = 200) -> Any:
    ctx = current_launch()
    kpi.ensure_standard_metrics(ctx.registration_id)
    db.session.commit()
    return render_template(
        "insights/kpis.html",
        ctx=ctx,
        metrics=kpi.metrics(),
        history=kpi.history(),
        problem=problem,
        example_file=EXAMPLE_FILE,
    ), status


@bp.route("/kpis", methods=["GET", "POST"])
@launch_required(*STAFF)
def kpis() -> Any:
    if request.method == "GET":
        return _kpi_page()
    ctx = current_launch()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _kpi_page(_("Choose a CSV file to import."), 400)
    text, problem = kpi.read_upload(upload.read())
    if problem:
        return _kpi_page(problem, 400)
    kpi.ensure_standard_metrics(ctx.registration_id)
    # Uploads never applied are dropped after a day.
    stale = utcnow() - timedelta(days=1)
    for old in db.session.scalars(
        select(KpiImport).where(KpiImport.applied_at.is_(None), KpiImport.uploaded_at < stale)
    ):
        db.session.delete(old)
    row = kpi.store_upload(ctx.registration_id, upload.filename, text, ctx.name or "Someone")
    db.session.commit()
    return _see_other("insights.preview", pk=row.id)


def _upload(pk: int) -> KpiImport:
    row = kpi.upload(pk)
    if row is None:
        abort(404)
    return row


@bp.get("/kpis/imports/<int:pk>")
@launch_required(*STAFF)
def preview(pk: int) -> str:
    row = _upload(pk)
    plan = kpi.plan(row.content) if row.applied_at is None else None
    return render_template(
        "insights/preview.html",
        ctx=current_launch(),
        row=row,
        plan=plan,
        shown=PROBLEMS_SHOWN,
    )


@bp.post("/kpis/imports/<int:pk>/apply")
@launch_required(*STAFF)
def apply_import(pk: int) -> Any:
    row = _upload(pk)
    try:
        done = kpi.apply(row)
    except kpi.NotApplicable as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _see_other("insights.preview", pk=pk)
    db.session.commit()
    if done.writes:
        flash(
            _(
                "KPIs imported: %(added)s new values, %(replaced)s replaced, %(unchanged)s "
                "already there.",
                added=number(done.added, 0),
                replaced=number(done.replaced, 0),
                unchanged=number(done.unchanged, 0),
            ),
            "success",
        )
    else:
        flash(
            _(
                "Nothing changed: all %(unchanged)s values were already there.",
                unchanged=number(done.unchanged, 0),
            ),
            "success",
        )
    return _see_other("insights.kpis")


@bp.get("/kpis/imports/<int:pk>/problems.csv")
@launch_required(*STAFF)
def problems_csv(pk: int) -> Response:
    row = _upload(pk)
    plan = kpi.plan(row.content)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "problem"])
    for line, message in plan.errors:
        writer.writerow([line, dashboard._safe(message)])
    return _csv(f"kpi-import-{pk}-problems.csv", out.getvalue())


def _metric_form(row: Any) -> Any:
    ctx = current_launch()
    values = {
        "name": row.name if row else "",
        "key": row.key if row else "",
        "unit": row.unit if row else "",
        "description": row.description if row else "",
        "direction": ("higher" if row.higher_is_better else "lower") if row else "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        saved, errors = kpi.save_metric(ctx.registration_id, row, values)
        if saved is not None:
            db.session.commit()
            flash(_("Metric %(name)s saved.", name=saved.name), "success")
            return _see_other("insights.kpis")
    return render_template(
        "insights/metric_form.html", ctx=ctx, row=row, values=values, errors=errors
    ), (400 if errors else 200)


@bp.route("/kpis/metrics/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_metric() -> Any:
    return _metric_form(None)


def _metric(pk: int) -> Any:
    row = kpi.metric(pk)
    if row is None:
        abort(404)
    return row


@bp.route("/kpis/metrics/<int:pk>/edit", methods=["GET", "POST"])
@launch_required(*STAFF)
def edit_metric(pk: int) -> Any:
    return _metric_form(_metric(pk))


@bp.route("/kpis/metrics/<int:pk>/delete", methods=["GET", "POST"])
@launch_required(*STAFF)
def delete_metric(pk: int) -> Any:
    row = _metric(pk)
    if request.method == "POST":
        name = row.name
        kpi.delete_metric(row)
        db.session.commit()
        flash(_("Metric %(name)s and its values deleted.", name=name), "success")
        return _see_other("insights.kpis")
    return render_template(
        "insights/confirm_delete.html",
        ctx=current_launch(),
        title=_("Delete the metric %(name)s?", name=row.name),
        detail=_(
            "Its %(num)s imported values and the impact reports about it are deleted too. This "
            "cannot be undone.",
            num=format(kpi.value_count(row.id), ","),
        ),
        action=url_for("insights.delete_metric", pk=row.id),
        cancel=url_for("insights.kpis"),
    )


# --- impact ---------------------------------------------------------------------------------


def _subjects() -> list[tuple[Path, list[tuple[str, str]]]]:
    return [(p, impact.steps_of(p)) for p in db.session.scalars(select(Path).order_by(Path.title))]


def _impact_page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    ctx = current_launch()
    kpi.ensure_standard_metrics(ctx.registration_id)
    page = max(1, as_id(request.args.get("page")) or 1)
    rows, has_more = impact.reports(page, PER_PAGE)
    return render_template(
        "insights/impact.html",
        ctx=ctx,
        subjects=_subjects(),
        metrics=kpi.metrics(),
        job_roles=roles.roles(),
        windows=impact.WINDOWS,
        values=values,
        errors=errors,
        rows=rows,
        page=page,
        has_more=has_more,
        min_group=current_app.config["INSIGHTS_MIN_GROUP"],
    ), status


def _question(values: dict[str, str], errors: dict[str, str]) -> impact.Question | None:
    what = values.get("what", "")
    parts = what.split(":", 2)
    path = None
    step_key = ""
    if len(parts) >= 2 and parts[0] in ("p", "s"):
        path_id = as_id(parts[1])
        path = db.session.get(Path, path_id) if path_id is not None else None
        if parts[0] == "s":
            step_key = parts[2] if len(parts) == 3 else ""
            if path is not None and step_key not in dict(impact.steps_of(path)):
                path = None
    if path is None:
        errors["what"] = _("Choose a path or one of its steps.")
    metric_id = as_id(values.get("metric"))
    metric = kpi.metric(metric_id) if metric_id is not None else None
    if metric is None:
        errors["metric"] = _("Choose a KPI.")
    window = as_id(values.get("window"))
    if window not in impact.WINDOWS:
        errors["window"] = _("Choose a window.")
    role = None
    role_value = values.get("role", "")
    if role_value:
        rid = as_id(role_value)
        role = db.session.get(JobRole, rid) if rid is not None else None
        if role is None:
            errors["role"] = _("Choose a job role.")
    elif path is not None:
        role = path.role
        if role is None:
            errors["role"] = _(
                "This path has no job role: choose the role whose people to compare."
            )
    if errors:
        return None
    assert path is not None and metric is not None and window is not None
    return impact.Question(
        path, step_key, metric, role, window, current_app.config["INSIGHTS_MIN_GROUP"]
    )


@bp.route("/impact", methods=["GET", "POST"])
@launch_required(*STAFF)
def impact_page() -> Any:
    ctx = current_launch()
    values = {"what": "", "metric": "", "window": "28", "role": ""}
    if request.method == "GET":
        values.update({k: v for k, v in request.args.items() if k in values})
        return _impact_page(values, {})
    values = {k: request.form.get(k, "") for k in values}
    errors: dict[str, str] = {}
    q = _question(values, errors)
    if q is None:
        return _impact_page(values, errors, 400)
    holders = paths.role_holders(q.role.id) if q.role else []
    row = impact.run(ctx.registration_id, q, holders, ctx.name or "Someone")
    db.session.commit()
    return _see_other("insights.report", pk=row.id)


def _report(pk: int) -> ImpactReport:
    row = impact.report(pk)
    if row is None:
        abort(404)
    return row


def _values_of(row: ImpactReport) -> dict[str, str]:
    what = f"s:{row.path_id}:{row.step_key}" if row.step_key else f"p:{row.path_id}"
    return {
        "what": what,
        "metric": str(row.metric_id),
        "window": str(row.window_days),
        "role": str(row.role_id or ""),
    }


def _report_table(row: ImpactReport) -> dashboard.Table:
    r = row.result
    return dashboard.Table(
        "report",
        _("Before and after, per group"),
        [_("Group"), _("People"), _("Mean before"), _("Mean after"), _("Mean change per person")],
        [
            [
                _("Completed it"),
                r.get("n_treated", 0),
                r.get("treated_before"),
                r.get("treated_after"),
                r.get("treated_change"),
            ],
            [
                _("Same role, had not"),
                r.get("n_control", 0),
                r.get("control_before"),
                r.get("control_after"),
                r.get("control_change"),
            ],
        ],
    )


@bp.get("/impact/<int:pk>")
@launch_required(*STAFF)
def report(pk: int) -> str:
    row = _report(pk)
    return render_template(
        "insights/report.html",
        ctx=current_launch(),
        row=row,
        r=impact.localized(row.result),
        table=_report_table(row),
        values=_values_of(row),
    )


@bp.get("/impact/<int:pk>.csv")
@launch_required(*STAFF)
def report_csv(pk: int) -> Response:
    row = _report(pk)
    table = _report_table(row)
    text = table.csv()
    r = impact.localized(row.result)
    extra = io.StringIO()
    writer = csv.writer(extra)
    writer.writerow([])
    writer.writerow(
        [_("Difference (better +)"), _("95%% CI low"), _("95%% CI high"), _("Sentence")]
    )
    writer.writerow(
        [
            r.get("improvement", ""),
            r.get("improvement_low", ""),
            r.get("improvement_high", ""),
            dashboard._safe(r.get("sentence", "")),
        ]
    )
    return _csv(f"impact-report-{pk}.csv", text + extra.getvalue())


@bp.post("/impact/<int:pk>/rerun")
@launch_required(*STAFF)
def rerun(pk: int) -> Any:
    ctx = current_launch()
    errors: dict[str, str] = {}
    q = _question(_values_of(_report(pk)), errors)
    if q is None:
        flash(_("This report cannot run again: %(why)s", why=" ".join(errors.values())), "error")
        return _see_other("insights.report", pk=pk)
    holders = paths.role_holders(q.role.id) if q.role else []
    row = impact.run(ctx.registration_id, q, holders, ctx.name or "Someone")
    db.session.commit()
    return _see_other("insights.report", pk=row.id)


@bp.route("/impact/<int:pk>/delete", methods=["GET", "POST"])
@launch_required(*STAFF)
def delete_report(pk: int) -> Any:
    row = _report(pk)
    if request.method == "POST":
        impact.delete(row)
        db.session.commit()
        flash(_("Report deleted."), "success")
        return _see_other("insights.impact_page")
    return render_template(
        "insights/confirm_delete.html",
        ctx=current_launch(),
        title=_("Delete this impact report?"),
        detail=impact.localized(row.result).get("sentence", ""),
        action=url_for("insights.delete_report", pk=row.id),
        cancel=url_for("insights.report", pk=row.id),
    )
