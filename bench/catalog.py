"""Catalog benchmark (issue 5). Prints:

- the time to sync 5,000 courses from the served Moodle fake and from the served Canvas fake
  (tests/fakes, over HTTP on loopback; Canvas 100 courses per page), first into an empty
  catalog and again with nothing changed (target < 30 s);
- search p50/p95 over those 5,000 courses (titles of 3 topic words; summaries of 10 topic words
  and 15 rarer ones; queries of 1-2 topic words, each matching roughly a fifth of the catalog) (60% tagged with skills and a level by the bench, as a
  trainer would): lti_tool.catalog.services.search as the catalog page calls it (count, one page
  of 20, skills, fit lines) for random one- and two-word queries, with filters, and sorted by
  fit (target on PostgreSQL: p95 < 25 ms).

    .venv/bin/python bench/catalog.py                                  # SQLite in a temp folder
    .venv/bin/python bench/catalog.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select, text

from bench.common import sample
from lti_tool import create_app
from lti_tool.catalog import access, services
from lti_tool.catalog import jobs as catalog_jobs
from lti_tool.catalog.models import CatalogItem, CatalogItemSkill
from lti_tool.extensions import db
from lti_tool.feedback.models import Kind, Rating
from lti_tool.jobs import services as jobs
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import CareerGoal, JobRole, PersonRole
from lti_tool.tenancy import tenant_scope
from tests.fakes import catalog
from tests.fakes.canvas import FakeCanvas
from tests.fakes.catalog import SeedCourse
from tests.fakes.moodle import FakeMoodle
from tests.harness import ServerThread

COURSES = 5_000
_PROSE = (
    "angry calm billing refund invoice empathy listening escalation complaint chat email phone "
    "mobile plan roaming contract upgrade cancel retention sales quality scorecard compliance "
    "identity privacy coaching feedback onboarding crm notes handle time first contact "
    "resolution tone script objection negotiation product knowledge broadband tv bundle "
    "payment arrears debt collection vulnerable customer accessibility spanish night shift"
)
WORDS = _PROSE.split()


# Each summary: 10 of the topic words above (so a topic word is in about a fifth of the courses,
# the kind of word people search for) and 15 words from a long tail of 5,000 rarer ones.
TAIL = [f"t{n:04d}x" for n in range(5_000)]


def course_list(seed: int) -> tuple[SeedCourse, ...]:
    r = random.Random(seed)
    courses = []
    for i in range(COURSES):
        title = " ".join(r.sample(WORDS, 3)).capitalize() + f" {i:04d}"
        words = r.choices(WORDS, k=10) + r.choices(TAIL, k=15)
        r.shuffle(words)
        summary = " ".join(words)
        courses.append(
            SeedCourse(
                f"c{i}",
                title,
                f"<p>{summary}</p>",
                r.choice(("care", "products", "phone")),
                language=r.choice(("en", "en", "en", "es")),
            )
        )
    return catalog.COURSES + tuple(courses)  # the fakes' own few courses, then 5,000


def sync_once(app: Any, reg_id: int) -> tuple[float, str]:
    with app.app_context():
        job, _ = catalog_jobs.start_sync(reg_id, started_by="bench")
        db.session.commit()
        started = time.perf_counter()
        done = jobs.run_job(job.id)
        elapsed = time.perf_counter() - started
        assert done is not None and done.state.value == "succeeded", done and done.message
        return elapsed, done.message


def connect(app: Any, reg_id: int, platform: str, url: str, token: str) -> None:
    with app.app_context(), tenant_scope(db.session, reg_id):
        assert (
            access.save_access(
                reg_id,
                app.config["SECRET_KEY"],
                platform=platform,
                base_url=url,
                token=token,
                account_id="1",
                by="bench",
            )
            == {}
        )
        db.session.commit()


def new_registration(app: Any, name: str) -> int:
    with app.app_context():
        reg = Registration(
            issuer=f"https://{name}.example.com",
            client_id=name,
            name=name,
            auth_login_url=f"https://{name}.example.com/a",
            key_set_url=f"https://{name}.example.com/j",
        )
        db.session.add(reg)
        db.session.commit()
        return reg.id


def curate(reg_id: int) -> int:
    """Skills and a level on 60% of the items; a learner with a role and a career goal; a fifth
    of the items rated by people in that role or another."""
    roles.import_starter_set(reg_id)
    skill_ids = [s.id for s in roles.skills()]
    r = random.Random(3)
    items = list(db.session.scalars(select(CatalogItem)))
    links = []
    for item in items:
        if r.random() < 0.6:
            item.level = r.randint(1, 5)
            for sid in r.sample(skill_ids, r.randint(1, 2)):
                links.append({"registration_id": reg_id, "item_id": item.id, "skill_id": sid})
    db.session.execute(insert(CatalogItemSkill), links)
    db.session.flush()
    names = services.skill_names_by_item([i.id for i in items])
    for item in items:
        item.search_text = services.search_text(item, names.get(item.id, []))
    person = Person(registration_id=reg_id, sub="bench-learner", name="Bench Learner")
    db.session.add(person)
    db.session.flush()
    tier1 = db.session.scalar(select(JobRole).where(JobRole.name == "Tier 1 agent"))
    lead = db.session.scalar(select(JobRole).where(JobRole.name == "Team lead"))
    assert tier1 is not None and lead is not None
    db.session.add(
        PersonRole(
            registration_id=reg_id,
            person_id=person.id,
            role_id=tier1.id,
            role_name=tier1.name,
            source="lti",
        )
    )
    db.session.add(CareerGoal(registration_id=reg_id, person_id=person.id, role_id=lead.id))
    # A fifth of the items rated by 2-12 people who were Tier 1 agents (the learner's role) or
    # team leads: what the fit scores and lines read as "people in your role".
    raters = [
        {"registration_id": reg_id, "sub": f"bench-rater-{n}", "name": f"Rater {n}"}
        for n in range(200)
    ]
    db.session.execute(insert(Person), raters)
    rater_ids = list(db.session.scalars(select(Person.id).where(Person.sub.like("bench-rater-%"))))
    ratings = []
    for item in items:
        if r.random() < 0.2:
            role = tier1 if r.random() < 0.7 else lead
            for rater in r.sample(rater_ids, r.randint(2, 12)):
                ratings.append(
                    {
                        "registration_id": reg_id,
                        "kind": Kind.CATALOG_ITEM.value,
                        "subject_id": str(item.id),
                        "item_key": str(item.id),
                        "title": item.title,
                        "person_id": rater,
                        "role_id": role.id,
                        "stars": r.randint(1, 5),
                    }
                )
    db.session.execute(insert(Rating), ratings)
    db.session.commit()
    return person.id


def measure(label: str, fn: Any, repeat: int, statements: list[int]) -> str:
    """Wall-clock p50/p95, and this process's CPU time p50 (less sensitive to other work on a
    shared machine; on SQLite it includes the database, on PostgreSQL not the server's share)."""
    s = sample(fn, repeat, statements)
    return f"| {label} | {s.p50:.1f} | {s.p95:.1f} | {s.cpu_p50:.1f} | {s.statements} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wayfinder-bench-catalog-")
    url = args.database_url or f"sqlite:///{tmp}/catalog.db"
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
            "DATABASE_URL": url,
            "ENV": "development",
            "HTTP_TIMEOUT": 30,
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # Everything an earlier run left, including tables a later migration removed.
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()

    courses = course_list(11)
    moodle = FakeMoodle(courses=courses)
    canvas = FakeCanvas(courses=courses, max_per_page=100)
    servers = [ServerThread(moodle.app()), ServerThread(canvas.app())]
    try:
        sync_lines = []
        for (name, token), server in zip(
            (("moodle", moodle.service_token), ("canvas", canvas.admin_token)),
            servers,
            strict=True,
        ):
            reg_id = new_registration(app, f"bench-{name}")
            connect(app, reg_id, name, f"http://127.0.0.1:{server.port}", token)
            first, message = sync_once(app, reg_id)
            again, message_again = sync_once(app, reg_id)
            sync_lines.append(f"| {name} | {first:.1f} | {again:.1f} | {message.split(':')[0]} |")
            assert "0 new, 0 changed" in message_again, message_again
    finally:
        for server in servers:
            server.stop()

    with app.app_context():
        reg_id = db.session.scalar(
            select(Registration.id).where(Registration.client_id == "bench-moodle")
        )
        assert reg_id is not None
        with tenant_scope(db.session, reg_id):
            person_id = curate(reg_id)
            skill_ids = [s.id for s in roles.skills()]
        # Statistics, and on PostgreSQL what autovacuum keeps in steady state: the sync and the
        # curation above leave dead rows and a pending list in the full-text index that a
        # production server's autovacuum clears (this machine's server runs with it off).
        vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(vacuum))
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements[0] += 1

        r = random.Random(5)
        queries = [" ".join(r.sample(WORDS, r.choice((1, 2)))) for _ in range(args.repeat)]
        skills = [r.choice(skill_ids) for _ in range(args.repeat)]
        with tenant_scope(db.session, reg_id):

            def run(**filters: Any) -> Any:
                return lambda i: services.search(
                    services.Filters(**{k: v(i) for k, v in filters.items()}),
                    person_id=person_id,
                )

            sample = services.search(services.Filters(q="refund"), person_id=person_id)
            assert sample.total > 0 and all(res.fit.reason for res in sample.results)
            lines = [
                measure("browse, no query (featured, title)", run(), args.repeat, statements),
                measure(
                    "search 1-2 words, relevance",
                    run(q=lambda i: queries[i]),
                    args.repeat,
                    statements,
                ),
                measure(
                    "search + skill + language filters",
                    run(
                        q=lambda i: queries[i],
                        skill_id=lambda i: skills[i],
                        language=lambda i: "en",
                    ),
                    args.repeat,
                    statements,
                ),
                measure(
                    "search, sorted by fit for me",
                    run(q=lambda i: queries[i], sort=lambda i: "fit"),
                    args.repeat,
                    statements,
                ),
                measure(
                    "no query, sorted by fit (all 5,000 scored)",
                    run(sort=lambda i: "fit"),
                    max(20, args.repeat // 5),
                    statements,
                ),
            ]
    print(f"{url.split(':')[0]}: catalog sync of {COURSES:,} courses (seconds)")
    print("| LMS fake | first sync | again, unchanged | result |")
    print("|---|---:|---:|---|")
    for line in sync_lines:
        print(line)
    print()
    print(f"search over {COURSES:,} items, one page of 20 with fit lines")
    print("| measure | p50 ms | p95 ms | CPU p50 ms (this process) | SQL statements |")
    print("|---|---:|---:|---:|---:|")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
