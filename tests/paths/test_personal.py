"""Personalisation rules: skill gaps, ratings (self and leader), onboarding state, the ranking of
suggestions and their reasons, dismissals, who sees whose learning, and the team view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from lti_tool.extensions import db
from lti_tool.feedback.models import Kind, Rating
from lti_tool.lti.models import utcnow
from lti_tool.paths import personal, services, team
from lti_tool.paths import rows as tree
from lti_tool.paths.models import PathNode, PathVersion
from lti_tool.paths.personal_models import Rater
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import Source, Team
from tests.paths.test_services import CHLOE, add_set, give_role, me, new_path, person, tenant

__all__ = ["tenant"]  # the fixture, imported for this module's tests


def skill_id(name: str) -> int:
    return next(s.id for s in roles.skills() if s.name == name)


def step(v: PathVersion, parent: Any, title: str, skills: tuple[str, ...], **extra: str) -> Any:
    values = {
        "title": title,
        "kind": "link",
        "url": f"https://lms.example.com/{title.replace(' ', '-').lower()}",
        "format": "reading",
        "minutes": "20",
        "parent_id": str(parent.id),
        "self_report": "yes",
        "required": "no",
        **extra,
    }
    row, errors = services.save_node(v, None, False, values, [str(skill_id(s)) for s in skills])
    assert row is not None, errors
    return row


def rate(p: Person, levels: dict[str, int], rater: Rater = Rater.SELF, by: Person | None = None):
    who = by or p
    personal.save_ratings(
        p,
        {skill_id(k): v for k, v in levels.items()},
        rater,
        by=who.name,
        by_person_id=who.id,
    )


def organisation(tenant: int) -> dict[str, Any]:
    """Ana (Tier 1 agent) in Ben's team. Her Tier 1 path: one required step and three
    electives; a published Senior agent path with two link steps and one with no skill."""
    ana, ben, sam = person(tenant, "ana"), person(tenant, "ben"), person(tenant, "sam")
    give_role(ana, "Tier 1 agent")
    give_role(ben, "Team lead")
    give_role(sam, "Tier 1 agent")
    t, _ = roles.save_team(tenant, None, "Team A", "Ben")
    assert t is not None
    roles.add_member(tenant, t, "ana")
    roles.add_member(tenant, t, "sam")
    tier1 = new_path(tenant)
    v = tier1.versions[0]
    week = add_set(v, "Week 1", "any_order")
    step(v, week, "Required intro", ("Systems navigation",), required="yes")
    step(v, week, "Call control drills", ("Call control",), format="hands_on")
    step(v, week, "Product tour", ("Product knowledge",), format="video")
    step(v, week, "Empathy stories", ("Empathy",))
    services.publish(v, CHLOE)
    senior = new_path(tenant, "Senior agent", "Senior path")
    sv = senior.versions[0]
    hard = add_set(sv, "Hard calls", "any_order")
    step(sv, hard, "Advanced call control", ("Call control",), required="yes")
    step(sv, hard, "Compliance deep dive", ("Compliance",), required="yes")
    step(sv, hard, "Team social", (), required="yes")
    services.publish(sv, CHLOE)
    return {"ana": ana, "ben": ben, "sam": sam, "team": t, "tier1": tier1, "senior": senior}


def ranked(p: Person) -> list[tuple[str, str]]:
    return [(s.title, s.reason) for s in personal.suggestions(p, services.learning_of(p.id), 10)]


def test_skill_gaps_list_the_role_and_goal_targets_with_both_ratings(tenant: int) -> None:
    org = organisation(tenant)
    ana, ben = org["ana"], org["ben"]
    assert personal.skill_gaps(db.session, person(tenant, "nobody")) == []
    rate(ana, {"Call control": 2, "Empathy": 4})
    rate(ana, {"Call control": 3}, Rater.LEADER, by=ben)
    roles.set_career_goal(tenant, ana, str(roles.match_role("Senior agent").id))  # type: ignore[union-attr]
    gaps = personal.skill_gaps(db.session, ana)
    own = {g.skill_name: g for g in gaps if not g.career_goal}
    goal = {g.skill_name: g for g in gaps if g.career_goal}
    assert set(own) == {
        "Call control",
        "Empathy",
        "Product knowledge",
        "De-escalation",
        "Compliance",
        "Systems navigation",
    }
    assert "Coaching" in goal and "Coaching" not in own
    cc = own["Call control"]
    assert (cc.self_level, cc.leader_level, cc.target_level, cc.role_name) == (
        2,
        3,
        3,
        "Tier 1 agent",
    )
    assert cc.leader_name == "Ben" and cc.level == 2 and cc.gap == 1  # the lower rating counts
    assert goal["Call control"].target_level == 4 and goal["Call control"].gap == 2
    assert own["Empathy"].gap == 0  # at target: no gap
    assert own["Compliance"].gap is None and own["Compliance"].level is None  # not rated
    assert [g.career_goal for g in gaps] == sorted(g.career_goal for g in gaps)  # own role first


def test_only_the_person_rates_themselves_and_only_their_team_leader_rates_them(
    tenant: int,
) -> None:
    org = organisation(tenant)
    ana, ben, sam = org["ana"], org["ben"], org["sam"]
    with pytest.raises(personal.Forbidden):
        rate(ana, {"Empathy": 3}, Rater.SELF, by=sam)
    with pytest.raises(personal.Forbidden):
        rate(ana, {"Empathy": 3}, Rater.LEADER, by=sam)  # a peer
    with pytest.raises(personal.Forbidden):
        rate(ben, {"Empathy": 3}, Rater.LEADER, by=ben)  # nobody leads themselves
    rate(ana, {"Empathy": 3}, Rater.LEADER, by=ben)
    rating = personal.ratings_of(ana.id)[skill_id("Empathy")][Rater.LEADER]
    assert (rating.level, rating.rated_by, rating.rated_by_person_id) == (3, "Ben", ben.id)
    personal.save_ratings(
        ana, {skill_id("Empathy"): None}, Rater.LEADER, by="Ben", by_person_id=ben.id
    )
    assert skill_id("Empathy") not in personal.ratings_of(ana.id)
    values, errors = personal.parse_levels(
        {f"skill-{skill_id('Empathy')}": "9", f"skill-{skill_id('Coaching')}": ""},
        [s for s in roles.skills() if s.name in ("Empathy", "Coaching")],
    )
    assert list(errors.values()) == ["Empathy: choose a level from 1 to 5, or “not sure”."]
    assert values[skill_id("Coaching")] is None


def test_day_one_suggestions_rank_by_the_role_targets_alone(tenant: int) -> None:
    org = organisation(tenant)
    # Sam: no rating, no goal, no interests. Unrated gaps count half the way from level 1, so
    # the role's targets (all 3 for Tier 1 here) and the own-path bonus decide.
    assert ranked(org["sam"]) == [
        ("Call control drills", "Tier 1 agent (your role) needs Call control at level 3"),
        ("Product tour", "Tier 1 agent (your role) needs Product knowledge at level 3"),
        ("Empathy stories", "Tier 1 agent (your role) needs Empathy at level 3"),
        ("Advanced call control", "Tier 1 agent (your role) needs Call control at level 3"),
        ("Compliance deep dive", "Tier 1 agent (your role) needs Compliance at level 3"),
    ]
    # The required step is the path's next step, not a suggestion; a step that builds no skill
    # the person lacks or likes ("Team social") is not suggested from another path.


def test_ratings_goal_interests_and_formats_rank_and_explain(tenant: int) -> None:
    org = organisation(tenant)
    ana, ben = org["ana"], org["ben"]
    roles.set_career_goal(tenant, ana, str(roles.match_role("Senior agent").id))  # type: ignore[union-attr]
    rate(ana, {"Call control": 2, "Empathy": 3, "Product knowledge": 3, "Compliance": 4})
    rate(ana, {"Compliance": 2}, Rater.LEADER, by=ben)
    assert personal.save_interests(ana, [str(skill_id("Product knowledge"))], ["video"]) == ""
    found = personal.suggestions(ana, services.learning_of(ana.id), 10)
    assert [(s.title, s.score, s.reason) for s in found] == [
        # Product knowledge 3: Tier 1 needs 3 (no gap), Senior agent 4 (1 level x 2 points);
        # an interest +2, a video (a format she likes) +1, an elective of her own path +1.
        ("Product tour", 6.0, "You rated Product knowledge 3; Senior agent needs 4"),
        # Call control 2: Tier 1 needs 3 (1 x 3 points), Senior agent 4 (2 x 2 points): 4;
        # her own path +1. The same score from the goal's path (+1) ranks after her own.
        ("Call control drills", 5.0, "You rated Call control 2; Senior agent needs 4"),
        ("Advanced call control", 5.0, "You rated Call control 2; Senior agent needs 4"),
        # Compliance: she says 4, Ben 2; the lower rating counts.
        ("Compliance deep dive", 5.0, "You rated Compliance 4 and Ben 2; Senior agent needs 4"),
        ("Empathy stories", 3.0, "You rated Empathy 3; Senior agent needs 4"),
    ]
    tour = found[0]
    assert tour.notes == [
        "you are interested in Product knowledge",
        "video, a format you like",
    ]
    assert tour.own and tour.assignment_id is not None
    advanced = next(s for s in found if s.title == "Advanced call control")
    assert not advanced.own and advanced.url.startswith("https://")
    assert advanced.notes == ["for Senior agent, your career goal"]


def test_ranking_is_deterministic_and_reaching_a_target_drops_the_reason(tenant: int) -> None:
    org = organisation(tenant)
    sam = org["sam"]
    first = ranked(sam)
    assert ranked(sam) == first
    rate(sam, {"Call control": 5, "Empathy": 5, "Product knowledge": 5, "Compliance": 5})
    after = ranked(sam)
    # Every gap is closed: the electives stay (own path), explained by that; extras go.
    assert after == [
        ("Call control drills", "An elective of your path “First 90 days”, open now"),
        ("Product tour", "An elective of your path “First 90 days”, open now"),
        ("Empathy stories", "An elective of your path “First 90 days”, open now"),
    ]


def pitched(tenant: int) -> dict[str, Any]:
    """Sam, a Senior agent new to Wayfinder (nobody rated him yet), in Ben's team, and published
    paths he is not assigned. A path is built to its role's targets, so its steps are pitched at
    them: the Tier 1 agents' path at Empathy 3 and De-escalation 2 (Tier 1 sets no Coaching
    target), the team leads' at Empathy 4, the subject-matter experts' at De-escalation 3; the
    night shift's role was deleted, so its path has no role and its steps no pitch."""
    sam, ben = person(tenant, "sam"), person(tenant, "ben")
    give_role(sam, "Senior agent")  # needs Empathy 4, De-escalation 4, Coaching 2
    give_role(ben, "Team lead")
    t, _ = roles.save_team(tenant, None, "Team A", "Ben")
    assert t is not None
    roles.add_member(tenant, t, "sam")

    def published(role: str, title: str, steps: dict[str, tuple[str, ...]]) -> Any:
        p = new_path(tenant, role, title)
        v = p.versions[0]
        parent = add_set(v, "Steps", "any_order")
        for name, skills in steps.items():
            step(v, parent, name, skills)
        services.publish(v, CHLOE)
        return p

    tier1 = published(
        "Tier 1 agent",
        "First 90 days",
        {
            "Empathy basics": ("Empathy",),
            "De-escalation basics": ("De-escalation",),
            "Buddy a new starter": ("Empathy", "Coaching"),
        },
    )
    published("Team lead", "Leading with empathy", {"Empathy for leads": ("Empathy",)})
    published(
        "Subject-matter expert", "Expert calls", {"Calming angry callers": ("De-escalation",)}
    )
    night, errors = roles.save_role(tenant, None, "Night shift", "", "")
    assert night is not None, errors
    gone = published("Night shift", "Night shift basics", {"Empathy at 3am": ("Empathy",)})
    roles.delete_role(night, by="test", by_person_id=None)
    db.session.refresh(gone)
    assert gone.role_id is None
    return {"sam": sam, "ben": ben, "tier1": tier1}


