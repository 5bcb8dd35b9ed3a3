"""The rules of job roles: starter set, precedence, LTI values, HR import, requests, the hook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, update

from lti_tool.catalog.models import CatalogItem, CatalogItemSkill
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Person
from lti_tool.roles import hr_import, services
from lti_tool.roles.models import (
    JobRole,
    PersonRole,
    RequestStatus,
    RoleSkillTarget,
    Skill,
    Source,
    Team,
    TeamMember,
)
from lti_tool.tenancy import tenant_scope


@pytest.fixture
def tenant(clean_app: Any) -> Iterator[int]:
    with clean_app.app_context():
        reg = Registration(
            issuer="https://lms.example.com",
            client_id="c1",
            name="LMS",
            auth_login_url="https://lms.example.com/auth",
            key_set_url="https://lms.example.com/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        with tenant_scope(db.session, reg.id):
            yield reg.id
        db.session.rollback()


@pytest.fixture
def changes() -> Iterator[list[services.RoleChanged]]:
    seen: list[services.RoleChanged] = []
    services.role_changed.append(seen.append)
    yield seen
    services.role_changed.remove(seen.append)


def person(tenant: int, sub: str, email: str = "", job_role: str = "", name: str = "") -> Person:
    row = Person(
        registration_id=tenant,
        sub=sub,
        email=email,
        job_role=job_role,
        name=name or sub.title(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def role_named(name: str) -> JobRole:
    found = services.match_role(name)
    assert found is not None, name
    return found


def effective_name(p: Person) -> str | None:
    best = services.effective(services.current_assignments(p.id))
    return best.role_name if best else None


# --- starter set ----------------------------------------------------------------------------


def test_starter_set_is_idempotent_and_never_overwrites_edits(tenant: int) -> None:
    first = services.import_starter_set(tenant)
    assert len(first.roles) == 6 and len(first.skills) == 8 and first.targets > 30
    tier1 = role_named("Tier 1 agent")
    empathy = db.session.scalar(select(Skill).where(Skill.name == "Empathy"))
    assert empathy is not None and len(empathy.levels) == 5
    # The instructor edits: renames a role, lowers a target, removes another, deletes a skill.
    tier1.name, tier1.description = "Agent level 1", "Our own words"
    target = db.session.scalar(
        select(RoleSkillTarget).where(
            RoleSkillTarget.role_id == tier1.id, RoleSkillTarget.skill_id == empathy.id
        )
    )
    assert target is not None and target.level == 3
    target.level = 2
    db.session.delete(
        db.session.scalar(
            select(RoleSkillTarget).where(
                RoleSkillTarget.role_id == tier1.id, RoleSkillTarget.level == 3
            )
        )
    )
    coaching = db.session.scalar(select(Skill).where(Skill.name == "Coaching"))
    services.delete_skill(coaching)
    targets_before = services.targets()

    again = services.import_starter_set(tenant)
    assert again.roles == [] and again.skills == ["Coaching"]
    assert db.session.get(JobRole, tier1.id).name == "Agent level 1"  # type: ignore[union-attr]
    assert (
        services.match_role("Tier 1 agent") is None
        or services.match_role("Tier 1 agent").id == tier1.id
    )  # type: ignore[union-attr]
    after = services.targets()
    # Existing pairs are untouched (the lowered and the removed one); only the re-added
    # skill's targets come back.
    new_coaching = db.session.scalar(select(Skill).where(Skill.name == "Coaching"))
    assert new_coaching is not None
    assert {k: v for k, v in after.items() if k[1] != new_coaching.id} == targets_before
    assert after[(tier1.id, empathy.id)] == 2
    assert services.import_starter_set(tenant).nothing_new
    assert len(services.roles()) == 6


def test_a_deleted_skill_leaves_no_catalog_tags_for_a_new_skill_to_inherit(tenant: int) -> None:
    """The catalog's skill tags go with the skill (ON DELETE CASCADE). SQLite, which enforces
    that only when asked, gives a new skill the newest deleted one's id."""
    levels = [f"Level {n}" for n in range(1, 6)]
    typing, _ = services.save_skill(tenant, None, "Typing", "", levels)
    assert typing is not None
    item = CatalogItem(registration_id=tenant, external_id="local-1", title="Touch typing")
    db.session.add(item)
    db.session.flush()
    db.session.add(CatalogItemSkill(registration_id=tenant, item_id=item.id, skill_id=typing.id))
    db.session.flush()
    services.delete_skill(typing)
    listening, _ = services.save_skill(tenant, None, "Listening", "", levels)
    assert listening is not None
    db.session.expire_all()
    assert db.session.scalars(select(CatalogItemSkill.skill_id)).all() == []
    assert db.session.get(CatalogItem, item.id).skills == []  # type: ignore[union-attr]


