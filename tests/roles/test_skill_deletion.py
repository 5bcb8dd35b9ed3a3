"""Deleting a skill: its id leaves every JSON list of skill ids in its tenant (path steps of
drafts and published versions, coaching offers and sessions, learners' interests), which are
not foreign keys, and no later skill gets that id again (SQLite reused the newest deleted id).
The confirmation page counts everything the deletion changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool import id_lists, skill_uses
from lti_tool.catalog.models import CatalogItem, CatalogItemSkill, PlanItem
from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot
from lti_tool.community.models import Grant, Post, PostSkill
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths.models import Path, PathNode, PathVersion
from lti_tool.paths.personal_models import LearnerProfile
from lti_tool.people.models import Person
from lti_tool.recognition.models import Badge
from lti_tool.roles import services
from lti_tool.roles.models import Skill
from lti_tool.tenancy import tenant_scope
from lti_tool.voice.models import Suggestion
from tests.harness import INSTRUCTOR, FakeLms
from tests.roles.test_i18n_roles import login_in
from tests.roles.test_pages import login, text

LEVELS = [f"Level {n}" for n in range(1, 6)]


@pytest.fixture
def tenants(clean_app: Any) -> Iterator[tuple[int, int]]:
    with clean_app.app_context():
        ids = []
        for client in ("a", "b"):
            reg = Registration(
                issuer="https://lms.example.com",
                client_id=client,
                name=f"LMS {client}",
                auth_login_url="https://lms.example.com/auth",
                key_set_url="https://lms.example.com/jwks",
            )
            db.session.add(reg)
            db.session.flush()
            ids.append(reg.id)
        db.session.commit()
        yield ids[0], ids[1]
        db.session.rollback()


def new_skill(registration_id: int, name: str) -> Skill:
    row, errors = services.save_skill(registration_id, None, name, "", LEVELS)
    assert row is not None, errors
    return row


def used_everywhere(registration_id: int, skill_ids: list[int]) -> dict[str, int]:
    """A path with a published version and a draft, a coaching offer with a booked session and
    a learner's interests, each listing ``skill_ids``; the rows' ids by what they are."""
    learner = Person(registration_id=registration_id, sub="ana", name="Ana")
    coach = Person(registration_id=registration_id, sub="sam", name="Sam")
    path = Path(registration_id=registration_id, title="First 90 days")
    db.session.add_all([learner, coach, path])
    db.session.flush()
    published = PathVersion(
        registration_id=registration_id,
        path_id=path.id,
        number=1,
        status="published",
        published_at=utcnow(),
    )
    draft = PathVersion(registration_id=registration_id, path_id=path.id, number=2)
    db.session.add_all([published, draft])
    db.session.flush()
    steps = [
        PathNode(
            registration_id=registration_id,
            version_id=version.id,
            key="listen",
            kind="link",
            title="Listen to three calls",
            skill_ids=list(skill_ids),
        )
        for version in (published, draft)
    ]
    offer = CoachingOffer(
        registration_id=registration_id,
        coach_id=coach.id,
        title="Calm calls",
        skill_ids=list(skill_ids),
    )
    profile = LearnerProfile(
        registration_id=registration_id, person_id=learner.id, interests=list(skill_ids)
    )
    db.session.add_all([*steps, offer, profile])
    db.session.flush()
    when = utcnow() + timedelta(days=2)
    slot = CoachingSlot(registration_id=registration_id, offer_id=offer.id, starts_at=when)
    db.session.add(slot)
    db.session.flush()
    session = CoachingSession(
        registration_id=registration_id,
        slot_id=slot.id,
        offer_id=offer.id,
        coach_id=coach.id,
        learner_id=learner.id,
        kind="coaching",
        starts_at=when,
        skill_ids=list(skill_ids),
    )
    db.session.add(session)
    db.session.flush()
    return {
        "published step": steps[0].id,
        "draft step": steps[1].id,
        "offer": offer.id,
        "session": session.id,
        "interests": profile.id,
        "learner": learner.id,
        "coach": coach.id,
    }


def lists(rows: dict[str, int]) -> dict[str, list[int]]:
    """Each row's list as the database holds it now (not the session's copy)."""
    columns = {
        "published step": PathNode.skill_ids,
        "draft step": PathNode.skill_ids,
        "offer": CoachingOffer.skill_ids,
        "session": CoachingSession.skill_ids,
        "interests": LearnerProfile.interests,
    }
    found = {}
    for what, column in columns.items():
        table = column.class_
        found[what] = db.session.execute(select(column).where(table.id == rows[what])).scalar_one()
    return found


def test_the_json_columns_listing_skill_ids_are_known(clean_app: Any) -> None:
    """A new JSON column of skill ids is marked (id_lists.ids_of) so deletions clean it."""
    with clean_app.app_context():
        marked = {f"{c.class_.__tablename__}.{c.key}" for c in id_lists.columns_listing("skills")}
    assert marked == {
        "path_nodes.skill_ids",
        "coaching_offers.skill_ids",
        "coaching_sessions.skill_ids",
        "learner_profiles.interests",
    }


def test_the_confirmation_counts_every_column_that_refers_to_a_skill(clean_app: Any) -> None:
    """A new foreign key to skills, or a new list of skill ids, is described to the person
    deleting a skill (lti_tool/skill_uses.py) before it ships."""
    with clean_app.app_context():
        referring = {
            f"{fk.parent.table.name}.{fk.parent.name}"
            for table in db.metadata.tables.values()
            for fk in table.foreign_keys
            if fk.column.table.name == "skills"
        }
        referring |= {
            f"{c.class_.__tablename__}.{c.key}" for c in id_lists.columns_listing("skills")
        }
        counted = {f"{c.class_.__tablename__}.{c.key}" for c in skill_uses.COUNTED}
    assert len(referring) > 10
    assert referring == counted


def test_deleting_a_skill_takes_its_id_out_of_every_list_of_its_tenant_only(
    tenants: tuple[int, int],
) -> None:
    ours, theirs = tenants
    with tenant_scope(db.session, theirs):
        their_empathy = new_skill(theirs, "Empathy")  # the same name, another tenant
        their_rows = used_everywhere(theirs, [their_empathy.id])
    with tenant_scope(db.session, ours):
        listening = new_skill(ours, "Listening")
        empathy = new_skill(ours, "Empathy")  # the newest skill: SQLite reused such an id
        our_rows = used_everywhere(ours, [listening.id, empathy.id])
    db.session.commit()
    gone = empathy.id

    with tenant_scope(db.session, ours):
        services.delete_skill(empathy)
    db.session.commit()

    assert lists(our_rows) == {what: [listening.id] for what in lists(our_rows)}
    assert lists(their_rows) == {what: [their_empathy.id] for what in lists(their_rows)}
    assert db.session.get(Skill, their_empathy.id) is not None

    with tenant_scope(db.session, ours):
        patience = new_skill(ours, "Patience")
    db.session.commit()
    assert patience.id != gone  # ids are never given twice, on SQLite too
    for rows in (our_rows, their_rows):
        assert all(patience.id not in ids for ids in lists(rows).values())


def test_a_list_holding_only_the_deleted_skill_is_left_empty_and_others_keep_their_order(
    tenants: tuple[int, int],
) -> None:
    ours, _ = tenants
    with tenant_scope(db.session, ours):
        first, gone, last = (new_skill(ours, n) for n in ("Empathy", "Typing", "Listening"))
        alone = used_everywhere(ours, [gone.id])
        offer = db.session.get(CoachingOffer, alone["offer"])
        assert offer is not None
        offer.skill_ids = [last.id, gone.id, first.id]
        db.session.commit()
        services.delete_skill(gone)
        db.session.commit()
    found = lists(alone)
    assert found.pop("offer") == [last.id, first.id]
    assert found == {what: [] for what in found}


def test_the_confirmation_counts_everything_the_deletion_changes(
    lms: FakeLms, clean_app: Any
) -> None:
    chloe = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com")
    chloe.follow(chloe.post("/roles/starter"))
    reg = lms.registration_id  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, reg):
        skill = db.session.scalar(select(Skill).where(Skill.name == "Empathy"))
        assert skill is not None
        rows = used_everywhere(reg, [skill.id])
        other = Person(registration_id=reg, sub="ben", name="Ben")
        db.session.add(other)
        db.session.flush()
        db.session.add(
            LearnerProfile(registration_id=reg, person_id=other.id, interests=[skill.id])
        )
        items = [
            CatalogItem(registration_id=reg, external_id=f"local-{n}", title=f"Course {n}")
            for n in (1, 2)
        ]
        post = Post(
            registration_id=reg, kind="tip", title="Name the feeling", body_md="", body_html=""
        )
        db.session.add_all([*items, post])
        db.session.flush()
        db.session.add_all(
            [
                *(
                    CatalogItemSkill(registration_id=reg, item_id=i.id, skill_id=skill.id)
                    for i in items
                ),
                PlanItem(
                    registration_id=reg,
                    person_id=rows["learner"],
                    item_id=items[0].id,
                    goal_kind="skill_gap",
                    goal_skill_id=skill.id,
                ),
                PostSkill(registration_id=reg, post_id=post.id, skill_id=skill.id),
                Grant(
                    registration_id=reg, person_id=rows["coach"], kind="expert", skill_id=skill.id
                ),
                Suggestion(registration_id=reg, title="A course on empathy", skill_id=skill.id),
                Badge(
                    registration_id=reg,
                    name="Empathetic",
                    design="star",
                    criterion="skill_level",
                    skill_id=skill.id,
                    threshold=4,
                ),
            ]
        )
        db.session.commit()
        pk = skill.id

    page = text(chloe.get(f"/roles/skills/{pk}/delete"))
    assert "Delete skill Empathy?" in page
    for line in (
        "target levels in the role and skill matrix are removed.",
        "2 steps of 1 learning path (drafts and published versions) list it as a skill built",
        "2 learners chose it as an interest; it is taken out of their interests.",
        "2 catalog items are tagged with it; they lose the tag.",
        "1 item in people's plans is there to grow it; it stays in their plan, without the skill.",
        "1 coaching or shadowing offer lists it; it stops listing it.",
        "1 coaching or shadowing session lists it; it stops listing it.",
        "1 tip or question is tagged with it; it loses the tag.",
        "1 person is named an expert in it; they are no longer an expert in it.",
        "1 training suggestion names it; it stays, without the skill.",
        "1 badge is awarded for a level in it; it is no longer awarded automatically, "
        "and those who earned it keep it.",
    ):
        assert line in page, line

    spanish = login_in(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "es-419")
    page = text(spanish.get(f"/roles/skills/{pk}/delete"))
    for line in (
        "2 aprendices la eligieron como interés; se quita de sus intereses.",
        "2 elementos del catálogo están etiquetados con ella; pierden la etiqueta.",
        "1 oferta de coaching o acompañamiento en puesto la incluye; deja de incluirla.",
        "1 sesión de coaching o acompañamiento en puesto la incluye; deja de incluirla.",
    ):
        assert line in page, line

    chloe.follow(chloe.post(f"/roles/skills/{pk}/delete"))
    with clean_app.app_context():
        assert lists(rows) == {what: [] for what in lists(rows)}
        assert db.session.scalars(select(LearnerProfile.interests)).all() == [[], []]
