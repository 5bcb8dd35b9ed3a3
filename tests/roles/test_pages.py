"""The job-role pages through real launches, for each role, including forbidden cases and another
tenant's rows."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.people.models import Person
from lti_tool.roles.models import JobRole, PersonRole, Team
from lti_tool.tenancy import tenant_scope
from tests.conftest import add_registration
from tests.harness import ADMIN, INSTRUCTOR, LEARNER, MANAGER, Browser, FakeLms, launch


@dataclass
class Session:
    """One person's browser after a launch."""

    browser: Browser
    base: str
    token: str

    def url(self, path: str) -> str:
        return f"{self.base}{path}{'&' if '?' in path else '?'}lt={self.token}"

    def get(self, path: str) -> Any:
        return self.browser.get(self.url(path))

    def csrf(self) -> str:
        page = self.get("/me/edit").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        return match.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.browser.post(
            self.url(path), data={"csrf_token": self.csrf(), **(data or {})}, **kwargs
        )

    def follow(self, response: Any) -> Any:
        assert response.status_code == 303, response.text[:500]
        return self.browser.get(self.base + response.headers["Location"])


def login(
    lms: FakeLms,
    sub: str,
    roles: list[str],
    name: str,
    email: str,
    job_role: str | None = None,
) -> Session:
    lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles, name, email),
        context_id="course-1",
        context_title="Billing basics",
        custom={"job_role": job_role} if job_role else {},
    )
    browser = Browser()
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return Session(browser, lms.tool_url, token.group(1))


def text(response: Any) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


@pytest.fixture
def chloe(lms: FakeLms) -> Session:
    return login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer")


@pytest.fixture
def starter(chloe: Session) -> Session:
    chloe.follow(chloe.post("/roles/starter"))
    return chloe


FORBIDDEN = "This page is not for your role"


def test_learner_is_kept_out_of_instructor_and_admin_pages(lms: FakeLms, clean_app: Any) -> None:
    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")
    for path in (
        "/roles/",
        "/roles/matrix",
        "/roles/teams",
        "/roles/unmatched",
        "/roles/new",
        "/roles/import",
        "/roles/people",
    ):
        page = ana.get(path)
        assert page.status_code == 403 and FORBIDDEN in page.text, path
    refused = ana.post("/roles/starter")
    assert refused.status_code == 403 and FORBIDDEN in refused.text
    home = ana.get("/")
    assert "/roles/me?" in home.text and "/roles/matrix" not in home.text
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JobRole)) == 0
    # Without a CSRF token a form is refused even on her own page.
    bare = ana.browser.post(ana.url("/roles/me/goal"), data={"goal_role_id": ""})
    assert bare.status_code == 400 and "This form has expired" in bare.text