# --- precedence and the hook ----------------------------------------------------------------


def test_precedence_admin_over_hr_over_lti_and_newest_of_equal_rank(
    tenant: int, changes: list[services.RoleChanged]
) -> None:
    services.import_starter_set(tenant)
    ana = person(tenant, "ana")
    tier1, senior, sme, lead = (
        role_named(n) for n in ("Tier 1 agent", "Senior agent", "SME", "Team lead")
    )
    assert services.set_source_role(ana, Source.LTI, tier1, by="LTI launch")
    assert effective_name(ana) == "Tier 1 agent"
    assert services.set_source_role(ana, Source.HR_CSV, senior, by="HR")
    assert effective_name(ana) == "Senior agent"
    # A lower source changing beneath a higher one changes nothing effective: no hook.
    assert not services.set_source_role(ana, Source.LTI, lead, by="LTI launch")
    assert effective_name(ana) == "Senior agent"
    assert services.admin_set_role(ana, sme, "Dev", ana.id)
    assert effective_name(ana) == "Subject-matter expert"
    # An approved request ranks with the admin: the newer of the two counts.
    assert services.set_source_role(ana, Source.REQUEST, lead, by="Ben")
    assert effective_name(ana) == "Team lead"
    # Clearing the admin's choice leaves the request; clearing that too falls back to HR.
    assert not services.admin_set_role(ana, None, "Dev", ana.id)
    assert services.set_source_role(ana, Source.REQUEST, None, by="Ben")
    assert effective_name(ana) == "Senior agent"
    assert [(c.old_role_id, c.new_role_id, c.source) for c in changes] == [
        (None, tier1.id, Source.LTI),
        (tier1.id, senior.id, Source.HR_CSV),
        (senior.id, sme.id, Source.ADMIN),
        (sme.id, lead.id, Source.REQUEST),
        (lead.id, senior.id, Source.HR_CSV),
    ]
    history = services.history(ana.id)
    assert len(history) == 5 and sum(1 for a in history if a.ended_at is None) == 2


def test_hook_fires_once_per_real_change(tenant: int, changes: list[services.RoleChanged]) -> None:
    services.import_starter_set(tenant)
    ana = person(tenant, "ana", job_role="Tier 1 agent")
    services.lti_value_seen(ana, "Tier 1 agent")
    services.lti_value_seen(ana, "tier 1   AGENT")  # same role, other spelling
    services.set_source_role(ana, Source.HR_CSV, role_named("Tier 1 agent"), by="HR")
    assert len(changes) == 1 and changes[0].person_id == ana.id


def test_deleting_a_role_ends_assignments_and_falls_back(
    tenant: int, changes: list[services.RoleChanged]
) -> None:
    services.import_starter_set(tenant)
    ana = person(tenant, "ana")
    tier1, senior = role_named("Tier 1 agent"), role_named("Senior agent")
    services.set_source_role(ana, Source.LTI, tier1, by="LTI launch")
    services.admin_set_role(ana, senior, "Dev", ana.id)
    deps = services.role_dependents(senior)
    assert deps.people == 1 and deps.targets == 7 and not deps.none
    services.delete_role(senior, by="Chloe", by_person_id=None)
    assert effective_name(ana) == "Tier 1 agent"
    assert changes[-1].old_role_id == senior.id and changes[-1].new_role_id == tier1.id
    ended = [a for a in services.history(ana.id) if a.role_name == "Senior agent"]
    assert ended[0].ended_at is not None and "role deleted by Chloe" in ended[0].note


# --- LTI values -----------------------------------------------------------------------------


