"""Community benchmark (issue 6): a synthetic tenant of 20,000 people in 10 job roles, 8 skills,
100,000 posts (60% tips, 40% questions, over the last year, each with a skill) and 300,000
answers (1,000 questions have exactly 50; the rest are spread over the other questions), built
with bulk inserts. Prints p50/p95 and the number of SQL statements for:

- the feed for a role: ``lti_tool.coaching.peers.digest`` (the week's top tips and answers and
  its verified posts by people of one job role; random role and week), and the plain feed
  (``community.services.search``, first page);
- a search: ``community.services.search(q)`` with two words of the posts' vocabulary (about
  4,100 words, written with Zipf frequencies as in real text; searched uniformly, as people look
  for specific words), and the worst case, two of the ten commonest words, which match most
  posts (PostgreSQL full text; elsewhere LIKE per word);
- a question page with 50 answers: everything the page loads (the post, its answers, the
  reader's helpful marks, the experts of its skills, review and verify state).

    .venv/bin/python bench/community.py                                  # SQLite in a temp folder
    .venv/bin/python bench/community.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from itertools import accumulate
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).resolve().parent.parent))

from sqlalchemy import event, inspect, select, text

from bench.common import bulk, sample
from lti_tool import create_app
from lti_tool.coaching import peers
from lti_tool.community import services as community
from lti_tool.community.models import Answer, Post, PostSkill, Target
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Person
from lti_tool.roles.models import JobRole, PersonRole, Skill
from lti_tool.tenancy import tenant_scope

PEOPLE, ROLES, SKILLS = 20_000, 10, 8
POSTS, ANSWERS, FULL_QUESTIONS, FULL_ANSWERS = 100_000, 300_000, 1_000, 50
WORDS = [
    "refund",
    "billing",
    "invoice",
    "charge",
    "dispute",
    "fee",
    "plan",
    "cancel",
    "upgrade",
    "router",
    "modem",
    "outage",
    "password",
    "login",
    "app",
    "update",
    "card",
    "payment",
    "late",
    "credit",
    "goodwill",
    "escalate",
    "supervisor",
    "callback",
    "queue",
    "transfer",
    "hold",
    "mute",
    "summary",
    "empathy",
    "apologise",
    "calm",
    "angry",
    "customer",
    "caller",
    "address",
    "delivery",
    "parcel",
    "return",
    "label",
    "warranty",
    "repair",
    "replace",
    "order",
    "tracking",
    "courier",
    "portal",
    "account",
    "email",
    "verify",
    "identity",
    "fraud",
    "chargeback",
    "discount",
    "loyalty",
    "points",
    "voucher",
    "contract",
    "renewal",
    "notice",
    "roaming",
    "data",
    "sim",
    "porting",
    "number",
    "tariff",
    "bundle",
    "promo",
    "survey",
    "score",
    "quality",
    "script",
    "tone",
    "pace",
]


SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "re",
    "su",
    "ta",
    "ne",
    "vo",
    "ri",
    "da",
    "pe",
    "zu",
    "fo",
    "li",
    "ga",
    "ma",
    "to",
    "be",
    "ni",
    "ru",
]
# A realistic vocabulary: the domain words above and 4,000 others, used with Zipf frequencies
# (the 1st word ten times as often as the 10th), as words are in real text.
VOCAB = WORDS + [
    SYLLABLES[i % 20] + SYLLABLES[(i // 20) % 20] + SYLLABLES[(i // 400) % 20] for i in range(4000)
]
CUMULATIVE = list(accumulate(1 / (i + 1) for i in range(len(VOCAB))))


def sentence(r: random.Random, n: int) -> str:
    return " ".join(r.choices(VOCAB, cum_weights=CUMULATIVE, k=n))


def build(reg_id: int) -> None:
    now = utcnow()
    r = random.Random(6)
    bulk(
        JobRole,
        [
            {
                "id": i + 1,
                "registration_id": reg_id,
                "name": f"Role {i + 1}",
                "description": "",
                "aliases": [],
                "created_at": now,
                "updated_at": now,
            }
            for i in range(ROLES)
        ],
    )
    bulk(
        Skill,
        [
            {
                "id": i + 1,
                "registration_id": reg_id,
                "name": f"Skill {i + 1}",
                "description": "",
                "levels": ["", "", "", "", ""],
                "created_at": now,
                "updated_at": now,
            }
            for i in range(SKILLS)
        ],
    )
    bulk(
        Person,
        [
            {
                "id": i + 1,
                "registration_id": reg_id,
                "sub": f"p{i + 1}",
                "name": f"Person {i + 1}",
                "given_name": "",
                "family_name": "",
                "email": "",
                "preferred_name": "",
                "job_role": "",
                "created_at": now,
            }
            for i in range(PEOPLE)
        ],
    )
    bulk(
        PersonRole,
        [
            {
                "registration_id": reg_id,
                "person_id": i + 1,
                "role_id": i % ROLES + 1,
                "role_name": f"Role {i % ROLES + 1}",
                "source": "lti",
                "since": now,
                "set_by": "bench",
                "note": "",
            }
            for i in range(PEOPLE)
        ],
    )
    posts, links = [], []
    questions: list[int] = []
    for i in range(POSTS):
        pid = i + 1
        tip = i % 5 < 3
        created = now - timedelta(minutes=r.randint(0, 365 * 24 * 60))
        verified = created + timedelta(days=1) if tip and r.random() < 0.2 else None
        body = sentence(r, 30)
        posts.append(
            {
                "id": pid,
                "registration_id": reg_id,
                "kind": "tip" if tip else "question",
                "author_id": r.randint(1, PEOPLE),
                "title": sentence(r, 6),
                "body_md": body,
                "body_html": f"<p>{body}</p>",
                "contact_reason": "",
                "kb_url": "",
                "status": "visible",
                "verified_by_id": r.randint(1, PEOPLE) if verified else None,
                "verified_at": verified if verified and verified < now else None,
                "helpful_count": r.randint(0, 30),
                "answer_count": 0,
                "created_at": created,
                "last_activity_at": created,
            }
        )
        links.append({"registration_id": reg_id, "post_id": pid, "skill_id": pid % SKILLS + 1})
        if not tip:
            questions.append(pid)
    full = questions[:FULL_QUESTIONS]
    rest = questions[FULL_QUESTIONS:]
    answers = []
    counts: dict[int, int] = {}
    for i in range(ANSWERS):
        if i < FULL_QUESTIONS * FULL_ANSWERS:
            question = full[i // FULL_ANSWERS]
        else:
            question = rest[r.randrange(len(rest))]
        counts[question] = counts.get(question, 0) + 1
        created = posts[question - 1]["created_at"] + timedelta(minutes=r.randint(1, 600))
        body = sentence(r, 20)
        answers.append(
            {
                "id": i + 1,
                "registration_id": reg_id,
                "post_id": question,
                "author_id": r.randint(1, PEOPLE),
                "body_md": body,
                "body_html": f"<p>{body}</p>",
                "status": "visible",
                "helpful_count": r.randint(0, 10),
                "created_at": created,
            }
        )
    for question, count in counts.items():
        posts[question - 1]["answer_count"] = count
    bulk(Post, posts)
    bulk(PostSkill, links)
    del posts, links
    bulk(Answer, answers)


def measure(label: str, fn: Any, repeat: int, statements: list[int]) -> str:
    s = sample(fn, repeat, statements)
    return f"| {label} | {s.p50:.1f} | {s.p95:.1f} | {s.statements} |"


def question_page(reg_id: int, reader: int, pk: int) -> int:
    """What GET /community/p/<id> loads (views.show)."""
    who = community.actor(
        reg_id, reader, is_instructor=False, is_leader=False, is_administrator=False
    )
    row = community.visible_post(who, pk)
    answers = community.answers_of(who, row)
    community.experts_for([s.id for s in row.skills], exclude={row.author_id or 0})
    community.my_helpful(who.person_id, Target.POST, [row.id])
    community.my_helpful(who.person_id, Target.ANSWER, [a.id for a in answers])
    community.may_verify(who, row)
    community.review_due(row, community.Limits())
    for a in answers:
        _ = a.author  # the page names every author
    return len(answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the tenant an earlier run built there"
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wayfinder-bench-community-")
    url = args.database_url or f"sqlite:///{tmp}/community.db"
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
            "DATABASE_URL": url,
            "ENV": "development",
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        reg = (
            db.session.scalar(select(Registration).where(Registration.client_id == "bench"))
            if inspect(db.engine).has_table("community_answers")
            else None
        )
        db.session.rollback()
        if args.reuse and reg is not None:
            upgrade()  # keep the data, bring the schema up to the code's migrations
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            reg = Registration(
                issuer="https://bench.example.com",
                client_id="bench",
                name="bench",
                auth_login_url="https://bench.example.com/a",
                key_set_url="https://bench.example.com/j",
            )
            db.session.add(reg)
            db.session.commit()
        started = time.perf_counter()
        if not args.reuse or not db.session.scalar(text("SELECT count(*) FROM community_answers")):
            with tenant_scope(db.session, reg.id):
                build(reg.id)
            db.session.commit()
            # Statistics, and on PostgreSQL the visibility map autovacuum keeps for a table in
            # steady state (index-only scans rely on it).
            vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(vacuum))
        built = time.perf_counter() - started
        posts = db.session.scalar(text("SELECT count(*) FROM community_posts"))
        answers = db.session.scalar(text("SELECT count(*) FROM community_answers"))
        full = list(
            db.session.scalars(
                text("SELECT id FROM community_posts WHERE answer_count = 50 ORDER BY id")
            )
        )
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements[0] += 1

        r = random.Random(7)
        today = utcnow().date()
        weeks = [peers.monday_of(today - timedelta(days=7 * r.randint(0, 50))) for _ in range(400)]
        roles_ = [r.randint(1, ROLES) for _ in range(400)]
        # What people look for: two specific words of the vocabulary (any of them alike).
        queries = [f"{r.choice(VOCAB)} {r.choice(VOCAB)}" for _ in range(400)]
        common = [f"{r.choice(VOCAB[:10])} {r.choice(VOCAB[:10])}" for _ in range(400)]
        readers = [r.randint(1, PEOPLE) for _ in range(400)]
        questions = [r.choice(full) for _ in range(400)]
        rid = reg.id
        with tenant_scope(db.session, rid):
            sample = peers.digest(roles_[0], weeks[0])
            assert sample.tips and sample.people == PEOPLE // ROLES
            assert question_page(rid, readers[0], questions[0]) == 50
            assert community.search(common[0]).posts
            lines = [
                measure(
                    "feed for a role (weekly digest)",
                    lambda i: peers.digest(roles_[i], weeks[i]),
                    args.repeat,
                    statements,
                ),
                measure(
                    "feed, first page (everyone)",
                    lambda i: community.search(),
                    args.repeat,
                    statements,
                ),
                measure(
                    "search, two words",
                    lambda i: community.search(queries[i]),
                    args.repeat,
                    statements,
                ),
                measure(
                    "search, two of the 10 commonest words (worst case)",
                    lambda i: community.search(common[i]),
                    max(5, args.repeat // 10),
                    statements,
                ),
                measure(
                    "question page, 50 answers",
                    lambda i: question_page(rid, readers[i], questions[i]),
                    args.repeat,
                    statements,
                ),
            ]
        print(
            f"{db.engine.dialect.name}: built {posts:,} posts and {answers:,} answers "
            f"in {built:.0f} s"
        )
        print("| measure | p50 ms | p95 ms | SQL statements |")
        print("|---|---:|---:|---:|")
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
