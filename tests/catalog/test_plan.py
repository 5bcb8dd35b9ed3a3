"""The personal plan over the served Moodle and Canvas fakes: adding with a goal and a date,
enrolling through the adapter, the refusals a learner meets (course refused, no permission,
course full, a revoked token) with nothing lost, the leader's approval, completion coming back
from the LMS into events and the gradebook outbox, and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.catalog.models import CatalogItem, PlanItem
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.grades.models import LineItem, ScoreSend
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.paths.models import PathEvent
from lti_tool.people.models import Course, Person
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import (
    FORBIDDEN,
    Served,
    Session,
    connect,
    run_sync,
    text,
)
from tests.harness import ADMIN, INSTRUCTOR, LEARNER, MANAGER, Browser, FakeLms, launch

SOON = (date.today() + timedelta(days=30)).isoformat()


def person(
    lms: FakeLms, sub: str, roles_: list[str], name: str, job_role: str = "", **custom: str
) -> Session:
    lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles_, name, f"{name.split()[0].lower()}@example.com"),
        context_id="course-1",
        context_title="Billing basics",
        custom={**({"job_role": job_role} if job_role else {}), **custom},
    )
    browser = Browser()
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return Session(browser, lms.tool_url, token.group(1), name)


class People:
    def __init__(self, app: Any, lms: FakeLms, served: Served) -> None:
        self.app, self.lms, self.served = app, lms, served
        self.tenant = int(lms.registration_id)  # type: ignore[attr-defined]
        self.chloe = person(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "Trainer")
        self.chloe.follow(self.chloe.post("/roles/starter"))
        # Moodle's LTI sub is its user id; Canvas sends $Canvas.user.id as a custom parameter.
        if served.kind == "moodle":
            self.ana = person(lms, served.user_id("ana"), [LEARNER], "Ana Alvarez", "Tier 1 agent")
            self.ben = person(
                lms, served.user_id("ben"), [MANAGER, LEARNER], "Ben Brooks", "Team lead"
            )
        else:
            self.ana = person(
                lms,
                "ana-sub",
                [LEARNER],
                "Ana Alvarez",
                "Tier 1 agent",
                canvas_user_id=served.user_id("ana"),
            )
            self.ben = person(
                lms,
                "ben-sub",
                [MANAGER, LEARNER],
                "Ben Brooks",
                "Team lead",
                canvas_user_id=served.user_id("ben"),
            )
        self.dev = person(lms, "dev", [ADMIN], "Dev Desai")
        with app.app_context(), tenant_scope(db.session, self.tenant):
            team, errors = roles.save_team(self.tenant, None, "Billing A", "Ben Brooks")
            assert team is not None, errors
            assert roles.add_member(self.tenant, team, "Ana Alvarez")[0] is not None
            db.session.commit()
        connect(app, self.tenant, served)
        assert run_sync(app, self.tenant)[0] == "succeeded"

    def item_id(self, title: str) -> int:
        with self.app.app_context(), tenant_scope(db.session, self.tenant):
            return int(db.session.scalar(select(CatalogItem.id).where(CatalogItem.title == title)))

    def add(self, who: Session, title: str, **form: str) -> int:
        pk = self.item_id(title)
        response = who.post(
            f"/catalog/i/{pk}/plan", {"goal_kind": "career_goal", "target_date": SOON, **form}
        )
        assert response.status_code == 303, text(response)[:500]
        found = re.search(r"#plan-(\d+)", response.headers["Location"])
        assert found
        return int(found.group(1))

    def entry(self, pk: int) -> PlanItem:
        with self.app.app_context(), tenant_scope(db.session, self.tenant):
            row = db.session.get(PlanItem, pk)
            assert row is not None
            db.session.expunge(row)
            return row


@pytest.fixture
def people(clean_app: Any, lms: FakeLms, served: Served) -> People:
    return People(clean_app, lms, served)


def test_add_to_plan_keeps_what_was_typed(people: People) -> None:
    pk = people.item_id("De-escalation basics")
    bad = people.ana.post(
        f"/catalog/i/{pk}/plan",
        {"goal_kind": "interest", "goal_note": "", "target_date": "2020-01-01"},
    )
    assert bad.status_code == 400
    words = text(bad)
    assert "Say in a few words what interests you" in words
    assert "Choose today or a later date" in words
    assert 'value="2020-01-01"' in bad.text
    entry = people.add(
        people.ana, "De-escalation basics", goal_kind="interest", goal_note="calmer calls"
    )
    plan = people.ana.get("/catalog/plan")
    assert "De-escalation basics" in text(plan) and "“calmer calls”" in text(plan)
    assert people.entry(entry).status == "planned"
    again = people.ana.post(
        f"/catalog/i/{pk}/plan", {"goal_kind": "interest", "goal_note": "x", "target_date": SOON}
    )
    assert again.status_code == 303  # a second click: the item page says why, nothing added
    shown = text(people.ana.follow(again))
    assert "It is already in your plan." in shown and "In your plan · Planned" in shown


def test_enrol_through_the_adapter_and_completion_flows_back(people: People) -> None:
    entry = people.add(people.ana, "De-escalation basics")
    pk = people.item_id("De-escalation basics")
    cid = int(people.served.course_id("deesc"))
    uid = int(people.served.user_id("ana"))
    people.served.fake.enrolled.pop((cid, uid), None)
    # The course was placed in Ana's course with a gradebook column (deep linking).
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        course = db.session.scalar(select(Course).where(Course.context_id == "course-1"))
        assert course is not None
        course.ags_lineitems_url = "https://lms.example.com/li"
        course.ags_scopes = []
        db.session.add(
            LineItem(
                registration_id=people.tenant,
                course_id=course.id,
                item_key=f"catalog:{pk}",
                label="De-escalation",
                score_maximum=1.0,
                tag="wayfinder",
            )
        )
        db.session.commit()
    done = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "You are enrolled in De-escalation basics" in text(done)
    assert (cid, uid) in people.served.fake.enrolled
    assert people.entry(entry).status == "enrolled"

    # The LMS reports completion; opening the plan asks it.
    people.served.fake.enrolled[(cid, uid)] = datetime(2026, 1, 5, tzinfo=UTC)
    people.ana.get("/catalog/plan")
    # The completion job it queued (the gradebook's own job is not this test's business).
    with people.app.app_context():
        job_id = db.session.scalar(select(Job.id).where(Job.kind == "plan_completion"))
        assert job_id is not None
        finished = jobs.run_job(job_id)
        assert finished is not None and finished.message.endswith("1 newly complete.")
    plan = people.ana.get("/catalog/plan")
    assert "Completed" in text(plan)
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        actions = list(
            db.session.scalars(
                select(PathEvent.action)
                .where(PathEvent.step_key == f"catalog:{pk}")
                .order_by(PathEvent.id)
            )
        )
        assert actions == ["plan_added", "plan_enrolled", "plan_completed"]
        sends = list(db.session.scalars(select(ScoreSend).order_by(ScoreSend.id)))
        assert sends[-1].activity_progress == "Completed"
        assert sends[-1].score_given == 1.0


def test_a_refused_course_becomes_a_request_the_leader_decides(people: People) -> None:
    entry = people.add(people.ana, "Archived onboarding")
    refused = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    words = text(refused)
    assert "The LMS refused the enrolment" in words
    assert "It stays in your plan" in words
    assert "Ben Brooks will decide" in words
    assert people.entry(entry).status == "planned"

    empty = people.ana.post(f"/catalog/plan/{entry}/ask", {"reason": ""})
    assert empty.status_code == 400 and "Say in a sentence why" in text(empty)
    people.ana.follow(
        people.ana.post(f"/catalog/plan/{entry}/ask", {"reason": "Our team onboards new hires"})
    )
    assert people.entry(entry).status == "requested"
    twice = people.ana.post(f"/catalog/plan/{entry}/ask", {"reason": "Our team onboards"})
    assert twice.status_code == 303  # a second click: the plan says why nothing was sent
    assert "This item is not waiting for an enrolment." in text(people.ana.follow(twice))

    # Ben sees it; Chloe (not the leader) may not decide it.
    page = people.ben.get("/catalog/requests")
    assert "Ana Alvarez: Archived onboarding" in text(page)
    rid = int(re.findall(r"/catalog/requests/(\d+)", page.text)[0])
    assert people.chloe.post(f"/catalog/requests/{rid}", {"decision": "approve"}).status_code == 403
    assert people.ana.post(f"/catalog/requests/{rid}", {"decision": "approve"}).status_code == 403
    blank = people.ben.post(f"/catalog/requests/{rid}", {"decision": "decline", "message": ""})
    assert blank.status_code == 400 and "Tell them why" in text(blank)
    people.ben.follow(
        people.ben.post(
            f"/catalog/requests/{rid}",
            {"decision": "decline", "message": "Not this quarter, sorry"},
        )
    )
    plan = text(people.ana.get("/catalog/plan"))
    assert "Ben Brooks declined your request: “Not this quarter, sorry”" in plan
    stale = people.ben.post(f"/catalog/requests/{rid}", {"decision": "approve"})
    assert stale.status_code == 303 and "already" in text(people.ben.follow(stale))
    assert people.entry(entry).status == "planned"


def test_approval_enrols_where_wayfinder_can(people: People) -> None:
    pk = people.item_id("Billing questions")
    # The trainer says this course needs the leader's approval.
    people.chloe.follow(people.chloe.post(f"/catalog/manage/i/{pk}", {"needs_approval": "1"}))
    entry = people.add(people.ana, "Billing questions")
    asked = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "needs your leader's approval first" in text(asked)
    people.ana.follow(
        people.ana.post(f"/catalog/plan/{entry}/ask", {"reason": "Billing queue next month"})
    )
    rid = int(re.findall(r"/catalog/requests/(\d+)", people.ben.get("/catalog/requests").text)[0])
    approved = people.ben.follow(
        people.ben.post(f"/catalog/requests/{rid}", {"decision": "approve"})
    )
    assert "Approved: Ana Alvarez is enrolled" in text(approved)
    assert people.entry(entry).status == "enrolled"
    cid, uid = int(people.served.course_id("billing")), int(people.served.user_id("ana"))
    assert (cid, uid) in people.served.fake.enrolled


def test_an_approval_that_cannot_enrol_tells_the_learner_in_her_language(
    people: People,
) -> None:
    """Ana's LMS speaks Spanish, Ben approves in English, and the LMS refuses Wayfinder: her
    plan says why in Spanish; his message names no Spanish problem, only where it is said."""
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        ana = db.session.scalar(select(Person).where(Person.name == "Ana Alvarez"))
        assert ana is not None
        ana.locale = "es-419"
        db.session.commit()
    pk = people.item_id("Billing questions")
    people.chloe.follow(people.chloe.post(f"/catalog/manage/i/{pk}", {"needs_approval": "1"}))
    entry = people.add(people.ana, "Billing questions")
    people.ana.follow(
        people.ana.post(f"/catalog/plan/{entry}/ask", {"reason": "Billing queue next month"})
    )
    rid = int(re.findall(r"/catalog/requests/(\d+)", people.ben.get("/catalog/requests").text)[0])
    people.served.fake.faults.extend(["forbidden"] * 4)
    approved = text(
        people.ben.follow(people.ben.post(f"/catalog/requests/{rid}", {"decision": "approve"}))
    )
    people.served.fake.faults.clear()
    assert "Approved. Wayfinder could not enrol Ana Alvarez by itself. Their plan says so" in (
        approved
    )
    assert "El LMS" not in approved
    problem = people.entry(entry).problem
    assert problem.startswith("Aprobado por Ben Brooks. Wayfinder no pudo inscribirte")
    assert "El LMS no permite que Wayfinder te inscriba en este curso." in problem
    people.ana.browser.session.headers["Accept-Language"] = "es"
    assert problem in text(people.ana.get("/catalog/plan"))


def test_no_permission_and_a_revoked_token_are_explained_and_shown_to_the_admin(
    people: People,
) -> None:
    entry = people.add(people.ana, "De-escalation basics")
    people.served.fake.faults.extend(["forbidden"] * 4)
    denied = text(people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol")))
    assert "does not allow Wayfinder to enrol you" in denied
    people.served.fake.faults.clear()
    assert people.entry(entry).status == "planned"
    manage = text(people.dev.get("/catalog/manage"))
    assert "Wayfinder's access to the LMS has a problem" in manage
    assert "may not do this" in manage

    # The token is revoked: the learner is told, nothing is lost, the admin sees what to fix.
    connect(people.app, people.tenant, people.served, token="revoked-token")
    if people.served.kind == "moodle":
        connect(people.app, people.tenant, people.served, token="expired-" + people.served.token)
    revoked = text(people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol")))
    assert "access to the LMS has expired or was withdrawn" in revoked
    assert "Try again: enrol" in text(people.ana.get("/catalog/plan"))
    assert people.entry(entry).status == "planned"
    manage = text(people.dev.get("/catalog/manage"))
    assert "no longer accepts Wayfinder's token" in manage
    assert "Update the LMS access" in manage
    # Fixed: the retry works and the plan item was never lost.
    connect(people.app, people.tenant, people.served)
    people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert people.entry(entry).status == "enrolled"


def test_a_full_live_session_refuses_and_keeps_the_item(people: People) -> None:
    made = people.chloe.post(
        "/catalog/manage/new",
        {
            "title": "Shadow a senior agent",
            "summary": "One hour on the floor.",
            "url": "",
            "format": "live",
            "capacity": "1",
            "duration": "60",
        },
    )
    assert made.status_code == 303
    sam = person(people.lms, "sam", [LEARNER], "Sam Smith", "Tier 1 agent")
    first = people.add(sam, "Shadow a senior agent")
    assert "You are in" in text(sam.follow(sam.post(f"/catalog/plan/{first}/enrol")))
    entry = people.add(people.ana, "Shadow a senior agent")
    full = text(people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol")))
    assert "This live session is full (1 place)" in full
    assert people.entry(entry).status == "planned"
    # Local items are marked done by the learner.
    done = sam.follow(sam.post(f"/catalog/plan/{first}/done"))
    assert "is done" in text(done)


def test_roles_and_removal(people: People) -> None:
    assert FORBIDDEN in people.ana.get("/catalog/manage").text
    assert people.ana.post("/catalog/manage/sync").status_code == 403
    assert people.chloe.get("/catalog/access").status_code == 403
    assert people.chloe.get("/catalog/manage").status_code == 200
    assert people.dev.get("/catalog/access").status_code == 200
    entry = people.add(people.ana, "Quality scorecards")
    # Someone else's plan item is not theirs to touch.
    assert people.ben.post(f"/catalog/plan/{entry}/enrol").status_code == 404
    confirm = people.ana.get(f"/catalog/plan/{entry}/remove")
    assert "Remove “Quality scorecards” from your plan?" in text(confirm)
    people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/remove"))
    assert "Your plan is empty" in text(people.ana.get("/catalog/plan"))


def test_ratings_by_role_appear_from_three_raters(people: People) -> None:
    pk = people.item_id("De-escalation basics")
    page = text(people.ana.get(f"/catalog/i/{pk}"))
    assert "You can rate it once you have enrolled" in page
    refused = people.ana.post(f"/catalog/i/{pk}/rate", {"stars": "5"})
    assert refused.status_code == 400
    entry = people.add(people.ana, "De-escalation basics")
    people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    bad = people.ana.post(f"/catalog/i/{pk}/rate", {"stars": "9", "comment": "kept"})
    assert bad.status_code == 400 and "Choose from 1 to 5 stars" in text(bad)
    assert ">kept</textarea>" in bad.text
    people.ana.follow(people.ana.post(f"/catalog/i/{pk}/rate", {"stars": "5", "comment": "Great"}))
    # One rater in the role: too few to show (privacy), for anyone in that role.
    page = people.ana.get(f"/catalog/i/{pk}")
    assert "Too few ratings from your role (Tier 1 agent) to show yet" in text(page)
    assert 'class="comments"' not in page.text
    for sub, stars in (("t1-b", "4"), ("t1-c", "3")):
        other = person(people.lms, sub, [LEARNER], f"Agent {sub}", "Tier 1 agent")
        row = people.add(other, "De-escalation basics")
        with people.app.app_context(), tenant_scope(db.session, people.tenant):
            db.session.get(PlanItem, row).status = "enrolled"  # type: ignore[union-attr]
            db.session.commit()
        other.follow(other.post(f"/catalog/i/{pk}/rate", {"stars": stars}))
    page = people.ana.get(f"/catalog/i/{pk}")
    assert "4.0 out of 5 from 3 people in your role (Tier 1 agent)" in text(page)
    assert '<ul class="comments"><li>Great</li></ul>' in page.text
    # Ben (Team lead) sees nothing of the Tier 1 agents' ratings.
    assert "No one in your role (Team lead) has rated it yet" in text(
        people.ben.get(f"/catalog/i/{pk}")
    )
