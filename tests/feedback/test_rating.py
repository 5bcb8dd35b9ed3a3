"""Rating through real launches: only after completing (a clear message before), inline on the
step page and back to it with a thank-you, a bad stars value explained with the comment kept,
a change that counts once as a learning event, "Waiting for your rating" and "Not now", a
coaching session rated by the person coached (not the coach), and the catalog's rating form
writing the same table."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot
from lti_tool.extensions import db
from lti_tool.feedback.models import Rating
from lti_tool.insights.models import LearningEvent
from lti_tool.paths.models import Assignment
from lti_tool.people.models import Person
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import Session, login, text
from tests.harness import LEARNER, FakeLms
from tests.paths.placing import published_path


def _ana(lms: FakeLms) -> Session:
    return login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")


def _assignment(app: Any, reg: int) -> int:
    with app.app_context(), tenant_scope(db.session, reg):
        found = db.session.scalar(
            select(Assignment.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Person.sub == "ana")
        )
        assert found is not None
        return int(found)


def _rated_events(app: Any, reg: int) -> list[tuple[str, str, float | None]]:
    with app.app_context(), tenant_scope(db.session, reg):
        return [
            (e.object_type, e.object_id, e.score)
            for e in db.session.scalars(select(LearningEvent).where(LearningEvent.verb == "rated"))
        ]


def test_rate_a_completed_step_inline_then_change_it(
    app: Any, lms: FakeLms, chloe: Session
) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    pid, keys = published_path(app, reg, ("Welcome call", "Billing basics"))
    ana = _ana(lms)
    aid = _assignment(app, reg)
    step = f"/paths/a/{aid}/{keys[0]}"
    subject = f"{pid}:{keys[0]}"

    # Not completed yet: no form on the page, and a post explains instead of refusing rudely.
    assert "How was" not in text(ana.get(step))
    early = ana.post(
        "/feedback/rate", {"kind": "step", "subject": subject, "stars": "4", "back": step}
    )
    assert early.status_code == 400
    assert "You can rate a step once you have completed it." in text(early)
    assert "not for your role" not in text(early)

    # Done: the step page asks "How was it?" right there.
    done = ana.follow(ana.post(step, {"action": "done"}))
    assert "How was “Welcome call”?" in text(done)
    assert "Waiting for your rating" in text(ana.get("/"))
    assert "Rate “Welcome call”" in text(ana.get("/"))

    # A bad stars value: a message, and the comment typed is kept.
    bad = ana.post(
        "/feedback/rate",
        {
            "kind": "step",
            "subject": subject,
            "stars": "7",
            "comment": "Loved the role play",
            "back": step,
        },
    )
    assert bad.status_code == 400
    assert "Choose from 1 to 5 stars." in text(bad)
    assert ">Loved the role play</textarea>" in bad.text
    assert _rated_events(app, reg) == []

    # Rated: back on the same step page, with a thank-you and the rating shown.
    saved = ana.post(
        "/feedback/rate",
        {
            "kind": "step",
            "subject": subject,
            "stars": "4",
            "comment": "Loved the role play",
            "back": step,
        },
    )
    assert saved.status_code == 303
    assert saved.headers["Location"].startswith(step + "?lt=")
    page = ana.browser.get(ana.base + saved.headers["Location"])
    words = text(page)
    assert "Thank you: your rating of “Welcome call” is saved." in words
    assert "Change my rating" in words
    assert re.search(r'value="4" id="[^"]+"\s*checked', page.text)
    assert _rated_events(app, reg) == [("step", subject, 4.0)]
    assert "Waiting for your rating" not in text(ana.get("/"))

    # Changed later: still one rating and one event, with the new score.
    again = ana.post(
        "/feedback/rate", {"kind": "step", "subject": subject, "stars": "2", "back": step}
    )
    assert again.status_code == 303
    assert _rated_events(app, reg) == [("step", subject, 2.0)]
    with app.app_context(), tenant_scope(db.session, reg):
        rows = list(db.session.scalars(select(Rating)))
        assert [(r.kind, r.subject_id, r.stars, r.comment) for r in rows] == [
            ("step", subject, 2, "")
        ]
        assert rows[0].title == "Welcome call" and rows[0].role_id is not None


def test_waiting_list_not_now_and_the_way_back_stays_on_this_site(
    app: Any, lms: FakeLms, chloe: Session
) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    pid, keys = published_path(app, reg, ("Welcome call", "Billing basics"))
    ana = _ana(lms)
    aid = _assignment(app, reg)
    for key in keys:
        ana.follow(ana.post(f"/paths/a/{aid}/{key}", {"action": "done"}))
    home = text(ana.get("/"))
    assert "Rate “Welcome call”" in home and "Rate “Billing basics”" in home
    assert "Rate “Welcome call”" in text(ana.get("/paths/"))  # on My path too

    hidden = ana.post(
        "/feedback/dismiss", {"kind": "step", "subject": f"{pid}:{keys[0]}", "back": "/"}
    )
    assert hidden.status_code == 303
    home = text(ana.follow(hidden))
    assert "Hidden from “Waiting for your rating”" in home
    assert "Rate “Welcome call”" not in home and "Rate “Billing basics”" in home

    # Rated from the home page: back to the home page; another site is never a way back.
    out = ana.post(
        "/feedback/rate",
        {
            "kind": "step",
            "subject": f"{pid}:{keys[1]}",
            "stars": "5",
            "back": "https://evil.example.com/x",
        },
    )
    assert out.status_code == 303 and out.headers["Location"].startswith("/?lt=")
    assert "Waiting for your rating" not in text(ana.follow(out))
    # Unknown kinds and subjects get a message, never an error page.
    odd = ana.post("/feedback/rate", {"kind": "badge", "subject": "1", "stars": "3", "back": "/"})
    assert odd.status_code == 400 and "This cannot be rated." in text(odd)


def test_a_coaching_session_is_rated_by_the_person_coached(
    app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session
) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    with app.app_context(), tenant_scope(db.session, reg):
        who = {p.sub: p.id for p in db.session.scalars(select(Person))}
        offer = CoachingOffer(registration_id=reg, coach_id=who["ben"], title="Hard calls")
        db.session.add(offer)
        db.session.flush()
        slot = CoachingSlot(registration_id=reg, offer_id=offer.id, starts_at=datetime(2026, 11, 2))
        db.session.add(slot)
        db.session.flush()
        session = CoachingSession(
            registration_id=reg,
            slot_id=slot.id,
            offer_id=offer.id,
            coach_id=who["ben"],
            learner_id=who["ana"],
            kind="coaching",
            status="completed",
            starts_at=slot.starts_at,
            completed_at=datetime.now(),
        )
        db.session.add(session)
        db.session.commit()
        sid, offer_id = session.id, offer.id
    page = f"/coaching/s/{sid}"
    assert "How was “Hard calls”?" in text(ana.get(page))
    assert "How was" not in text(ben.get(page))
    refused = ben.post(
        "/feedback/rate", {"kind": "coaching", "subject": str(sid), "stars": "5", "back": page}
    )
    assert refused.status_code == 400
    assert "Only the person coached can rate a session" in text(refused)
    done = ana.follow(
        ana.post(
            "/feedback/rate",
            {
                "kind": "coaching",
                "subject": str(sid),
                "stars": "5",
                "comment": "Clear",
                "back": page,
            },
        )
    )
    assert "Thank you: your rating of “Hard calls” is saved." in text(done)
    with app.app_context(), tenant_scope(db.session, reg):
        row = db.session.scalar(select(Rating))
        assert row is not None
        # Trainers see sessions grouped under their offer.
        assert (row.kind, row.subject_id, row.item_key) == ("coaching", str(sid), str(offer_id))
    assert _rated_events(app, reg) == [("coaching", str(sid), 5.0)]


def test_the_catalog_rating_form_writes_the_one_ratings_table(
    app: Any, lms: FakeLms, chloe: Session, ana: Session
) -> None:
    from lti_tool.catalog.models import CatalogItem, PlanItem

    reg = lms.registration_id  # type: ignore[attr-defined]
    with app.app_context(), tenant_scope(db.session, reg):
        ana_id = db.session.scalar(select(Person.id).where(Person.sub == "ana"))
        item = CatalogItem(
            registration_id=reg, external_id="local-1", title="Empathy on the phone", url=""
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            PlanItem(
                registration_id=reg,
                person_id=ana_id,
                item_id=item.id,
                goal_kind="skill_gap",
                status="completed",
                completed_at=datetime.now(),
            )
        )
        db.session.commit()
        item_id = item.id
    plan = text(ana.get("/catalog/plan"))
    assert "How was “Empathy on the phone”?" in plan
    saved = ana.post(f"/catalog/i/{item_id}/rate", {"stars": "3", "comment": "Fine"})
    assert saved.status_code == 303
    with app.app_context(), tenant_scope(db.session, reg):
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
        row = db.session.scalar(select(Rating))
        assert row is not None and (row.kind, row.subject_id, row.stars) == (
            "catalog_item",
            str(item_id),
            3,
        )
    assert _rated_events(app, reg) == [("catalog_item", str(item_id), 3.0)]
    assert "Your rating of “Empathy on the phone”" in text(ana.get("/catalog/plan"))
