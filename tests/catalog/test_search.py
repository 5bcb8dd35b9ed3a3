"""The catalog page: search (PostgreSQL full text, LIKE elsewhere), filters, sorting by fit with
a reason on every result, pagination, what learners may not see, and tenant isolation."""

from __future__ import annotations

import re
from typing import Any

from lti_tool.catalog import services
from lti_tool.catalog.models import CatalogItem, CatalogItemSkill
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import Session, text
from tests.conftest import add_registration
from tests.harness import FakeLms


def add_item(
    tenant: int,
    title: str,
    summary: str = "",
    *,
    skills: tuple[int, ...] = (),
    level: int | None = None,
    fmt: str = "course",
    minutes: int | None = None,
    language: str = "en",
    hidden: bool = False,
    gone: bool = False,
    featured: bool = False,
) -> int:
    row = CatalogItem(
        registration_id=tenant,
        source="lms",
        external_id=f"ext-{title}",
        title=title,
        summary=summary,
        url="https://lms.example.com/course/" + title.replace(" ", "-"),
        language=language,
        duration_minutes=minutes,
        lms_format=fmt,
        lms_enrolment="manual",
        lms_category="",
        level=level,
        hidden=hidden,
        featured=featured,
        needs_approval=False,
        gone_at=utcnow() if gone else None,
        curated_by="",
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    for skill_id in skills:
        db.session.add(CatalogItemSkill(registration_id=tenant, item_id=row.id, skill_id=skill_id))
    db.session.flush()
    services.refresh_search_text(row)
    db.session.flush()
    return row.id


def seed(app: Any, tenant: int) -> dict[str, int]:
    with app.app_context(), tenant_scope(db.session, tenant):
        skills = {s.name: s.id for s in roles.skills()}
        ids = {
            "angry": add_item(
                tenant,
                "Calming angry customers",
                "Techniques for heated calls.",
                skills=(skills["De-escalation"],),
                level=2,
                fmt="video",
                minutes=20,
            ),
            "refunds": add_item(
                tenant,
                "Refunds and billing disputes",
                "When a customer is angry about an invoice.",
                skills=(skills["Product knowledge"],),
                level=3,
                minutes=90,
            ),
            "spanish": add_item(
                tenant, "Atención al cliente", "Curso en español.", language="es", minutes=200
            ),
            "advanced": add_item(
                tenant,
                "Advanced de-escalation coaching",
                "For senior agents.",
                skills=(skills["De-escalation"],),
                level=4,
                fmt="live",
            ),
            "percent": add_item(tenant, "Discounts: 100% guide", "Percent off."),
            "hidden": add_item(tenant, "Hidden angry course", hidden=True),
            "gone": add_item(tenant, "Gone angry course", gone=True),
        }
        db.session.commit()
        return ids


def titles(response: Any) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', response.text)


def test_search_and_filters(clean_app: Any, tenant: int, ana: Session) -> None:
    seed(clean_app, tenant)
    everything = ana.get("/catalog/")
    assert everything.status_code == 200
    assert set(titles(everything)) == {
        "Calming angry customers",
        "Refunds and billing disputes",
        "Atención al cliente",
        "Advanced de-escalation coaching",
        "Discounts: 100% guide",
    }
    assert '<span class="tag">De-escalation</span>' in everything.text  # skills on each result
    found = ana.get("/catalog/?q=angry")
    # Title and summary match; hidden and gone items never reach learners.
    assert titles(found)[0] == "Calming angry customers"
    assert set(titles(found)) == {"Calming angry customers", "Refunds and billing disputes"}
    assert "2 items match" in text(found)
    # Skill names are searchable too.
    assert "Calming angry customers" in titles(ana.get("/catalog/?q=de-escalation"))
    # Wildcards are plain characters.
    assert titles(ana.get("/catalog/?q=100%25")) == ["Discounts: 100% guide"]
    assert titles(ana.get("/catalog/?q=zzzz")) == []
    assert "Nothing matches" in text(ana.get("/catalog/?q=zzzz"))

    skill_id = _skill(clean_app, tenant, "De-escalation")
    assert set(titles(ana.get(f"/catalog/?skill={skill_id}"))) == {
        "Calming angry customers",
        "Advanced de-escalation coaching",
    }
    assert titles(ana.get("/catalog/?level=3")) == ["Refunds and billing disputes"]
    assert titles(ana.get("/catalog/?format=live")) == ["Advanced de-escalation coaching"]
    assert titles(ana.get("/catalog/?duration=short")) == ["Calming angry customers"]
    assert titles(ana.get("/catalog/?duration=medium")) == ["Refunds and billing disputes"]
    assert titles(ana.get("/catalog/?duration=long")) == ["Atención al cliente"]
    assert titles(ana.get("/catalog/?language=es")) == ["Atención al cliente"]
    assert titles(ana.get(f"/catalog/?q=angry&skill={skill_id}")) == ["Calming angry customers"]
    # Bad filter values are ignored, not errors.
    assert ana.get("/catalog/?level=9&format=nope&page=-3&skill=x").status_code == 200


def _skill(app: Any, tenant: int, name: str) -> int:
    with app.app_context(), tenant_scope(db.session, tenant):
        return next(s.id for s in roles.skills() if s.name == name)


def test_fit_sort_explains_every_result(clean_app: Any, tenant: int, ana: Session) -> None:
    seed(clean_app, tenant)
    # Ana (Tier 1 agent) aims to become a Senior agent.
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        senior = next(r for r in roles.roles() if r.name == "Senior agent")
        person = roles.search_people("Ana")[0]
        assert roles.set_career_goal(tenant, person, str(senior.id)) == ""
        db.session.commit()
    page = ana.get("/catalog/?sort=fit")
    shown = titles(page)
    assert shown[0] in ("Calming angry customers", "Advanced de-escalation coaching")
    words = text(page)
    assert words.count("Why this fits you:") == len(shown) == 5
    assert re.search(r"Builds De-escalation, which [^.]+ needs at \d", words)
    assert "Senior agent (your goal)" in words or "your role, Tier 1 agent," in words
    assert "Not tagged with skills yet" in words
    # Fit order with a skill filter and a query together.
    skill_id = _skill(clean_app, tenant, "De-escalation")
    both = ana.get(f"/catalog/?q=angry&skill={skill_id}&sort=fit&level=2")
    assert both.status_code == 200 and titles(both) == ["Calming angry customers"]


def test_fit_order_is_the_order_of_the_fit_scores(
    clean_app: Any, tenant: int, ana: Session
) -> None:
    """The database scores every match when sorting by fit: the order must be fit.py's scores,
    best first, ties in the order of relevance (featured, then title), over every level."""
    from lti_tool.catalog import fit as fitting
    from lti_tool.paths import personal
    from lti_tool.paths.personal_models import Rater

    seed(clean_app, tenant)
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        skills = {s.name: s.id for s in roles.skills()}
        senior = next(r for r in roles.roles() if r.name == "Senior agent")
        person = roles.search_people("Ana")[0]
        assert roles.set_career_goal(tenant, person, str(senior.id)) == ""
        personal.save_ratings(
            person, {skills["De-escalation"]: 2}, Rater.SELF, by="Ana", by_person_id=person.id
        )
        names = sorted(skills)
        for n in range(24):
            tagged = (skills[names[n % len(names)]], skills[names[(n * 5 + 1) % len(names)]])
            add_item(
                tenant,
                f"Practice {n:02d}",
                skills=tagged[: 1 + n % 2],
                level=None if n % 6 == 0 else 1 + n % 5,
                featured=n % 7 == 0,
            )
        db.session.commit()
        measure = fitting.measure(db.session, person.id)
        assert fitting.open_gaps(measure.gaps)
        shown = [
            r
            for page in (1, 2)
            for r in services.search(
                services.Filters(sort="fit", page=page), person_id=person.id
            ).results
        ]
        assert len(shown) == 29  # the seed's 5 visible items and 24 more, on two pages

        def expected(r: services.Result) -> tuple[float, bool, str, int]:
            tagged = [(sid, "") for sid in services.skill_ids_of(r.item.id)]
            value = fitting.score(tagged, r.item.level, measure.gaps)
            return (-value, not r.item.featured, r.item.title, r.item.id)

        assert [r.item.id for r in shown] == [r.item.id for r in sorted(shown, key=expected)]
        assert len({expected(r)[0] for r in shown}) > 4  # several different scores


def test_pages(clean_app: Any, tenant: int, ana: Session) -> None:
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        for i in range(25):
            add_item(tenant, f"Course {i:02d}")
        db.session.commit()
    first = ana.get("/catalog/")
    assert len(titles(first)) == 20
    assert "page 1 of 2" in text(first)
    second = ana.get("/catalog/?page=2")
    assert titles(second) == [f"Course {i:02d}" for i in range(20, 25)]
    assert ana.get("/catalog/?page=99").status_code == 200  # the last page


def test_another_tenants_catalog_is_invisible(
    clean_app: Any, tenant: int, ana: Session, tool_server: str
) -> None:
    other = FakeLms(client_id="other-client")
    other.connect(tool_server)
    try:
        other_id = add_registration(clean_app, other)
        with clean_app.app_context(), tenant_scope(db.session, other_id):
            secret = add_item(other_id, "Other company angry course")
            db.session.commit()
        assert "Other company" not in ana.get("/catalog/?q=angry").text
        assert ana.get(f"/catalog/i/{secret}").status_code == 404
        assert ana.post(f"/catalog/i/{secret}/plan", {"goal_kind": "interest"}).status_code == 404
    finally:
        other.server.stop()


def test_fit_uses_the_persons_ratings_and_preferred_formats(
    clean_app: Any, tenant: int, ana: Session
) -> None:
    """Onboarding answers (lti_tool/paths/personal.py) reach the catalog: a self-rating shows as
    where the person is, and a preferred format is named."""
    from lti_tool.paths import personal
    from lti_tool.paths.personal_models import Rater

    seed(clean_app, tenant)
    skill_id = _skill(clean_app, tenant, "De-escalation")
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        senior = next(r for r in roles.roles() if r.name == "Senior agent")
        person = roles.search_people("Ana")[0]
        assert roles.set_career_goal(tenant, person, str(senior.id)) == ""
        personal.save_ratings(person, {skill_id: 2}, Rater.SELF, by="Ana", by_person_id=person.id)
        personal.save_interests(person, [], ["video"])
        db.session.commit()
    words = text(ana.get(f"/catalog/?skill={skill_id}&sort=fit"))
    assert re.search(r"Builds De-escalation: you are at 2, [^.]+ needs \d", words), words
    assert "A format you prefer (video)" in words


def rated_by(tenant: int, item_id: int, role: str, stars: list[int]) -> None:
    """Colleagues who held ``role`` when they rated the item."""
    from lti_tool.feedback.models import Kind, Rating
    from lti_tool.people.models import Person

    role_id = next(r.id for r in roles.roles() if r.name == role)
    for value in stars:
        n = db.session.query(Person).count()
        rater = Person(registration_id=tenant, sub=f"rater-{n}", name=f"Rater {n}")
        db.session.add(rater)
        db.session.flush()
        db.session.add(
            Rating(
                registration_id=tenant,
                kind=Kind.CATALOG_ITEM.value,
                subject_id=str(item_id),
                item_key=str(item_id),
                title="",
                person_id=rater.id,
                role_id=role_id,
                stars=value,
            )
        )
    db.session.flush()


def test_what_people_in_the_role_rated_moves_the_fit_order_and_is_said(
    clean_app: Any, tenant: int, ana: Session
) -> None:
    """Five items alike for Ana (Tier 1 agent); how Tier 1 agents rated them reorders them (from
    three raters), and each result says so. Other roles' ratings and smaller groups count for
    nothing."""
    from lti_tool.catalog import fit as fitting

    skill_id = _skill(clean_app, tenant, "De-escalation")
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        made = {
            name: add_item(tenant, f"Practice {name}", skills=(skill_id,), level=2)
            for name in ("liked", "disliked", "two raters", "other role", "unrated")
        }
        rated_by(tenant, made["liked"], "Tier 1 agent", [5, 5, 4])
        rated_by(tenant, made["disliked"], "Tier 1 agent", [1, 2, 1])
        rated_by(tenant, made["two raters"], "Tier 1 agent", [5, 5])
        rated_by(tenant, made["other role"], "Team lead", [5, 5, 5])
        db.session.commit()
        person = roles.search_people("Ana")[0]
        measure = fitting.measure(db.session, person.id)
        assert measure.role_id == next(r.id for r in roles.roles() if r.name == "Tier 1 agent")
        found = services.search(services.Filters(sort="fit"), person_id=person.id).results
        by_title = {r.item.title: r for r in found}
        liked, disliked = by_title["Practice liked"], by_title["Practice disliked"]
        same = fitting.score([(skill_id, "")], 2, measure.gaps)
        assert liked.fit.score == round(same + fitting.peer_points(14 / 3), 4)
        assert disliked.fit.score == round(same + fitting.peer_points(4 / 3), 4)
        order = [r.item.title for r in found]
        assert order.index("Practice liked") < order.index("Practice other role")
        assert order.index("Practice unrated") < order.index("Practice disliked")
        assert order == sorted(order, key=lambda t: (-by_title[t].fit.score, t))
        # Nobody: no role, no peers, no error.
        assert services.search(services.Filters(sort="fit"), person_id=None).results

    page = ana.get("/catalog/?sort=fit")
    words = text(page)
    assert "Rated 4.7 of 5 by 3 people in your role." in words
    assert "Rated 1.3 of 5 by 3 people in your role." in words
    assert words.count("people in your role") == 2  # not the pair, not the other role
    # Sorted by relevance the order is the title's, and the ratings are still said.
    plain = ana.get("/catalog/?q=practice")
    assert titles(plain)[0] == "Practice disliked"
    assert "Rated 1.3 of 5 by 3 people in your role." in text(plain)
