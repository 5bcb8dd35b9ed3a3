"""Personalisation: skill gaps, preferences, onboarding, ratings and explainable suggestions.

Public API (other features use these; keep them small and stable)
-----------------------------------------------------------------
``skill_gaps(session, person) -> list[SkillGap]``
    For every skill the person's job role or career goal sets a target for: the person's own
    rating, their team leader's, the target level and whose target it is. One entry per
    (skill, role): a skill both roles need appears twice (``career_goal`` False, then True).
    Unrated skills have ``self_level``/``leader_level`` None and ``gap`` None.
``preferences(session, person) -> Preferences``
    The skills the person said they are interested in and the formats they prefer (both may be
    empty: never asked, or skipped).

Both only read, never write, and work for anyone (no onboarding needed).

Onboarding
----------
Three short steps (``ONBOARDING_STEPS``): rate yourself 1-5 on your role's skills, interests
and formats, career goal. Each step saves on its own (resumable: the profile remembers the next
one); skipping sets ``skipped_at``. The home page offers it until it is finished or skipped
(``needs_onboarding``); My skills links back to it to edit.

Ratings
-------
A person rates themselves; their team leader (roles.team_leader_of) rates them too. One rating
of each kind per skill, replaced on change, with who and when.

Suggestions
-----------
Candidates are the elective steps of the person's active paths that are open and not done,
and steps that can be opened directly (an LMS course or a link) from other published paths
("extras"). A path is built to bring people to its job role's targets, so an extra is taken to
be pitched at them: in each of its skills, at the level its path's role needs (unknown when the
path has no role or the role sets no target for the skill). A gap counts for an extra only when
the step is pitched above where the person is (``pitched_above``): above their level when
someone rated them, at least the gap's target when nobody did (a beginner's step is no use to
someone whose role needs more, until a rating says they are a beginner); with the pitch unknown
it counts. Steps of the person's own paths are theirs whatever their pitch.

Each candidate gets a score (``score_step``):

- for each skill the step builds (summed over its skills), the largest of the gaps that count:
  ROLE_GAP_POINTS * (role target - level) and
  GOAL_GAP_POINTS * (goal target - level), where level is the lower of the self and leader
  ratings. With no rating, the gap is estimated as half the distance from level 1
  ((target - 1) / 2), so day one still ranks by the role's and goal's targets;
- INTEREST_POINTS when it builds a skill the person is interested in;
- FORMAT_POINTS when its format is one they prefer;
- ON_PATH_POINTS for an elective of their own path, GOAL_PATH_POINTS for a step of a path of
  their career goal's role;
- PEER_POINTS * (average - 3) / 2 when at least feedback.MIN_GROUP people who held the
  person's role rated the step (lti_tool/feedback): a step they rated well rises, one they
  rated poorly sinks, and the suggestion says so ("rated 4.6 of 5 by 12 people in your role").

Extras with no gap that counts and no interest are not suggested; a course several paths
offer (same title and address) is suggested once. Ties go to their own path, then path title,
then the step's place in it. The reason is the largest contribution in words ("You rated
Call control 2; Senior agent needs 4"); smaller ones become short notes. Dismissed suggestions
(person, path, step key) never come back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    false,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased, scoped_session

from lti_tool.extensions import db
from lti_tool.feedback import services as feedback
from lti_tool.feedback.models import Kind as FeedbackKind
from lti_tool.feedback.models import RoleAverage
from lti_tool.i18n import _
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_ids, whole_number
from lti_tool.paths import rows as tree
from lti_tool.paths.models import (
    Format,
    Path,
    PathNode,
    PathVersion,
    StepKind,
    VersionStatus,
)
from lti_tool.paths.personal_models import (
    DismissedSuggestion,
    LearnerProfile,
    Rater,
    SkillRating,
)
from lti_tool.paths.rows import NodeRow
from lti_tool.paths.services import Learning
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import LEVELS, CareerGoal, JobRole, PersonRole, RoleSkillTarget, Skill

ONBOARDING_STEPS = ("skills", "interests", "goal")
ROLE_GAP_POINTS = 3.0
GOAL_GAP_POINTS = 2.0
INTEREST_POINTS = 2.0
FORMAT_POINTS = 1.0
ON_PATH_POINTS = 1.0
GOAL_PATH_POINTS = 1.0
PEER_POINTS = 1.5  # at 5 stars; 0 at 3 stars, negative below
PEERS_LIKE_IT = 4.0  # from this average, peers' ratings can be the reason itself
DIRECT_KINDS = (StepKind.LMS.value, StepKind.LINK.value)
# Flask-SQLAlchemy's db.session or a plain Session.
AnySession = Session | scoped_session[Any]


class Forbidden(PermissionError):
    pass


# --- the public API -------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillGap:
    """One skill against one role's target for a person."""

    skill_id: int
    skill_name: str
    self_level: int | None
    leader_level: int | None
    target_level: int
    role_id: int
    role_name: str
    career_goal: bool  # the target is the career goal's (else the person's own role's)
    leader_name: str = ""  # who gave leader_level

    @property
    def level(self) -> int | None:
        """The level the gap is measured from: the lower of the two ratings known."""
        known = [x for x in (self.self_level, self.leader_level) if x is not None]
        return min(known) if known else None

    @property
    def gap(self) -> int | None:
        """Levels still to go (0 once reached); None when nobody rated the skill."""
        return None if self.level is None else max(0, self.target_level - self.level)


