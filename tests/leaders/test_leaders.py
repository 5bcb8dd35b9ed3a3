"""Leaders through real launches: the scorecard's numbers from known data, who may see it, the
period filter, sorting and CSV; coaching given and enrolment approvals on the team page; the
stall nudge appearing, not appearing and dismissed; the team page's statement count."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from lti_tool.catalog.models import CatalogItem, EnrolmentRequest, GoalKind, PlanItem
from lti_tool.catalog.models import RequestStatus as EnrolmentStatus
from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot, SessionStatus
from lti_tool.community.models import Kind, Post
from lti_tool.extensions import db
from lti_tool.insights import events
from lti_tool.insights.models import Verb
from lti_tool.leaders import services as leaders
from lti_tool.leaders.models import NudgeDismissal
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import team as paths_team
from lti_tool.paths.models import Assignment
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import Team
from lti_tool.tenancy import tenant_scope
from tests.harness import ADMIN, INSTRUCTOR, LEARNER, MANAGER, FakeLms
from tests.paths.test_pages import build_path, person_id, tier1_id
from tests.roles.test_pages import Session, login, text

REFUSED = "The leader scorecard is for operations managers"
QUIET = "has gone quiet"


@dataclass
class Org:
    app: Any
    reg: int
    ids: dict[str, int]
    teams: dict[str, int]
    ana: Session
    ben: Session
    priya: Session
    olivia: Session
    chloe: Session


def _ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


@pytest.fixture
def org(lms: FakeLms, clean_app: Any) -> Iterator[Org]:
    """Olivia leads Ben and Priya; Ben leads Ana and Sam; Priya leads Zack. The Tier 1 path
    is published, so Ana, Sam and Zack have it open."""
    chloe = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer")
    chloe.follow(chloe.post("/roles/starter"))
    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")
    login(lms, "sam", [LEARNER], "Sam Stone", "sam@example.com", "Tier 1 agent")
    login(lms, "zack", [LEARNER], "Zack Zhou", "zack@example.com", "Tier 1 agent")
    ben = login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")
    priya = login(lms, "priya", [MANAGER, LEARNER], "Priya Patel", "priya@example.com")
    olivia = login(lms, "olivia", [MANAGER], "Olivia Okafor", "olivia@example.com")
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    reg: int = lms.registration_id  # type: ignore[attr-defined]
    ids = {sub: person_id(clean_app, sub) for sub in ("ana", "sam", "zack", "ben", "priya")}
    ids["olivia"] = person_id(clean_app, "olivia")
    teams = {}
    with clean_app.app_context(), tenant_scope(db.session, reg):
        for name, leader, members in (
            ("Team A", "ben", ("ana", "sam")),
            ("Night", "priya", ("zack",)),
            ("Leads", "olivia", ("ben", "priya")),
        ):
            t, _ = roles.save_team(reg, None, name, f"{leader}@example.com")
            assert t is not None
            for m in members:
                roles.add_member(reg, t, f"{m}@example.com")
            teams[name] = t.id
        # Everyone's path was assigned three weeks ago; nothing happened since (yet).
        for a in db.session.scalars(select(Assignment)):
            a.assigned_at = _ago(21)
        db.session.commit()
    yield Org(clean_app, reg, ids, teams, ana, ben, priya, olivia, chloe)


def coached(org: Org, coach: str, learner: str, days: float) -> None:
    offer = CoachingOffer(registration_id=org.reg, coach_id=org.ids[coach], title="Calls")
    db.session.add(offer)
    db.session.flush()
    slot = CoachingSlot(registration_id=org.reg, offer_id=offer.id, starts_at=_ago(days))
    db.session.add(slot)
    db.session.flush()
    db.session.add(
        CoachingSession(
            registration_id=org.reg,
            slot_id=slot.id,
            offer_id=offer.id,
            coach_id=org.ids[coach],
            learner_id=org.ids[learner],
            kind="coaching",
            status=SessionStatus.COMPLETED.value,
            starts_at=_ago(days),
            completed_at=_ago(days),
        )
    )


def enrolment(org: Org, who: str, status: EnrolmentStatus, decider: str, days: float) -> None:
    item = CatalogItem(registration_id=org.reg, external_id=f"x-{who}-{days}", title="A course")
    db.session.add(item)
    db.session.flush()
    entry = PlanItem(
        registration_id=org.reg,
        person_id=org.ids[who],
        item_id=item.id,
        goal_kind=GoalKind.INTEREST.value,
    )
    db.session.add(entry)
    db.session.flush()
    pending = status == EnrolmentStatus.PENDING
    db.session.add(
        EnrolmentRequest(
            registration_id=org.reg,
            plan_item_id=entry.id,
            person_id=org.ids[who],
            status=status.value,
            decided_at=None if pending else _ago(days),
            decided_by_person_id=None if pending else org.ids[decider],
        )
    )


def verified_tip(org: Org, author: str, verifier: str, days: float, kind: Kind = Kind.TIP) -> None:
    db.session.add(
        Post(
            registration_id=org.reg,
            kind=kind.value,
            author_id=org.ids[author],
            title="Summarise before closing",
            body_md="Say what happens next.",
            body_html="<p>Say what happens next.</p>",
            verified_by_id=org.ids[verifier],
            verified_at=_ago(days),
        )
    )


def completed_step(org: Org, who: str, key: str, minutes: int, days: float) -> None:
    events.record_event(
        org.reg, org.ids[who], Verb.COMPLETED, "step", key, minutes=minutes, occurred_at=_ago(days)
    )


def scorecard_rows(page: str) -> str:
    return page[page.index("team lead") :]


def test_the_scorecard_counts_known_data_for_an_operations_manager(org: Org) -> None:
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        coached(org, "ben", "ana", 5)
        coached(org, "ben", "sam", 40)  # only in the 90 days
        coached(org, "sam", "ana", 3)  # a member's coaching is not the lead's
        enrolment(org, "ana", EnrolmentStatus.APPROVED, "ben", 10)
        enrolment(org, "sam", EnrolmentStatus.DECLINED, "ben", 12)
        enrolment(org, "ana", EnrolmentStatus.APPROVED, "ben", 60)  # only in the 90 days
        verified_tip(org, "ana", "ben", 3)
        verified_tip(org, "sam", "ben", 4, Kind.QUESTION)  # a question is not a tip
        completed_step(org, "ana", "1:a", 90, 2)
        completed_step(org, "sam", "1:b", 30, 50)  # only in the 90 days
        completed_step(org, "ben", "1:c", 600, 2)  # the lead's own learning: not the team's
        completed_step(org, "zack", "1:d", 45, 80)  # Priya's team, long ago
        db.session.commit()
        # Another tenant's rows naming the same people never count here.
        other = Registration(
            issuer="https://other.example.com",
            client_id="other",
            auth_login_url="https://other.example.com/a",
            key_set_url="https://other.example.com/j",
        )
        db.session.add(other)
        db.session.flush()
        elsewhere = replace(org, reg=other.id)
        with tenant_scope(db.session, other.id):
            coached(elsewhere, "ben", "ana", 5)
            enrolment(elsewhere, "ana", EnrolmentStatus.APPROVED, "ben", 10)
            enrolment(elsewhere, "sam", EnrolmentStatus.PENDING, "ben", 0)
            verified_tip(elsewhere, "ana", "ben", 3)
            completed_step(elsewhere, "ana", "1:a", 600, 2)
            db.session.commit()

    page = text(org.olivia.get("/leaders/scorecard"))
    assert "Leader scorecard" in page and "last 30 days" in page
    rows = scorecard_rows(page)
    # lead, teams, members, coaching, approved (of decided), verified, hours
    assert "Ben Brooks Team A 2 1 1 of 2 decided 1 1.5" in rows
    assert "Priya Patel Night Night: learning stalled 1 0 0 0 0.0" in rows
    team_page = text(org.ben.get(f"/paths/team/{org.teams['Team A']}"))
    assert "No course enrolment requests" in team_page  # the other tenant's is not Ben's
    assert "2 coaching or shadowing sessions given by the team and Ben Brooks" in team_page
    assert "Olivia" not in rows  # she sees the leads under her, not herself
    ninety = scorecard_rows(text(org.olivia.get("/leaders/scorecard?period=90")))
    assert "Ben Brooks Team A 2 2 2 of 3 decided 1 2.0" in ninety
    assert "Priya Patel Night Night: learning stalled 1 0 0 0 0.8" in ninety
    assert "Last 90 days" in text(org.olivia.get("/leaders/scorecard?period=90"))
    odd = text(org.olivia.get("/leaders/scorecard?period=7"))  # not offered: 30 days
    assert "over the last 30 days" in odd

    by_hours = scorecard_rows(text(org.olivia.get("/leaders/scorecard?sort=hours&dir=desc")))
    assert by_hours.index("Ben Brooks") < by_hours.index("Priya Patel")
    by_name = scorecard_rows(text(org.olivia.get("/leaders/scorecard?sort=name&dir=desc")))
    assert by_name.index("Priya Patel") < by_name.index("Ben Brooks")

    exported = org.olivia.get("/leaders/scorecard.csv?period=90&sort=hours&dir=desc")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    assert "leader-scorecard-90-days.csv" in exported.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(exported.text))) == [
        list(leaders.CSV_COLUMNS),
        ["Ben Brooks", "Team A", "2", "2", "2", "3", "1", "2.0"],
        ["Priya Patel", "Night", "1", "0", "0", "0", "0", "0.8"],
    ]


def test_who_may_see_the_scorecard(org: Org, lms: FakeLms) -> None:
    for learner_or_lead in (org.ana, org.ben, org.chloe):
        refused = learner_or_lead.get("/leaders/scorecard")
        assert refused.status_code == 403 and REFUSED in text(refused)
        assert learner_or_lead.get("/leaders/scorecard.csv").status_code == 403
    assert "your team's page" in text(org.ben.get("/leaders/scorecard"))
    assert "Leader scorecard" not in text(org.ben.get("/"))
    assert "Open the leader scorecard" in text(org.olivia.get("/"))
    dev = login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")
    everyone = scorecard_rows(text(dev.get("/leaders/scorecard")))
    for lead in ("Ben Brooks", "Olivia Okafor", "Priya Patel"):
        assert lead in everyone
    # An operations manager whose leads lead nobody yet: the empty state says who sees what.
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        for t in db.session.scalars(select(Team).where(Team.name.in_(("Team A", "Night")))):
            t.leader_id = None
        db.session.commit()
    refused = org.olivia.get("/leaders/scorecard")
    assert refused.status_code == 403  # she no longer leads leaders
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        assert not leaders.may_see_scorecard(org.ids["olivia"], False)
        assert leaders.scorecard(org.ids["olivia"], False).total == 0
    empty = text(dev.get("/leaders/scorecard"))
    assert "Olivia Okafor" in empty and "Ben Brooks" not in empty


def test_the_scorecard_pages(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leaders, "SCORECARD_PAGE_SIZE", 1)
    first = text(org.olivia.get("/leaders/scorecard"))
    assert "Page 1 of 2" in first and "Ben Brooks" in first and "Priya Patel" not in first
    second = text(org.olivia.get("/leaders/scorecard?page=2"))
    assert "Page 2 of 2" in second and "Priya Patel" in second and "Ben Brooks" not in second
    csv_all = org.olivia.get("/leaders/scorecard.csv").text  # every row, not one page
    assert "Ben Brooks" in csv_all and "Priya Patel" in csv_all


def test_the_team_page_shows_coaching_given_and_enrolments_waiting(org: Org) -> None:
    team_a = org.teams["Team A"]
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        completed_step(org, "ana", "1:a", 10, 1)  # Team A keeps learning
        db.session.commit()
    quiet = text(org.ben.get(f"/paths/team/{team_a}"))
    assert "No coaching given by the team in the last 30 days" in quiet
    assert "No course enrolment requests" in quiet
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        coached(org, "sam", "ana", 2)
        coached(org, "ben", "sam", 4)
        coached(org, "ana", "zack", 40)  # too long ago
        coached(org, "zack", "ana", 1)  # Priya's team
        enrolment(org, "ana", EnrolmentStatus.PENDING, "ben", 0)
        enrolment(org, "zack", EnrolmentStatus.PENDING, "priya", 0)  # not Ben's team
        db.session.commit()
    page = text(org.ben.get(f"/paths/team/{team_a}"))
    assert "2 coaching or shadowing sessions given by the team and Ben Brooks" in page
    assert "(1 by Ben Brooks)" in page
    assert "Sam Stone coached Ana Alvarez" in page and "Ben Brooks coached Sam Stone" in page
    assert "Zack" not in page
    assert "1 course enrolment request to approve" in page
    assert QUIET not in page
    # Ana sees her leader's own learning from her home page.
    assert "see Ben Brooks's path" in text(org.ana.get("/"))


def test_the_stall_nudge_appears_and_is_dismissed_for_a_week(org: Org) -> None:
    night, team_a = org.teams["Night"], org.teams["Team A"]
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        # Team A: Ana completed a step yesterday. Night: Zack last did something 20 days ago.
        completed_step(org, "ana", "1:a", 10, 1)
        completed_step(org, "zack", "1:a", 10, 20)
        db.session.commit()
    assert QUIET not in text(org.ben.get(f"/paths/team/{team_a}"))
    assert QUIET not in text(org.ben.get("/"))
    page = text(org.priya.get(f"/paths/team/{night}"))
    assert "Learning in Night has gone quiet" in page and "for 20 days" in page
    assert "Book or offer a coaching slot" in page
    assert "Talk to the people with overdue steps" in page or "who is where" in page
    home = text(org.priya.get("/"))
    assert "Learning in Night has gone quiet" in home
    # Staff see that it stalled, not the leader's reminder; others may not dismiss it.
    staff = text(org.chloe.get(f"/paths/team/{night}"))
    assert (
        "Learning in this team has gone quiet" in staff and "Priya Patel sees a reminder" in staff
    )
    assert "Hide this for a week" not in staff
    assert org.ben.post(f"/leaders/nudge/{night}/dismiss").status_code == 403
    assert org.ben.post("/leaders/nudge/999999/dismiss").status_code == 404

    done = org.priya.follow(org.priya.post(f"/leaders/nudge/{night}/dismiss?back=home"))
    assert "The reminder about Night is hidden until" in text(done)
    assert QUIET not in text(done)
    assert QUIET not in text(org.priya.get(f"/paths/team/{night}"))
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        row = db.session.scalar(select(NudgeDismissal))
        assert row is not None and row.person_id == org.ids["priya"]
        assert timedelta(days=6.9) < row.until - utcnow() <= timedelta(days=7)
        t = db.session.get(Team, night)
        assert t is not None
        later = utcnow() + timedelta(days=8)
        assert leaders.team_signals(t, org.ids["priya"], now=later).show_nudge  # back after
        assert not leaders.team_signals(t, org.ids["priya"]).show_nudge
        assert leaders.nudges_for(org.ids["priya"], now=later)[0].team_name == "Night"
        # Learning again: no nudge, whatever the dismissal.
        completed_step(org, "zack", "1:b", 10, 0)
        db.session.flush()
        assert not leaders.team_signals(t, org.ids["priya"], now=later).stalled
        db.session.rollback()


def test_what_counts_as_stalled(org: Org) -> None:
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        t = db.session.get(Team, org.teams["Night"])
        assert t is not None

        def stalled(now: datetime | None = None) -> bool:
            return leaders.team_signals(t, org.ids["priya"], now=now).stalled

        assert stalled()  # assigned 21 days ago, nothing done
        assert not stalled(utcnow() - timedelta(days=8))  # then only 13 days old
        zack = db.session.scalar(select(Assignment).where(Assignment.person_id == org.ids["zack"]))
        assert zack is not None
        zack.started_at = _ago(13)  # learning started counts
        db.session.flush()
        assert not stalled()
        zack.started_at = _ago(15)
        db.session.flush()
        assert stalled()
        entry = PlanItem(
            registration_id=org.reg,
            person_id=org.ids["zack"],
            item_id=_item(org),
            goal_kind=GoalKind.INTEREST.value,
            completed_at=_ago(2),
        )
        db.session.add(entry)  # a plan course completed counts too
        db.session.flush()
        assert not stalled()
        db.session.delete(entry)
        zack.completed_at = utcnow()  # no open assignment left: nothing to nudge about
        db.session.flush()
        assert not stalled()
        db.session.rollback()


def _item(org: Org) -> int:
    item = CatalogItem(registration_id=org.reg, external_id="plan-item", title="A course")
    db.session.add(item)
    db.session.flush()
    return item.id


def test_the_team_page_adds_two_statements_whatever_the_team_size(org: Org) -> None:
    def counted(team_id: int) -> tuple[int, int]:
        db.session.expire_all()
        statements = [0]

        def count(*_a: Any) -> None:
            statements[0] += 1

        t = db.session.get(Team, team_id)
        assert t is not None
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            paths_team.team_view(t)
            base = statements[0]
            leaders.team_signals(t, t.leader_id or 0)
            return base, statements[0] - base
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    with org.app.app_context(), tenant_scope(db.session, org.reg):
        t = db.session.get(Team, org.teams["Team A"])
        assert t is not None
        _, added = counted(t.id)
        assert added == 1  # no coaching given: the signals statement only
        coached(org, "sam", "ana", 2)
        db.session.flush()
        base, added = counted(t.id)
        assert added == 2  # and the latest sessions
        for i in range(6):  # four times the team, each coaching: the same two statements
            extra = Person(registration_id=org.reg, sub=f"extra{i}", name=f"Extra {i}")
            db.session.add(extra)
            db.session.flush()
            org.ids[extra.sub] = extra.id
            roles.add_member(org.reg, t, extra.sub)
            coached(org, extra.sub, "ana", 1)
        db.session.flush()
        bigger, added = counted(t.id)
        assert added == 2 and bigger == base
        assert len(leaders.team_signals(t, org.ids["ben"]).recent_coaching) == 5
        db.session.rollback()


def test_the_scorecard_and_the_nudge_speak_spanish(org: Org) -> None:
    """A browser asking for Spanish gets the scorecard, the nudge and its flash in Spanish."""
    night = org.teams["Night"]
    with org.app.app_context(), tenant_scope(db.session, org.reg):
        completed_step(org, "zack", "1:a", 10, 20)
        db.session.commit()
    org.olivia.browser.session.headers["Accept-Language"] = "es"
    scorecard = org.olivia.get("/leaders/scorecard?period=90")
    assert '<html lang="es">' in scorecard.text
    words = text(scorecard)
    assert "Tablero de líderes" in words and "Últimos 90 días" in words
    assert "2 líderes de equipo, últimos 90 días (desde el" in words
    assert "Cómo se cuentan estas cifras" in words
    assert "Leader scorecard" not in words
    # Zack's 10 minutes are Priya's team's hours, with Spanish's decimal comma; not in the CSV.
    assert 'data-label="Horas de aprendizaje del equipo">0,2</td>' in scorecard.text
    exported = org.olivia.get("/leaders/scorecard.csv?period=90&sort=hours&dir=desc")
    assert list(csv.reader(io.StringIO(exported.text)))[1][-1] == "0.2"
    org.priya.browser.session.headers["Accept-Language"] = "es"
    page = text(org.priya.get(f"/paths/team/{night}"))
    assert "El aprendizaje en Night se ha detenido" in page and "en 20 días" in page
    assert "Ocultar esto por una semana" in page
    done = org.priya.follow(org.priya.post(f"/leaders/nudge/{night}/dismiss?back=home"))
    assert '<html lang="es">' in done.text
    assert "El recordatorio sobre Night queda oculto hasta el" in text(done)