def test_lti_values_by_name_or_alias_and_unmatched_values(tenant: int) -> None:
    services.import_starter_set(tenant)
    ana = person(tenant, "ana", job_role="Tier 2 agent")  # an alias of Senior agent
    lena = person(tenant, "lena", job_role="Workforce planner")
    lars = person(tenant, "lars", job_role="workforce  Planner")
    services.lti_value_seen(ana, ana.job_role)
    services.lti_value_seen(lena, lena.job_role)
    assert effective_name(ana) == "Senior agent" and effective_name(lena) is None
    assert [(u.value, u.people) for u in services.unmatched_values()] == [("Workforce planner", 2)]
    # The instructor maps it: everyone carrying it gets the role from the LMS.
    planner, errors = services.save_role(tenant, None, "Workforce analyst", "", "")
    assert planner is not None and not errors
    assert services.map_value(tenant, "Workforce planner", planner) == 2
    assert effective_name(lena) == effective_name(lars) == "Workforce analyst"
    assert services.unmatched_values() == []
    # A later unknown value ends the LMS's choice (kept in the history).
    ana.job_role = "Night owl"
    services.lti_value_seen(ana, "Night owl")
    assert effective_name(ana) is None
    assert [u.value for u in services.unmatched_values()] == ["Night owl"]


def test_alias_clash_is_refused(tenant: int) -> None:
    services.import_starter_set(tenant)
    row, errors = services.save_role(tenant, None, "Escalations", "", "Tier 2 agent\nEsc")
    assert row is None and "Senior agent" in errors["aliases"]
    row, errors = services.save_role(tenant, None, "  ", "", "")
    assert row is None and "name" in errors


# --- HR CSV ---------------------------------------------------------------------------------

GOOD = """email,external_id,job_role,team,leader
ana@example.com,,Tier 1 agent,Billing A,ben@example.com
,sam-1,Tier 2 agent,Billing A,ben@example.com
ben@example.com,,Team lead,,
"""


@pytest.fixture
def staff(tenant: int) -> dict[str, Person]:
    services.import_starter_set(tenant)
    return {
        "ana": person(tenant, "ana-1", email="ana@example.com", name="Ana"),
        "sam": person(tenant, "sam-1", email="sam@example.com", name="Sam"),
        "ben": person(tenant, "ben-1", email="ben@example.com", name="Ben"),
    }


def test_hr_csv_bad_rows_are_reported_by_line_and_nothing_applies(
    tenant: int, staff: dict[str, Person]
) -> None:
    text = (
        "Email,Job Role,Team,Leader\n"
        "ana@example.com,Tier 1 agent,Billing A,ben@example.com\n"
        "nobody@example.com,Tier 1 agent,,\n"
        "sam@example.com,Astronaut,,\n"
        "\n"
        "ana@example.com,Senior agent,,\n"
        "ben@example.com,,,ana@example.com\n"
        'lee@example.com,Senior agent,Billing A,"sam@example.com"\n'
    )
    person(tenant, "lee-1", email="lee@example.com")
    plan = hr_import.plan(text)
    assert plan.errors == [
        (3, "no one with email nobody@example.com has opened Wayfinder in this LMS"),
        (
            4,
            "no job role is called “Astronaut”: add it, or add it as another name of a role, "
            "on the Job roles page",
        ),
        (6, "Ana is already on line 2"),
        (7, "a leader needs the team on the same line"),
        (8, "line 2 gives team Billing A another leader"),
    ]
    assert db.session.scalar(select(Team)) is None  # planning writes nothing
    with pytest.raises(hr_import.StalePlan):
        hr_import.apply(tenant, text, plan.digest, by="Dev", by_person_id=staff["ben"].id)
    assert db.session.scalar(select(PersonRole)) is None


def test_hr_csv_with_semicolons_reads_like_commas(tenant: int, staff: dict[str, Person]) -> None:
    """The "CSV" of a spreadsheet where the decimal mark is a comma separates with semicolons."""
    assert hr_import.plan(GOOD.replace(",", ";")).changes == hr_import.plan(GOOD).changes
    assert hr_import.plan(GOOD.replace(",", ";")).errors == []
    # Excel's "Unicode text": UTF-16 with its byte order mark, tab-separated.
    read, problem = hr_import.read_upload(GOOD.replace(",", "\t").encode("utf-16"))
    assert problem == ""
    assert hr_import.plan(read).changes == hr_import.plan(GOOD).changes


def test_hr_csv_headers_are_required(tenant: int, staff: dict[str, Person]) -> None:
    assert hr_import.plan("name,phone\nAna,1\n").errors == [
        (1, "the header needs an external_id or an email column to find people"),
        (1, "the header needs a job_role, team or leader column"),
    ]
    assert hr_import.plan("email,job_role\n").errors == [(2, "the file has a header but no rows")]


