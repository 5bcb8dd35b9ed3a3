"""Pulse surveys through real launches: a trainer schedules one for a job role, only that role
sees it (home page card) and answers once, a closed survey refuses answers, the answers table
holds nobody's id, results stay hidden below the minimum group size and show at it, and the
CSV export has totals only."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect, select, update

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.roles.models import JobRole
from lti_tool.voice.models import PulseAnswer, PulseResponse, PulseSurvey
from tests.community.conftest import FORBIDDEN, Session, login, text
from tests.harness import LEARNER, FakeLms

HIDDEN = "Fewer than 5 answers: results are hidden to keep answers anonymous."


def role_id(app: Any, name: str) -> int:
    with app.app_context():
        pk = db.session.scalar(select(JobRole.id).where(JobRole.name == name))
        assert pk is not None
        return int(pk)


def schedule(chloe: Session, audience: str, **extra: str) -> int:
    today = utcnow().date()
    values = {
        "title": "Learning pulse",
        "audience": audience,
        "q1": "The training I had helps me in my calls.",
        "q2": "I know what to learn next.",
        "comment_question": "What would make learning better?",
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=7)).isoformat(),
        **extra,
    }
    response = chloe.post("/voice/pulse/new", values)
    assert response.status_code == 303, text(response)[:800]
    found = re.search(r"/voice/pulse/(\d+)/results", response.headers["Location"])
    assert found
    return int(found.group(1))


def agent(lms: FakeLms, sub: str) -> Session:
    return login(lms, sub, [LEARNER], sub.title(), f"{sub}@example.com", "Tier 1 agent")


def test_only_the_role_sees_it_and_answers_once(
    clean_app: Any, chloe: Session, ana: Session, ben: Session
) -> None:
    pk = schedule(chloe, str(role_id(clean_app, "Tier 1 agent")))
    home = text(ana.get("/"))
    assert "A quick survey for you" in home and "Learning pulse" in home
    assert "Learning pulse" not in text(ben.get("/"))  # a team lead, not a Tier 1 agent
    refused = ben.post(f"/voice/pulse/{pk}", {"q1": "5", "q2": "5"})
    assert refused.status_code == 409 and "for another job role" in text(refused)
    # A missing answer keeps what was chosen and typed.
    bad = ana.post(f"/voice/pulse/{pk}", {"q1": "4", "comment": "More role play"})
    assert bad.status_code == 400 and "Choose a number from 1 to 5." in text(bad)
    assert 'name="q1" value="4" checked' in bad.text and ">More role play</textarea>" in bad.text
    done = ana.post(f"/voice/pulse/{pk}", {"q1": "4", "q2": "2", "comment": "More role play"})
    assert "your answers are saved, without your name" in text(ana.follow(done))
    assert "Learning pulse" not in text(ana.get("/"))
    again = ana.post(f"/voice/pulse/{pk}", {"q1": "1", "q2": "1"})
    assert again.status_code == 409 and "You answered this survey already" in text(again)
    with clean_app.app_context():
        assert db.session.scalar(select(PulseAnswer.q1).where(PulseAnswer.survey_id == pk)) == 4
        assert len(db.session.scalars(select(PulseAnswer)).all()) == 1
        assert len(db.session.scalars(select(PulseResponse)).all()) == 1


def test_everyone_survey_reaches_every_role(clean_app: Any, chloe: Session, ben: Session) -> None:
    pk = schedule(chloe, "everyone", title="Everyone's pulse")
    assert "Everyone's pulse" in text(ben.get("/"))
    assert ben.get(f"/voice/pulse/{pk}").status_code == 200


def test_closed_survey_refuses_answers(clean_app: Any, chloe: Session, ana: Session) -> None:
    pk = schedule(chloe, str(role_id(clean_app, "Tier 1 agent")))
    with clean_app.app_context():
        yesterday = utcnow().date() - timedelta(days=1)
        db.session.execute(
            update(PulseSurvey)
            .where(PulseSurvey.id == pk)
            .values(opens_on=yesterday - timedelta(days=7), closes_on=yesterday)
        )
        db.session.commit()
    assert "Learning pulse" not in text(ana.get("/"))
    response = ana.post(f"/voice/pulse/{pk}", {"q1": "3", "q2": "3"})
    assert response.status_code == 409 and "answers are no longer taken" in text(response)
    with clean_app.app_context():
        assert db.session.scalars(select(PulseAnswer)).all() == []


def test_the_answers_table_holds_no_person(clean_app: Any) -> None:
    with clean_app.app_context():
        columns = {c["name"]: c for c in inspect(db.engine).get_columns("voice_pulse_answers")}
        foreign = inspect(db.engine).get_foreign_keys("voice_pulse_answers")
    assert set(columns) == {
        "id",
        "registration_id",
        "survey_id",
        "q1",
        "q2",
        "q3",
        "q4",
        "q5",
        "comment",
    }
    assert {fk["referred_table"] for fk in foreign} == {"registrations", "voice_pulse_surveys"}
    # A random id, not a sequence that would follow the order of the responses.
    assert "CHAR" in str(columns["id"]["type"]).upper()


def set_dates(app: Any, pk: int, closes_in_days: int) -> None:
    """Move a survey's closing day (negative: it closed that many days ago)."""
    today = utcnow().date()
    with app.app_context():
        db.session.execute(
            update(PulseSurvey)
            .where(PulseSurvey.id == pk)
            .values(
                opens_on=today - timedelta(days=30), closes_on=today + timedelta(closes_in_days)
            )
        )
        db.session.commit()