@dataclass(frozen=True)
class Preferences:
    interest_ids: tuple[int, ...] = ()
    interest_names: tuple[str, ...] = ()
    formats: tuple[Format, ...] = ()


@dataclass(frozen=True)
class Standing:
    """Everything a person's learning is measured against, read in one statement
    (`standing`): their skill gaps, their career goal's role (id, name), preferred formats and
    the role in effect (id, name)."""

    gaps: list[SkillGap]
    goal: tuple[int, str] | None
    formats: tuple[Format, ...]
    role: tuple[int, str] | None = None


@functools.cache
def _standing_statement() -> Select[Any]:
    """One row per (role, target skill) of the role in effect and the career goal, each with
    the person's self and leader rating; a role without targets gives one row with no skill, a
    person with neither role nor goal one row of their profile's formats. Outer joins only,
    so that tenancy's criteria go into each ON clause. Built once: the person is a bound
    parameter."""
    person = bindparam("standing_person", type_=Integer)
    own = (
        select(PersonRole.role_id.label("role_id"), false().label("is_goal"))
        .where(
            PersonRole.person_id == person,
            PersonRole.ended_at.is_(None),
            PersonRole.role_id.is_not(None),
        )
        .order_by(*roles.precedence_order())
        .limit(1)
        .subquery()
    )
    wanted = union_all(
        select(own.c.role_id, own.c.is_goal),
        select(CareerGoal.role_id, true()).where(CareerGoal.person_id == person),
    ).subquery("wanted")
    mine, leader = aliased(SkillRating), aliased(SkillRating)
    return (
        select(
            LearnerProfile.formats,
            wanted.c.is_goal,
            JobRole.id,
            JobRole.name,
            RoleSkillTarget.level,
            Skill.id,
            Skill.name,
            mine.level,
            leader.level,
            leader.rated_by,
        )
        .select_from(Person)
        .outerjoin(LearnerProfile, LearnerProfile.person_id == Person.id)
        .outerjoin(wanted, true())
        .outerjoin(JobRole, JobRole.id == wanted.c.role_id)
        .outerjoin(RoleSkillTarget, RoleSkillTarget.role_id == JobRole.id)
        .outerjoin(Skill, Skill.id == RoleSkillTarget.skill_id)
        .outerjoin(
            mine,
            and_(
                mine.person_id == Person.id,
                mine.skill_id == Skill.id,
                mine.rater == Rater.SELF.value,
            ),
        )
        .outerjoin(
            leader,
            and_(
                leader.person_id == Person.id,
                leader.skill_id == Skill.id,
                leader.rater == Rater.LEADER.value,
            ),
        )
        .where(Person.id == person)
    )


