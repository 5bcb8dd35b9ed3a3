"""Badge criteria of each kind, automatic awards on the events that earn them, the CLI
re-evaluation, and the rule that a person holds a badge at most once (also when two awards
race each other on separate connections)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lti_tool.community import services as community
from lti_tool.community.models import Kind, Notification
from lti_tool.extensions import db
from lti_tool.paths import services as paths
from lti_tool.people.models import Person
from lti_tool.recognition import criteria, services
from lti_tool.recognition.models import Award, Badge, Criterion
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.paths.test_services import CHLOE, add_set, add_step, give_role, me, new_path, only
from tests.paths.test_services import person as make_person


def trainer(reg_id: int, p: Person) -> services.Actor:
    return services.Actor(reg_id, p.id, p.name, is_instructor=True)


def make_badge(reg_id: int, who: services.Actor, name: str, kind: Criterion, **v: str) -> Badge:
    values = {
        "name": name,
        "description": f"{name} for the tests.",
        "criteria_text": "Do the thing.",
        "design": "star",
        "criterion": kind.value,
        **v,
    }
    row, errors = services.save_badge(who, None, values)
    assert row is not None, errors
    return row


def held(person_id: int) -> list[str]:
    return sorted(
        db.session.scalars(
            select(Badge.name)
            .join(Award, Award.badge_id == Badge.id)
            .where(Award.person_id == person_id)
        )
    )


def badge_notes(person_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                Notification.person_id == person_id, Notification.kind.like("badge%")
            )
        )
        or 0
    )


def test_path_completed_awards_on_completion(tenant: int) -> None:
    chloe, ana = make_person(tenant, "chloe"), make_person(tenant, "ana")
    who = trainer(tenant, chloe)
    any_path = make_badge(tenant, who, "First path completed", Criterion.PATH_COMPLETED)
    p = new_path(tenant)
    other = new_path(tenant, title="Another path")
    only_this = make_badge(
        tenant, who, "90 days done", Criterion.PATH_COMPLETED, path_id=str(other.id)
    )
    v = p.versions[0]
    week = add_set(v, "Week 1")
    one = add_step(v, week, "Read the guide")
    two = add_step(v, week, "Try the tool")
    paths.publish(v, CHLOE)
    give_role(ana, "Tier 1 agent")
    paths.self_report(only(ana.id), one.key, me(ana))
    assert held(ana.id) == []  # half-way: nothing yet
    paths.self_report(only(ana.id), two.key, me(ana))
    assert held(ana.id) == ["First path completed"]  # the completion hook awarded it
    award = db.session.scalar(select(Award).where(Award.badge_id == any_path.id))
    assert award is not None and "Completed a learning path" in award.evidence
    assert award.awarded_by_id is None
    assert badge_notes(ana.id) == 1
    assert only_this.id not in {a.badge_id for a in services.awards_of(ana.id)}


def test_verified_tips_counts_only_verified_visible_tips(tenant: int) -> None:
    chloe, ana = make_person(tenant, "chloe"), make_person(tenant, "ana")
    who = trainer(tenant, chloe)
    make_badge(tenant, who, "Trusted tipster", Criterion.VERIFIED_TIPS, count="2")
    skill = roles.skills()[0].id
    verifier = community.actor(
        tenant, chloe.id, is_instructor=True, is_leader=False, is_administrator=False
    )
    author = community.actor(
        tenant, ana.id, is_instructor=False, is_leader=False, is_administrator=False
    )
    unlimited = community.Limits(posts_per_window=0)

    def tip(title: str) -> Any:
        saved = community.create_post(
            author,
            Kind.TIP,
            community.PostForm(title=title, body="Works every time.", skill_ids=[skill]),
            unlimited,
        )
        assert saved.row is not None, saved.errors
        return saved.row

    first, second, third = tip("One"), tip("Two"), tip("Three")
    community.verify(verifier, first)
    assert held(ana.id) == []
    community.delete(author, community.Target.POST, second)  # deleted tips do not count
    db.session.flush()
    second.verified_at = first.verified_at
    assert services.award_automatic(tenant) == 0
    community.verify(verifier, third)
    assert held(ana.id) == ["Trusted tipster"]
    assert "Shared 2 tips" in services.awards_of(ana.id)[0].evidence


def coach_and_skill_badges(tenant: int) -> tuple[Person, Person, Person, Any]:
    """Chloe (a trainer) makes "Coach" (5 sessions given) and "De-escalation pro" (level 4);
    Ana and Ben are colleagues. Returns them and the De-escalation skill."""
    chloe, ana, ben = (make_person(tenant, s) for s in ("chloe", "ana", "ben"))
    who = trainer(tenant, chloe)
    deesc = next(s for s in roles.skills() if s.name == "De-escalation")
    make_badge(tenant, who, "Coach", Criterion.COACHING_GIVEN, count="5")
    make_badge(
        tenant, who, "De-escalation pro", Criterion.SKILL_LEVEL, skill_id=str(deesc.id), level="4"
    )
    return chloe, ana, ben, deesc


def test_coaching_given_and_skill_level_from_sessions_and_ratings(tenant: int) -> None:
    chloe, ana, ben, deesc = coach_and_skill_badges(tenant)
    # Nobody has given a session or been rated yet.
    assert criteria.coaching_sessions_given(None) == {}
    assert criteria.skill_levels(deesc.id, None) == {}
    assert services.award_automatic(tenant) == 0

    # Coaching sessions given, as lti_tool/coaching records them: only those both sides signed
    # off (completed) count. Ben held five; Ana four and one cancelled.
    from datetime import datetime

    from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot
    from lti_tool.paths.personal_models import Rater, SkillRating

    def sessions(coach: Any, done: int, cancelled: int = 0) -> None:
        offer = CoachingOffer(registration_id=tenant, coach_id=coach.id, title="Calls")
        db.session.add(offer)
        db.session.flush()
        for n in range(done + cancelled):
            slot = CoachingSlot(
                registration_id=tenant, offer_id=offer.id, starts_at=datetime(2026, 11, 2 + n)
            )
            db.session.add(slot)
            db.session.flush()
            db.session.add(
                CoachingSession(
                    registration_id=tenant,
                    slot_id=slot.id,
                    offer_id=offer.id,
                    coach_id=coach.id,
                    learner_id=chloe.id,
                    kind="coaching",
                    status="completed" if n < done else "cancelled",
                    starts_at=slot.starts_at,
                )
            )

    sessions(ben, 5)
    sessions(ana, 4, cancelled=1)
    # Skill levels from the personal ratings: the leader's rating wins over the person's own.
    for person, rater, level in (
        (ana, Rater.SELF, 4),
        (ben, Rater.SELF, 5),
        (ben, Rater.LEADER, 3),
    ):
        db.session.add(
            SkillRating(
                registration_id=tenant,
                person_id=person.id,
                skill_id=deesc.id,
                rater=rater.value,
                level=level,
            )
        )
    db.session.flush()
    assert criteria.coaching_sessions_given(None) == {ben.id: 5, ana.id: 4}
    assert criteria.skill_levels(deesc.id, [ana.id, ben.id]) == {ana.id: 4, ben.id: 3}
    assert services.award_automatic(tenant) == 2
    assert held(ben.id) == ["Coach"]
    assert held(ana.id) == ["De-escalation pro"]
    assert "Reached level 4 in De-escalation" in services.awards_of(ana.id)[0].evidence
    # Progress towards the badges one does not hold yet.
    towards = {
        t.badge.name: (t.have, t.need)
        for t in services.progress_towards(ana.id, {a.badge_id for a in services.awards_of(ana.id)})
    }
    assert towards == {"Coach": (4, 5)}


def test_the_fifth_session_signed_off_and_a_new_rating_award_at_once(tenant: int) -> None:
    """No waiting for the daily re-evaluation: the coaching sign-off and the ratings hooks
    award the badge in the same transaction, with its notification."""
    from datetime import datetime, timedelta

    from lti_tool.coaching import services as coaching
    from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot
    from lti_tool.lti.models import utcnow
    from lti_tool.paths import personal
    from lti_tool.paths.personal_models import Rater

    _chloe, ana, ben, deesc = coach_and_skill_badges(tenant)
    offer = CoachingOffer(registration_id=tenant, coach_id=ben.id, title="Calls")
    db.session.add(offer)
    db.session.flush()
    rows = []
    for n in range(5):
        starts = datetime(2026, 11, 2 + n) if n < 4 else utcnow() - timedelta(minutes=30)
        slot = CoachingSlot(registration_id=tenant, offer_id=offer.id, starts_at=starts)
        db.session.add(slot)
        db.session.flush()
        row = CoachingSession(
            registration_id=tenant,
            slot_id=slot.id,
            offer_id=offer.id,
            coach_id=ben.id,
            learner_id=ana.id,
            kind="coaching",
            status="completed" if n < 4 else "confirmed",
            starts_at=starts,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    last = rows[-1]
    assert not coaching.sign_off(coaching.Actor(tenant, ana.id, "Ana"), last)
    assert held(ben.id) == []  # one side only: not completed yet
    assert coaching.sign_off(coaching.Actor(tenant, ben.id, "Ben"), last)
    assert held(ben.id) == ["Coach"] and badge_notes(ben.id) == 1

    personal.save_ratings(ana, {deesc.id: 3}, Rater.SELF, by="Ana", by_person_id=ana.id)
    assert held(ana.id) == []
    personal.save_ratings(ana, {deesc.id: 4}, Rater.SELF, by="Ana", by_person_id=ana.id)
    assert held(ana.id) == ["De-escalation pro"] and badge_notes(ana.id) == 1


def test_never_twice_and_the_database_refuses_a_duplicate(tenant: int) -> None:
    chloe, ana = make_person(tenant, "chloe"), make_person(tenant, "ana")
    who = trainer(tenant, chloe)
    b = make_badge(tenant, who, "Star", Criterion.LEADER)
    first, errors = services.award_by_hand(
        who, {"badge_id": str(b.id), "person_id": str(ana.id), "message": "Great call."}
    )
    assert first is not None and not errors and first.message == "Great call."
    again, errors = services.award_by_hand(
        who, {"badge_id": str(b.id), "person_id": str(ana.id), "message": "Again!"}
    )
    assert again is None and "holds “Star” already" in errors["person_id"]
    assert held(ana.id) == ["Star"] and badge_notes(ana.id) == 1
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Award(registration_id=tenant, badge_id=b.id, person_id=ana.id))
        db.session.flush()


def test_two_concurrent_awards_leave_one(clean_app: Any) -> None:
    """Two connections award the same badge to the same person at the same moment: one row,
    one notification, and neither fails."""
    from lti_tool.lti.models import Registration

    with clean_app.app_context():
        reg = Registration(
            issuer="https://race.example.com",
            client_id="race",
            name="Race",
            auth_login_url="https://race.example.com/auth",
            key_set_url="https://race.example.com/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        ana = Person(registration_id=reg.id, sub="ana", name="Ana")
        chloe = Person(registration_id=reg.id, sub="chloe", name="Chloe")
        db.session.add_all([ana, chloe])
        db.session.flush()
        with tenant_scope(db.session, reg.id):
            b = make_badge(reg.id, trainer(reg.id, chloe), "Race", Criterion.LEADER)
        db.session.commit()
        ids = (reg.id, b.id, ana.id, chloe.id)

    barrier = threading.Barrier(2)
    results: list[Any] = []

    def award() -> None:
        reg_id, badge_id, person_id, chloe_id = ids
        with clean_app.app_context():
            try:
                with tenant_scope(db.session, reg_id):
                    b = db.session.get(Badge, badge_id)
                    assert b is not None
                    barrier.wait(timeout=10)
                    results.append(
                        services._grant(
                            b, person_id, services.Actor(reg_id, chloe_id, "Chloe"), "Hi", "x"
                        )
                    )
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                results.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=award) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r is None for r in results) == [False, True]  # one inserted, one no-op
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 1
        assert badge_notes(ids[2]) == 1


def test_cli_re_evaluates_every_tenant(clean_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lti_tool.lti.models import Registration

    with clean_app.app_context():
        pids = []
        for n in (1, 2):
            reg = Registration(
                issuer=f"https://t{n}.example.com",
                client_id="c",
                name=f"T{n}",
                auth_login_url=f"https://t{n}.example.com/auth",
                key_set_url=f"https://t{n}.example.com/jwks",
            )
            db.session.add(reg)
            db.session.flush()
            coach = Person(registration_id=reg.id, sub="coach", name="Coach")
            chloe = Person(registration_id=reg.id, sub="chloe", name="Chloe")
            db.session.add_all([coach, chloe])
            db.session.flush()
            with tenant_scope(db.session, reg.id):
                make_badge(
                    reg.id, trainer(reg.id, chloe), "Coach", Criterion.COACHING_GIVEN, count="1"
                )
            pids.append(coach.id)
        db.session.commit()
    monkeypatch.setattr(criteria, "coaching_sessions_given", lambda ids: dict.fromkeys(pids, 1))
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["recognition", "award"])
    assert result.exit_code == 0, result.output
    assert "2 in all" in result.output
    again = runner.invoke(args=["recognition", "award"])
    assert "0 in all" in again.output  # idempotent
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 2
        # Each tenant's badge went to its own person only.
        rows = db.session.execute(
            select(Award.registration_id, Badge.registration_id).join(Badge)
        ).all()
        assert all(a == b for a, b in rows)


def test_the_scheduler_re_evaluates_each_tenant_once_per_interval(
    clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lti_tool.lti.models import Registration
    from lti_tool.recognition import jobs as recognition_jobs

    with clean_app.app_context():
        reg = Registration(
            issuer="https://sched.example.com",
            client_id="c",
            name="S",
            auth_login_url="https://sched.example.com/auth",
            key_set_url="https://sched.example.com/jwks",
        )
        off = Registration(
            issuer="https://off.example.com",
            client_id="c",
            name="Off",
            enabled=False,
            auth_login_url="https://off.example.com/auth",
            key_set_url="https://off.example.com/jwks",
        )
        db.session.add_all([reg, off])
        db.session.flush()
        coach = Person(registration_id=reg.id, sub="coach", name="Coach")
        chloe = Person(registration_id=reg.id, sub="chloe", name="Chloe")
        db.session.add_all([coach, chloe])
        db.session.flush()
        with tenant_scope(db.session, reg.id):
            make_badge(reg.id, trainer(reg.id, chloe), "Coach", Criterion.COACHING_GIVEN, count="2")
        db.session.commit()
        coach_id, reg_id = coach.id, reg.id
        created = recognition_jobs.enqueue_periodic_awards()
        db.session.commit()
        assert [j.registration_id for j in created] == [reg_id]  # not the switched-off one
        assert recognition_jobs.enqueue_periodic_awards() == []  # one per interval
    monkeypatch.setattr(criteria, "coaching_sessions_given", lambda ids: {coach_id: 2})
    result = clean_app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0 and "ran 1 job(s)" in result.output
    with clean_app.app_context():
        assert held(coach_id) == ["Coach"]