def test_an_unrated_learner_is_not_offered_steps_pitched_below_what_their_role_needs(
    tenant: int,
) -> None:
    org = pitched(tenant)
    sam = org["sam"]
    assert ranked(sam) == [
        # Pitched at 4, what his role needs: (4 - 1) / 2 levels x 3 points.
        ("Empathy for leads", "Senior agent (your role) needs Empathy at level 4"),
        # No role, no pitch: counts as any step does.
        ("Empathy at 3am", "Senior agent (your role) needs Empathy at level 4"),
        # Its Empathy is Tier 1's 3, below his role's 4: only Coaching (no Tier 1 target) counts.
        ("Buddy a new starter", "Senior agent (your role) needs Coaching at level 2"),
    ]
    scores = {s.title: s.score for s in personal.suggestions(sam, [], 10)}
    assert scores == {"Empathy for leads": 4.5, "Empathy at 3am": 4.5, "Buddy a new starter": 1.5}
    # "Empathy basics" (Tier 1's 3), "De-escalation basics" (Tier 1's 2) and "Calming angry
    # callers" (an expert's 3) are beginners' steps for someone whose role needs 4.

    # An interest is reason enough, as before, and the reason says so rather than the gap.
    assert personal.save_interests(sam, [str(skill_id("Empathy"))], []) == ""
    found = {s.title: s for s in personal.suggestions(sam, [], 10)}
    assert found["Empathy basics"].reason == "You are interested in Empathy"
    assert found["Empathy basics"].score == 2.0
    assert "De-escalation basics" not in found and "Calming angry callers" not in found

    # A step of a path of his own is his, whatever it is pitched at.
    services.assign_by_hand(org["tier1"], CHLOE, [sam.id])
    mine = {s.title: s for s in personal.suggestions(sam, services.learning_of(sam.id), 10)}
    assert mine["De-escalation basics"].own
    assert mine["De-escalation basics"].reason == (
        "Senior agent (your role) needs De-escalation at level 4"
    )


