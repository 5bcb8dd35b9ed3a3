"""What peers share, seen three ways: the weekly digest per job role, a page per skill, and a
leader's view of their team's contributions. Plain functions over the tenant's session.

- Digest: for a job role and an ISO week (Monday to Sunday, UTC), the week's most helpful tips
  and answers and the posts verified that week, by people whose effective role is that role.
- Skill page: visible posts tagged with the skill, the steps of published paths building it
  (newest published version of each path), coaching offers on it, its experts, and catalog
  items (``catalog_items_for_skill``).
- Team: per member of the teams a person leads, over a period: tips, questions, answers,
  their tips verified, verifications they gave, and coaching sessions given and received.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    DateTime,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload, selectinload

from lti_tool.coaching import services as coaching
from lti_tool.coaching.models import CoachingOffer, CoachingSession, SessionStatus
from lti_tool.community import services as community
from lti_tool.community.models import Answer, Kind, Post, PostSkill, Status
from lti_tool.extensions import db
from lti_tool.paths import services as paths
from lti_tool.paths.models import Path, PathNode, PathVersion, VersionStatus
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import PersonRole, Skill

DIGEST_SIZE = 10


# --- weeks ----------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(value: str, today: date) -> date:
    """The Monday of an ISO week written 2026-W49; this week when empty or malformed."""
    try:
        year, week = value.strip().upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, AttributeError):
        return monday_of(today)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


# --- the digest -----------------------------------------------------------------------------


@dataclass
class Digest:
    role_id: int
    monday: date
    people: int
    tips: list[Post]
    answers: list[Answer]
    verified: list[Post]

    @property
    def empty(self) -> bool:
        return not (self.tips or self.answers or self.verified)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def _rank(row: Any) -> Any:
    return case(
        {source.value: rank for source, rank in roles.RANK.items()}, value=row.source, else_=0
    )


def role_members(role_id: Any) -> Select[Any]:
    """People whose effective job role is role_id (a value or a bound parameter), as a query:
    a current row of that role with no current row of another role taking precedence over it
    (roles.services.effective: the source's rank, then the newest, then the latest row)."""
    mine, other = aliased(PersonRole), aliased(PersonRole)
    beaten = (
        select(other.id)
        .where(
            other.person_id == mine.person_id,
            other.ended_at.is_(None),
            other.role_id.is_not(None),
            other.role_id != role_id,
            or_(
                _rank(other) > _rank(mine),
                and_(
                    _rank(other) == _rank(mine),
                    or_(
                        other.since > mine.since,
                        and_(other.since == mine.since, other.id > mine.id),
                    ),
                ),
            ),
        )
        # OFFSET 0 keeps PostgreSQL from turning the NOT EXISTS into a hash anti-join, which
        # hashes every current row of every other role (all the tenant's people) to rule out
        # the few with a second role; probed per member through ix_person_roles_person_current
        # instead, it reads only the role's own people (~2x faster at 20,000 people).
        .offset(0)
        .exists()
    )
    return select(mine.person_id).where(mine.role_id == role_id, mine.ended_at.is_(None), ~beaten)


# Which list of the digest a row of _digest_ids names.
_PEOPLE, _TIPS, _ANSWERS, _VERIFIED = 0, 1, 2, 3


@functools.cache
def _digest_ids(dialect: str) -> CompoundSelect:
    """One statement for the whole digest, built once per process: the role's members (a CTE
    computed once) counted, and the ids of each list's top rows with their place in it. The
    lists read only the week's index entries (index-only on PostgreSQL: the indexes of
    community.models carry the columns they filter and sort on); the rows are loaded after,
    for those ids only. Bound parameters: role_id, start, end, size. With no list of ids in
    it, the generic plan PostgreSQL may keep once psycopg prepares it is as good as a custom
    one (measured), so it needs no plan_cache_mode of its own."""
    start = bindparam("start", type_=DateTime())
    end = bindparam("end", type_=DateTime())
    size = bindparam("size", type_=Integer())
    members = role_members(bindparam("role_id", type_=Integer())).cte("members")
    by_member = select(members.c.person_id)

    def among(author: Any) -> Any:
        # On SQLite, author_id + 0 keeps the planner off the author index: through it, it
        # reads every week of each member's posts (6x slower than the week's range). On
        # PostgreSQL the plain column (the expression misleads its estimates: a nested loop).
        return (author + 0 if dialect == "sqlite" else author).in_(by_member)

    def in_week(column: Any) -> Any:
        return and_(column >= start, column < end)

    def ranked(tag: int, stmt: Select[Any], *order: Any) -> Select[Any]:
        place = func.row_number().over(order_by=order).label("place")
        top = stmt.add_columns(place).order_by(*order).limit(size).subquery()
        return select(literal(tag), top.c.id, top.c.place)

    tips = ranked(
        _TIPS,
        select(Post.id).where(
            Post.kind == Kind.TIP.value,
            Post.status == Status.VISIBLE.value,
            in_week(Post.created_at),
            among(Post.author_id),
        ),
        Post.helpful_count.desc(),
        Post.created_at.desc(),
        Post.id.desc(),
    )
    answers = ranked(
        _ANSWERS,
        select(Answer.id)
        .join(Post, Post.id == Answer.post_id)
        .where(
            Answer.status == Status.VISIBLE.value,
            Post.status == Status.VISIBLE.value,
            in_week(Answer.created_at),
            among(Answer.author_id),
        ),
        # Accepted answers first; NULL (nothing accepted) counts as not accepted everywhere.
        func.coalesce(Post.accepted_answer_id == Answer.id, false()).desc(),
        Answer.helpful_count.desc(),
        Answer.created_at.desc(),
        Answer.id.desc(),
    )
    verified = ranked(
        _VERIFIED,
        select(Post.id).where(
            Post.status == Status.VISIBLE.value,
            in_week(Post.verified_at),
            among(Post.author_id),
        ),
        Post.verified_at.desc(),
        Post.id.desc(),
    )
    # Distinct: a person two sources both put in the role has two rows here.
    people = select(literal(_PEOPLE), func.count(members.c.person_id.distinct()), literal(0))
    return union_all(people, tips, answers, verified)


@functools.cache
def _digest_posts() -> Select[Any]:
    # Many-to-one loads joined (no extra round trip); skills in one more query (joined, they
    # are a nested join SQLite materializes for the whole table: 400 ms).
    return (
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.verified_by), selectinload(Post.skills))
        .where(Post.id.in_(bindparam("ids", expanding=True)))
    )


