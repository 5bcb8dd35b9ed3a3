"""What trainers see, from known ratings: per-item averages and counts, "rated lowest" (at
least three ratings, lowest average first), the monthly trend, comments newest first with first
names and pages, the CSV export, the dashboard's feedback scores; learners are kept out."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from lti_tool.extensions import db
from lti_tool.feedback import report
from lti_tool.feedback.models import Kind, Rating
from lti_tool.people.models import Person
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import FORBIDDEN, Session, text
from tests.harness import FakeLms

NOW = datetime.now()
THIS_MONTH = datetime(NOW.year, NOW.month, 1, 9)
LAST_MONTH = datetime(
    NOW.year if NOW.month > 1 else NOW.year - 1, NOW.month - 1 if NOW.month > 1 else 12, 10, 9
)

# (kind, item key, title, [(stars, comment, when)])
KNOWN = [
    (
        Kind.STEP,
        "1:a",
        "CRM tour",
        [(1, "Lost", LAST_MONTH), (2, "", THIS_MONTH), (3, "", THIS_MONTH)],
    ),
    (
        Kind.CATALOG_ITEM,
        "7",
        "Empathy on the phone",
        [(5, "Great", THIS_MONTH), (4, "", THIS_MONTH)],
    ),
    (
        Kind.COACHING,
        "3",
        "Hard calls",
        [(3, "", LAST_MONTH), (3, "", LAST_MONTH), (4, "", THIS_MONTH), (4, "Useful", THIS_MONTH)],
    ),
]


def seed(app: Any, reg: int, extra_comments: int = 0) -> None:
    with app.app_context(), tenant_scope(db.session, reg):
        n = 0

        def rater() -> Person:
            nonlocal n
            n += 1
            p = Person(
                registration_id=reg, sub=f"r{n}", name=f"Rater{n} Surname", given_name=f"Rater{n}"
            )
            db.session.add(p)
            db.session.flush()
            return p

        for kind, key, title, ratings in KNOWN:
            for i, (stars, comment, when) in enumerate(ratings):
                db.session.add(
                    Rating(
                        registration_id=reg,
                        kind=kind.value,
                        subject_id=f"{key}-{i}" if kind is Kind.COACHING else key,
                        item_key=key,
                        title=title,
                        person_id=rater().id,
                        stars=stars,
                        comment=comment,
                        created_at=when,
                        updated_at=when,
                    )
                )
        for i in range(extra_comments):
            when = datetime(THIS_MONTH.year, THIS_MONTH.month, 1, 10, i)
            db.session.add(
                Rating(
                    registration_id=reg,
                    kind=Kind.CATALOG_ITEM.value,
                    subject_id="9",
                    item_key="9",
                    title="Chat basics",
                    person_id=rater().id,
                    stars=3,
                    comment=f"Comment number {i}",
                    created_at=when,
                    updated_at=when,
                )
            )
        db.session.commit()


def test_numbers_lowest_and_trend_from_known_ratings(
    app: Any, lms: FakeLms, chloe: Session
) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    seed(app, reg)
    with app.app_context(), tenant_scope(db.session, reg):
        rows = {r.title: r for r in report.items()}
        assert (rows["CRM tour"].count, rows["CRM tour"].average, rows["CRM tour"].comments) == (
            3,
            2.0,
            1,
        )
        assert (rows["Empathy on the phone"].count, rows["Empathy on the phone"].average) == (
            2,
            4.5,
        )
        assert (rows["Hard calls"].count, rows["Hard calls"].average) == (4, 3.5)
        # Lowest: only items with at least 3 ratings (Empathy has 2), lowest average first.
        assert [r.title for r in report.lowest(list(rows.values()))] == ["CRM tour", "Hard calls"]
        assert [r.title for r in report.lowest(list(rows.values()), minimum=2)] == [
            "CRM tour",
            "Hard calls",
            "Empathy on the phone",
        ]
        # Since this month: the older ratings drop out.
        recent = {r.title: r for r in report.items(since=THIS_MONTH.date())}
        assert (recent["CRM tour"].count, recent["CRM tour"].average) == (2, 2.5)
        span, by_kind, overall, counts = report.trend(3, today=NOW.date())
        assert span[-1] == date(NOW.year, NOW.month, 1)
        assert counts == [0, 3, 6]
        assert (
            overall[0] is None and overall[1] == round(7 / 3, 2) and overall[2] == round(22 / 6, 2)
        )
        assert by_kind[Kind.COACHING] == [None, 3.0, 4.0]
        assert by_kind[Kind.STEP] == [None, 1.0, 2.5]
        only_steps = report.trend(3, Kind.STEP, today=NOW.date())
        assert list(only_steps[1]) == [Kind.STEP] and only_steps[3] == [0, 1, 2]


def test_trainers_page_csv_comments_and_dashboard(
    app: Any, lms: FakeLms, chloe: Session, ana: Session, dev: Session
) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    seed(app, reg, extra_comments=12)
    page = chloe.get("/feedback/")
    assert page.status_code == 200
    words = text(page)
    lowest = words.split("Rated lowest", 1)[1].split("Every rated item", 1)[0]
    assert lowest.index("CRM tour") < lowest.index("Chat basics") < lowest.index("Hard calls")
    assert "Empathy on the phone" not in lowest  # two ratings only
    assert 'id="chart-feedback-trend"' in page.text and "<polyline" in page.text
    assert "Empathy on the phone" in words
    # Filtered by kind.
    coaching = text(chloe.get("/feedback/?kind=coaching"))
    assert "Hard calls" in coaching and "CRM tour" not in coaching
    # The CSV: the same table.
    export = chloe.get("/feedback/export.csv?kind=&months=12")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["Item", "Kind", "Ratings", "Average stars", "Comments"]
    assert ["CRM tour", "Path step", "3", "2.0", "1"] in rows
    assert ["Hard calls", "Coaching", "4", "3.5", "1"] in rows
    assert ["Chat basics", "Catalog item", "12", "3.0", "12"] in rows
    # Comments: newest first, first names only, ten a page.
    first = chloe.get("/feedback/i/catalog_item/9")
    words = text(first)
    assert words.index("Comment number 11") < words.index("Comment number 2")
    assert "Comment number 1 " not in words + " " and "Older" in words
    assert "Rater" in words and "Surname" not in words
    second = text(chloe.get("/feedback/i/catalog_item/9?page=2"))
    assert "Comment number 1" in second and "Comment number 0" in second and "Newer" in second
    assert chloe.get("/feedback/i/catalog_item/404").status_code == 404
    # Admins see the same page; learners do not.
    assert "Rated lowest" in text(dev.get("/feedback/"))
    assert FORBIDDEN in text(ana.get("/feedback/"))
    # The insights dashboard shows feedback scores, and exports them.
    board = chloe.get("/insights/")
    assert "Feedback scores" in text(board) and 'id="chart-feedback"' in board.text
    scores = list(csv.reader(io.StringIO(chloe.get("/insights/export/feedback.csv").text)))
    assert scores[0][:3] == ["Month", "Average stars", "Ratings"]
    assert scores[-1][2] == "18"  # this month: two of each known item, and the 12 extra


def test_no_ratings_yet_is_explained(chloe: Session) -> None:
    words = text(chloe.get("/feedback/"))
    assert "No ratings in the last 12 months." in words
    assert "How was it?" in words