def test_hr_csv_preview_then_apply_is_idempotent(
    tenant: int, staff: dict[str, Person], changes: list[services.RoleChanged]
) -> None:
    services.admin_set_role(staff["ben"], role_named("Trainer"), "Dev", staff["ben"].id)
    changes.clear()
    plan = hr_import.plan(GOOD)
    assert plan.errors == []
    assert [(c.kind, c.who, c.before, c.after) for c in plan.changes] == [
        ("role", "Ana", "none", "Tier 1 agent"),
        ("new_team", "Billing A", "", "Billing A"),
        ("team", "Ana", "no team", "Billing A"),
        ("leader", "Billing A", "none", "Ben"),
        ("role", "Sam", "none", "Senior agent"),
        ("team", "Sam", "no team", "Billing A"),
        ("role", "Ben", "Trainer", "Team lead"),
    ]
    assert "still takes precedence" in plan.changes[-1].note
    assert db.session.scalar(select(Team)) is None and changes == []  # preview applies nothing

    hr_import.apply(tenant, GOOD, plan.digest, by="Dev", by_person_id=staff["ben"].id)
    team = db.session.scalar(select(Team))
    assert team is not None and team.name == "Billing A" and team.leader_id == staff["ben"].id
    assert {m.person_id for m in db.session.scalars(select(TeamMember))} == {
        staff["ana"].id,
        staff["sam"].id,
    }
    assert effective_name(staff["ana"]) == "Tier 1 agent"
    assert effective_name(staff["sam"]) == "Senior agent"
    assert effective_name(staff["ben"]) == "Trainer"  # the admin's choice still counts
    assert len(changes) == 2  # Ben's effective role did not change
    assert "HR import, line 2" in services.history(staff["ana"].id)[0].note

    again = hr_import.plan(GOOD)
    assert again.changes == [] and again.errors == []
    hr_import.apply(tenant, GOOD, again.digest, by="Dev", by_person_id=staff["ben"].id)
    assert len(changes) == 2 and len(services.history(staff["ana"].id)) == 1


def test_hr_csv_apply_refuses_a_stale_preview(tenant: int, staff: dict[str, Person]) -> None:
    plan = hr_import.plan(GOOD)
    services.set_source_role(staff["ana"], Source.HR_CSV, role_named("Tier 1 agent"), by="x")
    with pytest.raises(hr_import.StalePlan) as stale:
        hr_import.apply(tenant, GOOD, plan.digest, by="Dev", by_person_id=staff["ben"].id)
    assert len(stale.value.plan.changes) == len(plan.changes) - 1


def test_hr_csv_apply_is_all_or_nothing(
    clean_app: Any, tenant: int, staff: dict[str, Person]
) -> None:
    """A failure part-way (here a role-changed callback raising on the second person) leaves
    nothing applied once the request rolls back, as the view does."""
    db.session.commit()
    plan = hr_import.plan(GOOD)

    def fail_on_sam(event: services.RoleChanged) -> None:
        if event.person_id == staff["sam"].id:
            raise RuntimeError("paths feature failed")

    services.role_changed.append(fail_on_sam)
    try:
        with pytest.raises(RuntimeError):
            hr_import.apply(tenant, GOOD, plan.digest, by="Dev", by_person_id=staff["ben"].id)
    finally:
        services.role_changed.remove(fail_on_sam)
    db.session.rollback()
    assert db.session.scalar(select(Team)) is None
    assert db.session.scalar(select(TeamMember)) is None
    assert db.session.scalar(select(PersonRole)) is None


# --- requests and goals ---------------------------------------------------------------------


def test_role_change_request_approved_by_the_team_leader(
    tenant: int, staff: dict[str, Person], changes: list[services.RoleChanged]
) -> None:
    ana, ben, sam = staff["ana"], staff["ben"], staff["sam"]
    team, _ = services.save_team(tenant, None, "Billing A", "ben@example.com")
    assert team is not None
    services.add_member(tenant, team, "ana@example.com")
    senior = role_named("Senior agent")
    row, errors = services.request_change(tenant, ana, str(senior.id), "")
    assert row is None and "reason" in errors
    row, errors = services.request_change(tenant, ana, str(senior.id), "Two months of escalations")
    assert row is not None and errors == {}
    again, errors = services.request_change(tenant, ana, str(senior.id), "again")
    assert again is None and "already have a request" in errors["role_id"]
    # Only her leader decides: not Sam, not an instructor while she has a leader, not herself.
    assert services.requests_to_decide(ben.id, is_staff=False) == [row]
    assert services.requests_to_decide(sam.id, is_staff=True) == []
    with pytest.raises(services.Forbidden):
        services.decide(row, True, "", decider=sam, is_staff=True)
    assert services.decide(row, True, "Well deserved", decider=ben, is_staff=False) == {}
    assert row.status == RequestStatus.APPROVED and row.decided_by == "Ben"
    assert effective_name(ana) == "Senior agent"
    assert changes[-1].source is Source.REQUEST
    assert services.decide(row, False, "no", decider=ben, is_staff=False)  # already decided