def test_a_rated_learner_is_offered_steps_pitched_above_their_level_only(tenant: int) -> None:
    org = pitched(tenant)
    sam, ben = org["sam"], org["ben"]
    rate(sam, {"De-escalation": 3, "Empathy": 2, "Coaching": 2})
    rate(sam, {"De-escalation": 2}, Rater.LEADER, by=ben)  # the lower rating counts: 2
    assert ranked(sam) == [
        # Pitched at 3, above his 2 (and below the 4 his role needs: a step on the way there).
        ("Calming angry callers", "You rated De-escalation 3 and Ben 2; Senior agent needs 4"),
        # Tier 1's 3 is above his 2: a step up.
        ("Empathy basics", "You rated Empathy 2; Senior agent needs 4"),
        ("Buddy a new starter", "You rated Empathy 2; Senior agent needs 4"),
        ("Empathy for leads", "You rated Empathy 2; Senior agent needs 4"),
        ("Empathy at 3am", "You rated Empathy 2; Senior agent needs 4"),
    ]  # 2 levels x 3 points each: by path title
    # "De-escalation basics" is pitched at Tier 1's 2: where he is already. Coaching 2 is his
    # role's target: no gap, so "Buddy a new starter" is there for its Empathy alone.


def peers_rate(tenant: int, path: Any, title: str, stars: list[int], role: str) -> None:
    """Colleagues who held ``role`` rated the step ``title`` of ``path``'s first version."""
    node = db.session.scalar(
        select(PathNode).where(PathNode.version_id == path.versions[0].id, PathNode.title == title)
    )
    assert node is not None
    subject = f"{path.id}:{node.key}"
    already = len(db.session.scalars(select(Rating).where(Rating.subject_id == subject)).all())
    for n, value in enumerate(stars, already):
        rater = person(tenant, f"{role}-{title}-{n}".replace(" ", "-").lower())
        db.session.add(
            Rating(
                registration_id=tenant,
                kind=Kind.STEP.value,
                subject_id=subject,
                item_key=subject,
                title=title,
                person_id=rater.id,
                role_id=roles.match_role(role).id,  # type: ignore[union-attr]
                stars=value,
            )
        )
    db.session.flush()


