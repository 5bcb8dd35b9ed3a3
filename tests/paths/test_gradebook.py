"""A placed learning path's progress reaches the LMS gradebook, end to end over real HTTP.

Chloe places the path (graded) and one of its steps (graded, ticked) by deep linking; the
pretend LMS (lti1p3platform) validates the answer and, as Moodle does when the teacher saves
the activities, makes their gradebook columns. Lee, a Tier 1 agent, opens the placed path and
completes steps on Wayfinder's pages; a served AGS platform (Moodle's rules: 1-second
timestamps, 409 on a repeat) receives exactly one up-to-date score per change, and nothing is
counted twice when a send is repeated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import select

from lti_tool.devlauncher.ags_platform import AgsPlatform
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.grades.clock import SimulatedClock
from lti_tool.grades.models import LineItem, ScoreSend, SendState
from lti_tool.lti.context import AGS
from lti_tool.lti.models import Registration
from lti_tool.paths import placements
from lti_tool.paths import services as paths
from lti_tool.paths.models import Assignment
from lti_tool.paths.placements import PathPlacement
from lti_tool.people.models import Course, Membership, Person
from lti_tool.tenancy import tenant_scope
from tests.deeplinking.test_deeplinking import csrf, moodle_settings, picker_action, return_form
from tests.harness import (
    INSTRUCTOR,
    LEARNER,
    Browser,
    FakeLms,
    ServerThread,
    launch,
    page_title,
)
from tests.jobs.util import drain
from tests.paths.placing import CHLOE, published_path

CONTEXT = "course-ags"


@dataclass
class Site:
    lms: FakeLms
    platform: AgsPlatform
    clock: SimulatedClock


@pytest.fixture
def site(lms: FakeLms, clean_app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    holder: dict[str, str] = {}
    platform = AgsPlatform(
        client_id=lms.client_id,
        token_url=lambda: holder["url"] + "/token",
        tool_jwks=lambda: requests.get(lms.tool_url + "/lti/jwks", timeout=5).json(),
        secret="paths-gradebook-secret",
    )
    server = ServerThread(platform.app())
    holder["url"] = platform.base_url = f"http://127.0.0.1:{server.port}"
    clock = SimulatedClock()
    clean_app.extensions["grades_clock"] = clock
    monkeypatch.setitem(clean_app.config, "HTTP_TIMEOUT", 0.25)
    monkeypatch.setitem(clean_app.config, "GRADES_WAIT_IN_JOB_SECONDS", 3600)
    with clean_app.app_context():
        reg = db.session.get(Registration, lms.registration_id)  # type: ignore[attr-defined]
        assert reg is not None
        reg.auth_token_url = holder["url"] + "/token"
        db.session.commit()
    yield Site(lms, platform, clock)
    clean_app.extensions.pop("grades_clock", None)
    server.stop()


def as_person(site: Site, sub: str, roles: list[str], **extra: Any) -> LaunchSpec:
    custom = extra.pop("custom", {})
    return LaunchSpec(
        user=LaunchUser(sub, roles, sub.title() + " Example", f"{sub}@example.com"),
        context_id=CONTEXT,
        context_title="Billing basics",
        extra_claims={AGS: site.platform.ags_claim(CONTEXT)},
        custom={"job_role": "Tier 1 agent", **custom} if LEARNER in roles else custom,
        **extra,
    )


def place(site: Site, browser: Browser, items: list[str], graded: list[str]) -> list[Any]:
    """Chloe's deep-linking round trip; the LMS validates the answer (lti1p3platform)."""
    site.lms.spec = as_person(site, "chloe", [INSTRUCTOR], deep_linking=moodle_settings(site.lms))
    attempt = launch(browser, site.lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    browser.clear_cookies()  # third-party cookies blocked from here on
    picker = attempt.launch
    answer = browser.post(
        picker_action(picker),
        data={"csrf_token": csrf(picker), "item": items, "graded": graded, "action": "place"},
    )
    assert answer.status_code == 200, answer.text[:2000]
    action, token = return_form(answer)
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert site.lms.dl_errors == []
    return list(site.lms.dl_results[-1].items)


def open_placed(site: Site, sub: str, roles: list[str], item: dict[str, Any], link: str) -> Any:
    site.lms.spec = as_person(
        site,
        sub,
        roles,
        resource_link_id=link,
        resource_link_title=item["title"],
        target_link_uri=item["url"],
        custom=item["custom"],
    )
    browser = Browser()
    attempt = launch(browser, site.lms, target_link_uri=item["url"])
    assert attempt.launch is not None
    browser.clear_cookies()
    return browser, follow(browser, attempt.launch)


def follow(browser: Browser, page: requests.Response) -> requests.Response:
    """Follow 303s, as the iframe would (the launch token rides in each Location)."""
    for _ in range(5):
        if page.status_code not in (301, 302, 303):
            break
        page = browser.get(urljoin(page.url, page.headers["Location"]))
    return page


def token_of(page: requests.Response) -> str:
    found = re.search(r"lt=([\w.\-]+)", page.url)
    assert found, page.url
    return found.group(1)


def act(browser: Browser, tool: str, token: str, aid: int, key: str, action: str) -> None:
    url = f"{tool}/paths/a/{aid}/{key}?lt={token}"
    page = browser.get(url)
    assert page.status_code == 200, page.text[:500]
    done = browser.post(url, data={"csrf_token": csrf(page), "action": action, "note": ""})
    assert done.status_code == 303, done.text[:1000]
    assert follow(browser, done).status_code == 200


def scores_by_column(site: Site) -> list[tuple[str, Any, str, str]]:
    return [
        (
            site.platform.line_items[number]["resourceId"],
            body.get("scoreGiven"),
            body["activityProgress"],
            body["gradingProgress"],
        )
        for number, body in site.platform.scores
    ]


def test_a_placed_path_sends_one_up_to_date_score_per_change(
    site: Site, clean_app: Any, browser: Browser
) -> None:
    reg_id = site.lms.registration_id  # type: ignore[attr-defined]
    pid, (welcome, billing, solo) = published_path(clean_app, reg_id)
    path_key, billing_key, solo_key = f"path:{pid}", f"path:{pid}.{billing}", f"path:{pid}.{solo}"

    # Chloe places the whole path (always graded), "Billing basics" with its own column
    # (ticked) and "First solo shift" without one (not ticked).
    items = place(site, browser, [path_key, billing_key, solo_key], graded=[billing_key])
    path_item, billing_item, solo_item = items
    assert path_item["lineItem"] == {
        "scoreMaximum": 100,
        "label": "Tier 1 agent: first 90 days",
        "tag": "wayfinder",
        "resourceId": path_key,
    }
    assert path_item["custom"] == {"wayfinder_path": str(pid), "wayfinder_item": path_key}
    assert path_item["url"] == f"{site.lms.tool_url}/paths/placed/{pid}"
    assert billing_item["lineItem"]["label"] == "Tier 1 agent: first 90 days: Billing basics"
    assert billing_item["custom"]["wayfinder_step"] == billing
    assert "lineItem" not in solo_item
    # The teacher saves the activities: the LMS makes the two columns, bound to the links.
    site.platform.save_placed_line_item(CONTEXT, path_item["lineItem"], "link-path")
    site.platform.save_placed_line_item(CONTEXT, billing_item["lineItem"], "link-billing")
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        placed = {p.item_key: p for p in db.session.scalars(select(PathPlacement))}
        assert {k: p.graded for k, p in placed.items()} == {
            path_key: True,
            billing_key: True,
            solo_key: False,
        }
        assert all(p.confirmed_at is None for p in placed.values())

    # Lee, a Tier 1 agent, opens the placed path: his own path (assigned by his job role).
    lee, landed = open_placed(site, "lee", [LEARNER], path_item, "link-path")
    assert landed.status_code == 200 and page_title(landed) == "My path"
    assert "Tier 1 agent: first 90 days" in landed.text
    token = token_of(landed)
    tool = site.lms.tool_url
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        person = db.session.scalar(select(Person).where(Person.sub == "lee"))
        assert person is not None
        aid = db.session.scalar(select(Assignment.id).where(Assignment.person_id == person.id))
        assert aid is not None
        row = db.session.scalar(select(PathPlacement).where(PathPlacement.item_key == path_key))
        assert row is not None and row.resource_link_id == "link-path" and row.confirmed_at
    drain(clean_app)
    assert site.platform.scores == []  # nothing started yet: nothing to send

    act(lee, tool, token, aid, welcome, "done")
    drain(clean_app)
    assert scores_by_column(site) == [(path_key, 33, "InProgress", "Pending")]

    act(lee, tool, token, aid, billing, "start")
    drain(clean_app)
    assert scores_by_column(site)[1:] == [(billing_key, 0, "InProgress", "Pending")]

    # The LMS is slow once: it stores the score but Wayfinder gives up waiting; the re-send
    # (same timestamp) meets a 409 and counts as already there, not a second score.
    site.platform.fail_scores = ["slow"]
    act(lee, tool, token, aid, billing, "done")
    drain(clean_app)
    site.clock.advance(60)
    drain(clean_app)
    assert scores_by_column(site)[2:] == [
        (path_key, 66, "InProgress", "Pending"),
        (billing_key, 100, "Completed", "FullyGraded"),
    ] or scores_by_column(site)[2:] == [
        (billing_key, 100, "Completed", "FullyGraded"),
        (path_key, 66, "InProgress", "Pending"),
    ]
    act(lee, tool, token, aid, solo, "done")  # no column of its own: only the path's
    drain(clean_app)
    assert scores_by_column(site)[4:] == [(path_key, 100, "Completed", "FullyGraded")]

    # Nothing left, nothing twice: the LMS reporting a done step as done changes nothing, and
    # another run sends nothing.
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        person = db.session.scalar(select(Person).where(Person.sub == "lee"))
        assert person is not None
        assert paths.record_lms_completion(person, solo) == 0
        db.session.commit()
    drain(clean_app)
    assert len(site.platform.scores) == 5
    gradebook = {
        site.platform.line_items[n]["resourceId"]: s
        for (n, user), s in site.platform.stored.items()
        if user == "lee"
    }
    assert gradebook[path_key]["scoreGiven"] == 100
    assert gradebook[path_key]["comment"] == "100% complete: 3 of 3 steps done."
    assert gradebook[billing_key]["activityProgress"] == "Completed"
    with clean_app.app_context():
        states = [s.state for s in db.session.scalars(select(ScoreSend))]
        assert states.count(SendState.SENT) == 5 and len(states) == 5
    assert site.platform.conflicts == 1  # the one repeated send, recognised


def test_progress_before_placing_reaches_the_gradebook_at_the_first_launch(
    site: Site, clean_app: Any, browser: Browser
) -> None:
    reg_id = site.lms.registration_id  # type: ignore[attr-defined]
    pid, (welcome, _billing, _solo) = published_path(clean_app, reg_id)
    # Lee works on his path before it is placed in the course (from the Wayfinder home).
    site.lms.spec = as_person(site, "lee", [LEARNER])
    lee = Browser()
    first = launch(lee, site.lms).launch
    assert first is not None and first.status_code == 200
    home = follow(lee, lee.get(urljoin(first.url, first.headers["Content-Location"])))
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        aid = db.session.scalar(select(Assignment.id))
        assert aid is not None
    act(lee, site.lms.tool_url, token_of(home), aid, welcome, "done")
    drain(clean_app)
    assert site.platform.scores == []  # not placed anywhere: no gradebook to send to

    [item] = place(site, browser, [f"path:{pid}"], graded=[])
    site.platform.save_placed_line_item(CONTEXT, item["lineItem"], "link-path")
    # Chloe opens the placed link: the path's page (the editor) for her; the first launch
    # of the link sends the course's current progress, once.
    _chloe, page = open_placed(site, "chloe", [INSTRUCTOR], item, "link-path")
    assert page.status_code == 200 and "/paths/manage/" in page.url
    drain(clean_app)
    assert scores_by_column(site) == [(f"path:{pid}", 33, "InProgress", "Pending")]
    open_placed(site, "chloe", [INSTRUCTOR], item, "link-path")
    drain(clean_app)
    assert len(site.platform.scores) == 1  # a later launch sends nothing again


def scores_recorded(app: Any, reg_id: int, sub: str) -> list[tuple[str, Any, str]]:
    with app.app_context(), tenant_scope(db.session, reg_id):
        rows = db.session.execute(
            select(LineItem.item_key, ScoreSend.score_given, ScoreSend.activity_progress)
            .join(LineItem, LineItem.id == ScoreSend.line_item_id)
            .join(Person, Person.id == ScoreSend.person_id)
            .where(Person.sub == sub)
            .order_by(ScoreSend.id)
        )
        return [(key, score, activity) for key, score, activity in rows]


def graded_course(reg_id: int, context_id: str, title: str) -> Course:
    """A course whose launches offered grade services (flushed)."""
    course = Course(
        registration_id=reg_id,
        context_id=context_id,
        title=title,
        ags_lineitems_url=f"https://lms.example.com/ags/{context_id}/lineitems",
        ags_scopes=[],
    )
    db.session.add(course)
    db.session.flush()
    return course


def learner_of(reg_id: int, person: Person, course: Course, active: bool = True) -> None:
    """``person`` (saved here if new) a learner of ``course``, active or not."""
    db.session.add(person)
    db.session.flush()
    db.session.add(
        Membership(
            registration_id=reg_id,
            course_id=course.id,
            person_id=person.id,
            roles=["learner"],
            lti_roles=[],
            active=active,
        )
    )


def learner_on_path(reg_id: int, person: Person, course: Course, pid: int) -> int:
    """``person`` an active learner of ``course`` and on the path's newest version; the
    assignment's id."""
    learner_of(reg_id, person, course)
    p = paths.path(pid)
    v = paths.newest_published(p)
    assert v is not None
    a = paths.assign(person.id, p, v, CHLOE, source="manual")
    assert a is not None
    return a.id


def test_waivers_version_moves_and_membership_decide_what_is_recorded(
    clean_app: Any, lms: FakeLms
) -> None:
    """In the outbox (the sending is the test above): a waiver counts as progress, a move to a
    version with more steps lowers the percent, completion in the LMS counts, and the course
    the learner left (inactive membership) gets nothing."""
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    pid, (welcome, billing, _solo) = published_path(clean_app, reg_id)
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        course = graded_course(reg_id, "c-out", "Outbox")
        left = graded_course(reg_id, "c-left", "Left")
        ana = Person(registration_id=reg_id, sub="ana", name="Ana")
        aid = learner_on_path(reg_id, ana, course, pid)
        learner_of(reg_id, ana, left, active=False)
        title = paths.path(pid).title
        for c in (course, left):
            placements.record_placed(reg_id, c.id, pid, "", title, graded=True, placed_by="Chloe")
        db.session.commit()
        course_id = course.id

        # The learner's leader or an instructor waives a step: it counts as done.
        assert paths.waive(paths.learning(aid), welcome, CHLOE, "Did it at her last job.")
        db.session.commit()
    assert scores_recorded(clean_app, reg_id, "ana") == [(f"path:{pid}", 33, "InProgress")]

    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        # A new version with a fourth step; moving her there lowers her percent.
        p = paths.path(pid)
        draft = paths.start_draft(p, CHLOE)
        group = next(n for n in paths.nodes_of(draft) if n.is_set)
        row, errors = paths.save_node(
            draft,
            None,
            False,
            {
                "title": "Refunds",
                "kind": "link",
                "url": "https://help.example.com/refunds",
                "format": "reading",
                "self_report": "yes",
                "parent_id": str(group.id),
            },
            [],
        )
        assert row is not None, errors
        paths.publish(draft, CHLOE)
        assert paths.move_to_version(p, draft, CHLOE) == 1
        db.session.commit()
    assert scores_recorded(clean_app, reg_id, "ana")[1:] == [(f"path:{pid}", 25, "InProgress")]

    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        lr = paths.learning(aid)
        for key in (billing, _solo):
            paths.self_report(paths.learning(aid), key, paths.Actor("Ana", lr.assignment.person_id))
        refunds = next(i.key for i in paths.learning(aid).view.root.steps() if i.title == "Refunds")
        paths.record_lms_completion(db.session.get(Person, lr.assignment.person_id), refunds)
        db.session.commit()
        items = {
            key: c for key, c in db.session.execute(select(LineItem.item_key, LineItem.course_id))
        }
    assert scores_recorded(clean_app, reg_id, "ana")[2:] == [
        (f"path:{pid}", 50, "InProgress"),
        (f"path:{pid}", 75, "InProgress"),
        (f"path:{pid}", 100, "Completed"),
    ]
    assert items == {f"path:{pid}": course_id}  # nothing for the course she left


def comments_recorded(app: Any, reg_id: int, sub: str) -> list[str]:
    with app.app_context(), tenant_scope(db.session, reg_id):
        return list(
            db.session.scalars(
                select(ScoreSend.comment)
                .join(Person, Person.id == ScoreSend.person_id)
                .where(Person.sub == sub)
                .order_by(ScoreSend.id)
            )
        )


def test_the_gradebook_comment_is_in_the_learners_language_whoever_acts(
    clean_app: Any, lms: FakeLms
) -> None:
    """The score's comment is the learner's to read in the LMS: Ana's LMS speaks Spanish, so
    hers is Spanish when an English-speaking trainer waives a step and when a job records the
    LMS's completion; Lee's LMS sent no language, so his follows whoever acts, as before."""
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    pid, (welcome, billing, _solo) = published_path(clean_app, reg_id)
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        course = graded_course(reg_id, "c-lang", "Languages")
        ana = Person(registration_id=reg_id, sub="ana", name="Ana", locale="es_mx")
        lee = Person(registration_id=reg_id, sub="lee", name="Lee")
        aids = {p.sub: learner_on_path(reg_id, p, course, pid) for p in (ana, lee)}
        title = paths.path(pid).title
        placements.record_placed(reg_id, course.id, pid, "", title, graded=True, placed_by="C")
        db.session.commit()
        ana_id = ana.id

    # A trainer whose page is English waives a step for each.
    english = clean_app.test_request_context(headers={"Accept-Language": "en"})
    with english, tenant_scope(db.session, reg_id):
        for sub in ("ana", "lee"):
            assert paths.waive(paths.learning(aids[sub]), welcome, CHLOE, "Done before.")
        db.session.commit()
    assert comments_recorded(clean_app, reg_id, "ana") == ["33% completado: 1 de 3 pasos hechos."]
    assert comments_recorded(clean_app, reg_id, "lee") == ["33% complete: 1 of 3 steps done."]

    # A job (no request, no page language) records the LMS's completion of her next step.
    with clean_app.app_context(), tenant_scope(db.session, reg_id):
        assert paths.record_lms_completion(db.session.get(Person, ana_id), billing) == 1
        db.session.commit()
    assert comments_recorded(clean_app, reg_id, "ana")[1:] == [
        "66% completado: 2 de 3 pasos hechos."
    ]

    # A trainer whose page is Spanish acts for Lee, whose LMS sent no language: Spanish, as
    # the page (nothing better is known), with its numbers as Spain writes them ("66 %"). Ana's
    # comments above are Mexico's ("33%"), her LMS's region, whoever's page it was.
    spanish = clean_app.test_request_context(headers={"Accept-Language": "es"})
    with spanish, tenant_scope(db.session, reg_id):
        assert paths.waive(paths.learning(aids["lee"]), billing, CHLOE, "Hecho.")
        db.session.commit()
    assert comments_recorded(clean_app, reg_id, "lee")[1:] == [
        "66\xa0% completado: 2 de 3 pasos hechos."
    ]