def standing(session: AnySession, person_id: int) -> Standing | None:
    """The person's gaps (as `skill_gaps`), career goal and preferred formats in one statement;
    None for nobody of this tenant."""
    rows = session.execute(_standing_statement(), {"standing_person": person_id}).all()
    if not rows:
        return None
    roles_of: dict[bool, tuple[int, str]] = {}
    targets: dict[bool, list[SkillGap]] = {False: [], True: []}
    for _f, is_goal, role_id, role_name, level, skill_id, skill_name, own, lead, lead_by in rows:
        if role_id is None:
            continue
        is_goal = bool(is_goal)
        roles_of[is_goal] = (role_id, role_name)
        if skill_id is None:
            continue
        targets[is_goal].append(
            SkillGap(
                skill_id=skill_id,
                skill_name=skill_name,
                self_level=own,
                leader_level=lead,
                target_level=level,
                role_id=role_id,
                role_name=role_name,
                career_goal=is_goal,
                leader_name=lead_by or "" if lead is not None else "",
            )
        )
    gaps = [g for is_goal in (False, True) for g in sorted(targets[is_goal], key=_by_skill_name)]
    in_effect = roles_of.get(False)
    roles.remember_role_in_effect(session, person_id, in_effect[0] if in_effect else None)
    chosen = rows[0][0] or []
    formats = tuple(f for f in Format if f.value in chosen)
    return Standing(gaps, roles_of.get(True), formats, in_effect)


def _by_skill_name(g: SkillGap) -> str:
    return g.skill_name.lower()


def skill_gaps(session: AnySession, person: Person) -> list[SkillGap]:
    """See the module docstring. Own role's skills first, then the goal's; by skill name."""
    found = standing(session, person.id)
    return found.gaps if found is not None else []


_UNREAD: Any = object()


def preferences(
    session: AnySession, person: Person, row: LearnerProfile | None = _UNREAD
) -> Preferences:
    """``row``: the person's profile when the caller has already read it (None: they have none)."""
    if row is _UNREAD:
        row = session.scalar(select(LearnerProfile).where(LearnerProfile.person_id == person.id))
    if row is None:
        return Preferences()
    names = (
        {
            s.id: s.name
            for s in session.scalars(select(Skill).where(Skill.id.in_(row.interests or [])))
        }
        if row.interests
        else {}
    )
    ids = tuple(sorted(names, key=lambda i: names[i].lower()))
    formats = tuple(Format(f) for f in Format if f.value in (row.formats or []))
    return Preferences(ids, tuple(names[i] for i in ids), formats)


# --- ratings --------------------------------------------------------------------------------


def _ratings(
    session: AnySession, person_ids: Sequence[int]
) -> dict[int, dict[int, dict[Rater, SkillRating]]]:
    """person -> skill -> rater -> rating, in one query."""
    out: dict[int, dict[int, dict[Rater, SkillRating]]] = {}
    if not person_ids:
        return out
    for r in session.scalars(select(SkillRating).where(SkillRating.person_id.in_(person_ids))):
        out.setdefault(r.person_id, {}).setdefault(r.skill_id, {})[Rater(r.rater)] = r
    return out


def ratings_of(person_id: int) -> dict[int, dict[Rater, SkillRating]]:
    return _ratings(db.session, [person_id]).get(person_id, {})


def may_rate_as_leader(rater_id: int | None, person_id: int) -> bool:
    if rater_id is None or rater_id == person_id:
        return False
    leader = roles.team_leader_of(person_id)
    return leader is not None and leader.id == rater_id


def parse_levels(
    form: dict[str, str], skills: Sequence[Skill]
) -> tuple[dict[int, int | None], dict[str, str]]:
    """Form fields ``skill-<id>``: "" (not rated / no opinion) or 1..5. Bad ones are named."""
    values: dict[int, int | None] = {}
    errors: dict[str, str] = {}
    for s in skills:
        raw = (form.get(f"skill-{s.id}") or "").strip()
        if raw == "":
            values[s.id] = None
        elif (level := whole_number(raw)) in LEVELS:
            values[s.id] = level
        else:
            errors[f"skill-{s.id}"] = _(
                "%(skill)s: choose a level from 1 to 5, or “not sure”.", skill=s.name
            )
    return values, errors