def test_instructor_imports_the_starter_set_once_and_edits_roles(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    empty = text(chloe.get("/roles/"))
    assert "There are no job roles or skills yet. Import the contact-center starter set" in empty
    assert "/roles/" in chloe.get("/").text
    done = text(chloe.follow(chloe.post("/roles/starter")))
    assert "Added 6 roles, 8 skills and" in done and "De-escalation" in done
    again = text(chloe.follow(chloe.post("/roles/starter")))
    assert "nothing was added or changed" in again
    # Her launch said "Trainer": with the roles in place she has it from the LMS.
    assert "You are Trainer" in text(chloe.get("/roles/me"))

    bad = chloe.post("/roles/new", {"name": " ", "description": "Plans shifts", "aliases": "WFM"})
    assert bad.status_code == 400
    assert "Give the role a name" in bad.text and "Plans shifts</textarea>" in bad.text
    assert ">WFM</textarea>" in bad.text
    clash = chloe.post("/roles/new", {"name": "Planner", "aliases": "Tier 2 agent"})
    assert clash.status_code == 400 and "already names Senior agent" in html.unescape(clash.text)
    made = text(chloe.follow(chloe.post("/roles/new", {"name": "Planner", "aliases": "WFM"})))
    assert "Job role Planner is saved." in made

    with clean_app.app_context():
        trainer = db.session.scalar(select(JobRole).where(JobRole.name == "Trainer"))
        assert trainer is not None
        trainer_id = trainer.id
    confirm = text(chloe.get(f"/roles/{trainer_id}/delete"))
    assert "Delete job role Trainer?" in confirm
    assert "1 person holds this role." in confirm and "8 target levels" in confirm
    gone = text(chloe.follow(chloe.post(f"/roles/{trainer_id}/delete")))
    assert "Job role Trainer is deleted." in gone
    assert "You have no job role yet" in text(chloe.get("/roles/me"))
    assert chloe.get("/roles/999999/edit").status_code == 404


def test_matrix_saves_levels_and_keeps_a_bad_cell(
    lms: FakeLms, starter: Session, clean_app: Any
) -> None:
    page = starter.get("/roles/matrix")
    cells = dict(re.findall(r'<select id="(t-\d+-\d+)"[^>]*aria-label="([^"]+)"', page.text))
    assert len(cells) == 48 and "Empathy for Tier 1 agent" in cells.values()
    key = next(k for k, v in cells.items() if v == "Empathy for Tier 1 agent")
    other = next(k for k, v in cells.items() if v == "Coaching for Tier 1 agent")
    values = {
        k: (
            m.group(1)
            if (m := re.search(rf'id="{k}".*?<option value="(\d?)" selected', page.text, re.S))
            else ""
        )
        for k in cells
    }
    bad = starter.post("/roles/matrix", {**values, key: "9", other: "2"})
    assert bad.status_code == 400
    assert "Empathy for Tier 1 agent: choose a level from 1 to 5, or none." in html.unescape(
        bad.text
    )
    assert re.search(rf'id="{other}".*?<option value="2" selected', bad.text, re.S)
    saved = starter.follow(starter.post("/roles/matrix", {**values, key: "5", other: ""}))
    assert "Target levels saved (1 changed)." in saved.text
    assert re.search(rf'id="{key}".*?<option value="5" selected', saved.text, re.S)


def test_lti_values_map_to_roles_and_unmatched_ones_are_listed(
    lms: FakeLms, starter: Session, clean_app: Any
) -> None:
    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 2 agent")
    assert "You are Senior agent" in text(ana.get("/roles/me"))
    assert "This comes from the LMS (LTI launch)" in text(ana.get("/roles/me"))
    lena = login(lms, "lena", [LEARNER], "Lena Fischer", "lena@example.com", "Workforce planner")
    me = text(lena.get("/roles/me"))
    assert "You have no job role yet" in me and "“Workforce planner”" in me
    listed = text(starter.get("/roles/unmatched"))
    assert "“Workforce planner” · 1 person" in listed
    assert "1 job-role value from the LMS matches no role" in text(starter.get("/roles/"))
    with clean_app.app_context():
        qa = db.session.scalar(select(JobRole).where(JobRole.name == "QA analyst"))
        assert qa is not None
        qa_id = qa.id
    mapped = text(
        starter.follow(
            starter.post(
                "/roles/unmatched/map", {"value": "Workforce planner", "role_id": str(qa_id)}
            )
        )
    )
    assert "“Workforce planner” now means QA analyst; 1 person has that role" in mapped
    assert "Every job-role value the LMS has sent matches a role" in mapped
    assert "You are QA analyst" in text(lena.get("/roles/me"))
    # A repeat launch with the same value records nothing new.
    login(lms, "lena", [LEARNER], "Lena Fischer", "lena@example.com", "Workforce planner")
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PersonRole)) == 3