WAITING = "Results are shown once the survey closes"


def test_results_hidden_below_the_minimum_and_shown_at_it(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session
) -> None:
    pk = schedule(chloe, str(role_id(clean_app, "Tier 1 agent")))
    people = [ana] + [agent(lms, f"agent{i}") for i in range(4)]
    comments = ["More role play", "", "Shorter videos", "", "Coaching on nights"]
    for i, (who, comment) in enumerate(zip(people[:4], comments, strict=False)):
        response = who.post(f"/voice/pulse/{pk}", {"q1": str(i + 2), "q2": "3", "comment": comment})
        assert response.status_code == 303
    # Open, and 4 answers: only the count.
    page = text(chloe.get(f"/voice/pulse/{pk}/results"))
    assert HIDDEN in page and WAITING in page and "Answers 4" in page
    # Closed with 4 answers: still nothing but the count.
    set_dates(clean_app, pk, -1)
    hidden = chloe.get(f"/voice/pulse/{pk}/results")
    page = text(hidden)
    assert HIDDEN in page and WAITING not in page and "Answers 4" in page
    assert "More role play" not in page and "Average" not in page
    export = chloe.get(f"/voice/pulse/{pk}/results.csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[1][6:8] == ["", ""] and "results are hidden" in rows[1][-1]
    assert "More role play" not in export.text
    # Open again for the fifth answer: the minimum is reached, but nothing shows while open.
    set_dates(clean_app, pk, 0)
    people[4].post(f"/voice/pulse/{pk}", {"q1": "5", "q2": "3", "comment": comments[4]})
    page = text(chloe.get(f"/voice/pulse/{pk}/results"))
    assert WAITING in page and HIDDEN not in page and "Average" not in page
    rows = list(csv.reader(io.StringIO(chloe.get(f"/voice/pulse/{pk}/results.csv").text)))
    assert rows[1][7] == "" and "once the survey closes" in rows[1][-1]
    # Closed with 5 answers: averages, counts and comments appear.
    set_dates(clean_app, pk, -1)
    shown = chloe.get(f"/voice/pulse/{pk}/results")
    page = text(shown)
    assert HIDDEN not in page and WAITING not in page
    assert 'id="pulse-averages"' in shown.text  # the chart
    # q1 answers: 2, 3, 4, 5, 5 -> 3.8; q2 all 3.
    assert "3.8" in page and "3 comments, in random order and without dates" in page
    for c in ("More role play", "Shorter videos", "Coaching on nights"):
        assert c in page
    rows = list(csv.reader(io.StringIO(chloe.get(f"/voice/pulse/{pk}/results.csv").text)))
    assert rows[0][:8] == [
        "survey",
        "audience",
        "opens_on",
        "closes_on",
        "answers",
        "question",
        "answered",
        "average",
    ]
    assert rows[1][4:8] == ["5", "The training I had helps me in my calls.", "5", "3.80"]
    assert rows[1][8:13] == ["0", "1", "1", "1", "2"]
    assert rows[2][7] == "3.00"
    assert not any("role play" in cell for row in rows for cell in row)


def test_runs_compare_and_trainer_only(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session
) -> None:
    first = schedule(chloe, str(role_id(clean_app, "Tier 1 agent")), title="Monthly pulse")
    form = chloe.get(f"/voice/pulse/new?again={first}")
    series = re.search(r'name="series" value="([^"]+)"', form.text)
    assert series and 'value="Monthly pulse"' in form.text
    second = schedule(
        chloe,
        str(role_id(clean_app, "Tier 1 agent")),
        title="Monthly pulse",
        series=series.group(1),
    )
    for i in range(5):
        who = ana if i == 0 else agent(lms, f"runner{i}")
        who.post(f"/voice/pulse/{first}", {"q1": "4", "q2": "4"})
    set_dates(clean_app, first, -1)
    page = text(chloe.get(f"/voice/pulse/{second}/compare"))
    assert "Every run of “Monthly pulse”" in page
    assert "4.0" in page and "hidden" in page  # the second run has no answers yet
    assert 'id="pulse-runs"' in chloe.get(f"/voice/pulse/{first}/compare").text
    for path in (
        f"/voice/pulse/{first}/results",
        f"/voice/pulse/{first}/results.csv",
        f"/voice/pulse/{first}/compare",
        "/voice/pulse/new",
    ):
        response = ana.get(path)
        assert response.status_code == 403 and FORBIDDEN in text(response), path


def test_schedule_form_errors_keep_the_text(clean_app: Any, chloe: Session) -> None:
    response = chloe.post(
        "/voice/pulse/new",
        {
            "title": "Pulse",
            "audience": "",
            "q1": "",
            "opens_on": "2026-13-01",
            "closes_on": "soon",
            "comment_question": "Anything else?",
        },
    )
    page = text(response)
    assert response.status_code == 400
    for message in (
        "Choose the job role it is for",
        "Write at least one question",
        "Enter the day it opens",
        "Enter the day it closes",
    ):
        assert message in page
    assert 'value="Pulse"' in response.text and 'value="Anything else?"' in response.text


def test_trainer_closes_an_open_survey_early(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session
) -> None:
    pk = schedule(chloe, "everyone")
    people = [ana] + [agent(lms, f"early{i}") for i in range(4)]
    for n, who in enumerate(people, 1):
        assert who.post(f"/voice/pulse/{pk}", {"q1": "4", "q2": "2"}).status_code == 303
        results = text(chloe.get(f"/voice/pulse/{pk}/results"))
        # Closing shows the results only once enough people answered; before, it says so.
        assert WAITING in results and "Close it now" in results
        assert ("Close it now to see them" in results) is (n >= 5), n
        assert (HIDDEN in results) is (n < 5), n
    confirm = chloe.get(f"/voice/pulse/{pk}/end")
    page = text(confirm)
    assert confirm.status_code == 200 and "Close “Learning pulse” now?" in page
    assert "keeps the 5 answers given so far, and shows their results" in page
    assert 'name="action" value="close"' in confirm.text
    for path in (f"/voice/pulse/{pk}/end",):  # a learner may not close it
        refused = ben.post(path, {"action": "close"})
        assert refused.status_code == 403 and FORBIDDEN in text(refused)
    assert "Learning pulse" in text(ben.get("/"))  # still asked: nothing changed
    done = chloe.post(f"/voice/pulse/{pk}/end", {"action": "close"})
    assert done.headers["Location"].startswith(f"/voice/pulse/{pk}/results")
    shown = chloe.follow(done)
    page = text(shown)
    assert "“Learning pulse” is closed: it takes no more answers." in page
    assert "closed early, on" in page and WAITING not in page and HIDDEN not in page
    assert 'id="pulse-averages"' in shown.text and "Close it now" not in page
    rows = list(csv.reader(io.StringIO(chloe.get(f"/voice/pulse/{pk}/results.csv").text)))
    assert rows[1][-1] == f"closed early on {utcnow().date().isoformat()}"
    # Ben had not answered: the home page stops asking, and an answer is refused.
    assert "Learning pulse" not in text(ben.get("/"))
    late = ben.post(f"/voice/pulse/{pk}", {"q1": "1", "q2": "1"})
    assert late.status_code == 409 and "This survey was closed on" in text(late)
    again = chloe.post(f"/voice/pulse/{pk}/end", {"action": "close"})
    assert again.status_code == 409 and "closed already" in text(again)
    listed = text(chloe.get("/voice/pulse"))
    assert "Closed early" in listed
    with clean_app.app_context():
        row = db.session.get(PulseSurvey, pk)
        assert row is not None and row.closed_early_at is not None
        assert row.closes_on > utcnow().date()  # the planned day is kept
        assert len(db.session.scalars(select(PulseAnswer)).all()) == 5


def test_a_scheduled_survey_is_cancelled_and_a_changed_state_is_confirmed_again(
    clean_app: Any, chloe: Session
) -> None:
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    pk = schedule(chloe, "everyone", opens_on=tomorrow)
    page = text(chloe.get(f"/voice/pulse/{pk}/results"))
    assert "Cancel this survey" in page and "Close it now" not in page
    confirm = chloe.get(f"/voice/pulse/{pk}/end")
    assert "Cancel “Learning pulse”?" in text(confirm)
    assert 'name="action" value="cancel"' in confirm.text
    # Midnight passes between the question and the click: it is open now, so cancelling
    # (deleting) it is not what the trainer confirmed any more.
    set_dates(clean_app, pk, 3)
    changed = chloe.post(f"/voice/pulse/{pk}/end", {"action": "cancel"})
    assert changed.status_code == 409 and "has opened since you asked" in text(changed)
    assert 'name="action" value="close"' in changed.text
    with clean_app.app_context():
        row = db.session.get(PulseSurvey, pk)
        assert row is not None and row.closed_early_at is None
    # Scheduled again: cancelling removes it.
    with clean_app.app_context():
        db.session.execute(
            update(PulseSurvey)
            .where(PulseSurvey.id == pk)
            .values(opens_on=utcnow().date() + timedelta(days=1))
        )
        db.session.commit()
    done = chloe.post(f"/voice/pulse/{pk}/end", {"action": "cancel"})
    assert done.headers["Location"].startswith("/voice/pulse")
    listed = text(chloe.follow(done))
    assert "“Learning pulse” is cancelled: nobody will be asked." in listed
    with clean_app.app_context():
        assert db.session.get(PulseSurvey, pk) is None
    assert chloe.get(f"/voice/pulse/{pk}/end").status_code == 404
