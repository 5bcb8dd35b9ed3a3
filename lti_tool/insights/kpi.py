"""KPIs per person and day: the metric definitions of a tenant and the CSV import.

The file has a header row. People are found by ``external_id`` (the LMS user id) and/or
``email``, exactly as the HR import finds them (:class:`lti_tool.roles.hr_import.PeopleIndex`).
Then either one value per row (``date``, ``metric``, ``value``) or one column per metric
(``date``, ``csat``, ``aht``...; an empty cell is no value). Dates are ``YYYY-MM-DD``.

``plan`` reads the whole file against the current values and writes nothing: how many values
are new, replace another value or are already there, the first rows, and every bad row with
its line and why. ``apply`` plans again from the stored upload and, only when no row is bad,
writes every new and changed value in one statement batch of the request's transaction (bulk
upsert; COPY into a temporary table on PostgreSQL): all or nothing, and importing the same file
again changes nothing. A later value for the same person, day and metric replaces the earlier.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from lti_tool import csv_text
from lti_tool.extensions import db
from lti_tool.i18n import _, _l, number
from lti_tool.insights.models import KpiImport, KpiMetric, KpiValue
from lti_tool.lti.models import utcnow
from lti_tool.roles.hr_import import (
    EMAIL_HEADERS,
    ID_HEADERS,
    PeopleIndex,
    _header,
)

MAX_BYTES = 15 * 1024 * 1024
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
DATE_HEADERS = {"date", "day", "kpi_date"}
METRIC_HEADERS = {"metric", "kpi", "measure"}
VALUE_HEADERS = {"value", "score", "result"}
NAME_HEADERS = {"name", "full_name", "person", "agent"}
SAMPLE_ROWS = 10
KEY_MAX = 40
NAME_MAX = 80

STANDARD_METRICS = (
    ("csat", "CSAT", "points", True, "Customer satisfaction score"),
    ("aht", "AHT", "seconds", False, "Average handle time"),
    ("fcr", "FCR", "%", True, "First contact resolution rate"),
    ("qa_score", "QA score", "points", True, "Quality assurance evaluation score"),
)
# The standard metrics' units and descriptions are stored in English, as Wayfinder made them;
# while they are as made they are shown in the page's language (`in_page_language`). What an
# administrator typed instead is shown as typed.
_STANDARD_WORDS = {
    "points": _l("points"),
    "seconds": _l("seconds"),
    "Customer satisfaction score": _l("Customer satisfaction score"),
    "Average handle time": _l("Average handle time"),
    "First contact resolution rate": _l("First contact resolution rate"),
    "Quality assurance evaluation score": _l("Quality assurance evaluation score"),
}


def in_page_language(text: str) -> str:
    """A metric's unit or description as shown: a standard one in the page's language."""
    word = _STANDARD_WORDS.get(text)
    return str(word) if word is not None else text


def normalize(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


# --- metrics ------------------------------------------------------------------------------


def ensure_standard_metrics(registration_id: int) -> int:
    """Create the four standard metrics the tenant lacks (idempotent). Returns how many."""
    have = {m.key for m in db.session.scalars(select(KpiMetric))}
    made = 0
    for key, name, unit, higher, description in STANDARD_METRICS:
        if key not in have:
            db.session.add(
                KpiMetric(
                    registration_id=registration_id,
                    key=key,
                    name=name,
                    unit=unit,
                    higher_is_better=higher,
                    description=description,
                )
            )
            made += 1
    if made:
        db.session.flush()
    return made


def metrics() -> list[KpiMetric]:
    return list(db.session.scalars(select(KpiMetric).order_by(KpiMetric.name)))


def metric(pk: int) -> KpiMetric | None:
    return db.session.get(KpiMetric, pk)


def lookup(rows: list[KpiMetric] | None = None) -> dict[str, KpiMetric]:
    """Metric by key and by normalized name."""
    found: dict[str, KpiMetric] = {}
    for m in rows if rows is not None else metrics():
        found[normalize(m.name)] = m
        found[m.key] = m
    return found


def save_metric(
    registration_id: int, row: KpiMetric | None, form: dict[str, str]
) -> tuple[KpiMetric | None, dict[str, str]]:
    """Create or edit a metric; errors by field (nothing written when there are any)."""
    errors: dict[str, str] = {}
    name = " ".join(form.get("name", "").split())
    unit = " ".join(form.get("unit", "").split())
    description = " ".join(form.get("description", "").split())
    direction = form.get("direction", "")
    key = normalize(form.get("key", "") or name)
    if not name:
        errors["name"] = _(
            "Give the metric a name, as people call it (for example Sales per hour)."
        )
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)d characters.", max=NAME_MAX)
    if not key and "name" not in errors:
        errors["key"] = _("Use letters or digits in the CSV name.")
    elif len(key) > KEY_MAX:
        errors["key"] = _("Use at most %(max)d characters.", max=KEY_MAX)
    if direction not in ("higher", "lower"):
        errors["direction"] = _("Choose whether a higher or a lower value is better.")
    if len(unit) > 20:
        errors["unit"] = _("Use at most 20 characters.")
    if len(description) > 255:
        errors["description"] = _("Use at most 255 characters.")
    taken = lookup()
    for candidate, field_name in ((key, "key"), (normalize(name), "name")):
        other = taken.get(candidate)
        if candidate and other is not None and (row is None or other.id != row.id):
            errors.setdefault(
                field_name, _("The metric %(name)s already uses that name.", name=other.name)
            )
    if errors:
        return None, errors
    if row is None:
        row = KpiMetric(registration_id=registration_id)
        db.session.add(row)
    row.key, row.name, row.unit, row.description = key, name, unit, description
    row.higher_is_better = direction == "higher"
    db.session.flush()
    return row, {}


def value_count(metric_id: int) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).where(KpiValue.metric_id == metric_id)) or 0


def delete_metric(row: KpiMetric) -> None:
    """The metric, its values (by hand: metric_id is not a foreign key, see KpiValue) and the
    impact reports about it."""
    from sqlalchemy import delete

    from lti_tool.insights.models import ImpactReport

    db.session.execute(delete(KpiValue).where(KpiValue.metric_id == row.id))
    db.session.execute(delete(ImpactReport).where(ImpactReport.metric_id == row.id))
    db.session.delete(row)
    db.session.flush()


# --- the import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleRow:
    line: int
    who: str
    day: date
    metric: str
    value: float
    status: str  # "new", "replaces 4.1", "unchanged"


@dataclass
class KpiPlan:
    rows: int = 0
    values: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # (person_id, metric_id, day, value) to write: new and changed ones.
    writes: list[tuple[int, int, date, float]] = field(default_factory=list)
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    sample: list[SampleRow] = field(default_factory=list)
    people: int = 0
    by_metric: dict[str, int] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.values > 0


def read_upload(data: bytes) -> tuple[str, str]:
    """The file's text, or why it cannot be used."""
    if not data.strip():
        return "", _("The file is empty. Export the KPIs as CSV and choose the file again.")
    if len(data) > MAX_BYTES:
        return "", _("The file is larger than 15 MB. Split it into several files (by month).")
    text = csv_text.decode(data)
    if text is None:
        return "", " ".join(
            (
                _("The file is not a CSV text file."),
                _("Export the KPIs as CSV and choose the file again."),
            )
        )
    return text, ""


