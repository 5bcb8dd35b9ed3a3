"""How well a catalog item fits a person, with the reason in one honest line.

The person's skill gaps and preferred formats come from ONE function, `measure`, over
``lti_tool.paths.personal.standing`` (one statement): the targets of their job role and career
goal, measured from their self and leader ratings (`Gap.current`, unknown while nobody rated the
skill). A page reads it once and passes it to everything it scores.

Scoring, from the gaps the item's skills address: each matching gap counts by the level still
missing (target minus current; the whole target while current is unknown), the career goal's a
little more (it is the person's own choice); an item whose level is above the target counts
less (too advanced for now), one without a level a little less (unknown). Preferred formats add
a small bonus once people can state them. What people in the person's job role rated the item
(from ``feedback.MIN_GROUP`` raters) adds up to PEER_WEIGHT at 5 stars and takes as much away
at 1, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from lti_tool.catalog.models import LEVEL_LABELS, ItemFormat

# How people in the person's job role rated an item: the same as for suggestions.
from lti_tool.feedback.models import RoleAverage as Peers
from lti_tool.i18n import _

GOAL_WEIGHT = 1.2
FORMAT_WEIGHT = 0.1
PEER_WEIGHT = 0.2  # at 5 stars from the person's role (as much as one missing level); 0 at 3


@dataclass(frozen=True)
class Gap:
    skill_id: int
    skill_name: str
    target: int
    role_name: str
    from_goal: bool  # the target is the career goal's, not the current role's
    current: int | None = None  # unknown until self/leader ratings exist

    @property
    def missing(self) -> int:
        return max(0, self.target - (self.current or 0))


@dataclass(frozen=True)
class Measure:
    """What items are measured against for one person: their skill gaps (biggest first) and the
    catalog formats they prefer. Read once per request (`measure`) and passed down."""

    gaps: list[Gap] = field(default_factory=list)
    formats: tuple[str, ...] = ()
    role_id: int | None = None  # the job role in effect, whose ratings count as peers'


# A learner's preferred formats (lti_tool/paths Format values) as catalog item formats.
ITEM_FORMATS = {"video": "video", "reading": "document", "live": "live", "hands_on": "course"}


def measure(session: Any, person_id: int | None) -> Measure:
    """The person's gaps from ``lti_tool.paths.personal.standing`` (self and leader ratings
    against the targets of their job role and career goal: per skill, the higher target,
    measured from the lower of the two ratings when anyone rated it) and the formats they said
    they prefer at onboarding; one statement."""
    if person_id is None:
        return Measure()
    from lti_tool.paths import personal

    found = personal.standing(session, person_id)
    if found is None:
        return Measure()
    gaps: dict[int, Gap] = {}
    for g in found.gaps:
        known = gaps.get(g.skill_id)
        if known is None or g.target_level > known.target:
            gaps[g.skill_id] = Gap(
                g.skill_id, g.skill_name, g.target_level, g.role_name, g.career_goal, g.level
            )
    return Measure(
        sorted(gaps.values(), key=lambda g: (-g.missing, g.skill_name)),
        tuple(ITEM_FORMATS[f.value] for f in found.formats if f.value in ITEM_FORMATS),
        found.role[0] if found.role else None,
    )


def _weight(gap: Gap, level: int | None) -> float:
    value = gap.missing / 5 * (GOAL_WEIGHT if gap.from_goal else 1.0)
    if level is None:
        return value * 0.8
    if gap.current is not None and level <= gap.current:
        return value * 0.3  # already there
    if level > gap.target:
        return value * 0.5  # beyond what is needed now
    return value


def level_weights(gap: Gap) -> dict[int | None, float]:
    """What an item building the gap's skill adds to its score at each level (None: no level),
    so that a database can score many items by the rules above."""
    return {level: _weight(gap, level) for level in (None, *LEVEL_LABELS)}


def peer_points(average: float) -> float:
    """What the average stars of people in the person's role add (or take away)."""
    return PEER_WEIGHT * (average - 3) / 2


def open_gaps(gaps: Sequence[Gap]) -> dict[int, Gap]:
    """The gaps still open, by skill (build once when scoring many items)."""
    return {g.skill_id: g for g in gaps if g.missing > 0}