def test_declining_needs_a_message_and_no_leader_means_staff_decide(
    tenant: int, staff: dict[str, Person], changes: list[services.RoleChanged]
) -> None:
    sam, ben = staff["sam"], staff["ben"]
    row, _ = services.request_change(tenant, sam, str(role_named("QA analyst").id), "I like QA")
    assert row is not None
    assert services.requests_to_decide(ben.id, is_staff=False) == []
    assert services.requests_to_decide(ben.id, is_staff=True) == [row]
    assert services.decide(row, False, " ", decider=ben, is_staff=True) == {
        "message": "Tell them why, so they know what to do next."
    }
    assert services.decide(row, False, "Apply in spring", decider=ben, is_staff=True) == {}
    assert row.status == RequestStatus.DECLINED and row.message == "Apply in spring"
    assert effective_name(sam) is None and changes == []


def test_career_goal(tenant: int, staff: dict[str, Person]) -> None:
    lead = role_named("Team lead")
    assert services.set_career_goal(tenant, staff["ana"], "999999") != ""
    assert services.set_career_goal(tenant, staff["ana"], str(lead.id)) == ""
    goal = services.career_goal(staff["ana"].id)
    assert goal is not None and goal.role_id == lead.id
    assert services.set_career_goal(tenant, staff["ana"], "") == ""
    assert services.career_goal(staff["ana"].id) is None


# --- what the home page reads in one go -----------------------------------------------------


def test_team_ties_are_team_of_and_teams_led_by_in_one_statement(tenant: int) -> None:
    ben, cy, ana, dee = (person(tenant, sub) for sub in ("ben", "cy", "ana", "dee"))
    billing, _ = services.save_team(tenant, None, "Billing", "ben")
    sales, _ = services.save_team(tenant, None, "Sales", "ben")
    leads, _ = services.save_team(tenant, None, "Leads", "cy")
    assert billing and sales and leads
    services.add_member(tenant, billing, "ana")
    services.add_member(tenant, leads, "ben")
    services.add_member(tenant, leads, "cy")  # cy leads the team cy is in

    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        ties = {p.id: services.team_ties(p.id) for p in (ben, cy, ana, dee)}
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements[0] == 4
    for p in (ben, cy, ana, dee):
        t = ties[p.id]
        assert t.member_of == services.team_of(p.id), p.sub
        assert t.leads == services.teams_led_by(p.id), p.sub
        assert t.leader == services.team_leader_of(p.id), p.sub
    assert ties[ben.id].leads == [billing, sales] and ties[ben.id].member_of == leads
    assert ties[ben.id].leader == cy
    assert ties[cy.id].leader is None and ties[cy.id].leads == [leads]
    assert ties[ana.id].leader == ben and ties[ana.id].leads == []
    assert ties[dee.id] == services.TeamTies(dee.id, None, [])


def test_role_in_effect_found_by_standing_is_reused_until_something_is_written(
    tenant: int,
) -> None:
    from lti_tool.paths import personal

    services.import_starter_set(tenant)
    ana = person(tenant, "ana")
    tier1, senior = role_named("Tier 1 agent"), role_named("Senior agent")
    services.set_source_role(ana, Source.LTI, tier1, by="LTI launch")

    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    personal.standing(db.session, ana.id)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert services.effective_role_id(ana.id) == tier1.id
        assert statements[0] == 0  # standing found it: not asked again
        services.set_source_role(ana, Source.HR_CSV, senior, by="HR")
        assert services.effective_role_id(ana.id) == senior.id
        assert statements[0] > 0
        personal.standing(db.session, ana.id)
        db.session.execute(
            update(PersonRole)
            .where(PersonRole.person_id == ana.id)
            .values(ended_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        assert services.effective_role_id(ana.id) is None  # a bulk write forgets it too
        personal.standing(db.session, ana.id)
        assert db.session.info.get(services._ROLE_MEMO) == {ana.id: None}
        db.session.rollback()  # (this test's last step: the fixture's rows go with it)
        assert services._ROLE_MEMO not in db.session.info
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
