"""Demo data for personalisation and the team page (called once from demo.seed).

- A published *Senior agent* path and a short *Team lead* path: Ana's career goal then has a
  path to suggest steps from, and Ben (Team lead) has his own learning to show his team.
- Ana has done the onboarding: she rated herself on her role's skills, chose interests and
  formats, and her career goal is Senior agent. Ben (her team lead) rated her on three skills.
- Ben has done it too (a few ratings). Sam has not: launching as Sam shows the onboarding.

Added once; a later seed leaves what people changed alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person

if TYPE_CHECKING:
    from lti_tool.paths.services import Actor
    from lti_tool.roles.models import Skill

SENIOR_PATH = "Senior agent: take the hard calls"
LEAD_PATH = "Team lead: coaching essentials"
ANA_SELF = {
    "Call control": 2,
    "Empathy": 3,
    "Product knowledge": 2,
    "De-escalation": 2,
    "Compliance": 3,
    "Systems navigation": 3,
}
BEN_ON_ANA = {"Call control": 2, "Empathy": 4, "Compliance": 2}
BEN_SELF = {"Coaching": 3, "De-escalation": 4, "Quality evaluation": 2}


def seed_personal(reg: Registration) -> None:
    from lti_tool.paths import personal
    from lti_tool.paths import services as paths
    from lti_tool.paths.models import Path
    from lti_tool.paths.personal_models import Rater
    from lti_tool.roles import services as roles
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        ana, ben = people.get("ana"), people.get("ben")
        if ana is None or ben is None or not roles.skills():
            return
        skill = {s.name: s for s in roles.skills()}
        chloe = paths.Actor("Chloe Chen", None, is_staff=True)
        if db.session.scalar(select(Path.id).where(Path.title == SENIOR_PATH)) is None:
            _senior_path(reg, chloe, skill)
        if db.session.scalar(select(Path.id).where(Path.title == LEAD_PATH)) is None:
            _lead_path(reg, chloe, skill, ben)
        if personal.profile(ana.id) is None:
            senior = roles.match_role("Senior agent")
            if senior is not None:
                roles.set_career_goal(reg.id, ana, str(senior.id))
            personal.save_ratings(
                ana,
                {skill[n].id: v for n, v in ANA_SELF.items() if n in skill},
                Rater.SELF,
                by=ana.display_name,
                by_person_id=ana.id,
            )
            personal.save_interests(
                ana,
                [str(skill[n].id) for n in ("De-escalation", "Product knowledge") if n in skill],
                ["video", "hands_on"],
            )
            for step in personal.ONBOARDING_STEPS:
                personal.advance(ana, step)
            personal.save_ratings(
                ana,
                {skill[n].id: v for n, v in BEN_ON_ANA.items() if n in skill},
                Rater.LEADER,
                by=ben.display_name,
                by_person_id=ben.id,
            )
        if personal.profile(ben.id) is None:
            personal.save_ratings(
                ben,
                {skill[n].id: v for n, v in BEN_SELF.items() if n in skill},
                Rater.SELF,
                by=ben.display_name,
                by_person_id=ben.id,
            )
            for step in personal.ONBOARDING_STEPS:
                personal.advance(ben, step)
    db.session.flush()


def _steps(
    reg: Registration,
    title: str,
    role: str,
    chloe: Actor,
    sets: list[tuple[str, str, list[tuple[str, str, tuple[str, ...], dict[str, Any]]]]],
    skill: dict[str, Skill],
) -> None:
    from lti_tool.paths import services as paths
    from lti_tool.roles import services as roles

    found = roles.match_role(role)
    if found is None:
        return
    path, errors = paths.save_path(
        reg.id, None, {"title": title, "role_id": str(found.id), "description": ""}, chloe
    )
    assert path is not None, errors
    version = path.versions[0]
    for set_title, rule, steps in sets:
        parent, errors = paths.save_node(
            version, None, True, {"title": set_title, "rule": rule}, []
        )
        assert parent is not None, errors
        for step_title, kind, skills, values in steps:
            row, errors = paths.save_node(
                version,
                None,
                False,
                {"title": step_title, "kind": kind, "parent_id": str(parent.id), **values},
                [str(skill[s].id) for s in skills if s in skill],
            )
            assert row is not None, errors
    paths.publish(version, chloe)


def _senior_path(reg: Registration, chloe: Actor, skill: dict[str, Skill]) -> None:
    lms = "https://lms.example.com/course/view.php?id="
    _steps(
        reg,
        SENIOR_PATH,
        "Senior agent",
        chloe,
        [
            (
                "Escalations",
                "in_order",
                [
                    (
                        "Call control under pressure",
                        "lms",
                        ("Call control",),
                        {"url": lms + "51", "format": "video", "minutes": "40", "due_days": "14"},
                    ),
                    (
                        "Advanced de-escalation workshop",
                        "lms",
                        ("De-escalation", "Empathy"),
                        {"url": lms + "52", "format": "live", "minutes": "90", "due_days": "30"},
                    ),
                    (
                        "Handle an escalation with a senior agent beside you",
                        "shadowing",
                        ("De-escalation",),
                        {"format": "peer", "minutes": "120", "due_days": "45"},
                    ),
                ],
            ),
            (
                "Know the products inside out",
                "any_order",
                [
                    (
                        "Billing edge cases: the ten hardest disputes",
                        "link",
                        ("Product knowledge",),
                        {
                            "url": "https://help.example.com/billing-edge-cases",
                            "format": "reading",
                            "minutes": "30",
                            "self_report": "yes",
                        },
                    ),
                    (
                        "Compliance refresher: recorded-call rules",
                        "lms",
                        ("Compliance",),
                        {"url": lms + "53", "format": "hands_on", "minutes": "25"},
                    ),
                ],
            ),
        ],
        skill,
    )


def _lead_path(reg: Registration, chloe: Actor, skill: dict[str, Skill], ben: Person) -> None:
    from lti_tool.paths import services as paths

    _steps(
        reg,
        LEAD_PATH,
        "Team lead",
        chloe,
        [
            (
                "Coaching",
                "any_order",
                [
                    (
                        "Coaching conversations that stick",
                        "lms",
                        ("Coaching",),
                        {
                            "url": "https://lms.example.com/course/view.php?id=61",
                            "format": "video",
                            "minutes": "45",
                            "self_report": "yes",
                        },
                    ),
                    (
                        "Run a calibration session with QA",
                        "link",
                        ("Quality evaluation",),
                        {
                            "url": "https://help.example.com/calibration",
                            "format": "live",
                            "minutes": "60",
                            "self_report": "yes",
                        },
                    ),
                ],
            )
        ],
        skill,
    )
    found = paths.learning_of(ben.id)
    mine = next((lr for lr in found if lr.path.title == LEAD_PATH), None)
    if mine is not None and mine.view.next_step is not None:
        paths.self_report(mine, mine.view.next_step.key, paths.Actor(ben.display_name, ben.id))