def test_what_people_in_the_role_rated_moves_a_suggestion_and_says_why(tenant: int) -> None:
    org = organisation(tenant)
    sam, tier1, senior = org["sam"], org["tier1"], org["senior"]
    before = personal.suggestions(sam, services.learning_of(sam.id), 10)
    assert [s.title for s in before][:3] == [
        "Call control drills",
        "Product tour",
        "Empathy stories",
    ]
    assert all("in your role" not in n for s in before for n in s.notes)
    # Three Tier 1 agents loved "Empathy stories"; two disliked "Product tour" (too few to
    # count: nobody's rating may be singled out); team leads disliked "Call control drills"
    # (another role).
    peers_rate(tenant, tier1, "Empathy stories", [5, 5, 4], "Tier 1 agent")
    peers_rate(tenant, tier1, "Product tour", [1, 1], "Tier 1 agent")
    peers_rate(tenant, tier1, "Call control drills", [1, 1, 1], "Team lead")
    peers_rate(tenant, senior, "Team social", [5, 5, 5], "Tier 1 agent")
    found = personal.suggestions(sam, services.learning_of(sam.id), 10)
    by_title = {s.title: s for s in found}
    assert [s.title for s in found][:3] == [
        "Empathy stories",
        "Call control drills",
        "Product tour",
    ]
    empathy = by_title["Empathy stories"]
    # (3 - 1) / 2 levels x 3 points + 1 (own path) + 1.5 x (4.7 - 3) / 2
    assert empathy.score == pytest.approx(4 + 1.5 * 1.7 / 2, abs=0.01)
    assert empathy.reason == "Tier 1 agent (your role) needs Empathy at level 3"
    assert empathy.notes == ["rated 4.7 of 5 by 3 people in your role"]
    assert by_title["Product tour"].notes == [] and by_title["Call control drills"].notes == []
    # Loved, but it builds nothing Sam lacks or likes: still not suggested from another path.
    assert "Team social" not in by_title

    # A third Tier 1 agent's rating makes "Product tour" count: it sinks below another path's step.
    peers_rate(tenant, tier1, "Product tour", [2], "Tier 1 agent")
    found = personal.suggestions(sam, services.learning_of(sam.id), 10)
    titles = [s.title for s in found]
    assert titles.index("Product tour") > titles.index("Advanced call control")
    tour = next(s for s in found if s.title == "Product tour")
    assert tour.notes == ["rated 1.3 of 5 by 3 people in your role"]

    # Once Sam reaches every target, what his peers liked is the reason an elective is there.
    rate(sam, {"Call control": 5, "Empathy": 5, "Product knowledge": 5, "Compliance": 5})
    assert ranked(sam) == [
        ("Empathy stories", "Rated 4.7 of 5 by 3 people in your role"),
        ("Call control drills", "An elective of your path “First 90 days”, open now"),
        ("Product tour", "An elective of your path “First 90 days”, open now"),
    ]
    # Someone with no job role gets no peers' ratings (and no error).
    nobody = person(tenant, "no-role")
    assert personal.suggestions(nobody, services.learning_of(nobody.id)) == []


