"""Community services: plain functions over the current tenant's session (the request scopes it,
see lti_tool/tenancy.py). They add and flush; the view commits once.

Who may do what (``Actor`` carries what a check needs; the view builds it from the launch)
-------------------------------------------------------------------------------------------
- Everyone launched: read visible content, share a tip, ask, answer, mark helpful (not their own
  content, once each), flag anything (once per open flag), and edit or delete their own posts
  and answers. Deleting only sets a status; a moderator can restore it.
- Verify a tip: instructors, and experts in one of the tip's skills, never on their own tip.
  An expert in a skill is a person an instructor named expert in it (a Grant), or a person
  whose job role has the top target level (5, "expert") in that skill in the role matrix.
  Verifying again is how a tip due for review is confirmed as still right.
- Accept an answer: only the person who asked. Accepting another answer moves the mark.
- Moderate (hide, restore, edit with a reason, dismiss flags, mark an article as changed):
  instructors and people an instructor made moderators. Every step is a ModerationAction
  with its reason; the review queue lists open flags, hidden and deleted content, and tips due
  for review.
- Grant moderator and expert marks: instructors and administrators.
- "Waiting for an answer": leaders, instructors, moderators and experts (each expert sees the
  questions in their skills first).

A tip is due for review once COMMUNITY_REVIEW_DAYS have passed since it was verified (or, never
verified, since it was shared), or as soon as its linked knowledge-base article is marked as
changed. Nothing runs on a schedule: the review queue asks the database.

Mentions: ``@[Full Name]`` (the name colleagues see, the LMS name, or the e-mail address, any
case) notifies that person if exactly one person of the tenant matches; the author is told
about names that match nobody or several people.
"""

from __future__ import annotations

import functools
import re
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lti_tool.community import markdown
from lti_tool.community.models import (
    Answer,
    Flag,
    Grant,
    GrantKind,
    Helpful,
    Kind,
    ModerationAction,
    Notification,
    Post,
    PostSkill,
    Revision,
    Status,
    Target,
)
from lti_tool.extensions import db, store
from lti_tool.i18n import _, _l, ngettext, number
from lti_tool.insights.events import record_event
from lti_tool.insights.models import Verb
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import PersonRole, RoleSkillTarget, Skill
from lti_tool.web_address import is_web_address

TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 500
CONTACT_REASON_MAX = 120
URL_MAX = 1000
# What the post form's fields allow (their maxlength), as the checks below hold them.
LIMITS = {
    "title": TITLE_MAX,
    "reason": REASON_MAX,
    "contact_reason": CONTACT_REASON_MAX,
    "kb_url": URL_MAX,
}
EXPERT_LEVEL = 5
PAGE_SIZE = 20
MENTION = re.compile(r"@\[([^\]\n]{1,120})\]")


# Called with the tip when it is verified (same transaction; a hook flushes, never commits).
# Recognition awards its verified-tips badges here.
tip_verified: list[Callable[[Post], None]] = []


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


class RateLimited(RuntimeError):
    pass


@dataclass(frozen=True)
class Actor:
    registration_id: int
    person_id: int
    is_instructor: bool = False
    is_leader: bool = False
    is_administrator: bool = False
    is_moderator: bool = False  # instructors, and people granted the moderator mark
    expert_skill_ids: frozenset[int] = frozenset()

    @property
    def sees_unanswered(self) -> bool:
        return self.is_leader or self.is_moderator or bool(self.expert_skill_ids)

    @property
    def manages_grants(self) -> bool:
        return self.is_instructor or self.is_administrator


@dataclass(frozen=True)
class Limits:
    posts_per_window: int = 8
    window_seconds: int = 600
    review_days: int = 180

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(
            posts_per_window=int(config.get("COMMUNITY_POST_LIMIT", 8)),
            window_seconds=int(config.get("COMMUNITY_POST_WINDOW_SECONDS", 600)),
            review_days=int(config.get("COMMUNITY_REVIEW_DAYS", 180)),
        )


def actor(
    registration_id: int,
    person_id: int,
    *,
    is_instructor: bool,
    is_leader: bool,
    is_administrator: bool,
) -> Actor:
    grants = list(db.session.scalars(select(Grant).where(Grant.person_id == person_id)))
    moderator = is_instructor or any(g.kind == GrantKind.MODERATOR.value for g in grants)
    return Actor(
        registration_id=registration_id,
        person_id=person_id,
        is_instructor=is_instructor,
        is_leader=is_leader,
        is_administrator=is_administrator,
        is_moderator=moderator,
        expert_skill_ids=frozenset(expert_skills_of(person_id, grants)),
    )


# --- experts --------------------------------------------------------------------------------


def expert_skills_of(person_id: int, grants: Iterable[Grant] | None = None) -> set[int]:
    if grants is None:
        grants = db.session.scalars(select(Grant).where(Grant.person_id == person_id))
    skills = {g.skill_id for g in grants if g.kind == GrantKind.EXPERT.value and g.skill_id}
    role_id = roles.effective_role_id(person_id)
    if role_id is not None:
        skills.update(
            db.session.scalars(
                select(RoleSkillTarget.skill_id).where(
                    RoleSkillTarget.role_id == role_id, RoleSkillTarget.level >= EXPERT_LEVEL
                )
            )
        )
    return skills


@dataclass
class Expert:
    person: Person
    skills: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