def test_admin_imports_hr_csv_with_preview_then_applies_once(
    lms: FakeLms, starter: Session, clean_app: Any
) -> None:
    login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com")
    login(lms, "ben", [MANAGER], "Ben Brooks", "ben@example.com")
    assert starter.get("/roles/import").status_code == 403  # instructors are not admins
    dev = login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")
    assert "/roles/import" in dev.get("/").text
    xlsx = b"PK\x03\x04\x14\x00\x06\x00email,job_role"  # a spreadsheet, not its CSV export
    refused = dev.post("/roles/import", files={"file": ("hr.xlsx", xlsx, "text/csv")})
    assert refused.status_code == 400 and "The file is not a CSV text file." in text(refused)
    bad_file = (
        b"email,job_role,team,leader\nana@example.com,Astronaut,,\nzed@example.com,,Team X,\n"
    )
    preview = dev.post("/roles/import", files={"file": ("hr.csv", bad_file, "text/csv")})
    assert preview.status_code == 400
    words = text(preview)
    assert "2 rows need fixing. Nothing will be applied" in words
    assert "Line 2: no job role is called “Astronaut”" in words
    assert "Line 3: no one with email zed@example.com has opened Wayfinder" in words
    assert "Apply" not in words

    good = b"email,job_role,team,leader\nana@example.com,Tier 1 agent,Billing A,ben@example.com\n"
    preview = dev.post("/roles/import", files={"file": ("hr.csv", good, "text/csv")})
    words = text(preview)
    assert preview.status_code == 200
    assert "New job role assignments (1)" in words and "Ana Alvarez none Tier 1 agent" in words
    assert "New teams (1)" in words and "Leader changes (1)" in words and "Apply 4 changes" in words
    with clean_app.app_context():
        assert db.session.scalar(select(Team)) is None  # the preview applied nothing
    digest = re.search(r'name="digest" value="([^"]+)"', preview.text)
    assert digest
    form = {"action": "apply", "digest": digest.group(1), "csv_text": good.decode()}
    applied = text(dev.follow(dev.post("/roles/import", form)))
    assert "HR import applied: 4 changes." in applied
    # The old preview no longer matches (nothing is left to change): shown again, not applied.
    stale = dev.post("/roles/import", form)
    assert "Something changed since the preview, so nothing was applied" in text(stale)
    assert "would change nothing" in text(stale)
    # The same file again: nothing to change, and applying it changes nothing.
    preview = dev.post("/roles/import", files={"file": ("hr.csv", good, "text/csv")})
    assert "Everything in the file already matches Wayfinder" in text(preview)
    digest = re.search(r'name="digest" value="([^"]+)"', preview.text)
    assert digest
    form["digest"] = digest.group(1)
    again = text(dev.follow(dev.post("/roles/import", form)))
    assert "everything already matched, nothing changed" in again

    with clean_app.app_context():
        ana_id = db.session.scalar(select(Person.id).where(Person.sub == "ana"))
    person = text(dev.get(f"/roles/people/{ana_id}"))
    assert "Tier 1 agent , from the HR import" in person and "HR import, line 2" in person
    assert "Team Billing A, led by Ben Brooks" in person


def test_admin_sets_a_role_that_outranks_the_lms_and_clears_it(
    lms: FakeLms, starter: Session, clean_app: Any
) -> None:
    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")
    dev = login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")
    found = dev.get("/roles/people?q=alvarez")
    link = re.search(r'href="(/roles/people/(\d+))\?', found.text)
    assert link and "Tier 1 agent" in text(found)
    path = link.group(1)
    assert dev.post(path, {"role_id": ""}).status_code == 400
    with clean_app.app_context():
        lead_id = db.session.scalar(select(JobRole.id).where(JobRole.name == "Team lead"))
    done = text(dev.follow(dev.post(path, {"role_id": str(lead_id), "action": "set"})))
    assert "Ana Alvarez is now Team lead." in done
    assert "An administrator Team lead in effect" in done
    assert "The LMS (LTI launch) Tier 1 agent (does not count)" in done
    assert "You are Team lead" in text(ana.get("/roles/me"))
    cleared = text(dev.follow(dev.post(path, {"action": "clear"})))
    assert "Tier 1 agent , from the LMS (LTI launch)" in cleared