# Called with the person after their ratings changed (same transaction; a hook flushes, never
# commits). Recognition awards its skill-level badges here.
ratings_saved: list[Callable[[Person], None]] = []


def save_ratings(
    person: Person,
    values: dict[int, int | None],
    rater: Rater,
    *,
    by: str,
    by_person_id: int | None,
) -> int:
    """Write the levels (None removes that rating). The caller checked who may rate. Returns
    how many ratings changed."""
    if rater is Rater.SELF and by_person_id != person.id:
        raise Forbidden("people rate only themselves as themselves")
    if rater is Rater.LEADER and not may_rate_as_leader(by_person_id, person.id):
        raise Forbidden("only the person's team leader rates them as leader")
    existing = {
        r.skill_id: r
        for r in db.session.scalars(
            select(SkillRating).where(
                SkillRating.person_id == person.id, SkillRating.rater == rater.value
            )
        )
    }
    changed = 0
    now = utcnow()
    for skill_id, level in values.items():
        row = existing.get(skill_id)
        if level is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            row = SkillRating(
                registration_id=person.registration_id,
                person_id=person.id,
                skill_id=skill_id,
                rater=rater.value,
            )
            db.session.add(row)
        elif row.level == level:
            continue
        row.level = level
        row.rated_by = by[:255]
        row.rated_by_person_id = by_person_id
        row.rated_at = now
        changed += 1
    db.session.flush()
    if changed:
        for hook in ratings_saved:
            hook(person)
    return changed


@dataclass
class SkillRow:
    """One line of My skills: a skill with both ratings and both targets."""

    skill: Skill
    self_rating: SkillRating | None
    leader_rating: SkillRating | None
    role_target: int | None
    goal_target: int | None

    @property
    def self_level(self) -> int | None:
        return self.self_rating.level if self.self_rating else None

    @property
    def leader_level(self) -> int | None:
        return self.leader_rating.level if self.leader_rating else None

    @property
    def below(self) -> bool:
        known = [x for x in (self.self_level, self.leader_level) if x is not None]
        wanted = [x for x in (self.role_target, self.goal_target) if x is not None]
        return bool(known and wanted and min(known) < max(wanted))


def skill_rows(person: Person) -> list[SkillRow]:
    """Every skill the person's role or goal needs, then any other skill someone rated."""
    gaps = skill_gaps(db.session, person)
    rated = ratings_of(person.id)
    wanted = {g.skill_id for g in gaps} | set(rated)
    if not wanted:
        return []
    skills = {s.id: s for s in db.session.scalars(select(Skill).where(Skill.id.in_(wanted)))}
    role_t = {g.skill_id: g.target_level for g in gaps if not g.career_goal}
    goal_t = {g.skill_id: g.target_level for g in gaps if g.career_goal}
    order = sorted(
        skills.values(),
        key=lambda s: (s.id not in role_t and s.id not in goal_t, s.name.lower()),
    )
    return [
        SkillRow(
            s,
            rated.get(s.id, {}).get(Rater.SELF),
            rated.get(s.id, {}).get(Rater.LEADER),
            role_t.get(s.id),
            goal_t.get(s.id),
        )
        for s in order
    ]


def skills_to_rate(person: Person) -> list[Skill]:
    """The skills the onboarding asks about: the role's (and goal's) first; with neither, all."""
    gaps = skill_gaps(db.session, person)
    ids = {g.skill_id for g in gaps}
    everything = roles.skills()
    if not ids:
        return everything
    return [s for s in everything if s.id in ids]


# --- profile and onboarding -----------------------------------------------------------------


@functools.cache
def _profile_query() -> Any:
    return select(LearnerProfile).where(LearnerProfile.person_id == bindparam("person_id"))


def profile(person_id: int) -> LearnerProfile | None:
    return db.session.scalar(_profile_query(), {"person_id": person_id})


def ensure_profile(person: Person) -> LearnerProfile:
    row = profile(person.id)
    if row is None:
        row = LearnerProfile(
            registration_id=person.registration_id,
            person_id=person.id,
            interests=[],
            formats=[],
            onboarding_step=ONBOARDING_STEPS[0],
        )
        db.session.add(row)
        db.session.flush()
    return row