def score(
    skills: Sequence[tuple[int, str]],
    level: int | None,
    gaps: Sequence[Gap],
    formats: Collection[str] = (),
    item_format: str = "",
    *,
    by_skill: dict[int, Gap] | None = None,
    peers: Peers | None = None,
) -> float:
    by_skill = open_gaps(gaps) if by_skill is None else by_skill
    total = sum(_weight(by_skill[sid], level) for sid, _name in skills if sid in by_skill)
    if formats and item_format in formats:
        total += FORMAT_WEIGHT
    if peers is not None:
        total += peer_points(peers.average)
    return round(total, 4)


@dataclass(frozen=True)
class Fit:
    score: float
    reason: str
    matches: bool


def explain(
    skills: Sequence[tuple[int, str]],
    level: int | None,
    gaps: Sequence[Gap],
    *,
    person_known: bool = True,
    formats: Collection[str] = (),
    item_format: str = "",
    peers: Peers | None = None,
) -> Fit:
    """The fit and its one-line reason (shown on every result)."""
    value = score(skills, level, gaps, formats, item_format, peers=peers)
    line, matches = _reason(skills, level, gaps, person_known, formats, item_format)
    if peers is not None:
        line = f"{line} {peers.as_reason}." if line else f"{peers.as_reason}."
    return Fit(value, line, matches)


def _reason(
    skills: Sequence[tuple[int, str]],
    level: int | None,
    gaps: Sequence[Gap],
    person_known: bool,
    formats: Collection[str],
    item_format: str,
) -> tuple[str, bool]:
    by_skill = {g.skill_id: g for g in gaps if g.missing > 0}
    matching = [by_skill[sid] for sid, _n in skills if sid in by_skill]
    if matching:
        best = max(matching, key=lambda g: (_weight(g, level), g.from_goal))
        line = _builds(best, [g.skill_name for g in matching if g is not best][:2])
        if level is not None and level > best.target:
            line += " " + _(
                "Its level (%(level)s) is above that target.", level=LEVEL_LABELS[level]
            )
        if formats and item_format in formats:
            line += " " + _("A format you prefer (%(format)s).", format=_format_label(item_format))
        return line, True
    if not person_known:
        return "", False
    names = ", ".join(name for _sid, name in skills[:3])
    if not gaps:
        if names:
            return (
                _(
                    "Builds %(skills)s. Choose a job role or career goal under My role to see "
                    "how it fits you.",
                    skills=names,
                ),
                False,
            )
        return _("No skills tagged yet; your job role and career goal set none."), False
    if names:
        return (
            _(
                "Builds %(skills)s: not among your role's or goal's targets; pick it for your "
                "own interest.",
                skills=names,
            ),
            False,
        )
    return _("Not tagged with skills yet, so it matches none of your targets."), False


def _format_label(item_format: str) -> str:
    try:
        return ItemFormat(item_format).label
    except ValueError:
        return item_format


def _builds(best: Gap, others: list[str]) -> str:
    """The first sentence: the skill the item builds, whose target needs it, and where the
    person is when someone rated them; one message per shape, so each reads whole."""
    values = {
        "skill": best.skill_name,
        "role": best.role_name,
        "target": best.target,
        "current": best.current,
        "others": ", ".join(others),
    }
    if best.current is None:
        if best.from_goal:
            if others:
                return _(
                    "Builds %(skill)s, which %(role)s (your goal) needs at %(target)s; also "
                    "%(others)s.",
                    **values,
                )
            return _("Builds %(skill)s, which %(role)s (your goal) needs at %(target)s.", **values)
        if others:
            return _(
                "Builds %(skill)s, which your role, %(role)s, needs at %(target)s; also "
                "%(others)s.",
                **values,
            )
        return _("Builds %(skill)s, which your role, %(role)s, needs at %(target)s.", **values)
    if best.from_goal:
        if others:
            return _(
                "Builds %(skill)s: you are at %(current)s, %(role)s (your goal) needs "
                "%(target)s; also %(others)s.",
                **values,
            )
        return _(
            "Builds %(skill)s: you are at %(current)s, %(role)s (your goal) needs %(target)s.",
            **values,
        )
    if others:
        return _(
            "Builds %(skill)s: you are at %(current)s, your role (%(role)s) needs %(target)s; "
            "also %(others)s.",
            **values,
        )
    return _(
        "Builds %(skill)s: you are at %(current)s, your role (%(role)s) needs %(target)s.",
        **values,
    )