def test_learner_asks_and_her_leader_decides(
    lms: FakeLms, starter: Session, clean_app: Any
) -> None:
    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")
    ben = login(lms, "ben", [MANAGER], "Ben Brooks", "ben@example.com", "Team lead")
    sam = login(lms, "sam", [LEARNER], "Sam Silva", "sam@example.com")
    team = starter.follow(
        starter.post("/roles/teams", {"name": "Billing A", "leader": "ben@example.com"})
    )
    assert "Team Billing A is created" in team.text
    team_path = re.search(r"(/roles/teams/\d+)\?", team.url)
    assert team_path
    bad = starter.post(team_path.group(1), {"action": "add", "member": "nobody@example.com"})
    assert bad.status_code == 400 and 'value="nobody@example.com"' in bad.text
    starter.follow(starter.post(team_path.group(1), {"action": "add", "member": "ana@example.com"}))

    with clean_app.app_context():
        senior_id = db.session.scalar(select(JobRole.id).where(JobRole.name == "Senior agent"))
    me = ana.post("/roles/me/request", {"role_id": str(senior_id), "reason": ""})
    assert me.status_code == 400 and "Say in a sentence or two why" in me.text
    assert f'<option value="{senior_id}" selected' in me.text  # her choice is kept
    sent = text(
        ana.follow(
            ana.post(
                "/roles/me/request", {"role_id": str(senior_id), "reason": "I take escalations"}
            )
        )
    )
    assert (
        "Your request to become Senior agent is sent." in sent and "Ben Brooks will decide" in sent
    )
    # A second request while one waits (a stale page): the page has no form, so it says why.
    again = ana.post("/roles/me/request", {"role_id": str(senior_id), "reason": "Again"})
    assert again.status_code == 303 and "already have a request waiting" in text(ana.follow(again))

    assert "/roles/requests" in ben.get("/").text
    waiting = ben.get("/roles/requests")
    assert "Ana Alvarez asks to become Senior agent" in text(waiting)
    assert "asks to become" not in text(sam.get("/roles/requests"))
    assert "asks to become" not in text(starter.get("/roles/requests"))  # she has a leader
    request_id = re.search(r'action="/roles/requests/(\d+)\?', waiting.text)
    assert request_id
    decide = f"/roles/requests/{request_id.group(1)}"
    refused = sam.post(decide, {"decision": "approve"})
    assert refused.status_code == 403 and FORBIDDEN in refused.text
    blank = ben.post(decide, {"decision": "decline", "message": ""})
    assert blank.status_code == 400 and "Tell them why" in blank.text
    declined = text(
        ben.follow(ben.post(decide, {"decision": "decline", "message": "Next quarter"}))
    )
    assert "Ana Alvarez's request is declined." in declined
    assert "No requests are waiting for you." in declined
    # The same form sent again (a second click, a stale page): told why, not a blank 400.
    twice = ben.post(decide, {"decision": "approve"})
    assert twice.status_code == 303
    assert "This request was already decided or withdrawn." in text(ben.follow(twice))
    mine = text(ana.get("/roles/me"))
    assert "Senior agent : declined by Ben Brooks" in mine and "Next quarter" in mine
    late = ana.post("/roles/me/withdraw")  # decided meanwhile: nothing to withdraw, and it says so
    assert "nothing to withdraw" in text(ana.follow(late))
    assert "You are Tier 1 agent" in mine

    goal = text(ana.follow(ana.post("/roles/me/goal", {"goal_role_id": str(senior_id)})))
    assert "Your career goal is saved." in goal
    assert re.search(
        rf'<option value="{senior_id}" selected>Senior agent', ana.get("/roles/me").text
    )


@pytest.fixture
def other_tenant(clean_app: Any, tool_server: str) -> Iterator[dict[str, int]]:
    other = FakeLms(client_id="client-2", deployment_id="dep-9")
    other.connect(tool_server)
    reg_id = add_registration(clean_app, other)
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        secret = JobRole(registration_id=reg_id, name="Secret role")
        outsider = Person(registration_id=reg_id, sub="zed", name="Zed Other", email="zed@x.com")
        team = Team(registration_id=reg_id, name="Hidden team")
        db.session.add_all([secret, outsider, team])
        db.session.commit()
        ids = {"role": secret.id, "person": outsider.id, "team": team.id}
    yield ids
    other.server.stop()


def test_another_tenants_rows_are_invisible(
    lms: FakeLms, starter: Session, other_tenant: dict[str, int]
) -> None:
    assert "Secret role" not in starter.get("/roles/").text
    assert "Hidden team" not in starter.get("/roles/teams").text
    assert starter.get(f"/roles/{other_tenant['role']}/edit").status_code == 404
    assert starter.get(f"/roles/teams/{other_tenant['team']}").status_code == 404
    assert starter.post(f"/roles/{other_tenant['role']}/delete").status_code == 404
    dev = login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")
    assert "Zed Other" not in dev.get("/roles/people?q=zed").text
    assert dev.get(f"/roles/people/{other_tenant['person']}").status_code == 404
    member = starter.post("/roles/teams", {"name": "Mine", "leader": "zed@x.com"})
    assert member.status_code == 400 and "No one called or with the email" in html.unescape(
        member.text
    )