@functools.cache
def _profile_and_framework_query() -> Any:
    one_row = select(literal(1).label("one")).subquery()
    return (
        select(LearnerProfile, _any_skill_query().scalar_subquery().is_not(None))
        .select_from(one_row)
        .outerjoin(LearnerProfile, LearnerProfile.person_id == bindparam("person_id"))
    )


def profile_and_framework(person_id: int) -> tuple[LearnerProfile | None, bool]:
    """The person's profile and whether the tenant has a skill framework, in one statement
    (what `needs_onboarding` asks)."""
    row = db.session.execute(_profile_and_framework_query(), {"person_id": person_id}).one()
    return row[0], bool(row[1])


def needs_onboarding(
    person_id: int, row: LearnerProfile | None = _UNREAD, *, framework: bool | None = None
) -> bool:
    """Offered until finished or skipped, once the tenant has a skill framework. ``row``: the
    person's profile and ``framework`` whether there are skills, when the caller has read them."""
    if row is _UNREAD:
        row = profile(person_id)
    if row is not None and (row.onboarded_at is not None or row.skipped_at is not None):
        return False
    if framework is not None:
        return framework
    return db.session.scalar(_any_skill_query()) is not None


@functools.cache
def _any_skill_query() -> Any:
    return select(Skill.id).limit(1)


def resume_step(person_id: int) -> str:
    row = profile(person_id)
    step = row.onboarding_step if row is not None else ""
    return step if step in ONBOARDING_STEPS else ONBOARDING_STEPS[0]


def next_step(step: str) -> str | None:
    i = ONBOARDING_STEPS.index(step)
    return ONBOARDING_STEPS[i + 1] if i + 1 < len(ONBOARDING_STEPS) else None


def advance(person: Person, step: str) -> str | None:
    """The step was saved: remember where to resume; finish after the last one."""
    row = ensure_profile(person)
    following = next_step(step)
    if following is None:
        row.onboarded_at = row.onboarded_at or utcnow()
        row.onboarding_step = step
    elif ONBOARDING_STEPS.index(following) > ONBOARDING_STEPS.index(
        row.onboarding_step if row.onboarding_step in ONBOARDING_STEPS else ONBOARDING_STEPS[0]
    ):
        row.onboarding_step = following
    db.session.flush()
    return following


def skip(person: Person) -> None:
    row = ensure_profile(person)
    if row.onboarded_at is None:
        row.skipped_at = row.skipped_at or utcnow()
    db.session.flush()


def save_interests(person: Person, skill_ids: Sequence[str], formats: Sequence[str]) -> str:
    """Returns an error message, or ""."""
    known = {s.id for s in roles.skills()}
    chosen = sorted(set(as_ids(skill_ids)))
    if any(x not in known for x in chosen):
        return _("Choose skills from the list.")
    wanted: list[str] = [f.value for f in Format if f.value in set(formats)]
    if len(wanted) != len(set(formats)):
        return _("Choose formats from the list.")
    row = ensure_profile(person)
    row.interests = chosen
    row.formats = wanted
    db.session.flush()
    return ""


def set_sharing(person: Person, share: bool) -> None:
    ensure_profile(person).share_with_team = share
    db.session.flush()


def shares_with_team(person_id: int) -> bool:
    row = profile(person_id)
    return row is None or row.share_with_team


# --- suggestions ----------------------------------------------------------------------------


@dataclass
class Suggestion:
    path_id: int
    path_title: str
    step_key: str
    title: str
    kind: StepKind
    format: Format
    minutes: int
    url: str
    score: float
    reason: str
    notes: list[str] = field(default_factory=list)
    assignment_id: int | None = None  # set for an elective of the person's own path
    order: tuple[int, int] = (0, 0)

    @property
    def own(self) -> bool:
        return self.assignment_id is not None


@dataclass(frozen=True)
class _Candidate:
    path_id: int
    path_title: str
    path_role_id: int | None
    node: PathNode | NodeRow
    assignment_id: int | None
    order: tuple[int, int]
    # An extra's pitch: skill -> the level its path's role needs (None for the person's own path).
    pitch: Mapping[int, int] | None = None