def test_a_dismissed_suggestion_stays_dismissed_for_that_person_only(tenant: int) -> None:
    org = organisation(tenant)
    ana, sam = org["ana"], org["sam"]
    top = personal.suggestions(ana, services.learning_of(ana.id))[0]
    assert personal.dismiss(ana, top.path_id, top.step_key)
    assert not personal.dismiss(ana, top.path_id, top.step_key)  # already
    assert not personal.dismiss(ana, 999_999, top.step_key)  # no such path
    titles = [s.title for s in personal.suggestions(ana, services.learning_of(ana.id), 10)]
    assert top.title not in titles
    assert top.title in [s.title for s in personal.suggestions(sam, services.learning_of(sam.id))]
    assert personal.undismiss_all(ana) == 1


def test_onboarding_is_resumable_skippable_and_offered_until_done(tenant: int) -> None:
    org = organisation(tenant)
    ana, sam = org["ana"], org["sam"]
    assert personal.needs_onboarding(ana.id) and personal.resume_step(ana.id) == "skills"
    assert personal.advance(ana, "skills") == "interests"
    assert personal.needs_onboarding(ana.id) and personal.resume_step(ana.id) == "interests"
    personal.advance(ana, "skills")  # going back and saving again does not rewind
    assert personal.resume_step(ana.id) == "interests"
    assert personal.advance(ana, "interests") == "goal"
    assert personal.advance(ana, "goal") is None
    assert not personal.needs_onboarding(ana.id)
    personal.skip(sam)
    assert not personal.needs_onboarding(sam.id)
    assert personal.save_interests(sam, ["999999"], []) == "Choose skills from the list."
    assert personal.save_interests(sam, [], ["podcast"]) == "Choose formats from the list."
    assert personal.save_interests(sam, [str(skill_id("Empathy"))], ["peer", "video"]) == ""
    prefs = personal.preferences(db.session, sam)
    assert prefs.interest_names == ("Empathy",)
    assert [f.value for f in prefs.formats] == ["video", "peer"]


