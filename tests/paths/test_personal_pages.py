"""Onboarding, My skills, a leader rating a member, suggestions and the team page through real
launches, for each role, with the forbidden cases and another tenant."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.paths.personal_models import LearnerProfile, SkillRating
from lti_tool.roles import services as roles
from lti_tool.roles.models import RoleSkillTarget, Skill, Team
from lti_tool.tenancy import tenant_scope
from tests.conftest import add_registration
from tests.harness import INSTRUCTOR, LEARNER, MANAGER, FakeLms
from tests.paths.test_pages import ana_login, build_path, person_id, tier1_id
from tests.roles.test_pages import FORBIDDEN, Session, login, text


@pytest.fixture
def chloe(lms: FakeLms) -> Session:
    s = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer")
    s.follow(s.post("/roles/starter"))
    return s


def skills(app: Any) -> dict[str, int]:
    with app.app_context():
        return {s.name: s.id for s in db.session.scalars(select(Skill))}


def make_team(app: Any, lms: FakeLms, *members: str) -> int:
    with app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        team, _ = roles.save_team(lms.registration_id, None, "Team A", "ben@example.com")  # type: ignore[attr-defined]
        assert team is not None
        for email in members:
            roles.add_member(lms.registration_id, team, email)  # type: ignore[attr-defined]
        db.session.commit()
        return team.id


def test_a_learner_goes_through_the_onboarding_and_sees_why_things_are_suggested(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    ids = skills(clean_app)
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    senior = roles_id(clean_app, lms, "Senior agent")
    chloe.follow(chloe.post(f"/paths/manage/{build_path(chloe, senior)}/publish"))
    ana = ana_login(lms)
    home = text(ana.get("/"))
    assert "Let's make Wayfinder yours" in home and "Get started" in home
    # Day one, before any answer: the role's targets explain the suggestions already.
    assert "What to learn next, and why Read the welcome guide" in home
    assert "Tier 1 agent (your role) needs Call control at level 3" in home
    start = ana.browser.get(ana.url("/paths/start"), allow_redirects=False)
    assert start.status_code == 303 and "/paths/start/skills" in start.headers["Location"]
    page = ana.get("/paths/start/skills")
    words = text(page)
    assert "step 1 of 3" in words and "Rate your skills" in words
    assert "Call control · Tier 1 agent needs 3" in words
    assert "2 Keeps most calls on track; needs help with talkative" in words  # level texts
    assert "Coaching" not in words  # not a Tier 1 agent skill
    cc, empathy = f"skill-{ids['Call control']}", f"skill-{ids['Empathy']}"
    bad = ana.post("/paths/start/skills", {cc: "2", empathy: "7"})
    assert bad.status_code == 400
    assert "Empathy: choose a level from 1 to 5" in text(bad)
    assert re.search(rf'name="{cc}" value="2" checked', bad.text)  # what she chose is kept
    nxt = ana.follow(ana.post("/paths/start/skills", {cc: "2", empathy: "3"}))
    assert "What interests you" in text(nxt) and "step 2 of 3" in text(nxt)
    # She closes Wayfinder here: the home page still offers it, and it resumes at step 2.
    assert "Let's make Wayfinder yours" in text(ana.get("/"))
    resumed = ana.browser.get(ana.url("/paths/start"), allow_redirects=False)
    assert "/paths/start/interests" in resumed.headers["Location"]
    bad = ana.post("/paths/start/interests", {"interests": "999999", "formats": "video"})
    assert bad.status_code == 400 and "Choose skills from the list." in text(bad)
    ana.follow(
        ana.browser.post(
            ana.url("/paths/start/interests"),
            data={
                "interests": [str(ids["Product knowledge"])],
                "formats": ["video"],
                "csrf_token": ana.csrf(),
            },
        )
    )
    goal = text(ana.get("/paths/start/goal"))
    assert "Your career goal" in goal and "No goal for now" in goal
    done = ana.follow(ana.post("/paths/start/goal", {"goal_role_id": str(senior)}))
    page = text(done)
    assert "My path" in page and "Thank you!" in page
    assert "Also worth learning next, and why" in page
    assert "You rated Call control 2; Senior agent needs 4" in page
    assert "Let's make Wayfinder yours" not in text(ana.get("/"))  # shown once
    mine = text(ana.get("/paths/skills"))
    assert "My skills" in mine and "Senior agent needs" in mine and "below target" in mine
    assert "Product knowledge" in text(ana.get("/paths/skills"))
    # Re-rating from My skills comes back to it.
    again = ana.follow(ana.post("/paths/start/skills", {cc: "4", "edit": "1"}))
    assert "Rate your skills: saved." in text(again) and "My skills" in text(again)


def roles_id(app: Any, lms: FakeLms, name: str) -> int:
    with app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        found = roles.match_role(name)
        assert found is not None
        return found.id


def test_skipping_hides_the_offer_and_dismissing_a_suggestion_sticks(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_login(lms)
    skipped = ana.follow(ana.post("/paths/start/skip"))
    assert "No problem." in text(skipped) and "Let's make Wayfinder yours" not in text(skipped)
    with clean_app.app_context():
        profile = db.session.scalar(select(LearnerProfile))
        assert profile is not None and profile.skipped_at is not None
    # Chloe adds an elective so there is something to suggest.
    draft = chloe.follow(chloe.post(f"/paths/manage/{pk}/draft"))
    set_id = re.search(r'id="node-(\d+)"', draft.text).group(1)  # type: ignore[union-attr]
    ids = skills(clean_app)
    added = chloe.browser.post(
        chloe.url(f"/paths/manage/{pk}/steps/new"),
        data={
            "title": "Optional: calm voice practice",
            "kind": "link",
            "url": "https://help.example.com/calm",
            "format": "video",
            "required": "no",
            "self_report": "yes",
            "parent_id": set_id,
            "skills": [str(ids["De-escalation"])],
            "csrf_token": chloe.csrf(),
        },
    )
    node = re.search(r"#node-(\d+)", added.headers["Location"]).group(1)  # type: ignore[union-attr]
    for _ in range(2):  # first in its in-order set, so it is open at once
        chloe.post(f"/paths/manage/{pk}/nodes/{node}/move", {"direction": "up"})
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/move", {"from_number": ""}))
    page = ana.get("/paths/")
    assert "Optional: calm voice practice" in text(page)
    assert "Tier 1 agent (your role) needs De-escalation at level 2" in text(page)
    with clean_app.app_context():
        from lti_tool.paths.models import PathNode

        key = db.session.scalar(
            select(PathNode.key).where(PathNode.title == "Optional: calm voice practice")
        )
    gone = ana.follow(
        ana.post(
            "/paths/suggestions/dismiss",
            {"path_id": str(pk), "step_key": str(key), "title": "Optional: calm voice practice"},
        )
    )
    assert "will not be suggested again" in text(gone)
    assert "needs De-escalation at level 2" not in text(ana.get("/paths/"))
    assert "needs De-escalation" not in text(ana.get("/"))
    assert ana.post("/paths/suggestions/dismiss", {"path_id": "x"}).status_code == 400


def test_the_team_lead_rates_a_member_and_sees_the_team_others_may_not(
    lms: FakeLms, chloe: Session, clean_app: Any, tool_server: str
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_login(lms)
    ben = login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")
    sam = login(lms, "sam", [LEARNER], "Sam", "sam@example.com", "Tier 1 agent")
    ana_id, ben_id = person_id(clean_app, "ana"), person_id(clean_app, "ben")
    # No team yet: Ben leads nobody.
    assert "You do not lead a team in Wayfinder yet" in text(ben.get("/paths/team"))
    assert ben.get(f"/paths/people/{ana_id}/skills").status_code == 403
    team_id = make_team(clean_app, lms, "ana@example.com", "sam@example.com")
    listing = ben.browser.get(ben.url("/paths/team"), allow_redirects=False)
    assert listing.status_code == 303 and f"/paths/team/{team_id}" in listing.headers["Location"]
    page = text(ben.get(f"/paths/team/{team_id}"))
    assert "Team A" in page and "2 people, led by you" in page
    # A trainer's list of every team's progress is not the team editor ("Teams").
    teams = chloe.get("/paths/team").text
    assert "<h1>Teams&#39; progress</h1>" in teams or "<h1>Teams' progress</h1>" in teams
    assert "Ana Alvarez Tier 1 agent First 90 days: 0%" in page
    by_path = page[page.index("Progress by path") :]
    assert "First 90 days 2 0% 0 0" in by_path  # people, average, completed, overdue
    assert "Your own path" in page and "No path assigned to you yet" in page
    ids = skills(clean_app)
    rate_page = ben.get(f"/paths/people/{ana_id}/skills")
    assert "Your rating of Ana Alvarez" in text(rate_page)
    cc = f"skill-{ids['Call control']}"
    bad = ben.post(f"/paths/people/{ana_id}/skills", {cc: "0"})
    assert bad.status_code == 400 and "Call control: choose a level from 1 to 5" in text(bad)
    saved = ben.follow(ben.post(f"/paths/people/{ana_id}/skills", {cc: "2"}))
    assert "Your ratings of Ana Alvarez are saved (1 changed)" in text(saved)
    mine = text(ana.get("/paths/skills"))
    assert "Ben Brooks" in mine  # who rated her, beside her own rating
    with clean_app.app_context():
        rating = db.session.scalar(select(SkillRating))
        assert rating is not None and rating.rated_by_person_id == ben_id and rating.level == 2
    # A peer sees neither her skills nor the team page, nor may rate her.
    for path in (f"/paths/people/{ana_id}/skills", f"/paths/team/{team_id}", "/paths/team"):
        refused = sam.get(path)
        assert refused.status_code == 403 and FORBIDDEN in refused.text, path
    assert sam.post(f"/paths/people/{ana_id}/skills", {cc: "5"}).status_code == 403
    assert sam.post("/paths/team/share", {"share": "no"}).status_code == 403
    # Ana sees her own leader's path (shown by default), until he hides it.
    assert "Ben Brooks's path" in text(ana.get(f"/paths/people/{ben_id}"))
    assert "Ben Brooks's path (your team lead)" in text(ana.get("/paths/"))
    assert ana.get(f"/paths/people/{ben_id}/skills").status_code == 403  # his path, not skills
    hidden = ben.follow(ben.post("/paths/team/share", {"share": "no"}))
    assert "hidden from your team" in text(hidden)
    assert ana.get(f"/paths/people/{ben_id}").status_code == 403
    assert "(your team lead)" not in text(ana.get("/paths/"))
    # Instructors see every team and a person's skills, but do not rate as the team lead.
    assert "Team A" in text(chloe.get("/paths/team"))
    assert "Ana Alvarez" in text(chloe.get(f"/paths/team/{team_id}"))
    view = text(chloe.get(f"/paths/people/{ana_id}/skills"))
    assert "Ana Alvarez's skills" in view and "Your rating of" not in view
    assert chloe.post(f"/paths/people/{ana_id}/skills", {cc: "5"}).status_code == 403

    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    other.connect(tool_server)
    other.registration_id = add_registration(clean_app, other)  # type: ignore[attr-defined]
    try:
        zed = login(other, "ben", [MANAGER, INSTRUCTOR], "Zed Lead", "zed@example.com")
        assert zed.get(f"/paths/team/{team_id}").status_code == 404
        assert zed.get(f"/paths/people/{ana_id}/skills").status_code == 404
        assert "Team A" not in text(zed.get("/paths/team"))
        zoe = login(other, "ana", [LEARNER], "Zoe", "zoe@example.com")
        empty = text(zoe.get("/paths/skills"))
        assert "No skills are described yet" in empty and "Call control" not in empty
    finally:
        other.server.stop()
    with clean_app.app_context():
        assert db.session.scalar(select(Team.registration_id)) == lms.registration_id  # type: ignore[attr-defined]


def test_empty_states_say_what_to_do_first(lms: FakeLms, clean_app: Any) -> None:
    ana = ana_login(lms)  # no skills, no roles in this tenant yet
    home = text(ana.get("/"))
    assert "Let's make Wayfinder yours" not in home  # nothing to personalise yet
    assert "No skills are described yet" in text(ana.get("/paths/skills"))
    chloe = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com")
    assert "No team exists yet" in text(chloe.get("/paths/team"))
    assert "import the starter set" in text(chloe.get("/paths/skills"))
    chloe.follow(chloe.post("/roles/starter"))
    mine = text(ana.get("/paths/skills"))
    assert "Rate your skills" in mine  # a Tier 1 agent with targets but no rating yet
    assert ana.get("/paths/start/nonsense").status_code == 404


def test_deleting_a_skill_says_whose_ratings_and_which_path_steps_go_with_it(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    ids = skills(clean_app)
    build_path(chloe, tier1_id(clean_app, lms))  # its steps build Call control and Coaching
    ana = ana_login(lms)
    cc = f"skill-{ids['Call control']}"
    ana.follow(ana.post("/paths/start/skills", {cc: "2", f"skill-{ids['Empathy']}": "3"}))
    confirm = text(chloe.get(f"/roles/skills/{ids['Call control']}/delete"))
    assert "1 person has a self or team lead rating in it: those ratings are deleted" in confirm
    assert "2 steps of 1 learning path (drafts and published versions) list it" in confirm
    assert "Nothing depends on it" not in confirm
    unused = chloe.follow(
        chloe.post(
            "/roles/skills/new",
            {"name": "Typing", **{f"level{n}": f"Level {n}" for n in range(1, 6)}},
        )
    )
    assert "Skill Typing is saved." in text(unused)
    quiet = text(chloe.get(f"/roles/skills/{skills(clean_app)['Typing']}/delete"))
    assert "Nothing depends on it" in quiet and "rating" not in quiet
    chloe.follow(chloe.post(f"/roles/skills/{ids['Call control']}/delete"))
    with clean_app.app_context():  # gone on SQLite too, which does not enforce the cascades
        gone = ids["Call control"]
        assert db.session.scalar(select(SkillRating).where(SkillRating.skill_id == gone)) is None
        assert (
            db.session.scalar(select(RoleSkillTarget).where(RoleSkillTarget.skill_id == gone))
            is None
        )


def test_an_empty_team_page_sends_the_trainer_to_add_members(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")
    team_id = make_team(clean_app, lms)  # nobody in it yet
    page = chloe.get(f"/paths/team/{team_id}")
    assert page.status_code == 200, page.status_code
    assert "Nobody is in this team yet. Add members" in text(page)
    assert re.search(rf'href="/roles/teams/{team_id}\?lt=[^"]+">Add members<', page.text)
