"""The learning-path pages through real launches: an instructor builds, previews and publishes a
path; a learner follows it; a leader signs off; forbidden cases and another tenant's rows."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Assignment, Path, PathEvent, PathNode
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.conftest import add_registration
from tests.harness import INSTRUCTOR, LEARNER, MANAGER, FakeLms
from tests.roles.test_pages import FORBIDDEN, Session, login, text


@pytest.fixture
def chloe(lms: FakeLms) -> Session:
    s = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer")
    s.follow(s.post("/roles/starter"))
    return s


def ana_login(lms: FakeLms) -> Session:
    return login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")


def tier1_id(app: Any, lms: FakeLms) -> int:
    with app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        found = roles.match_role("Tier 1 agent")
        assert found is not None
        return found.id


def build_path(chloe: Session, role_id: int) -> int:
    editor = chloe.follow(
        chloe.post("/paths/manage/new", {"title": "First 90 days", "role_id": str(role_id)})
    )
    pk = int(re.search(r"/paths/manage/(\d+)/settings", editor.text).group(1))  # type: ignore[union-attr]
    chloe.follow(
        chloe.post(f"/paths/manage/{pk}/sets/new", {"title": "Week 1", "rule": "in_order"})
    )
    set_id = re.search(r'id="node-(\d+)"', chloe.get(f"/paths/manage/{pk}").text).group(1)  # type: ignore[union-attr]
    form = chloe.get(f"/paths/manage/{pk}/steps/new").text
    skill_ids = re.findall(r'name="skills" value="(\d+)"', form)[:2]
    for title, kind, extra in (
        (
            "Read the welcome guide",
            "link",
            {"url": "https://help.example.com/welcome", "self_report": "yes"},
        ),
        ("Shadow a senior agent", "shadowing", {}),
    ):
        saved = chloe.browser.post(
            chloe.url(f"/paths/manage/{pk}/steps/new"),
            data={
                "title": title,
                "kind": kind,
                "format": "reading",
                "minutes": "20",
                "due_days": "7",
                "required": "yes",
                "parent_id": set_id,
                "skills": skill_ids,
                "csrf_token": chloe.csrf(),
                **extra,
            },
        )
        assert saved.status_code == 303, text(saved)
    assert "Call control, Coaching" in text(chloe.get(f"/paths/manage/{pk}"))  # its skills
    return pk


def person_id(app: Any, sub: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(Person.id).where(Person.sub == sub))
        assert found is not None
        return found


def test_instructor_builds_previews_and_publishes_and_the_learner_follows(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    ana = ana_login(lms)
    empty = text(ana.get("/paths/"))
    assert "You are Tier 1 agent ; no path for that role is published yet" in empty
    role_id = tier1_id(clean_app, lms)
    # Bad input keeps what was typed.
    bad = chloe.post("/paths/manage/new", {"title": " ", "role_id": "", "description": "Kept"})
    assert bad.status_code == 400
    assert "Give the path a title" in text(bad) and "Choose the job role" in text(bad)
    assert ">Kept</textarea>" in bad.text
    pk = build_path(chloe, role_id)
    bad_step = chloe.post(
        f"/paths/manage/{pk}/steps/new",
        {
            "title": "Broken link step",
            "kind": "link",
            "url": "javascript:alert(1)",
            "format": "video",
        },
    )
    assert bad_step.status_code == 400
    assert 'value="Broken link step"' in bad_step.text
    assert "Give a full web address" in text(bad_step)
    preview = text(chloe.get(f"/paths/manage/{pk}/preview"))
    assert "Preview of draft version 1" in preview and "Read the welcome guide" in preview
    assert text(ana.get("/paths/")).count("First 90 days") == 0  # drafts are invisible

    published = chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    assert "Version 1 is published. 1 person holding the role was assigned it." in text(published)
    assert "Start a new draft (v2)" in text(published)
    refused = chloe.post(f"/paths/manage/{pk}/sets/new", {"title": "Sneaked", "rule": "in_order"})
    assert refused.status_code == 409 and "Start a new draft" in text(refused)

    page = text(ana.get("/paths/"))
    assert "0% complete" in page and "Next: Read the welcome guide" in page
    assert "next step of “Week 1”, which is done in order" in page
    with clean_app.app_context():
        a = db.session.scalar(select(Assignment))
        assert a is not None
        welcome = db.session.scalar(
            select(PathNode.key).where(PathNode.title == "Read the welcome guide")
        )
        shadow = db.session.scalar(
            select(PathNode.key).where(PathNode.title == "Shadow a senior agent")
        )
    locked = ana.post(f"/paths/a/{a.id}/{shadow}", {"action": "signoff"})
    assert locked.status_code == 400 and "opens once the steps before it are done" in text(locked)
    waiting = text(ana.get(f"/paths/a/{a.id}/{shadow}"))
    assert "This step opens once the step “Read the welcome guide” is done" in waiting
    step = text(ana.get(f"/paths/a/{a.id}/{welcome}"))
    assert "Why it matters" in step and "about 20 minutes" in step and "Open it" in step
    done = ana.follow(ana.post(f"/paths/a/{a.id}/{welcome}", {"action": "done"}))
    assert "“Read the welcome guide” is done." in text(done)
    page = text(ana.get("/paths/"))
    assert "50% complete" in page and "Next: Shadow a senior agent" in page
    home = text(ana.get("/"))
    assert "First 90 days: 50% complete" in home and "Shadow a senior agent" in home
    counts = text(chloe.get("/paths/manage"))
    assert "Tier 1 agent First 90 days 1 1 0 (0%)" in counts


def test_signoff_by_the_team_leader_through_the_pages(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_login(lms)
    ben = login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")
    sam = login(lms, "sam", [LEARNER], "Sam", "sam@example.com", "Tier 1 agent")
    with clean_app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        team, _ = roles.save_team(lms.registration_id, None, "Team A", "ben@example.com")  # type: ignore[attr-defined]
        assert team is not None
        roles.add_member(lms.registration_id, team, "ana@example.com")  # type: ignore[attr-defined]
        db.session.commit()
        a = db.session.scalar(select(Assignment).join(Person).where(Person.sub == "ana"))
        assert a is not None
        keys = {n.title: n.key for n in db.session.scalars(select(PathNode))}
    ana.follow(ana.post(f"/paths/a/{a.id}/{keys['Read the welcome guide']}", {"action": "done"}))
    shadow = f"/paths/a/{a.id}/{keys['Shadow a senior agent']}"
    asked = ana.follow(ana.post(shadow, {"action": "signoff", "note": "Shadowed Carmen"}))
    assert "Sign-off requested" in text(asked) and "waiting for sign-off" in text(asked)

    assert "No sign-offs are waiting for you" in text(sam.get("/paths/signoffs"))
    pending = ben.get("/paths/signoffs")
    assert "Ana Alvarez: Shadow a senior agent" in text(pending) and "Shadowed Carmen" in text(
        pending
    )
    request_id = re.search(r"/paths/signoffs/(\d+)", pending.text).group(1)  # type: ignore[union-attr]
    refused = sam.post(f"/paths/signoffs/{request_id}", {"decision": "approve"})
    assert refused.status_code == 403 and FORBIDDEN in refused.text
    empty_note = ben.post(f"/paths/signoffs/{request_id}", {"decision": "decline", "note": ""})
    assert empty_note.status_code == 400 and "Say what is missing" in text(empty_note)
    ben.follow(
        ben.post(
            f"/paths/signoffs/{request_id}", {"decision": "decline", "note": "A full shift, please"}
        )
    )
    step = text(ana.get(shadow))
    assert "Ben Brooks declined the sign-off" in step and "A full shift, please" in step
    ana.follow(ana.post(shadow, {"action": "signoff", "note": "Full shift done"}))
    pending = ben.get("/paths/signoffs")
    request_id = re.search(r"/paths/signoffs/(\d+)", pending.text).group(1)  # type: ignore[union-attr]
    ben.follow(
        ben.post(f"/paths/signoffs/{request_id}", {"decision": "approve", "note": "Well done"})
    )
    page = text(ana.get("/paths/"))
    assert "100% complete" in page and "Path complete" in page
    # Ben leads Ana: he sees her path; Sam does not.
    ana_id = person_id(clean_app, "ana")
    assert "Ana Alvarez's path" in text(ben.get(f"/paths/people/{ana_id}"))
    other = sam.get(f"/paths/people/{ana_id}")
    assert other.status_code == 403 and FORBIDDEN in other.text
    assert sam.get(shadow).status_code == 403


def test_learners_are_kept_out_and_other_tenants_see_nothing(
    lms: FakeLms, chloe: Session, clean_app: Any, tool_server: str
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_login(lms)
    for path in (
        "/paths/manage",
        "/paths/manage/new",
        f"/paths/manage/{pk}",
        f"/paths/assign/{pk}",
        f"/paths/manage/{pk}/preview",
    ):
        page = ana.get(path)
        assert page.status_code == 403 and FORBIDDEN in page.text, path
    assert ana.post(f"/paths/manage/{pk}/publish").status_code == 403
    bare = ana.browser.post(ana.url(f"/paths/manage/{pk}/publish"))
    assert bare.status_code == 400  # no CSRF token
    with clean_app.app_context():
        a = db.session.scalar(select(Assignment))
        assert a is not None

    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    other.connect(tool_server)
    other.registration_id = add_registration(clean_app, other)  # type: ignore[attr-defined]
    try:
        zed = login(other, "chloe", [INSTRUCTOR], "Zed Trainer", "zed@example.com")
        listing = text(zed.get("/paths/manage"))
        assert "First 90 days" not in listing and "Add job roles first" in listing
        assert zed.get(f"/paths/manage/{pk}").status_code == 404
        assert zed.get(f"/paths/a/{a.id}/x").status_code == 404
        zoe = login(other, "ana", [LEARNER], "Zoe", "zoe@example.com", "Tier 1 agent")
        assert "You have no learning path yet" in text(zoe.get("/paths/"))
    finally:
        other.server.stop()
    with clean_app.app_context():
        assert db.session.scalar(select(Path.registration_id)) == lms.registration_id  # type: ignore[attr-defined]


def test_editor_reorders_and_deletes_with_a_confirmation(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    with clean_app.app_context():
        nodes = {n.title: n.id for n in db.session.scalars(select(PathNode))}
    editor = chloe.follow(
        chloe.post(
            f"/paths/manage/{pk}/nodes/{nodes['Shadow a senior agent']}/move", {"direction": "up"}
        )
    )
    page = text(editor)
    assert page.index("Shadow a senior agent") < page.index("Read the welcome guide")
    confirm = text(chloe.get(f"/paths/manage/{pk}/nodes/{nodes['Week 1']}/delete"))
    assert "holds 2 items" in confirm and "Read the welcome guide" in confirm
    gone = chloe.follow(chloe.post(f"/paths/manage/{pk}/nodes/{nodes['Week 1']}/delete"))
    assert "“Week 1” is deleted with the 2 items inside it." in text(gone)
    assert "Add at least one step" in text(gone)


def test_assign_by_hand_and_a_leader_waives_a_step(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    with clean_app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        senior = roles.match_role("Senior agent")
        assert senior is not None
    pk = build_path(chloe, senior.id)
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_login(lms)  # a Tier 1 agent: the Senior agent path is not hers by role
    ben = login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")
    assert "You are Tier 1 agent" in text(ana.get("/paths/"))
    unknown = chloe.post(f"/paths/assign/{pk}", {"person_ref": "nobody@example.com"})
    assert unknown.status_code == 400 and "No one called or with the email" in text(unknown)
    assert 'value="nobody@example.com"' in unknown.text
    first_name = chloe.post(f"/paths/assign/{pk}", {"person_ref": "alvarez"})
    assert first_name.status_code == 400
    assert (
        "No one is called “alvarez” exactly. Did you mean Ana Alvarez (ana@example.com)? "
        "Enter their full name or their email." in text(first_name)
    )
    done = chloe.follow(chloe.post(f"/paths/assign/{pk}", {"person_ref": "ana@example.com"}))
    assert "Assigned “First 90 days” to 1 person." in text(done)
    assert "0% complete" in text(ana.get("/paths/"))
    # Ben leads nobody yet: he may not assign Ana, nor see or waive her steps.
    ana_id = person_id(clean_app, "ana")
    refused = ben.post(f"/paths/assign/{pk}", {"person_id": str(ana_id)})
    assert refused.status_code == 403
    with clean_app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        team, _ = roles.save_team(lms.registration_id, None, "Team A", "ben@example.com")  # type: ignore[attr-defined]
        assert team is not None
        roles.add_member(lms.registration_id, team, "ana@example.com")  # type: ignore[attr-defined]
        db.session.commit()
        a = db.session.scalar(select(Assignment))
        assert a is not None
        welcome = db.session.scalar(
            select(PathNode.key).where(PathNode.title == "Read the welcome guide")
        )
    step = f"/paths/a/{a.id}/{welcome}"
    assert "Only Ana Alvarez can start it" in text(ben.get(step))
    empty = ben.post(step, {"action": "waive", "note": ""})
    assert empty.status_code == 400 and "Say why the step is waived" in text(empty)
    ben.follow(ben.post(step, {"action": "waive", "note": "Read it in onboarding"}))
    assert "50% complete" in text(ana.get("/paths/"))
    assert "waived" in text(ana.get(step))
    assert ana.post(step, {"action": "waive", "note": "me too"}).status_code == 403


def test_new_version_and_moving_people_to_it_through_the_pages(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_login(lms)
    with clean_app.app_context():
        a = db.session.scalar(select(Assignment))
        assert a is not None
        welcome = db.session.scalar(
            select(PathNode.key).where(PathNode.title == "Read the welcome guide")
        )
    ana.follow(ana.post(f"/paths/a/{a.id}/{welcome}", {"action": "done"}))
    draft = chloe.follow(chloe.post(f"/paths/manage/{pk}/draft"))
    assert "Draft version 2 is ready to edit" in text(draft)
    assert "learners are on v1" in text(draft)
    set_id = re.search(r'id="node-(\d+)"', draft.text).group(1)  # type: ignore[union-attr]
    chloe.follow(
        chloe.post(
            f"/paths/manage/{pk}/steps/new",
            {
                "title": "New in v2",
                "kind": "reflection",
                "format": "reading",
                "self_report": "yes",
                "parent_id": set_id,
            },
        )
    )
    assert "New in v2" not in text(ana.get("/paths/"))  # a draft changes nothing for her
    published = text(chloe.follow(chloe.post(f"/paths/manage/{pk}/publish")))
    assert "Version 2 is published" in published and "1 person is on an older version" in published
    page = text(ana.get("/paths/"))
    assert "version 1" in page and "New in v2" not in page  # she keeps hers
    move = text(chloe.get(f"/paths/manage/{pk}/move"))
    assert "Everyone on an older version (1)" in move
    moved = text(chloe.follow(chloe.post(f"/paths/manage/{pk}/move", {"from_number": ""})))
    assert "Moved 1 person to version 2" in moved
    page = text(ana.get("/paths/"))
    assert "version 2" in page and "New in v2" in page
    assert "1 of 3 steps done" in page  # the welcome guide carried over


@pytest.mark.parametrize(
    ("field", "typed"),
    [("minutes", "²"), ("minutes", "①"), ("due_days", "²"), ("parent_id", "9" * 30)],
)
def test_a_number_no_one_can_read_is_named_not_a_crash(
    lms: FakeLms, chloe: Session, clean_app: Any, field: str, typed: str
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    with clean_app.app_context():
        set_id = db.session.scalar(select(PathNode.id).where(PathNode.kind == "set"))
    form = {
        "title": "Listen to a call",
        "kind": "link",
        "url": "https://help.example.com/listen",
        "format": "reading",
        "required": "yes",
        "parent_id": str(set_id),
        field: typed,
    }
    page = chloe.post(f"/paths/manage/{pk}/steps/new", form)
    assert page.status_code == 400, text(page)[:300]
    assert "Please fix this" in text(page)
    assert 'value="Listen to a call"' in page.text  # what was typed is kept


def test_minutes_typed_with_full_width_digits_are_read(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    with clean_app.app_context():
        set_id = db.session.scalar(select(PathNode.id).where(PathNode.kind == "set"))
    saved = chloe.post(
        f"/paths/manage/{pk}/steps/new",
        {
            "title": "Listen to a call",
            "kind": "link",
            "url": "https://help.example.com/listen",
            "format": "reading",
            "required": "yes",
            "parent_id": str(set_id),
            "minutes": "\uff13\uff10",  # 30 in full-width digits
        },
    )
    assert "Listen to a call · External link · 30 min" in text(chloe.follow(saved))


def test_a_step_deleted_in_another_tab_is_explained_and_an_edit_keeps_what_was_typed(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    with clean_app.app_context():
        nodes = {n.title: n.id for n in db.session.scalars(select(PathNode))}
    step = nodes["Read the welcome guide"]
    edit_form = chloe.get(f"/paths/manage/{pk}/nodes/{step}/edit")  # tab A opens the form
    assert edit_form.status_code == 200
    deleted = chloe.follow(chloe.post(f"/paths/manage/{pk}/nodes/{step}/delete"))  # tab B
    assert "“Read the welcome guide” is deleted." in text(deleted)

    again = chloe.post(f"/paths/manage/{pk}/nodes/{step}/delete")  # a second click on Delete
    assert again.status_code == 303
    assert "no longer in the draft: it was deleted" in text(chloe.follow(again))
    moved = chloe.post(f"/paths/manage/{pk}/nodes/{step}/move", {"direction": "up"})
    assert "no longer in the draft" in text(chloe.follow(moved))

    typed = {
        "title": "Read the new welcome guide",
        "parent_id": str(nodes["Week 1"]),
        "kind": "link",
        "url": "https://help.example.com/welcome-2",
        "why": "It changed last week.",
        "format": "reading",
        "minutes": "25",
        "required": "yes",
    }
    sent = chloe.post(f"/paths/manage/{pk}/nodes/{step}/edit", typed)  # tab A saves
    assert sent.status_code == 409
    page = text(sent)
    assert "Not saved: this step was deleted from the draft meanwhile" in page
    assert 'value="Read the new welcome guide"' in sent.text and "It changed last week." in page
    assert 'value="https://help.example.com/welcome-2"' in sent.text
    assert f'action="/paths/manage/{pk}/steps/new' in sent.text  # saving adds it again
    with clean_app.app_context():
        assert db.session.scalar(select(PathNode).where(PathNode.id == step)) is None
        assert "Read the new welcome guide" not in {
            n.title for n in db.session.scalars(select(PathNode))
        }
    assert chloe.get(f"/paths/manage/{pk}/nodes/{step}/edit").status_code == 303


def test_what_stops_a_publish_reads_well_for_an_empty_path_and_a_short_top_level(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    editor = chloe.follow(
        chloe.post(
            "/paths/manage/new",
            {"title": "Empty", "role_id": str(tier1_id(clean_app, lms))},
        )
    )
    page = text(editor)
    assert "Before publishing: Add at least one step: a path needs something to do." in page
    assert "The the" not in page and "top level is empty" not in page
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/rule", {"rule": "at_least", "min_count": "2"}))
    page = text(chloe.get(f"/paths/manage/{pk}"))
    assert "The path's top level asks for at least 2 but holds 1." in page


def test_publishing_twice_says_it_is_already_published(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    assert 'name="version" value="1"' in chloe.get(f"/paths/manage/{pk}").text
    first = chloe.follow(chloe.post(f"/paths/manage/{pk}/publish", {"version": "1"}))
    assert "Version 1 is published." in text(first)
    second = chloe.post(f"/paths/manage/{pk}/publish", {"version": "1"})  # a second tab's click
    assert second.status_code == 303
    assert "Version 1 is already published; nothing changed." in text(chloe.follow(second))
    with clean_app.app_context():
        assert db.session.scalar(select(Path).where(Path.id == pk)).versions[-1].number == 1  # type: ignore[union-attr]
    refused = chloe.post(f"/paths/manage/{pk}/publish")  # an old form without the version
    assert refused.status_code == 409 and "no draft to change" in text(refused)
    chloe.follow(chloe.post(f"/paths/manage/{pk}/draft"))  # v2 is started meanwhile
    stale = chloe.post(f"/paths/manage/{pk}/publish", {"version": "1"})
    assert "Not published: version 1 was published meanwhile, and the draft is now v2." in text(
        chloe.follow(stale)
    )
    assert "draft v2" in text(chloe.get(f"/paths/manage/{pk}"))  # still a draft


def role_id_of(app: Any, lms: FakeLms, name: str) -> int:
    with app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        found = roles.match_role(name)
        assert found is not None
        return found.id


def path_ids(app: Any) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Path.id).order_by(Path.id)))


def test_one_title_per_job_role_and_a_second_click_lands_on_the_path_just_made(
    lms: FakeLms, chloe: Session, clean_app: Any
) -> None:
    """Two paths of one title for one role would leave trainers and learners guessing which is
    which; the same title for another role is fine. Clicking Save twice is not a second path."""
    tier1, lead = (
        role_id_of(clean_app, lms, "Tier 1 agent"),
        role_id_of(clean_app, lms, "Team lead"),
    )
    form = {"title": "First 90 days", "role_id": str(tier1), "description": "Start here."}
    made = chloe.post("/paths/manage/new", form)
    assert made.status_code == 303
    pk = int(re.search(r"/paths/manage/(\d+)", made.headers["Location"]).group(1))  # type: ignore[union-attr]

    again = chloe.post("/paths/manage/new", form)  # the second click
    assert again.status_code == 303 and f"/paths/manage/{pk}" in again.headers["Location"]
    assert "You created “First 90 days” a moment ago" in text(chloe.follow(again))
    assert path_ids(clean_app) == [pk]

    # The same title in other words' case and spacing, by another trainer: refused at the
    # field, with a link to the path that has it, and what was typed kept.
    dana = login(lms, "dana", [INSTRUCTOR], "Dana Diaz", "dana@example.com", "Trainer")
    typed = {"title": "  first 90   DAYS ", "role_id": str(tier1), "description": "Mine."}
    refused = dana.post("/paths/manage/new", typed)
    assert refused.status_code == 400
    title_input = re.search(r'<input id="title"[^>]*>', refused.text).group(0)  # type: ignore[union-attr]
    assert 'aria-invalid="true"' in title_input and 'value="  first 90   DAYS "' in title_input
    error = re.search(r'<p class="error" id="title-error">(.*?)</p>', refused.text, re.S)
    assert error is not None
    assert "Tier 1 agent has a path of this title already: “First 90 days”" in error.group(1)
    assert re.search(rf'href="/paths/manage/{pk}\?[^"]*">Open “First 90 days”</a>', error.group(1))
    assert ">Mine.</textarea>" in refused.text
    assert path_ids(clean_app) == [pk]

    # Chloe again, once the few minutes of a second click are over: a second path, refused.
    with clean_app.app_context():
        db.session.execute(
            update(PathEvent)
            .where(PathEvent.path_id == pk)
            .values(created_at=utcnow() - timedelta(minutes=30))
        )
        db.session.commit()
    assert chloe.post("/paths/manage/new", form).status_code == 400

    # Another role may have a path of the same title...
    for_leads = chloe.post("/paths/manage/new", {**form, "role_id": str(lead)})
    assert for_leads.status_code == 303
    other = int(re.search(r"/paths/manage/(\d+)", for_leads.headers["Location"]).group(1))  # type: ignore[union-attr]
    assert len(path_ids(clean_app)) == 2
    # ...but moving it to Tier 1, or renaming it to the Tier 1 path's title there, is refused,
    renamed = chloe.post(f"/paths/manage/{other}/settings", {**form, "title": "FIRST 90 DAYS"})
    assert renamed.status_code == 400 and "has a path of this title already" in text(renamed)
    # while changing a path's own title's case, or its description, is fine.
    kept = chloe.post(
        f"/paths/manage/{pk}/settings", {**form, "title": "First 90 Days", "description": "New"}
    )
    assert kept.status_code == 303
