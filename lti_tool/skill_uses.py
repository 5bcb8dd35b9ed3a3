"""What deleting a skill changes, in plain words, for the confirmation before it is deleted.

Everything that refers to a skill is counted here, in one place: the foreign keys to
``skills.id`` (their ON DELETE deletes the row or empties the column) and the JSON lists of
skill ids (``roles.services.delete_skill`` takes the id out of them). ``COUNTED`` names each
column; tests/roles/test_skill_deletion.py fails when a column refers to skills and is not in
it. The role and skill matrix's targets are counted by roles.services itself (Dependents).

Each count is one query; the JSON lists are searched in SQL (``id_lists.holds``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lti_tool.catalog.models import CatalogItemSkill, PlanItem
from lti_tool.coaching.models import CoachingOffer, CoachingSession
from lti_tool.community.models import Grant, GrantKind, PostSkill
from lti_tool.extensions import db
from lti_tool.i18n import ngettext
from lti_tool.id_lists import holds
from lti_tool.paths.models import PathNode, PathVersion
from lti_tool.paths.personal_models import LearnerProfile, SkillRating
from lti_tool.recognition.models import Badge
from lti_tool.roles import services as roles
from lti_tool.roles.models import RoleSkillTarget, Skill
from lti_tool.voice.models import Suggestion

COUNTED = (
    RoleSkillTarget.skill_id,  # by roles.services.skill_dependents
    SkillRating.skill_id,
    PathNode.skill_ids,
    LearnerProfile.interests,
    CatalogItemSkill.skill_id,
    PlanItem.goal_skill_id,
    CoachingOffer.skill_ids,
    CoachingSession.skill_ids,
    PostSkill.skill_id,
    Grant.skill_id,
    Suggestion.skill_id,
    Badge.skill_id,
)


def _count(query: Any) -> int:
    return db.session.scalar(query) or 0


def _rows(column: Any, skill: Skill) -> int:
    return _count(select(func.count()).where(column == skill.id))


def _listing(column: Any, skill: Skill) -> int:
    model = column.class_
    return _count(
        select(func.count()).where(
            model.registration_id == skill.registration_id, holds(column, skill.id)
        )
    )


def lines(skill: Skill) -> list[str]:
    """One sentence per kind of thing the deletion changes, and what it does to it."""
    raters = _count(
        select(func.count(func.distinct(SkillRating.person_id))).where(
            SkillRating.skill_id == skill.id
        )
    )
    steps, paths = db.session.execute(
        select(func.count(), func.count(func.distinct(PathVersion.path_id)))
        .select_from(PathNode)
        .join(PathVersion, PathVersion.id == PathNode.version_id)
        .where(
            PathNode.registration_id == skill.registration_id,
            PathNode.kind != "set",
            holds(PathNode.skill_ids, skill.id),
        )
    ).one()
    learners = _listing(LearnerProfile.interests, skill)
    items = _rows(CatalogItemSkill.skill_id, skill)
    plans = _rows(PlanItem.goal_skill_id, skill)
    offers = _listing(CoachingOffer.skill_ids, skill)
    sessions = _listing(CoachingSession.skill_ids, skill)
    posts = _rows(PostSkill.skill_id, skill)
    experts = _count(
        select(func.count(func.distinct(Grant.person_id))).where(
            Grant.skill_id == skill.id, Grant.kind == GrantKind.EXPERT.value
        )
    )
    suggestions = _rows(Suggestion.skill_id, skill)
    badges = _rows(Badge.skill_id, skill)
    said = [
        (
            raters,
            ngettext(
                "%(num)s person has a self or team lead rating in it: those ratings are "
                "deleted, and the skill no longer counts in their skill gaps.",
                "%(num)s people have a self or team lead rating in it: those ratings are "
                "deleted, and the skill no longer counts in their skill gaps.",
                raters,
            ),
        ),
        (
            steps,
            ngettext(
                "%(num)s step of %(paths)s lists it as a skill built; it stops listing it.",
                "%(num)s steps of %(paths)s list it as a skill built; they stop listing it.",
                steps,
                paths=ngettext(
                    "%(num)s learning path (drafts and published versions)",
                    "%(num)s learning paths (drafts and published versions)",
                    paths,
                ),
            ),
        ),
        (
            learners,
            ngettext(
                "%(num)s learner chose it as an interest; it is taken out of their interests.",
                "%(num)s learners chose it as an interest; it is taken out of their interests.",
                learners,
            ),
        ),
        (
            items,
            ngettext(
                "%(num)s catalog item is tagged with it; it loses the tag.",
                "%(num)s catalog items are tagged with it; they lose the tag.",
                items,
            ),
        ),
        (
            plans,
            ngettext(
                "%(num)s item in people's plans is there to grow it; it stays in their plan, "
                "without the skill.",
                "%(num)s items in people's plans are there to grow it; they stay in their "
                "plans, without the skill.",
                plans,
            ),
        ),
        (
            offers,
            ngettext(
                "%(num)s coaching or shadowing offer lists it; it stops listing it.",
                "%(num)s coaching or shadowing offers list it; they stop listing it.",
                offers,
            ),
        ),
        (
            sessions,
            ngettext(
                "%(num)s coaching or shadowing session lists it; it stops listing it.",
                "%(num)s coaching or shadowing sessions list it; they stop listing it.",
                sessions,
            ),
        ),
        (
            posts,
            ngettext(
                "%(num)s tip or question is tagged with it; it loses the tag.",
                "%(num)s tips and questions are tagged with it; they lose the tag.",
                posts,
            ),
        ),
        (
            experts,
            ngettext(
                "%(num)s person is named an expert in it; they are no longer an expert in it.",
                "%(num)s people are named experts in it; they are no longer experts in it.",
                experts,
            ),
        ),
        (
            suggestions,
            ngettext(
                "%(num)s training suggestion names it; it stays, without the skill.",
                "%(num)s training suggestions name it; they stay, without the skill.",
                suggestions,
            ),
        ),
        (
            badges,
            ngettext(
                "%(num)s badge is awarded for a level in it; it is no longer awarded "
                "automatically, and those who earned it keep it.",
                "%(num)s badges are awarded for a level in it; they are no longer awarded "
                "automatically, and those who earned them keep them.",
                badges,
            ),
        ),
    ]
    return [sentence for count, sentence in said if count]


def register() -> None:
    if lines not in roles.skill_uses:
        roles.skill_uses.append(lines)
