"""The rules of learning paths: set rules, versions, assignment on role changes, due dates,
sign-offs, LMS completion and the event log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import services
from lti_tool.paths.models import (
    Assignment,
    AssignmentStatus,
    Path,
    PathEvent,
    PathVersion,
    StepState,
)
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import Source
from lti_tool.tenancy import tenant_scope

CHLOE = services.Actor("Chloe Chen", None, is_staff=True)


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
            roles.import_starter_set(reg.id)
            yield reg.id
        db.session.rollback()


def person(tenant: int, sub: str) -> Person:
    row = Person(registration_id=tenant, sub=sub, name=sub.title())
    db.session.add(row)
    db.session.flush()
    return row


def role_id(name: str) -> int:
    found = roles.match_role(name)
    assert found is not None
    return found.id


def give_role(p: Person, name: str | None, source: Source = Source.ADMIN) -> None:
    roles.set_source_role(
        p, source, roles.match_role(name) if name else None, by="test", by_person_id=None
    )


def new_path(tenant: int, role: str = "Tier 1 agent", title: str = "First 90 days") -> Path:
    p, errors = services.save_path(
        tenant, None, {"title": title, "role_id": str(role_id(role))}, CHLOE
    )
    assert p is not None, errors
    return p


def add_set(v: PathVersion, title: str, rule: str = "in_order", n: str = "", parent: Any = None):
    row, errors = services.save_node(
        v,
        None,
        True,
        {
            "title": title,
            "rule": rule,
            "min_count": n,
            "parent_id": str(parent.id) if parent else "",
        },
        [],
    )
    assert row is not None, errors
    return row


def add_step(v: PathVersion, parent: Any, title: str, kind: str = "link", **extra: str) -> Any:
    values = {
        "title": title,
        "kind": kind,
        "url": "https://lms.example.com/course/1" if kind in ("lms", "link") else "",
        "format": "reading",
        "minutes": "20",
        "parent_id": str(parent.id),
        "self_report": "yes" if kind in ("link", "lms", "reflection") else "",
        **extra,
    }
    row, errors = services.save_node(v, None, False, values, [])
    assert row is not None, errors
    return row


def only(person_id: int) -> services.Learning:
    found = services.learning_of(person_id)
    assert len(found) == 1
    return found[0]


def me(p: Person) -> services.Actor:
    return services.Actor(p.name, p.id)


def events(person_id: int) -> list[tuple[str, str, str]]:
    return [
        (e.action, e.from_value, e.to_value)
        for e in db.session.scalars(
            select(PathEvent).where(PathEvent.person_id == person_id).order_by(PathEvent.id)
        )
    ]


# --- set rules ------------------------------------------------------------------------------


def test_in_order_set_unlocks_one_step_at_a_time_and_electives_never_block(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    week = add_set(v, "Week 1")
    a = add_step(v, week, "Read the welcome guide")
    extra = add_step(v, week, "Optional: history of the company", required="no")
    b = add_step(v, week, "Take the systems tour")
    services.publish(v, CHLOE)
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    lr = only(ana.id)
    assert not lr.view.by_key[a.key].locked
    assert lr.view.by_key[extra.key].locked and lr.view.by_key[b.key].locked
    assert lr.view.next_step is not None and lr.view.next_step.key == a.key
    assert "next step of “Week 1”, which is done in order" in lr.view.next_reason
    with pytest.raises(services.Refused, match="opens once the steps before it are done"):
        services.self_report(lr, b.key, me(ana))
    services.self_report(lr, a.key, me(ana))
    lr = only(ana.id)
    assert not lr.view.by_key[extra.key].locked
    assert not lr.view.by_key[b.key].locked  # the elective does not stand in the way
    assert lr.view.percent == 50
    services.self_report(lr, b.key, me(ana))
    lr = only(ana.id)
    assert lr.view.done and lr.view.percent == 100
    assert lr.assignment.completed_at is not None
    assert lr.view.next_step is not None and lr.view.next_step.key == extra.key  # electives last


def test_any_order_and_at_least_n_sets(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    services.save_root_rule(v, "any_order", "")
    basics = add_set(v, "Basics", rule="any_order")
    s1 = add_step(v, basics, "Call control basics")
    s2 = add_step(v, basics, "Empathy basics")
    pick = add_set(v, "Pick two", rule="at_least", n="2")
    c1 = add_step(v, pick, "Billing")
    c2 = add_step(v, pick, "Returns")
    c3 = add_step(v, pick, "Loyalty")
    services.publish(v, CHLOE)
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    lr = only(ana.id)
    assert not any(lr.view.by_key[k.key].locked for k in (s1, s2, c1, c2, c3))
    services.self_report(lr, s2.key, me(ana))
    services.self_report(only(ana.id), c3.key, me(ana))
    lr = only(ana.id)
    assert not lr.view.by_key[basics.key].done and not lr.view.by_key[pick.key].done
    assert lr.view.percent == 50  # (1/2 + 1/2) / 2
    services.self_report(lr, c1.key, me(ana))
    lr = only(ana.id)
    assert lr.view.by_key[pick.key].done  # two of three is enough
    assert not lr.view.by_key[c2.key].needed
    assert lr.view.next_step is not None and lr.view.next_step.key == s1.key
    services.self_report(lr, s1.key, me(ana))
    lr = only(ana.id)
    assert lr.view.done and lr.view.percent == 100


def test_in_order_top_level_locks_the_next_set(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    one, two = add_set(v, "Week 1", rule="any_order"), add_set(v, "Week 2", rule="any_order")
    first = add_step(v, one, "First")
    later = add_step(v, two, "Later")
    services.publish(v, CHLOE)
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    lr = only(ana.id)
    assert lr.view.by_key[two.key].locked and lr.view.by_key[later.key].locked
    services.self_report(lr, first.key, me(ana))
    assert not only(ana.id).view.by_key[later.key].locked


# --- versions -------------------------------------------------------------------------------


def test_published_versions_never_change_and_learners_keep_theirs(tenant: int) -> None:
    p = new_path(tenant)
    v1 = p.versions[0]
    week = add_set(v1, "Week 1", rule="any_order")
    keep = add_step(v1, week, "Kept step")
    dropped = add_step(v1, week, "Dropped step")
    services.publish(v1, CHLOE)
    with pytest.raises(services.Refused, match="published and never changes"):
        add_step(v1, week, "Sneaked in")
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    services.self_report(only(ana.id), keep.key, me(ana))
    services.self_report(only(ana.id), dropped.key, me(ana))

    v2 = services.start_draft(p, CHLOE)
    assert v2.number == 2 and services.start_draft(p, CHLOE).id == v2.id  # one draft at a time
    copied = {n.key: n for n in services.nodes_of(v2)}
    assert keep.key in copied and copied[keep.key].id != keep.id
    services.delete_node(v2, copied[dropped.key])
    new_step = add_step(v2, copied[week.key], "New step")
    services.publish(v2, CHLOE)
    assert [n.title for n in services.nodes_of(v1) if not n.is_set] == ["Kept step", "Dropped step"]

    ben = person(tenant, "ben")
    give_role(ben, "Tier 1 agent")
    assert only(ben.id).assignment.version_id == v2.id  # newcomers get the newest
    lr = only(ana.id)
    assert lr.assignment.version_id == v1.id and lr.view.done  # Ana keeps hers

    assert services.move_to_version(p, v2, CHLOE) == 1
    lr = only(ana.id)
    assert lr.assignment.version_id == v2.id
    assert lr.view.by_key[keep.key].state is StepState.COMPLETED  # carried over
    assert lr.view.by_key[new_step.key].state is StepState.NOT_STARTED
    assert dropped.key not in lr.view.by_key
    assert not lr.view.done and lr.assignment.completed_at is None
    assert ("moved_version", "v1", "v2") in events(ana.id)


def test_publish_refuses_an_empty_draft_and_assigns_current_role_holders(tenant: int) -> None:
    ana, sam = person(tenant, "ana"), person(tenant, "sam")
    give_role(ana, "Tier 1 agent")
    give_role(sam, "Tier 1 agent", Source.LTI)
    give_role(sam, "Senior agent", Source.HR_CSV)  # HR outranks the LMS: Sam is a senior
    p = new_path(tenant)
    v = p.versions[0]
    with pytest.raises(services.Refused, match="Add at least one step"):
        services.publish(v, CHLOE)
    add_step(v, add_set(v, "Week 1"), "Only step")
    assert services.publish(v, CHLOE) == 1
    assert [lr.path.title for lr in services.learning_of(ana.id)] == ["First 90 days"]
    assert services.learning_of(sam.id) == []


# --- role changes ---------------------------------------------------------------------------


def test_role_change_withdraws_unstarted_keeps_started_and_assigns_the_new_role(
    tenant: int,
) -> None:
    tier1 = new_path(tenant, "Tier 1 agent", "Tier 1 basics")
    add_step(tier1.versions[0], add_set(tier1.versions[0], "S"), "T1 step")
    services.publish(tier1.versions[0], CHLOE)
    also = new_path(tenant, "Tier 1 agent", "Tier 1 extras")
    s = add_step(also.versions[0], add_set(also.versions[0], "S"), "Extra step")
    services.publish(also.versions[0], CHLOE)
    senior = new_path(tenant, "Senior agent", "Senior track")
    add_step(senior.versions[0], add_set(senior.versions[0], "S"), "Senior step")
    services.publish(senior.versions[0], CHLOE)

    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent", Source.LTI)
    assert {lr.path.title for lr in services.learning_of(ana.id)} == {
        "Tier 1 basics",
        "Tier 1 extras",
    }
    services.start_step(
        next(lr for lr in services.learning_of(ana.id) if lr.path.id == also.id), s.key, me(ana)
    )
    give_role(ana, "Senior agent", Source.ADMIN)
    current = {lr.path.title: lr.assignment for lr in services.learning_of(ana.id)}
    assert set(current) == {"Tier 1 extras", "Senior track"}
    assert current["Tier 1 extras"].outside_role_since is not None
    assert current["Senior track"].outside_role_since is None
    withdrawn = db.session.scalar(
        select(Assignment).where(Assignment.person_id == ana.id, Assignment.path_id == tier1.id)
    )
    assert withdrawn is not None and withdrawn.status == AssignmentStatus.WITHDRAWN.value
    assert ("withdrawn", "active", "withdrawn") in events(ana.id)
    assert ("kept_outside_role", "active", "kept") in events(ana.id)
    # Back to Tier 1: the kept one is no longer marked, the withdrawn one comes back fresh.
    roles.set_source_role(ana, Source.ADMIN, None, by="test")
    current = {lr.path.title: lr.assignment for lr in services.learning_of(ana.id)}
    assert current["Tier 1 extras"].outside_role_since is None
    assert "Tier 1 basics" in current and current["Tier 1 basics"].id != withdrawn.id


def test_hook_failure_aborts_nothing_else_and_hook_does_not_commit(tenant: int) -> None:
    p = new_path(tenant)
    add_step(p.versions[0], add_set(p.versions[0], "S"), "Step")
    services.publish(p.versions[0], CHLOE)
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    assert len(services.learning_of(ana.id)) == 1
    db.session.rollback()  # nothing was committed by the hook: all of it is gone
    assert db.session.scalar(select(Assignment.id)) is None


# --- manual assignment ----------------------------------------------------------------------


def test_leaders_assign_their_team_only_and_instructors_anyone(tenant: int) -> None:
    p = new_path(tenant, "Senior agent", "Senior track")
    add_step(p.versions[0], add_set(p.versions[0], "S"), "Step")
    services.publish(p.versions[0], CHLOE)
    ben, ana, zoe = person(tenant, "ben"), person(tenant, "ana"), person(tenant, "zoe")
    team, _ = roles.save_team(tenant, None, "Team A", "ben")
    assert team is not None
    roles.add_member(tenant, team, "ana")
    assert services.assign_by_hand(p, me(ben), team_id=team.id) == (1, 0)
    assert services.assign_by_hand(p, me(ben), [ana.id]) == (0, 1)
    with pytest.raises(services.Forbidden):
        services.assign_by_hand(p, me(ben), [zoe.id])
    assert services.assign_by_hand(p, CHLOE, [zoe.id]) == (1, 0)
    assert only(ana.id).assignment.source == "manual"


# --- due dates ------------------------------------------------------------------------------


def test_due_dates_come_from_the_assignment_and_overdue_steps_come_first(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    services.save_root_rule(v, "any_order", "")
    week = add_set(v, "Week 1", rule="any_order")
    late = add_step(v, week, "Due in 3 days", due_days="3")
    soon = add_step(v, week, "Due in 10 days", due_days="10")
    never = add_step(v, week, "No due date")
    services.publish(v, CHLOE)
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    a = only(ana.id).assignment
    a.assigned_at = utcnow() - timedelta(days=5)
    db.session.flush()
    lr = only(ana.id)
    assert lr.view.by_key[late.key].overdue
    assert lr.view.by_key[late.key].due_at == a.assigned_at + timedelta(days=3)
    assert not lr.view.by_key[soon.key].overdue and lr.view.by_key[soon.key].due_soon
    assert not lr.view.by_key[never.key].due_soon
    assert [s.key for s in lr.view.due_soon] == [late.key, soon.key]
    assert lr.view.next_step is not None and lr.view.next_step.key == late.key
    assert "the most overdue step" in lr.view.next_reason
    services.self_report(lr, late.key, me(ana))
    lr = only(ana.id)
    assert not lr.view.by_key[late.key].overdue
    assert [s.key for s in lr.view.due_soon] == [soon.key]


# --- sign-offs and evidence -----------------------------------------------------------------


def test_signoff_flow_leader_and_qa_analyst(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    week = add_set(v, "Week 1", rule="any_order")
    shadow = add_step(v, week, "Shadow a senior agent", kind="shadowing")
    check = add_step(v, week, "Quality check of three calls", kind="check")
    services.publish(v, CHLOE)
    ana, ben, gus, sam = (person(tenant, s) for s in ("ana", "ben", "gus", "sam"))
    team, _ = roles.save_team(tenant, None, "Team A", "ben")
    assert team is not None
    roles.add_member(tenant, team, "ana")
    give_role(ana, "Tier 1 agent")
    give_role(gus, "QA analyst")
    lr = only(ana.id)
    with pytest.raises(services.Refused, match="sign-off"):
        services.self_report(lr, shadow.key, me(ana))
    r1 = services.request_signoff(lr, shadow.key, me(ana), "Shadowed Carmen on Tuesday")
    with pytest.raises(services.Refused, match="already asked"):
        services.request_signoff(only(ana.id), shadow.key, me(ana))
    r2 = services.request_signoff(only(ana.id), check.key, me(ana))
    assert only(ana.id).view.by_key[shadow.key].state is StepState.IN_PROGRESS
    assert [r.id for r in services.signoffs_for(me(ben))] == [r1.id, r2.id]
    assert [r.id for r in services.signoffs_for(me(gus))] == [r2.id]  # checks only
    assert services.signoffs_for(me(sam)) == []
    with pytest.raises(services.Forbidden):
        services.decide_signoff(r1, me(sam), True, "")
    with pytest.raises(services.Forbidden):
        services.decide_signoff(r1, me(gus), True, "")  # not a check
    with pytest.raises(services.Refused, match="Say what is missing"):
        services.decide_signoff(r1, me(ben), False, "  ")
    services.decide_signoff(r1, me(ben), False, "Shadow a full shift, not one call.")
    lr = only(ana.id)
    assert lr.view.by_key[shadow.key].state is StepState.IN_PROGRESS
    assert lr.last_decision[shadow.key].decision_note == "Shadow a full shift, not one call."
    services.decide_signoff(r2, me(gus), True, "All three calls met the standard.")
    r3 = services.request_signoff(only(ana.id), shadow.key, me(ana), "Full shift done")
    services.decide_signoff(r3, me(ben), True, "")
    with pytest.raises(services.Refused, match="already decided"):
        services.decide_signoff(r3, me(ben), True, "")
    lr = only(ana.id)
    assert lr.view.done
    assert lr.progress[check.key].evidence == "signoff"
    log = events(ana.id)
    assert ("signoff_decided", "pending", "declined") in log
    assert ("step_state", "in_progress", "completed") in log
    assert log[-1] == ("path_completed", "", "completed")
    decided = db.session.scalars(
        select(PathEvent).where(PathEvent.action == "signoff_decided")
    ).all()
    assert {e.actor for e in decided} == {"Ben", "Gus"}


def test_lms_completion_is_idempotent_and_ignores_locks(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    week = add_set(v, "Week 1")
    first = add_step(v, week, "First", kind="lms")
    second = add_step(v, week, "Second", kind="lms")
    services.publish(v, CHLOE)
    ana = person(tenant, "ana")
    give_role(ana, "Tier 1 agent")
    assert services.record_lms_completion(ana, second.key, source="moodle") == 1
    assert services.record_lms_completion(ana, second.key, source="moodle") == 0
    assert services.record_lms_completion(ana, "no-such-step") == 0
    lr = only(ana.id)
    assert lr.view.by_key[second.key].state is StepState.COMPLETED
    assert lr.progress[second.key].evidence == "lms"
    assert lr.view.next_step is not None and lr.view.next_step.key == first.key
    assert lr.assignment.started_at is not None
    assert events(ana.id)[-1] == ("step_state", "not_started", "completed")


def test_waive_by_leader_counts_as_done_and_learners_cannot(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    step = add_step(v, add_set(v, "Week 1"), "Only", kind="coaching")
    services.publish(v, CHLOE)
    ana, ben = person(tenant, "ana"), person(tenant, "ben")
    team, _ = roles.save_team(tenant, None, "Team A", "ben")
    assert team is not None
    roles.add_member(tenant, team, "ana")
    give_role(ana, "Tier 1 agent")
    with pytest.raises(services.Forbidden):
        services.waive(only(ana.id), step.key, me(ana), "please")
    services.waive(only(ana.id), step.key, me(ben), "Coached daily on the floor already")
    lr = only(ana.id)
    assert lr.view.by_key[step.key].state is StepState.WAIVED and lr.view.done


def test_editor_keeps_errors_and_refuses_bad_input(tenant: int) -> None:
    p = new_path(tenant)
    v = p.versions[0]
    row, errors = services.save_node(
        v, None, False, {"title": "", "kind": "link", "url": "javascript:alert(1)"}, []
    )
    assert row is None
    assert set(errors) >= {"title", "url", "parent_id", "format"}
    week = add_set(v, "Week 1")
    row, errors = services.save_node(
        v,
        None,
        False,
        {
            "title": "Coaching",
            "kind": "coaching",
            "format": "live",
            "parent_id": str(week.id),
            "self_report": "yes",
            "minutes": "ten",
            "due_days": "-1",
        },
        ["999999"],
    )
    assert row is None and set(errors) == {"self_report", "minutes", "due_days", "skills"}
    a = add_step(v, week, "A")
    b = add_step(v, week, "B")
    assert services.move_node(v, b, "up")
    assert [n.title for n in services.nodes_of(v) if not n.is_set] == ["B", "A"]
    assert not services.move_node(v, b, "up")
    inner = add_set(v, "Inner", parent=week)
    _, errors = services.save_node(
        v, week, True, {"title": "Week 1", "rule": "in_order", "parent_id": str(inner.id)}, []
    )
    assert "parent_id" in errors  # a set inside itself
    assert services.delete_node(v, week) == 4
    assert a.id not in {n.id for n in services.nodes_of(v)}
