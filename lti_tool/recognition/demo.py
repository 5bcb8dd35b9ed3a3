"""Demo recognition: Chloe's badges (one of each kind), Ana's tip verified by Chloe (which
auto-awards her "First tip verified"), a badge Ben gives Ana with a message, and thanks between
Ana and Ben. Added once; later seeds leave it as it is."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person
from lti_tool.recognition import services
from lti_tool.recognition.models import Badge, Criterion

BADGES = (
    (
        "First path completed",
        "medal",
        Criterion.PATH_COMPLETED,
        "",
        1,
        "You finished a whole learning path: every required step, signed off where needed.",
        "Complete every required step of any learning path assigned to you.",
    ),
    (
        "First tip verified",
        "star",
        Criterion.VERIFIED_TIPS,
        "",
        1,
        "You shared what works, and an expert confirmed it: colleagues can rely on it.",
        "Share a tip in the community that a trainer or subject-matter expert verifies.",
    ),
    (
        "Trusted tipster",
        "bubble",
        Criterion.VERIFIED_TIPS,
        "",
        3,
        "Three of your tips were verified by experts: people learn from you every day.",
        "Share three tips that trainers or subject-matter experts verify.",
    ),
    (
        "De-escalation pro",
        "shield",
        Criterion.SKILL_LEVEL,
        "De-escalation",
        4,
        "You turn angry callers around calmly and reliably.",
        "Reach level 4 (advanced) in De-escalation, as rated by your team lead.",
    ),
    (
        "Coach of the floor",
        "compass",
        Criterion.COACHING_GIVEN,
        "",
        5,
        "You helped five colleagues get better through coaching sessions.",
        "Give five coaching sessions that were held and signed off.",
    ),
    (
        "Above and beyond",
        "heart",
        Criterion.LEADER,
        "",
        1,
        "Something you did made a real difference to the team or a customer.",
        "Given by a team lead or trainer, with a message saying what you did.",
    ),
)


def seed_recognition(reg: Registration) -> None:
    from lti_tool.community import services as community
    from lti_tool.community.models import Answer, Post
    from lti_tool.roles import services as roles
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(Badge.id).limit(1)) is not None:
            return
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        if not {"ana", "ben", "chloe", "sam"} <= people.keys():
            return

        def actor(sub: str) -> services.Actor:
            return services.Actor(
                reg.id,
                people[sub].id,
                people[sub].display_name,
                is_instructor=sub == "chloe",
                is_leader=sub == "ben",
            )

        skills = {s.name: s.id for s in roles.skills()}
        made = {}
        for name, design, kind, skill, threshold, description, criteria_text in BADGES:
            row, errors = services.save_badge(
                actor("chloe"),
                None,
                {
                    "name": name,
                    "design": design,
                    "criterion": kind.value,
                    "description": description,
                    "criteria_text": criteria_text,
                    "count": str(threshold),
                    "level": str(threshold),
                    "skill_id": str(skills.get(skill, "")),
                    "path_id": "",
                },
            )
            assert row is not None, errors
            made[name] = row
        # Sam's tip was verified before the badges existed: the re-evaluation finds it.
        services.award_automatic(reg.id)
        # Chloe verifies Ana's tip: the verification hook awards Ana her badge at once.
        tip = db.session.scalar(select(Post).where(Post.title == "Summarise before you close"))
        if tip is not None and tip.verified_at is None:
            chloe = community.actor(
                reg.id,
                people["chloe"].id,
                is_instructor=True,
                is_leader=False,
                is_administrator=False,
            )
            community.verify(chloe, tip, "Clear and it works: fewer repeat calls.")
        services.award_by_hand(
            actor("ben"),
            {
                "badge_id": str(made["Above and beyond"].id),
                "person_id": str(people["ana"].id),
                "message": "You stayed on the line with a distressed customer for 40 minutes "
                "and got her refund through before the weekend. Thank you, Ana.",
            },
        )
        best = db.session.scalar(select(Answer).where(Answer.body_md.like("Offer a **goodwill%")))
        thanks = [
            (
                "ana",
                "ben",
                "Your goodwill credit answer saved my call: the customer stayed with us!",
                best,
            ),
            (
                "ben",
                "ana",
                "Thanks for taking the late queue on Friday so the new starters could leave.",
                None,
            ),
        ]
        for sender, to, message, answer in thanks:
            row, errors = services.give_kudos(
                actor(sender),
                services.KudosForm(
                    person_id=str(people[to].id),
                    message=message,
                    answer_id=str(answer.id) if answer is not None else "",
                ),
            )
            assert row is not None, errors
    db.session.flush()