def experts_for(skill_ids: Iterable[int], exclude: Iterable[int] = ()) -> list[Expert]:
    """People who are experts in any of the skills, with the skills and why (a named expert,
    or their job role's expert target level)."""
    ids = set(skill_ids)
    if not ids:
        return []
    names = dict(db.session.execute(select(Skill.id, Skill.name).where(Skill.id.in_(ids))).all())
    found: dict[int, Expert] = {}

    def note(person: Person, skill_id: int, why: str) -> None:
        entry = found.setdefault(person.id, Expert(person))
        if names.get(skill_id) and names[skill_id] not in entry.skills:
            entry.skills.append(names[skill_id])
        if why not in entry.why:
            entry.why.append(why)

    for grant in db.session.scalars(
        select(Grant).where(Grant.kind == GrantKind.EXPERT.value, Grant.skill_id.in_(ids))
    ):
        note(grant.person, grant.skill_id or 0, _("named expert by a trainer"))
    expert_roles: dict[int, list[int]] = {}
    for role_id, skill_id in db.session.execute(
        select(RoleSkillTarget.role_id, RoleSkillTarget.skill_id).where(
            RoleSkillTarget.skill_id.in_(ids), RoleSkillTarget.level >= EXPERT_LEVEL
        )
    ):
        expert_roles.setdefault(role_id, []).append(skill_id)
    if expert_roles:
        candidates = db.session.scalars(
            select(PersonRole.person_id).where(
                PersonRole.role_id.in_(expert_roles), PersonRole.ended_at.is_(None)
            )
        )
        effective = roles.effective_for(candidates)
        people = {
            p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(effective)))
        }
        for pid, assignment in effective.items():
            for skill_id in expert_roles.get(assignment.role_id or 0, []):
                note(people[pid], skill_id, _("%(role)s: expert level", role=assignment.role_name))
    skip = set(exclude)
    return sorted(
        (e for pid, e in found.items() if pid not in skip), key=lambda e: e.person.display_name
    )


# --- rate limit -----------------------------------------------------------------------------


def take_post_slot(who: Actor, limits: Limits, now: float | None = None) -> bool:
    """One of the person's ``posts_per_window`` slots in the current fixed window, taken
    atomically in the shared store (Redis or the database), so the limit holds across
    processes. False when every slot is taken."""
    if limits.posts_per_window <= 0:
        return True
    window = max(1, limits.window_seconds)
    bucket = int((time.time() if now is None else now) // window)
    prefix = f"community:rate:{who.registration_id}:{who.person_id}:{bucket}"
    return any(
        store.add(f"{prefix}:{slot}", 1, window + 5) for slot in range(limits.posts_per_window)
    )


def _rate_limit(who: Actor, limits: Limits) -> None:
    if not take_post_slot(who, limits):
        minutes = max(1, limits.window_seconds // 60)
        raise RateLimited(
            ngettext(
                "You have posted %(posts)d times in the last minute.",
                "You have posted %(posts)d times in the last %(num)s minutes.",
                minutes,
                posts=limits.posts_per_window,
            )
            + " "
            + _(
                "Take a short break and try again in a few minutes: what you wrote is still in "
                "the form."
            )
        )


# --- reading --------------------------------------------------------------------------------


def skills() -> list[Skill]:
    return roles.skills()


def post(pk: int) -> Post:
    row = db.session.get(Post, pk)
    if row is None:
        raise NotFound(pk)
    return row


def answer(pk: int) -> Answer:
    row = db.session.get(Answer, pk)
    if row is None:
        raise NotFound(pk)
    return row


def can_see(who: Actor, row: Post | Answer) -> bool:
    return row.visible or who.is_moderator or row.author_id == who.person_id


def visible_post(who: Actor, pk: int) -> Post:
    row = post(pk)
    if not can_see(who, row):
        raise NotFound(pk)
    return row


def answers_of(who: Actor, row: Post) -> list[Answer]:
    query = select(Answer).options(selectinload(Answer.author)).where(Answer.post_id == row.id)
    if not who.is_moderator:
        query = query.where(
            or_(Answer.status == Status.VISIBLE.value, Answer.author_id == who.person_id)
        )
    found = list(db.session.scalars(query.order_by(Answer.created_at, Answer.id)))
    # The accepted answer first, then the most helpful, then the oldest.
    return sorted(
        found,
        key=lambda a: (a.id != row.accepted_answer_id, -a.helpful_count, a.created_at, a.id),
    )


def my_helpful(person_id: int, target: Target, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Helpful.target_id).where(
                Helpful.person_id == person_id,
                Helpful.target == target.value,
                Helpful.target_id.in_(ids),
            )
        )
    )


def review_due(row: Post, limits: Limits, now: datetime | None = None) -> str:
    """Why a tip is due for review ("" when it is not)."""
    if not row.is_tip:
        return ""
    if row.kb_changed_at is not None:
        return _("its knowledge-base article was marked as changed")
    since = row.verified_at or row.created_at
    if (now or utcnow()) - since > timedelta(days=limits.review_days):
        if row.verified_at:
            return ngettext(
                "it was verified more than %(num)s day ago",
                "it was verified more than %(num)s days ago",
                limits.review_days,
            )
        return ngettext(
            "it was shared more than %(num)s day ago",
            "it was shared more than %(num)s days ago",
            limits.review_days,
        )
    return ""


def _due_clause(limits: Limits, now: datetime) -> ColumnElement[bool]:
    cutoff = now - timedelta(days=limits.review_days)
    return and_(
        Post.kind == Kind.TIP.value,
        Post.status == Status.VISIBLE.value,
        or_(
            Post.kb_changed_at.is_not(None),
            func.coalesce(Post.verified_at, Post.created_at) < cutoff,
        ),
    )


# --- search ---------------------------------------------------------------------------------