def _parse_day(text: str, cache: dict[str, date | str], today: date) -> date | str:
    found = cache.get(text)
    if found is not None:
        return found
    result: date | str
    try:
        result = date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        result = _(
            "“%(text)s” is not a date: write dates as YYYY-MM-DD (for example 2026-03-31)",
            text=text,
        )
    else:
        if result > today:
            result = _("%(text)s is in the future", text=text)
        elif result.year < 2000:
            result = _("%(text)s is before 2000: check the year", text=text)
    cache[text] = result
    return result


def _parse_value(text: str, decimal_comma: bool = False) -> float | str:
    """A KPI value. ``decimal_comma``: the file separates fields with semicolons or tabs, as
    spreadsheets do where the decimal mark is a comma, so "4,5" is four and a half; in a
    comma-separated file "1,234" could as well be a thousand and more, so it is refused."""
    cleaned = text.strip().rstrip("%").strip().replace("\u2212", "-")
    if decimal_comma and _DECIMAL_COMMA.fullmatch(cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        if "," in cleaned and cleaned.replace(",", "", 1).replace("-", "", 1).isdigit():
            return _(
                "“%(text)s” uses a decimal comma: write %(fixed)s",
                text=text,
                fixed=cleaned.replace(",", "."),
            )
        return _("“%(text)s” is not a number", text=text)
    if not math.isfinite(value):
        return _("“%(text)s” is not a number", text=text)
    if abs(value) >= 1e12:
        return _("%(text)s is too large", text=text)
    return value


def plan(text: str, today: date | None = None) -> KpiPlan:
    result = KpiPlan()
    today = today or utcnow().date()
    reader, separator = csv_text.reader(text)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        result.errors.append((1, _("the file has no header row")))
        return result
    columns = {_header(h): i for i, h in enumerate(header)}

    def col(names: set[str]) -> int | None:
        return next((i for h, i in columns.items() if h in names), None)

    id_col, email_col, date_col = col(ID_HEADERS), col(EMAIL_HEADERS), col(DATE_HEADERS)
    metric_col, value_col = col(METRIC_HEADERS), col(VALUE_HEADERS)
    known = lookup()
    wide: list[tuple[int, Any]] = []  # (column, metric) in the one-column-per-metric layout
    if id_col is None and email_col is None:
        result.errors.append(
            (1, _("the header needs an external_id or an email column to find people"))
        )
    if date_col is None:
        result.errors.append((1, _("the header needs a date column")))
    if metric_col is not None or value_col is not None:
        if metric_col is None or value_col is None:
            result.errors.append((1, _("the header needs both a metric and a value column")))
    else:
        skip = ID_HEADERS | EMAIL_HEADERS | DATE_HEADERS | NAME_HEADERS
        for h, i in columns.items():
            if h in skip or not h:
                continue
            m = known.get(normalize(h))
            if m is None:
                names = ", ".join(sorted(x.name for x in set(known.values())))
                result.errors.append(
                    (
                        1,
                        _(
                            "the column “%(column)s” is no metric (%(names)s): add it on the "
                            "Metrics page, or name columns metric and value",
                            column=header[i].strip(),
                            names=names,
                        ),
                    )
                )
            else:
                wide.append((i, m))
        if not wide and not result.errors:
            result.errors.append(
                (1, _("the header needs metric and value columns, or one column per metric"))
            )
    if result.errors:
        return result

    people = PeopleIndex()
    day_cache: dict[str, date | str] = {}
    metric_cache: dict[str, Any] = {}
    seen: dict[tuple[int, int, date], tuple[int, float]] = {}
    metric_names = ", ".join(sorted({m.name for m in known.values()}))
    who_cache: dict[tuple[str, str], tuple[Any, str]] = {}

    def cell(row: list[str], index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            result.rows += 1
            ident = (cell(row, id_col), cell(row, email_col).lower())
            found = who_cache.get(ident)
            if found is None:
                found = people.find(*ident)
                who_cache[ident] = found
            who, why = found
            if who is None:
                result.errors.append((line, why))
                continue
            raw_day = cell(row, date_col)
            if not raw_day:
                result.errors.append((line, _("the date is empty")))
                continue
            day = _parse_day(raw_day, day_cache, today)
            if isinstance(day, str):
                result.errors.append((line, day))
                continue
            pairs: list[tuple[Any, str]] = []
            if wide:
                pairs = [(m, cell(row, i)) for i, m in wide if cell(row, i)]
                if not pairs:
                    result.errors.append((line, _("the row has no value in any metric column")))
                    continue
            else:
                name = cell(row, metric_col)
                m = metric_cache.get(name)
                if m is None:
                    m = known.get(normalize(name)) if name else None
                    metric_cache[name] = m
                if m is None:
                    result.errors.append(
                        (
                            line,
                            _(
                                "no metric is called “%(name)s” (known: %(names)s): add it on the "
                                "Metrics page",
                                name=name,
                                names=metric_names,
                            )
                            if name
                            else _("the metric is empty"),
                        )
                    )
                    continue
                raw = cell(row, value_col)
                if not raw:
                    result.errors.append((line, _("the value is empty")))
                    continue
                pairs = [(m, raw)]
            for m, raw in pairs:
                value = _parse_value(raw, decimal_comma=separator != ",")
                if isinstance(value, str):
                    if wide:
                        value = _("%(kpi)s: %(problem)s", kpi=m.name, problem=value)
                    result.errors.append((line, value))
                    continue
                key = (who.id, m.id, day)
                earlier = seen.get(key)
                if earlier is not None:
                    if earlier[1] != value:
                        result.errors.append(
                            (
                                line,
                                _(
                                    "line %(line)d gives %(name)s another %(kpi)s for %(day)s "
                                    "(%(value)s)",
                                    line=earlier[0],
                                    name=who.display_name,
                                    kpi=m.name,
                                    day=day.isoformat(),
                                    value=number(earlier[1], 6, trim=True),
                                ),
                            )
                        )
                    continue
                seen[key] = (line, value)
    except csv.Error as exc:
        result.errors.append(
            (reader.line_num, _("the CSV cannot be read here (%(why)s)", why=str(exc)))
        )
    if result.rows == 0 and not result.errors:
        result.errors.append((2, _("the file has a header but no rows")))
    if not seen:
        return result
    _compare(result, seen, people)
    return result


def _compare(
    result: KpiPlan, seen: dict[tuple[int, int, date], tuple[int, float]], people: PeopleIndex
) -> None:
    days = [k[2] for k in seen]
    result.first_day, result.last_day = min(days), max(days)
    metric_ids = {k[1] for k in seen}
    existing: dict[tuple[int, int, date], float] = {}
    for person_id, metric_id, day, value in db.session.execute(
        select(KpiValue.person_id, KpiValue.metric_id, KpiValue.day, KpiValue.value).where(
            KpiValue.metric_id.in_(metric_ids),
            KpiValue.day >= result.first_day,
            KpiValue.day <= result.last_day,
        )
    ):
        existing[(person_id, metric_id, day)] = value
    names = {m.id: m.name for m in metrics()}
    who = {p.id: p.display_name for p in people.by_sub.values()}
    result.values = len(seen)
    result.people = len({k[0] for k in seen})
    by_metric: dict[str, int] = {}
    for key, (line, value) in seen.items():  # in the file's order
        before = existing.get(key)
        if before is None:
            result.added += 1
            status = _("new")
            result.writes.append((*key, value))
        elif before != value:
            result.replaced += 1
            status = _("replaces %(value)s", value=number(before, 6, trim=True))
            result.writes.append((*key, value))
        else:
            result.unchanged += 1
            status = _("unchanged")
        name = names.get(key[1], "?")
        by_metric[name] = by_metric.get(name, 0) + 1
        if len(result.sample) < SAMPLE_ROWS:
            result.sample.append(SampleRow(line, who.get(key[0], "?"), key[2], name, value, status))
    result.by_metric = dict(sorted(by_metric.items()))


# --- stored uploads -------------------------------------------------------------------------


def store_upload(registration_id: int, filename: str, text: str, by: str) -> KpiImport:
    row = KpiImport(
        registration_id=registration_id,
        filename=filename[:255],
        content=text,
        digest=hashlib.sha256(text.encode()).hexdigest(),
        uploaded_by=by[:255],
    )
    db.session.add(row)
    db.session.flush()
    return row


def upload(pk: int) -> KpiImport | None:
    return db.session.get(KpiImport, pk)


def history(limit: int = 20) -> list[KpiImport]:
    return list(
        db.session.scalars(
            select(KpiImport)
            .where(KpiImport.applied_at.is_not(None))
            .order_by(KpiImport.applied_at.desc(), KpiImport.id.desc())
            .limit(limit)
        )
    )


class NotApplicable(ValueError):
    """The upload has bad rows (or was applied already); the plan says what."""

    def __init__(self, message: str, fresh: KpiPlan | None = None) -> None:
        super().__init__(message)
        self.plan = fresh


def apply(row: KpiImport, today: date | None = None) -> KpiPlan:
    """Write the upload's new and changed values, all or none (the caller commits once)."""
    if row.applied_at is not None:
        raise NotApplicable(_("This file was imported already."))
    fresh = plan(row.content, today)
    if not fresh.ok:
        raise NotApplicable(_("The file has rows to fix; nothing was imported."), fresh)
    write_values(row.registration_id, fresh.writes, import_id=row.id)
    row.rows, row.added = fresh.rows, fresh.added
    row.replaced, row.unchanged = fresh.replaced, fresh.unchanged
    row.applied_at = utcnow()
    db.session.flush()
    return fresh


def write_values(
    registration_id: int, writes: list[tuple[int, int, date, float]], import_id: int | None = None
) -> None:
    """Upsert (person, metric, day) -> value in bulk, inside the caller's transaction."""
    if not writes:
        return
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        _copy_upsert(registration_id, writes, import_id)
        return
    from sqlalchemy.dialects.sqlite import insert

    stmt = insert(KpiValue)
    stmt = stmt.on_conflict_do_update(
        index_elements=["metric_id", "person_id", "day"],
        set_={"value": stmt.excluded.value, "import_id": stmt.excluded.import_id},
    )
    batch = 20_000
    for start in range(0, len(writes), batch):
        db.session.execute(
            stmt,
            [
                {
                    "registration_id": registration_id,
                    "person_id": p,
                    "metric_id": m,
                    "day": d,
                    "value": v,
                    "import_id": import_id,
                }
                for p, m, d, v in writes[start : start + batch]
            ],
        )


def _copy_upsert(
    registration_id: int, writes: list[tuple[int, int, date, float]], import_id: int | None
) -> None:
    """COPY into a temporary table, then one INSERT ... ON CONFLICT (the fastest bulk path)."""
    conn = db.session.connection()
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS kpi_incoming "
            "(person_id integer, metric_id integer, day date, value double precision) "
            "ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE kpi_incoming")
        with cur.copy("COPY kpi_incoming (person_id, metric_id, day, value) FROM STDIN") as copy:
            for p, m, d, v in writes:
                copy.write_row((p, m, d, v))
        cur.execute(
            "INSERT INTO kpi_values (registration_id, person_id, metric_id, day, value, import_id) "
            "SELECT %s, person_id, metric_id, day, value, %s FROM kpi_incoming "
            "ON CONFLICT (metric_id, person_id, day) "
            "DO UPDATE SET value = EXCLUDED.value, import_id = EXCLUDED.import_id",
            (registration_id, import_id),
        )