def _rating_words(g: SkillGap) -> str:
    """Who rated the skill how, and what the role needs: one sentence (no final period)."""
    named = {
        "skill": g.skill_name,
        "role": g.role_name,
        "target": g.target_level,
        "own": g.self_level,
        "lead": g.leader_level,
        "leader": g.leader_name,
    }
    if g.self_level is not None and g.leader_level is not None:
        if g.self_level == g.leader_level:
            if g.leader_name:
                return _(
                    "You and %(leader)s rated %(skill)s %(own)s; %(role)s needs %(target)s",
                    **named,
                )
            return _(
                "You and your team lead rated %(skill)s %(own)s; %(role)s needs %(target)s",
                **named,
            )
        if g.leader_name:
            return _(
                "You rated %(skill)s %(own)s and %(leader)s %(lead)s; %(role)s needs %(target)s",
                **named,
            )
        return _(
            "You rated %(skill)s %(own)s and your team lead %(lead)s; %(role)s needs %(target)s",
            **named,
        )
    if g.self_level is not None:
        return _("You rated %(skill)s %(own)s; %(role)s needs %(target)s", **named)
    if g.leader_name:
        return _("%(leader)s rated your %(skill)s %(lead)s; %(role)s needs %(target)s", **named)
    return _("Your team lead rated your %(skill)s %(lead)s; %(role)s needs %(target)s", **named)


def gap_reason(g: SkillGap) -> str:
    """One line about a gap, as suggestions give it."""
    if g.level is None:
        if g.career_goal:
            return _(
                "%(role)s (your career goal) needs %(skill)s at level %(target)s",
                role=g.role_name,
                skill=g.skill_name,
                target=g.target_level,
            )
        return _(
            "%(role)s (your role) needs %(skill)s at level %(target)s",
            role=g.role_name,
            skill=g.skill_name,
            target=g.target_level,
        )
    return _rating_words(g)


def pitched_above(g: SkillGap, pitch: int | None) -> bool:
    """Whether a step pitched at ``pitch`` in the gap's skill (the level its path's role needs;
    None: unknown) takes the person past where they are: above their level when rated, to at
    least the level the gap's role needs when nobody rated them."""
    if pitch is None:
        return True
    level = g.level
    return pitch > level if level is not None else pitch >= g.target_level


def _gap_points(g: SkillGap) -> float:
    weight = GOAL_GAP_POINTS if g.career_goal else ROLE_GAP_POINTS
    gap = g.gap
    estimated = (g.target_level - 1) / 2 if gap is None else gap
    return weight * estimated


def best_by_skill(
    gaps: Sequence[SkillGap], pitch: Mapping[int, int] | None = None
) -> dict[int, tuple[float, str]]:
    """Per skill, the largest gap contribution and its reason (own role or career goal).
    ``pitch``: for a step of a path not assigned, the level its path's role needs per skill;
    only the gaps it is pitched above count (``pitched_above``)."""
    best: dict[int, tuple[float, str, bool]] = {}
    for g in gaps:
        if pitch is not None and not pitched_above(g, pitch.get(g.skill_id)):
            continue
        points = _gap_points(g)
        held = best.get(g.skill_id)
        if held is None or (points, g.career_goal) > (held[0], held[2]):
            best[g.skill_id] = (points, gap_reason(g), g.career_goal)
    return {k: (v[0], v[1]) for k, v in best.items() if v[0] > 0}