# How many of the newest matches each source (posts, answers) contributes before ranking. A
# search for common words matches most posts; ranking every match costs seconds at 100,000
# posts (bench/community.py), ranking the newest few hundred costs milliseconds.
SEARCH_CANDIDATES = 200
# SQLite's FTS5 tables (external content, kept in sync by triggers; migration 0011_coaching).
FTS_TABLES = ("community_posts_fts", "community_answers_fts")
_fts_ready: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def is_search_table(name: str | None) -> bool:
    """The FTS5 tables and their shadow tables: created by the migration on SQLite only, not
    part of the models (so the migration/model comparison leaves them out)."""
    return bool(name) and str(name).startswith(FTS_TABLES)


def is_search_object(name: str | None, kind: str, table_name: str | None) -> bool:
    """What migration 0011_coaching makes for search by hand, per database, outside the models:
    SQLite's FTS5 tables; PostgreSQL's generated search_doc columns (their GIN indexes are in
    the models, PostgreSQL only)."""
    if kind == "table":
        return is_search_table(name)
    return (
        kind == "column"
        and name == "search_doc"
        and table_name in ("community_posts", "community_answers")
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _has_fts(engine: Engine) -> bool:
    if engine not in _fts_ready:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name IN (:p, :a)"),
                {"p": FTS_TABLES[0], "a": FTS_TABLES[1]},
            ).scalar()
        _fts_ready[engine] = found == len(FTS_TABLES)
    return _fts_ready[engine]


def _pg_search_terms(q: str) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """PostgreSQL: the stored tsvector of a post (title and text) and of an answer, generated
    columns of migration 0011_coaching with GIN indexes; and q as a tsquery (web search syntax:
    words, "a phrase", -word, or)."""
    return (
        literal_column("community_posts.search_doc"),
        literal_column("community_answers.search_doc"),
        func.websearch_to_tsquery(literal_column("'english'"), q),
    )


def _best(branches: Sequence[Any]) -> Subquery:
    """(post_id, score): the best score of each post over the candidate branches (each with
    its own ORDER BY ... LIMIT, so wrapped as a subquery)."""
    parts = [b.subquery() for b in branches]
    every = union_all(*(select(p.c.post_id, p.c.score) for p in parts)).subquery()
    return (
        select(every.c.post_id, func.max(every.c.score).label("score"))
        .group_by(every.c.post_id)
        .subquery()
    )


def _matching(
    query: Select[Any],
    q: str,
    narrow: Sequence[ColumnElement[bool]] = (),
    limit: int | None = None,
) -> Select[Any]:
    """query narrowed to the posts matching q in their title or text, or in one of their
    visible answers, best match first. Only the `limit` newest matching posts and the posts of
    the `limit` newest matching answers are candidates (each read in index order, so common
    words cost no more than rare ones); only those are ranked. `narrow` (the feed's filters on
    Post) applies to the post candidates too, so a filtered search still finds `limit` posts.

    PostgreSQL: the stored tsvector columns of migration 0011_coaching (GIN-indexed), ranked by
    ts_rank of the post's title and text. SQLite: the FTS5 tables
    of migration 0011_coaching, ranked by bm25. Elsewhere (or SQLite without FTS5): LIKE on
    each word, newest first."""
    limit = limit or SEARCH_CANDIDATES
    engine = db.session.get_bind()
    dialect = engine.dialect.name
    visible = Status.VISIBLE.value
    if dialect == "postgresql":
        post_doc, answer_doc, tsquery = _pg_search_terms(q)
        best = _best(
            [
                select(Post.id.label("post_id"), literal(1).label("score"))
                .where(Post.status == visible, post_doc.op("@@")(tsquery), *narrow)
                .order_by(Post.created_at.desc())
                .limit(limit),
                select(Answer.post_id.label("post_id"), literal(0).label("score"))
                .where(Answer.status == visible, answer_doc.op("@@")(tsquery))
                .order_by(Answer.created_at.desc())
                .limit(limit),
            ]
        )
        # Ranked: only the candidates (at most twice the limit).
        rank = case((best.c.score > 0, func.ts_rank(post_doc, tsquery)), else_=0)
        return query.join(best, best.c.post_id == Post.id).order_by(rank.desc())
    words = [w for w in re.split(r"\s+", q.strip()) if w][:8]
    if dialect == "sqlite" and isinstance(engine, Engine) and _has_fts(engine):
        # Each word as an FTS5 string (a phrase of its tokens): no FTS5 syntax from the user.
        terms = [t for t in (re.findall(r"\w+", w) for w in words) if t]
        if not terms:
            return query.where(false())
        match = " ".join('"' + " ".join(t) + '"' for t in terms)
        posts_fts = table(FTS_TABLES[0], column("rowid"))
        answers_fts = table(FTS_TABLES[1], column("rowid"))
        best = _best(
            [
                # bm25 is lower for better matches; it is computed for the rows returned only.
                select(
                    Post.id.label("post_id"),
                    (-func.bm25(literal_column(FTS_TABLES[0]))).label("score"),
                )
                .select_from(posts_fts)
                .join(Post, Post.id == posts_fts.c.rowid)
                .where(
                    literal_column(FTS_TABLES[0]).op("MATCH")(match),
                    Post.status == visible,
                    *narrow,
                )
                .order_by(posts_fts.c.rowid.desc())
                .limit(limit),
                select(Answer.post_id.label("post_id"), literal(0.0).label("score"))
                .select_from(answers_fts)
                .join(Answer, Answer.id == answers_fts.c.rowid)
                .where(literal_column(FTS_TABLES[1]).op("MATCH")(match), Answer.status == visible)
                .order_by(answers_fts.c.rowid.desc())
                .limit(limit),
            ]
        )
        return query.join(best, best.c.post_id == Post.id).order_by(best.c.score.desc())
    clauses = []
    for word in words:
        pattern = _like(word)
        clauses.append(
            or_(
                Post.title.ilike(pattern, escape="\\"),
                Post.body_md.ilike(pattern, escape="\\"),
                exists().where(
                    Answer.post_id == Post.id,
                    Answer.status == visible,
                    Answer.body_md.ilike(pattern, escape="\\"),
                ),
            )
        )
    title_first = Post.title.ilike(_like(words[0]) if words else "%", escape="\\")
    return query.where(and_(*clauses)).order_by(title_first.desc())