@functools.cache
def _digest_answers() -> Select[Any]:
    return (
        select(Answer)
        .options(joinedload(Answer.author), joinedload(Answer.post, innerjoin=True))
        .where(Answer.id.in_(bindparam("ids", expanding=True)))
    )


def digest(role_id: int, monday: date, size: int = DIGEST_SIZE) -> Digest:
    """The week's top tips and answers and its verified posts by people of one job role."""
    start = datetime.combine(monday, time())
    found: dict[int, list[tuple[int, int]]] = {_TIPS: [], _ANSWERS: [], _VERIFIED: []}
    people = 0
    params = {"role_id": role_id, "start": start, "end": start + timedelta(days=7), "size": size}
    statement = _digest_ids(db.session.get_bind().dialect.name)
    for tag, value, place in db.session.execute(statement, params):
        if tag == _PEOPLE:
            people = value
        else:
            found[tag].append((place, value))
    ids = {tag: [pk for _, pk in sorted(rows)] for tag, rows in found.items()}
    posts: dict[int, Post] = {}
    if ids[_TIPS] or ids[_VERIFIED]:
        wanted = list(dict.fromkeys(ids[_TIPS] + ids[_VERIFIED]))
        posts = {p.id: p for p in db.session.scalars(_digest_posts(), {"ids": wanted}).unique()}
    answers: dict[int, Answer] = {}
    if ids[_ANSWERS]:
        answers = {
            a.id: a for a in db.session.scalars(_digest_answers(), {"ids": ids[_ANSWERS]}).unique()
        }
    return Digest(
        role_id,
        monday,
        people,
        [posts[pk] for pk in ids[_TIPS] if pk in posts],
        [answers[pk] for pk in ids[_ANSWERS] if pk in answers],
        [posts[pk] for pk in ids[_VERIFIED] if pk in posts],
    )