def score_step(
    node: PathNode | NodeRow,
    best: dict[int, tuple[float, str]],
    prefs: Preferences,
    *,
    own: bool,
    goal_path: bool,
    path_title: str = "",
    goal_name: str = "",
    peers: RoleAverage | None = None,
) -> tuple[float, str, list[str], bool]:
    """(score, reason, notes, has_skill_reason) of one step for one person; pure. ``best`` is
    best_by_skill(the person's gaps), for an extra with its pitch; ``peers`` how people in the
    person's role rated it."""
    skill_ids = node.skill_ids or []
    contributions = sorted(
        (best[k] for k in dict.fromkeys(skill_ids) if k in best), key=lambda c: -c[0]
    )
    score = sum(c[0] for c in contributions)
    notes: list[str] = []
    has_skill_reason = bool(contributions)
    reason = contributions[0][1] if contributions else ""
    interesting = [
        name
        for sid, name in zip(prefs.interest_ids, prefs.interest_names, strict=True)
        if sid in skill_ids
    ]
    if interesting:
        score += INTEREST_POINTS
        has_skill_reason = True
        if reason:
            notes.append(_("you are interested in %(skill)s", skill=interesting[0]))
        else:
            reason = _("You are interested in %(skill)s", skill=interesting[0])
    if peers is not None:
        score += PEER_POINTS * (peers.average - 3) / 2
        if reason or peers.average < PEERS_LIKE_IT:
            notes.append(str(peers))
        else:
            reason = peers.as_reason
    if any(f.value == node.format for f in prefs.formats):
        fmt = Format(node.format)
        score += FORMAT_POINTS
        if reason:
            notes.append(_("%(format)s, a format you like", format=fmt.label))
        else:
            reason = _("A %(format)s step, a format you like", format=fmt.label)
    if own:
        score += ON_PATH_POINTS
        if not reason:
            reason = _("An elective of your path “%(path)s”, open now", path=path_title)
    if goal_path:
        score += GOAL_PATH_POINTS
        notes.append(_("for %(role)s, your career goal", role=goal_name))
    return score, reason, notes, has_skill_reason


def _candidates(rows: Sequence[Learning]) -> list[_Candidate]:
    out: list[_Candidate] = []
    mine = {lr.path.id for lr in rows}
    for lr in rows:
        for i, item in enumerate(lr.view.root.steps()):
            node = item.node
            if node is None or node.required or item.done or item.locked:
                continue
            out.append(
                _Candidate(
                    lr.path.id, lr.path.title, lr.path.role_id, node, lr.assignment.id, (0, i)
                )
            )
    newest: dict[int, tuple[int, int]] = {}  # path -> (number, version id)
    published: dict[int, datetime | None] = {}
    for vid, path_id, number, published_at in db.session.execute(
        select(
            PathVersion.id, PathVersion.path_id, PathVersion.number, PathVersion.published_at
        ).where(PathVersion.status == VersionStatus.PUBLISHED.value)
    ):
        if path_id not in mine and number > newest.get(path_id, (0, 0))[0]:
            newest[path_id] = (number, vid)
            published[vid] = published_at
    if not newest:
        return out
    paths: dict[int, tuple[str, int | None]] = {}
    pitches: dict[int | None, dict[int, int]] = {None: {}}  # role -> skill -> target level
    for pid, title, role_id, skill_id, level in db.session.execute(
        select(Path.id, Path.title, Path.role_id, RoleSkillTarget.skill_id, RoleSkillTarget.level)
        .select_from(Path)
        .outerjoin(RoleSkillTarget, RoleSkillTarget.role_id == Path.role_id)
        .where(Path.id.in_(list(newest)))
    ):
        paths[pid] = (title, role_id)
        targets = pitches.setdefault(role_id, {})
        if skill_id is not None:
            targets[skill_id] = level
    by_version = {vid: pid for pid, (_n, vid) in newest.items()}
    nodes = tree.published_nodes({vid: published[vid] for vid in by_version})
    i = 0
    for vid in sorted(by_version):
        pid = by_version[vid]
        title, role_id = paths[pid]
        for row in tree.in_tree_order(nodes[vid]):
            if row.kind in DIRECT_KINDS and row.url:
                out.append(_Candidate(pid, title, role_id, row, None, (1, i), pitches[role_id]))
                i += 1
    return out