# What a list of posts shows, loaded in three queries rather than three per post.
def _list_loads() -> tuple[Any, ...]:
    # Built when first used, not at import: loader options configure every mapper, and models
    # of other features (coaching) may not be imported yet then.
    return (selectinload(Post.author), selectinload(Post.verified_by), selectinload(Post.skills))


@dataclass
class FeedPage:
    posts: list[Post]
    page: int
    has_more: bool
    total_hint: int


def search(
    q: str = "",
    *,
    kind: str = "",
    skill_id: int | None = None,
    unanswered: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> FeedPage:
    """Visible posts, newest activity first; with q, full-text search over posts and answers
    (best match first) on either database."""
    narrow: list[ColumnElement[bool]] = []
    if kind in (Kind.TIP.value, Kind.QUESTION.value):
        narrow.append(Post.kind == kind)
    if skill_id:
        narrow.append(exists().where(PostSkill.post_id == Post.id, PostSkill.skill_id == skill_id))
    if unanswered:
        narrow += [Post.kind == Kind.QUESTION.value, Post.answer_count == 0]
    query = select(Post).where(Post.status == Status.VISIBLE.value, *narrow)
    q = q.strip()[:200]
    if q:
        query = _matching(query, q, narrow)
    order: list[Any] = [Post.last_activity_at.desc(), Post.id.desc()]
    page = max(1, page)
    rows = list(
        db.session.scalars(
            query.options(*_list_loads())
            .order_by(*order)  # after the ranking _matching put first
            .limit(page_size + 1)
            .offset((page - 1) * page_size)
        )
    )
    return FeedPage(rows[:page_size], page, len(rows) > page_size, len(rows))


def unanswered_for(who: Actor, limit: int = 50) -> tuple[list[Post], list[Post]]:
    """Questions without a visible answer: those in the person's expert skills, then the rest
    (the rest only for leaders and moderators)."""
    if not who.sees_unanswered:
        raise Forbidden("unanswered")
    base = (
        select(Post)
        .where(
            Post.status == Status.VISIBLE.value,
            Post.kind == Kind.QUESTION.value,
            Post.answer_count == 0,
        )
        .options(*_list_loads())
        .order_by(Post.created_at)
        .limit(limit)
    )
    mine: list[Post] = []
    if who.expert_skill_ids:
        in_skills = exists().where(
            PostSkill.post_id == Post.id, PostSkill.skill_id.in_(who.expert_skill_ids)
        )
        mine = list(db.session.scalars(base.where(in_skills)))
    others: list[Post] = []
    if who.is_leader or who.is_moderator:
        seen = {p.id for p in mine}
        others = [p for p in db.session.scalars(base) if p.id not in seen]
    return mine, others


# --- writing posts and answers --------------------------------------------------------------


@dataclass
class PostForm:
    title: str = ""
    body: str = ""
    skill_ids: list[int] = field(default_factory=list)
    contact_reason: str = ""
    kb_url: str = ""
    reason: str = ""  # a moderator's reason for editing someone else's post
    notify_experts: bool = True


def _clean_url(url: str, errors: dict[str, str]) -> str:
    url = url.strip()
    if not url:
        return ""
    if not is_web_address(url) or len(url) > URL_MAX:
        errors["kb_url"] = _("Give the article's full address, starting with https://.")
    return url


def _at_most(limit: int) -> str:
    """The message for a text over its limit (20,000 written as the page's language does)."""
    return _("Use at most %(num)s characters.", num=number(limit, 0))


def _validate(kind: str, form: PostForm, known_skills: set[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form.title.strip():
        errors["title"] = (
            _("Give your tip a short title.")
            if kind == Kind.TIP
            else _("Say what you want to know.")
        )
    elif len(form.title.strip()) > TITLE_MAX:
        errors["title"] = _at_most(TITLE_MAX)
    if not form.body.strip():
        errors["body"] = (
            _("Write the tip: what to do, and when it helps.")
            if kind == Kind.TIP
            else _("Add the details: what happened, what you tried.")
        )
    elif len(form.body) > BODY_MAX:
        errors["body"] = _at_most(BODY_MAX)
    if not form.skill_ids:
        errors["skills"] = _("Pick at least one skill, so the right people find it.")
    elif not set(form.skill_ids) <= known_skills:
        errors["skills"] = _("Pick skills from the list.")
    if len(form.contact_reason.strip()) > CONTACT_REASON_MAX:
        errors["contact_reason"] = _at_most(CONTACT_REASON_MAX)
    form.kb_url = _clean_url(form.kb_url, errors)
    return errors


def _set_skills(registration_id: int, row: Post, skill_ids: Iterable[int]) -> None:
    wanted = set(skill_ids)
    current = {ps.skill_id: ps for ps in db.session.scalars(
        select(PostSkill).where(PostSkill.post_id == row.id)
    )}  # fmt: skip
    for skill_id, link in current.items():
        if skill_id not in wanted:
            db.session.delete(link)
    for skill_id in wanted - set(current):
        db.session.add(
            PostSkill(registration_id=registration_id, post_id=row.id, skill_id=skill_id)
        )
    db.session.flush()
    db.session.expire(row, ["skills"])


@dataclass
class Saved:
    row: Post | Answer | None
    errors: dict[str, str]
    notes: list[str] = field(default_factory=list)  # e.g. mentions that matched nobody
    repeated: bool = False  # the same text sent again moments later: the first one, not a copy


# A second click on Post, or the form sent again from the browser's history, within this long
# finds the first post or answer (or thanks, in lti_tool/recognition; or a learning path, in
# lti_tool/paths) instead of making a copy.
REPEAT_WINDOW = timedelta(minutes=10)


def create_post(who: Actor, kind: Kind, form: PostForm, limits: Limits) -> Saved:
    known = {s.id for s in skills()}
    errors = _validate(kind, form, known)
    if errors:
        return Saved(None, errors)
    now = utcnow()
    first = db.session.scalar(
        select(Post)
        .where(
            Post.author_id == who.person_id,
            Post.kind == kind.value,
            Post.title == form.title.strip(),
            Post.body_md == form.body,
            Post.status == Status.VISIBLE.value,
            Post.created_at >= now - REPEAT_WINDOW,
        )
        .limit(1)
    )
    if first is not None:
        return Saved(first, {}, repeated=True)
    _rate_limit(who, limits)
    row = Post(
        registration_id=who.registration_id,
        kind=kind.value,
        author_id=who.person_id,
        title=form.title.strip(),
        body_md=form.body,
        body_html=markdown.render(form.body),
        contact_reason=form.contact_reason.strip(),
        kb_url=form.kb_url,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(row)
    db.session.flush()
    _set_skills(who.registration_id, row, form.skill_ids)
    record_event(
        who.registration_id, who.person_id, Verb.SHARED, kind.value, row.id, title=row.title
    )
    notes = _notify_mentions(who, form.body, row, None, set())
    if kind == Kind.QUESTION and form.notify_experts:
        experts = experts_for(form.skill_ids, exclude={who.person_id})
        for expert in experts:
            _notify(who, expert.person.id, "ask_expert", row, None)
        if experts:
            notes.append(
                ngettext(
                    "%(num)s expert was asked to help.",
                    "%(num)s experts were asked to help.",
                    len(experts),
                )
            )
    return Saved(row, {}, notes)


def _may_edit(who: Actor, row: Post | Answer) -> bool:
    return row.author_id == who.person_id or who.is_moderator


def _record(who: Actor, target: Target, target_id: int, action: str, reason: str) -> None:
    db.session.add(
        ModerationAction(
            registration_id=who.registration_id,
            target=target.value,
            target_id=target_id,
            action=action,
            actor_id=who.person_id,
            reason=reason.strip()[:REASON_MAX],
        )
    )


def _moderator_reason(who: Actor, row: Post | Answer, reason: str) -> dict[str, str]:
    if row.author_id != who.person_id and not reason.strip():
        return {"reason": _("Say why you change someone else's words: the author will see it.")}
    if len(reason.strip()) > REASON_MAX:
        return {"reason": _at_most(REASON_MAX)}
    return {}


def edit_post(who: Actor, row: Post, form: PostForm) -> Saved:
    if not _may_edit(who, row):
        raise Forbidden("edit")
    errors = _validate(Kind(row.kind), form, {s.id for s in skills()})
    errors.update(_moderator_reason(who, row, form.reason))
    if errors:
        return Saved(None, errors)
    old_mentions = _mentions_in(row.body_md)
    db.session.add(
        Revision(
            registration_id=who.registration_id,
            target=Target.POST.value,
            target_id=row.id,
            title=row.title,
            body_md=row.body_md,
            replaced_by_id=who.person_id,
            reason=form.reason.strip()[:REASON_MAX],
        )
    )
    row.title = form.title.strip()
    row.body_md = form.body
    row.body_html = markdown.render(form.body)
    row.contact_reason = form.contact_reason.strip()
    if row.kb_url != form.kb_url:
        row.kb_changed_at = None
    row.kb_url = form.kb_url
    row.edited_at = utcnow()
    _set_skills(who.registration_id, row, form.skill_ids)
    if row.author_id != who.person_id:
        _record(who, Target.POST, row.id, "edit", form.reason)
    notes = _notify_mentions(who, form.body, row, None, old_mentions)
    return Saved(row, {}, notes)


def create_answer(who: Actor, row: Post, body: str, limits: Limits) -> Saved:
    if not row.visible or row.kind != Kind.QUESTION.value:
        raise Forbidden("answer")
    errors = _answer_errors(body)
    if errors:
        return Saved(None, errors)
    first = db.session.scalar(
        select(Answer)
        .where(
            Answer.post_id == row.id,
            Answer.author_id == who.person_id,
            Answer.body_md == body,
            Answer.status == Status.VISIBLE.value,
            Answer.created_at >= utcnow() - REPEAT_WINDOW,
        )
        .limit(1)
    )
    if first is not None:
        return Saved(first, {}, repeated=True)
    _rate_limit(who, limits)
    reply = Answer(
        registration_id=who.registration_id,
        post_id=row.id,
        author_id=who.person_id,
        body_md=body,
        body_html=markdown.render(body),
    )
    db.session.add(reply)
    db.session.flush()
    record_event(
        who.registration_id, who.person_id, Verb.SHARED, "answer", reply.id, title=row.title
    )
    row.last_activity_at = utcnow()
    _recount(row)
    if row.author_id and row.author_id != who.person_id:
        _notify(who, row.author_id, "answer", row, reply.id)
    notes = _notify_mentions(who, body, row, reply.id, {row.author_id or 0})
    return Saved(reply, {}, notes)


def _answer_errors(body: str) -> dict[str, str]:
    if not body.strip():
        return {"body": _("Write your answer first.")}
    if len(body) > BODY_MAX:
        return {"body": _at_most(BODY_MAX)}
    return {}


def edit_answer(who: Actor, reply: Answer, body: str, reason: str) -> Saved:
    if not _may_edit(who, reply):
        raise Forbidden("edit")
    errors = _answer_errors(body)
    errors.update(_moderator_reason(who, reply, reason))
    if errors:
        return Saved(None, errors)
    old_mentions = _mentions_in(reply.body_md)
    db.session.add(
        Revision(
            registration_id=who.registration_id,
            target=Target.ANSWER.value,
            target_id=reply.id,
            body_md=reply.body_md,
            replaced_by_id=who.person_id,
            reason=reason.strip()[:REASON_MAX],
        )
    )
    reply.body_md = body
    reply.body_html = markdown.render(body)
    reply.edited_at = utcnow()
    if reply.author_id != who.person_id:
        _record(who, Target.ANSWER, reply.id, "edit", reason)
    notes = _notify_mentions(who, body, reply.post, reply.id, old_mentions)
    return Saved(reply, {}, notes)


def revisions(target: Target, target_id: int) -> list[Revision]:
    return list(
        db.session.scalars(
            select(Revision)
            .where(Revision.target == target.value, Revision.target_id == target_id)
            .order_by(Revision.replaced_at.desc(), Revision.id.desc())
        )
    )


def _recount(row: Post) -> None:
    db.session.flush()
    row.answer_count = (
        db.session.scalar(
            select(func.count()).where(
                Answer.post_id == row.id, Answer.status == Status.VISIBLE.value
            )
        )
        or 0
    )


# --- status changes: delete, hide, restore --------------------------------------------------


def resolve(target: Target, target_id: int) -> Post | Answer:
    return post(target_id) if target is Target.POST else answer(target_id)


def _set_status(row: Post | Answer, status: Status) -> None:
    row.status = status.value
    if isinstance(row, Answer):
        _recount(row.post)


def delete(who: Actor, target: Target, row: Post | Answer, reason: str = "") -> None:
    """The author's own content, or a moderator's (with a reason for others' content)."""
    if not _may_edit(who, row):
        raise Forbidden("delete")
    if row.author_id != who.person_id and not reason.strip():
        raise ValueError(_("Say why you delete someone else's words."))
    if row.status == Status.DELETED.value:
        return
    _set_status(row, Status.DELETED)
    _record(who, target, row.id, "delete", reason)


def hide(who: Actor, target: Target, row: Post | Answer, reason: str) -> None:
    if not who.is_moderator:
        raise Forbidden("hide")
    if not reason.strip():
        raise ValueError(_("Say why it is hidden: the author and other moderators will see it."))
    _set_status(row, Status.HIDDEN)
    _record(who, target, row.id, "hide", reason)
    _resolve_flags(who, target, row.id, "hidden")


def restore(who: Actor, target: Target, row: Post | Answer, reason: str) -> None:
    if not who.is_moderator:
        raise Forbidden("restore")
    if not reason.strip():
        raise ValueError(_("Say why it comes back."))
    _set_status(row, Status.VISIBLE)
    _record(who, target, row.id, "restore", reason)
    _resolve_flags(who, target, row.id, "restored")


def dismiss_flags(who: Actor, target: Target, row: Post | Answer, reason: str) -> int:
    if not who.is_moderator:
        raise Forbidden("dismiss")
    if not reason.strip():
        raise ValueError(_("Say why the content stays as it is."))
    _record(who, target, row.id, "dismiss", reason)
    return _resolve_flags(who, target, row.id, "dismissed")


def _resolve_flags(who: Actor, target: Target, target_id: int, resolution: str) -> int:
    result = db.session.execute(
        update(Flag)
        .where(Flag.target == target.value, Flag.target_id == target_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=who.person_id, resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def actions_on(target: Target, target_id: int) -> list[ModerationAction]:
    return list(
        db.session.scalars(
            select(ModerationAction)
            .where(ModerationAction.target == target.value, ModerationAction.target_id == target_id)
            .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        )
    )


def last_action(target: Target, target_id: int, action: str) -> ModerationAction | None:
    return db.session.scalar(
        select(ModerationAction)
        .where(
            ModerationAction.target == target.value,
            ModerationAction.target_id == target_id,
            ModerationAction.action == action,
        )
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .limit(1)
    )


# --- flags, helpful, verify, accept ---------------------------------------------------------


def flag(who: Actor, target: Target, row: Post | Answer, reason: str) -> bool:
    """False when this person already has an open flag on it."""
    reason = reason.strip()
    if not reason:
        raise ValueError(_("Say what is wrong, so a moderator can act on it."))
    open_flag = db.session.scalar(
        select(Flag.id).where(
            Flag.target == target.value,
            Flag.target_id == row.id,
            Flag.reporter_id == who.person_id,
            Flag.resolved_at.is_(None),
        )
    )
    if open_flag is not None:
        return False
    db.session.add(
        Flag(
            registration_id=who.registration_id,
            target=target.value,
            target_id=row.id,
            reporter_id=who.person_id,
            reason=reason[:REASON_MAX],
        )
    )
    db.session.flush()
    return True


def mark_helpful(who: Actor, target: Target, row: Post | Answer) -> bool:
    """Once per person; never one's own content. False when already marked."""
    if row.author_id == who.person_id:
        raise Forbidden("own content")
    if not row.visible:
        raise Forbidden("not visible")
    try:
        with db.session.begin_nested():
            db.session.add(
                Helpful(
                    registration_id=who.registration_id,
                    target=target.value,
                    target_id=row.id,
                    person_id=who.person_id,
                )
            )
    except IntegrityError:
        return False
    model = Post if target is Target.POST else Answer
    db.session.execute(
        update(model)
        .where(model.id == row.id)
        .values(helpful_count=model.helpful_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row, ["helpful_count"])
    return True


def may_verify(who: Actor, row: Post) -> bool:
    if not row.is_tip or not row.visible or row.author_id == who.person_id:
        return False
    if who.is_instructor:
        return True
    return bool(who.expert_skill_ids & {s.id for s in row.skills})


def verify(who: Actor, row: Post, note: str = "") -> None:
    if not may_verify(who, row):
        raise Forbidden("verify")
    was_verified = row.verified_at is not None
    row.verified_by_id = who.person_id
    row.verified_at = utcnow()
    row.kb_changed_at = None
    _record(who, Target.POST, row.id, "reverify" if was_verified else "verify", note)
    if row.author_id:
        _notify(who, row.author_id, "verified", row, None)
    db.session.flush()
    for hook in tip_verified:
        hook(row)


def accept(who: Actor, reply: Answer) -> bool:
    """The asker marks (or, pressed again, unmarks) the answer that solved it."""
    question = reply.post
    if question.author_id != who.person_id or not reply.visible or not question.visible:
        raise Forbidden("accept")
    if question.accepted_answer_id == reply.id:
        question.accepted_answer_id = None
        return False
    question.accepted_answer_id = reply.id
    if reply.author_id and reply.author_id != who.person_id:
        _notify(who, reply.author_id, "accepted", question, reply.id)
    return True


def mark_article_changed(who: Actor, url: str, reason: str) -> int:
    """Every visible tip linking this article is due for review; returns how many."""
    if not who.is_moderator:
        raise Forbidden("article")
    url = url.strip()
    if not url:
        raise ValueError(_("Paste the address of the article that changed."))
    tips = list(
        db.session.scalars(select(Post).where(Post.kind == Kind.TIP.value, Post.kb_url == url))
    )
    now = utcnow()
    for tip in tips:
        tip.kb_changed_at = now
        _record(who, Target.POST, tip.id, "article_changed", reason or url)
    return len(tips)


# --- the review queue -----------------------------------------------------------------------


@dataclass
class QueueItem:
    target: Target
    row: Post | Answer
    flags: list[Flag]


@dataclass
class Queue:
    flagged: list[QueueItem]
    hidden: list[QueueItem]
    due: list[tuple[Post, str]]

    @property
    def empty(self) -> bool:
        return not (self.flagged or self.hidden or self.due)


def review_queue(who: Actor, limits: Limits, limit: int = 100) -> Queue:
    if not who.is_moderator:
        raise Forbidden("queue")
    open_flags = list(
        db.session.scalars(
            select(Flag)
            .where(Flag.resolved_at.is_(None))
            .order_by(Flag.created_at)
            .limit(limit * 5)
        )
    )
    grouped: dict[tuple[str, int], list[Flag]] = {}
    for f in open_flags:
        grouped.setdefault((f.target, f.target_id), []).append(f)
    flagged = []
    for (target, target_id), flags in list(grouped.items())[:limit]:
        try:
            flagged.append(QueueItem(Target(target), resolve(Target(target), target_id), flags))
        except NotFound:
            continue
    hidden: list[QueueItem] = []
    for post_row in db.session.scalars(
        select(Post)
        .where(Post.status != Status.VISIBLE.value)
        .order_by(Post.id.desc())
        .limit(limit)
    ):
        hidden.append(QueueItem(Target.POST, post_row, []))
    for answer_row in db.session.scalars(
        select(Answer)
        .where(Answer.status != Status.VISIBLE.value)
        .order_by(Answer.id.desc())
        .limit(limit)
    ):
        hidden.append(QueueItem(Target.ANSWER, answer_row, []))
    now = utcnow()
    due = [
        (tip, review_due(tip, limits, now))
        for tip in db.session.scalars(
            select(Post).where(_due_clause(limits, now)).order_by(Post.created_at).limit(limit)
        )
    ]
    return Queue(flagged, hidden, due)


def open_flags(target: Target, target_id: int) -> list[Flag]:
    return list(
        db.session.scalars(
            select(Flag)
            .where(
                Flag.target == target.value,
                Flag.target_id == target_id,
                Flag.resolved_at.is_(None),
            )
            .order_by(Flag.created_at)
        )
    )


def open_flag_count() -> int:
    return db.session.scalar(select(func.count()).where(Flag.resolved_at.is_(None))) or 0


# --- notifications and mentions -------------------------------------------------------------

# What a notification says, by kind: lazy messages (or plain text) naming who did it as
# %(actor)s and, for a kind about a post, its title as %(title)s. Other features add their kinds
# (lti_tool/coaching, lti_tool/recognition, lti_tool/voice); their texts may still write the
# person as {actor}, as this dictionary once did (notification_text reads both).
NOTIFICATION_TEXT: dict[str, Any] = {
    "answer": _l("%(actor)s answered your question “%(title)s”"),
    "verified": _l("%(actor)s verified your tip “%(title)s”"),
    "mention": _l("%(actor)s mentioned you in “%(title)s”"),
    "ask_expert": _l("%(actor)s asks for your expertise on “%(title)s”"),
    "accepted": _l("%(actor)s accepted your answer to “%(title)s”"),
}


# Where opening a notification of a kind another feature adds leads (an endpoint name).
NOTIFICATION_LINKS: dict[str, str] = {}
# For kinds about one item (the notification's subject_id): the endpoint showing it (by
# ``pk``) and whether the item still exists; one gone since leads to NOTIFICATION_LINKS' page.
NOTIFICATION_ITEM_LINKS: dict[str, tuple[str, Callable[[int], bool]]] = {}


def notification_item_link(row: Notification) -> str | None:
    """The endpoint showing the notification's subject, when it has one that still exists."""
    found = NOTIFICATION_ITEM_LINKS.get(row.kind)
    if found is None or row.subject_id is None:
        return None
    endpoint, exists_ = found
    return endpoint if exists_(row.subject_id) else None


def _notify(who: Actor, person_id: int, kind: str, row: Post, answer_id: int | None) -> None:
    if person_id == who.person_id:
        return
    db.session.add(
        Notification(
            registration_id=who.registration_id,
            person_id=person_id,
            kind=kind,
            actor_id=who.person_id,
            post_id=row.id,
            answer_id=answer_id,
        )
    )


def _mentions_in(text: str) -> set[str]:
    return {m.strip().casefold() for m in MENTION.findall(text or "")}


def resolve_mentions(names: Iterable[str]) -> tuple[dict[str, Person], list[str], list[str]]:
    """Each mentioned name to its one person in the tenant; plus names matching nobody and
    names matching several people."""
    wanted = {n.strip().casefold() for n in names if n.strip()}
    if not wanted:
        return {}, [], []
    candidates = db.session.scalars(
        select(Person).where(
            or_(
                func.lower(Person.preferred_name).in_(wanted),
                func.lower(Person.name).in_(wanted),
                func.lower(Person.email).in_(wanted),
            )
        )
    )
    by_name: dict[str, dict[int, Person]] = {}
    for person in candidates:
        for value in (person.preferred_name, person.name, person.email):
            key = value.strip().casefold()
            if key in wanted:
                by_name.setdefault(key, {})[person.id] = person
    found = {k: next(iter(v.values())) for k, v in by_name.items() if len(v) == 1}
    unknown = sorted(n for n in wanted if n not in by_name)
    ambiguous = sorted(n for n, v in by_name.items() if len(v) > 1)
    return found, unknown, ambiguous


def _notify_mentions(
    who: Actor, text: str, row: Post, answer_id: int | None, skip_names_or_ids: set[Any]
) -> list[str]:
    names = _mentions_in(text) - {n for n in skip_names_or_ids if isinstance(n, str)}
    found, unknown, ambiguous = resolve_mentions(names)
    skip_ids = {n for n in skip_names_or_ids if isinstance(n, int)}
    for person in found.values():
        if person.id not in skip_ids:
            _notify(who, person.id, "mention", row, answer_id)
    notes = []
    if unknown:
        listed = ", ".join(f"@[{n}]" for n in unknown)
        notes.append(_("Nobody here is called %(names)s.", names=listed))
    if ambiguous:
        listed = ", ".join(f"@[{n}]" for n in ambiguous)
        notes.append(
            _(
                "%(names)s matches several people: use their e-mail address, as in "
                "@[name@example.com].",
                names=listed,
            )
        )
    return notes


def notifications(person_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .options(
                selectinload(Notification.actor),
                selectinload(Notification.post),
                selectinload(Notification.coaching_session),
            )
            .where(Notification.person_id == person_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


@functools.cache
def _unread_query() -> Any:
    """Built once: the page header asks it on every page."""
    return select(func.count()).where(
        Notification.person_id == bindparam("person_id"), Notification.read_at.is_(None)
    )


def unread_count(person_id: int) -> int:
    return db.session.scalar(_unread_query(), {"person_id": person_id}) or 0


def notification(person_id: int, pk: int) -> Notification:
    row = db.session.get(Notification, pk)
    if row is None or row.person_id != person_id:
        raise NotFound(pk)
    return row


def mark_read(person_id: int, notification_id: int | None = None) -> None:
    query = update(Notification).where(
        Notification.person_id == person_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))


def notification_text(n: Notification) -> str:
    from lti_tool.coaching.services import NOTIFICATION_TEXT as COACHING_TEXT

    actor_name = n.actor.display_name if n.actor else _("Someone")
    title = n.post.title if n.post is not None else ""
    found = NOTIFICATION_TEXT.get(n.kind) or COACHING_TEXT.get(n.kind)
    if found is None:
        found = _l("%(actor)s in “%(title)s”") if title else _l("%(actor)s")
    text = str(found)  # a lazy message becomes the page's language here
    if "{actor}" in text:
        return text.replace("{actor}", actor_name)
    return text % {"actor": actor_name, "title": title}


# --- experts and moderators (grants) --------------------------------------------------------


def grants() -> list[Grant]:
    return list(db.session.scalars(select(Grant).order_by(Grant.kind, Grant.created_at)))


def add_grant(who: Actor, ref: str, kind: str, skill_id: int | None) -> tuple[Grant | None, str]:
    if not who.manages_grants:
        raise Forbidden("grants")
    if kind not in (GrantKind.MODERATOR.value, GrantKind.EXPERT.value):
        return None, _("Choose moderator or expert.")
    person, problem = roles.find_person(ref)
    if person is None:
        return None, problem
    if kind == GrantKind.EXPERT.value:
        if skill_id is None or db.session.get(Skill, skill_id) is None:
            return None, _("Choose the skill they are an expert in.")
    else:
        skill_id = None
    exists_already = db.session.scalar(
        select(Grant.id).where(
            Grant.person_id == person.id,
            Grant.kind == kind,
            Grant.skill_id.is_(None) if skill_id is None else Grant.skill_id == skill_id,
        )
    )
    if exists_already is not None:
        return None, _("%(name)s has that already.", name=person.display_name)
    row = Grant(
        registration_id=who.registration_id,
        person_id=person.id,
        kind=kind,
        skill_id=skill_id,
        granted_by_id=who.person_id,
    )
    db.session.add(row)
    db.session.flush()
    return row, ""


def remove_grant(who: Actor, pk: int) -> None:
    if not who.manages_grants:
        raise Forbidden("grants")
    row = db.session.get(Grant, pk)
    if row is None:
        raise NotFound(pk)
    db.session.delete(row)


def people_named(ids: Sequence[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