# --- skill pages ----------------------------------------------------------------------------


CATALOG_ON_SKILL_PAGE = 8


def catalog_items_for_skill(skill_id: int) -> list[Any]:
    """Catalog items tagged with the skill that learners may see (lti_tool/catalog), those
    trainers recommend first; at most CATALOG_ON_SKILL_PAGE (the page links the full list)."""
    from sqlalchemy import exists

    from lti_tool.catalog.models import CatalogItem, CatalogItemSkill

    return list(
        db.session.scalars(
            select(CatalogItem)
            .where(
                CatalogItem.hidden.is_(False),
                CatalogItem.gone_at.is_(None),
                exists().where(
                    CatalogItemSkill.item_id == CatalogItem.id,
                    CatalogItemSkill.skill_id == skill_id,
                ),
            )
            .order_by(CatalogItem.featured.desc(), CatalogItem.title, CatalogItem.id)
            .limit(CATALOG_ON_SKILL_PAGE)
        )
    )


@dataclass
class SkillStep:
    path: Path
    node: PathNode
    # The viewer's own assignment holding this step (for a link to their step page).
    assignment_id: int | None = None


@dataclass
class SkillPage:
    skill: Skill
    posts: community.FeedPage
    steps: list[SkillStep]
    offers: list[CoachingOffer]
    experts: list[community.Expert]
    catalog: list[Any] = field(default_factory=list)


def skill(pk: int) -> Skill:
    row = db.session.get(Skill, pk)
    if row is None:
        raise coaching.NotFound(pk)
    return row


def steps_for_skill(skill_id: int, viewer_id: int) -> list[SkillStep]:
    """Steps building the skill in the newest published version of each path."""
    newest = (
        select(PathVersion.path_id, func.max(PathVersion.number).label("number"))
        .where(PathVersion.status == VersionStatus.PUBLISHED.value)
        .group_by(PathVersion.path_id)
        .subquery()
    )
    rows = db.session.execute(
        select(PathNode, Path)
        .join(PathVersion, PathVersion.id == PathNode.version_id)
        .join(
            newest,
            (newest.c.path_id == PathVersion.path_id) & (newest.c.number == PathVersion.number),
        )
        .join(Path, Path.id == PathVersion.path_id)
        .where(PathNode.kind != "set")
        .order_by(Path.title, PathNode.position, PathNode.id)
    ).all()
    mine = {lr.path.id: lr for lr in paths.learning_of(viewer_id)}
    out = []
    for node, p in rows:
        if skill_id not in (node.skill_ids or []):
            continue
        lr = mine.get(p.id)
        held = lr is not None and node.key in lr.view.by_key
        out.append(SkillStep(p, node, lr.assignment.id if held and lr else None))
    return out


def skill_page(pk: int, viewer_id: int) -> SkillPage:
    row = skill(pk)
    return SkillPage(
        skill=row,
        posts=community.search(skill_id=row.id, page_size=10),
        steps=steps_for_skill(row.id, viewer_id),
        offers=coaching.offers(skill_id=row.id),
        experts=community.experts_for([row.id]),
        catalog=catalog_items_for_skill(row.id),
    )


@dataclass
class SkillCount:
    skill: Skill
    posts: int
    offers: int