def suggestions(
    person: Person,
    rows: Sequence[Learning],
    limit: int = 5,
    profile_row: LearnerProfile | None = _UNREAD,
) -> list[Suggestion]:
    """What to learn next beyond the path's next step, best first, each with its reason.
    ``rows`` is the person's learning (services.learning_of), already loaded by the page;
    ``profile_row`` their profile, when the page has read it."""
    measured = standing(db.session, person.id)
    gaps, goal_role = (measured.gaps, measured.goal) if measured is not None else ([], None)
    best = best_by_skill(gaps)
    prefs = preferences(db.session, person, profile_row)
    # An extra (a step of a path not assigned) needs a gap it is pitched above or an interest
    # among its skills; with neither and no path of their own, nothing to suggest (a newcomer).
    interests = set(prefs.interest_ids)
    if not rows and not best and not interests:
        return []
    goal_id, goal_name = goal_role if goal_role else (None, "")
    by_pitch: dict[int | None, dict[int, tuple[float, str]]] = {}  # path role -> its best

    def best_for(c: _Candidate) -> dict[int, tuple[float, str]]:
        """The gaps that count for the step: all for their own path's; for an extra, those its
        path's role pitches it above."""
        if c.pitch is None:
            return best
        if c.path_role_id not in by_pitch:
            by_pitch[c.path_role_id] = best_by_skill(gaps, c.pitch)
        return by_pitch[c.path_role_id]

    dismissed = {
        (path_id, key)
        for path_id, key in db.session.execute(
            select(DismissedSuggestion.path_id, DismissedSuggestion.step_key).where(
                DismissedSuggestion.person_id == person.id
            )
        )
    }
    candidates = [
        c
        for c in _candidates(rows)
        if (c.path_id, c.node.key) not in dismissed
        and not (
            c.assignment_id is None
            and interests.isdisjoint(c.node.skill_ids or ())
            and best_for(c).keys().isdisjoint(c.node.skill_ids or ())
        )
    ]
    role = measured.role if measured is not None else None
    peers = (
        feedback.role_averages(
            FeedbackKind.STEP, [f"{c.path_id}:{c.node.key}" for c in candidates], role[0]
        )
        if role is not None
        else {}
    )
    scored: list[tuple[tuple[float, bool, str, int, tuple[int, int]], _Candidate, str, list[str]]]
    scored = []
    for c in candidates:
        extra = c.assignment_id is None
        score, reason, notes, skill_reason = score_step(
            c.node,
            best_for(c),
            prefs,
            own=not extra,
            goal_path=extra and goal_id is not None and c.path_role_id == goal_id,
            path_title=c.path_title,
            goal_name=goal_name,
            peers=peers.get(f"{c.path_id}:{c.node.key}"),
        )
        if extra and not skill_reason:
            continue  # an extra needs a gap or an interest to be worth the learner's time
        rank = (-round(score, 2), extra, c.path_title.lower(), c.path_id, c.order)
        scored.append((rank, c, reason, notes))
    scored.sort(key=lambda t: t[0])
    found: list[Suggestion] = []
    seen: set[tuple[str, str]] = set()
    for rank, c, reason, notes in scored:
        if c.assignment_id is None:
            same = (c.node.title.casefold(), c.node.url)
            if same in seen:
                continue  # the same course offered by several paths: once, where it ranks best
            seen.add(same)
        found.append(
            Suggestion(
                path_id=c.path_id,
                path_title=c.path_title,
                step_key=c.node.key,
                title=c.node.title,
                kind=StepKind(c.node.kind),
                format=Format(c.node.format),
                minutes=c.node.minutes,
                url=c.node.url,
                score=-rank[0],
                reason=reason or _("From the path “%(path)s”", path=c.path_title),
                notes=notes[:2],
                assignment_id=c.assignment_id,
                order=c.order,
            )
        )
        if len(found) == limit:
            break
    return found


def dismiss(person: Person, path_id: int, step_key: str) -> bool:
    """Never suggest this step again. False when it was already dismissed or is unknown."""
    if db.session.get(Path, path_id) is None or not step_key or len(step_key) > 40:
        return False
    exists = db.session.scalar(
        select(DismissedSuggestion.id).where(
            DismissedSuggestion.person_id == person.id,
            DismissedSuggestion.path_id == path_id,
            DismissedSuggestion.step_key == step_key,
        )
    )
    if exists is not None:
        return False
    db.session.add(
        DismissedSuggestion(
            registration_id=person.registration_id,
            person_id=person.id,
            path_id=path_id,
            step_key=step_key,
        )
    )
    db.session.flush()
    return True


def undismiss_all(person: Person) -> int:
    rows = list(
        db.session.scalars(
            select(DismissedSuggestion).where(DismissedSuggestion.person_id == person.id)
        )
    )
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)