def test_who_sees_whose_learning(tenant: int) -> None:
    org = organisation(tenant)
    ana, ben, sam = org["ana"], org["ben"], org["sam"]
    assert team.may_view_learning(me(ben), ana.id)  # he leads her
    assert not team.may_view_learning(me(sam), ana.id)  # a peer
    assert team.may_view_learning(me(ana), ben.id)  # her leader's own learning, shown
    assert not team.may_view_learning(me(ben), person(tenant, "zed").id)
    personal.set_sharing(ben, False)
    assert not team.may_view_learning(me(ana), ben.id)
    assert team.may_view_learning(CHLOE, ben.id)


def test_team_view_by_person_and_path_in_a_fixed_number_of_queries(tenant: int) -> None:
    org = organisation(tenant)
    ana, sam, t = org["ana"], org["sam"], org["team"]
    lr = next(x for x in services.learning_of(ana.id) if x.path.title == "First 90 days")
    lr.assignment.assigned_at = utcnow() - timedelta(days=30)
    intro = next(s for s in lr.view.root.steps() if s.title == "Required intro")
    # A published version never changes in Wayfinder; the test edits its row as a shortcut.
    db.session.get(PathNode, intro.node.id).due_days = 7  # type: ignore[union-attr]
    db.session.flush()
    tree.forget_published()
    roles.request_change(tenant, sam, str(roles.match_role("Senior agent").id), "Ready")  # type: ignore[union-attr]

    def counted() -> tuple[team.TeamView, int]:
        db.session.expire_all()
        statements = [0]

        def count(*_a: Any) -> None:
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            return team.team_view(db.session.get(Team, t.id)), statements[0]  # type: ignore[arg-type]
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    view, small = counted()
    rows = {m.person.name: m for m in view.members}
    assert set(rows) == {"Ana", "Sam"}  # the leader is not a member row
    assert rows["Ana"].overdue == 1 and rows["Sam"].overdue == 0 and view.overdue_people == 1
    assert rows["Ana"].role_name == "Tier 1 agent"
    assert [p.title for p in rows["Ana"].paths] == ["First 90 days"]
    assert view.waiting_requests == 1 and view.waiting_signoffs == 0
    assert [(s.title, s.people, s.completed) for s in view.by_path] == [("First 90 days", 2, 0)]
    assert view.leader is not None and view.leader.name == "Ben" and view.leader_shares
    services.self_report(services.learning(lr.assignment.id), intro.key, me(ana))
    view, _ = counted()
    for m in view.members:  # the team page agrees with each person's My path
        mine = {x.assignment.id: x.view for x in services.learning_of(m.person.id)}
        for line in m.paths:
            assert line.percent == mine[line.assignment_id].percent
            assert line.overdue == sum(
                1 for s in mine[line.assignment_id].root.steps() if s.overdue
            )
    assert next(m for m in view.members if m.person.name == "Ana").overdue == 0
    for i in range(8):  # four times the team: the same number of queries
        extra = person(tenant, f"agent{i}")
        give_role(extra, "Tier 1 agent")
        roles.add_member(tenant, t, extra.sub)
    bigger, large = counted()
    # Versions are compiled once per process, so later pages may need one statement fewer.
    assert bigger.total_members == 10 and small - 1 <= large <= small


def test_the_role_measured_against_is_the_role_in_effect_by_source_precedence(
    tenant: int,
) -> None:
    """`personal.standing` picks the role in effect in SQL (`roles.precedence_order`); it must
    agree with `roles.effective` (Python) as sources come and go: an administrator's or an
    approved request's choice over the HR import over the LMS, the newest among equals."""
    ana = person(tenant, "ana")

    def measured() -> set[str]:
        return {g.role_name for g in personal.skill_gaps(db.session, ana) if not g.career_goal}

    def in_effect() -> str:
        role_id = roles.effective_role_id(ana.id)
        return next(r.name for r in roles.roles() if r.id == role_id)

    steps = [
        (Source.LTI, "Tier 1 agent", "Tier 1 agent"),
        (Source.HR_CSV, "Senior agent", "Senior agent"),  # HR import outranks the LMS
        (Source.LTI, "Team lead", "Senior agent"),  # a new LMS value does not
        (Source.ADMIN, "Team lead", "Team lead"),
        (Source.REQUEST, "Tier 1 agent", "Tier 1 agent"),  # same rank: the newer one
        (Source.REQUEST, None, "Team lead"),  # the request's choice withdrawn
        (Source.ADMIN, None, "Senior agent"),
    ]
    for source, role, expected in steps:
        give_role(ana, role, source)
        db.session.flush()
        assert in_effect() == expected, (source, role)
        assert measured() == {expected}, (source, role)