def skill_index() -> list[SkillCount]:
    counts = dict(
        db.session.execute(
            select(PostSkill.skill_id, func.count())
            .join(Post, Post.id == PostSkill.post_id)
            .where(Post.status == Status.VISIBLE.value)
            .group_by(PostSkill.skill_id)
        ).all()
    )
    offers: dict[int, int] = {}
    for o in coaching.offers():
        for sid in o.skill_ids or []:
            offers[sid] = offers.get(sid, 0) + 1
    return [SkillCount(s, counts.get(s.id, 0), offers.get(s.id, 0)) for s in roles.skills()]


# --- a leader's team ------------------------------------------------------------------------


@dataclass
class Contribution:
    person: Person
    tips: int = 0
    questions: int = 0
    answers: int = 0
    verified: int = 0  # their tips verified in the period
    verifications: int = 0  # tips they verified
    coached: int = 0  # sessions given, both signed off
    learned: int = 0  # sessions received, both signed off

    @property
    def total(self) -> int:
        return self.tips + self.questions + self.answers + self.verifications + self.coached


@dataclass
class Team:
    members: list[Contribution]
    recent_posts: list[Post]
    recent_answers: list[Answer]
    since: datetime

    @property
    def empty(self) -> bool:
        return not any(c.total or c.learned or c.verified for c in self.members)


def team_contributions(leader_id: int, since: datetime) -> Team:
    people = paths.team_members_of(leader_id)
    by_id = {p.id: Contribution(p) for p in people}
    ids = list(by_id)
    if not ids:
        return Team([], [], [], since)
    for author_id, kind, count in db.session.execute(
        select(Post.author_id, Post.kind, func.count())
        .where(Post.author_id.in_(ids), Post.created_at >= since, Post.status != "deleted")
        .group_by(Post.author_id, Post.kind)
    ):
        if kind == Kind.TIP.value:
            by_id[author_id or 0].tips = count
        else:
            by_id[author_id or 0].questions = count
    for author_id, count in db.session.execute(
        select(Answer.author_id, func.count())
        .where(Answer.author_id.in_(ids), Answer.created_at >= since, Answer.status != "deleted")
        .group_by(Answer.author_id)
    ):
        by_id[author_id or 0].answers = count
    for author_id, count in db.session.execute(
        select(Post.author_id, func.count())
        .where(Post.author_id.in_(ids), Post.verified_at >= since)
        .group_by(Post.author_id)
    ):
        by_id[author_id or 0].verified = count
    for verifier_id, count in db.session.execute(
        select(Post.verified_by_id, func.count())
        .where(Post.verified_by_id.in_(ids), Post.verified_at >= since)
        .group_by(Post.verified_by_id)
    ):
        by_id[verifier_id or 0].verifications = count
    for coach_id, learner_id in db.session.execute(
        select(CoachingSession.coach_id, CoachingSession.learner_id).where(
            CoachingSession.status == SessionStatus.COMPLETED.value,
            CoachingSession.completed_at >= since,
            (CoachingSession.coach_id.in_(ids)) | (CoachingSession.learner_id.in_(ids)),
        )
    ):
        if coach_id in by_id:
            by_id[coach_id].coached += 1
        if learner_id in by_id:
            by_id[learner_id].learned += 1
    recent_posts = list(
        db.session.scalars(
            select(Post)
            .options(selectinload(Post.author), selectinload(Post.skills))
            .where(
                Post.author_id.in_(ids),
                Post.created_at >= since,
                Post.status == Status.VISIBLE.value,
            )
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(10)
        )
    )
    recent_answers = list(
        db.session.scalars(
            select(Answer)
            .options(selectinload(Answer.author), selectinload(Answer.post))
            .where(
                Answer.author_id.in_(ids),
                Answer.created_at >= since,
                Answer.status == Status.VISIBLE.value,
            )
            .order_by(Answer.created_at.desc(), Answer.id.desc())
            .limit(10)
        )
    )
    members = sorted(by_id.values(), key=lambda c: (-c.total, c.person.display_name))
    return Team(members, recent_posts, recent_answers, since)


def leads_a_team(person_id: int) -> bool:
    return bool(roles.teams_led_by(person_id))
