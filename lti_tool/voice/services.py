"""The learners' voice: plain functions over the current tenant's session (the request scopes it,
see lti_tool/tenancy.py). They add and flush; the view commits once.

Who may do what
---------------
- Everyone launched: suggest a training, see the suggestions, vote for other people's (once
  each, and take the vote back); answer the pulse surveys open for their job role, once.
- Trainers (LTI Instructor) and administrators: answer, plan or close a suggestion with a
  message (its author and voters are notified); schedule pulse surveys and read their results.

Learning events: none. A suggestion is not learning, and a pulse answer must not be tied to a
person, so neither fits a verb of lti_tool.insights (assigned … awarded).

Pulse anonymity: answers are stored without the person (models.PulseAnswer); results are only
aggregates, and nothing at all (no averages, no comments) while a survey has fewer answers than
VOICE_PULSE_MIN_GROUP.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lti_tool.catalog.models import CatalogItem
from lti_tool.community import services as community
from lti_tool.community.models import Notification
from lti_tool.extensions import db
from lti_tool.i18n import _, _l, date_text
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Path
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import JobRole, Skill
from lti_tool.voice.models import (
    MAX_QUESTIONS,
    PulseAnswer,
    PulseResponse,
    PulseSurvey,
    Status,
    Suggestion,
    SuggestionVote,
)

TITLE_MAX = 160
DETAILS_MAX = 2000
MESSAGE_MAX = 2000
QUESTION_MAX = 300
COMMENT_MAX = 2000
PAGE_SIZE = 20
SIMILAR_LIMIT = 5
MAX_ID = 2**31 - 1
# Words too common to say two suggestions are about the same thing.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "about",
        "are",
        "as",
        "at",
        "be",
        "course",
        "courses",
        "for",
        "from",
        "how",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "our",
        "some",
        "that",
        "the",
        "there",
        "this",
        "to",
        "training",
        "wish",
        "with",
    ]
)


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


def as_id(text: str | None) -> int | None:
    """A row id typed in a form or a query string, else None."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


@dataclass(frozen=True)
class Actor:
    registration_id: int
    person_id: int
    name: str = ""
    is_instructor: bool = False
    is_administrator: bool = False

    @property
    def is_trainer(self) -> bool:
        return self.is_instructor or self.is_administrator


@dataclass
class Page:
    rows: list[Any]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


# --- suggestions ----------------------------------------------------------------------------


def suggestion(pk: int) -> Suggestion:
    row = (
        db.session.scalar(
            select(Suggestion)
            .options(selectinload(Suggestion.author), selectinload(Suggestion.answered_by))
            .where(Suggestion.id == pk)
        )
        if 0 < pk <= MAX_ID
        else None
    )
    if row is None:
        raise NotFound(pk)
    return row


def suggestions(status: str, query: str, page: int = 1) -> Page:
    """Suggestions of a status ("" = any), matching the words typed, most votes first."""
    stmt = select(Suggestion)
    if status in {s.value for s in Status}:
        stmt = stmt.where(Suggestion.status == status)
    query = " ".join(query.split())[:100]
    if query:
        needle = query.lower()
        stmt = stmt.where(
            or_(
                func.lower(Suggestion.title).contains(needle, autoescape=True),
                func.lower(Suggestion.details).contains(needle, autoescape=True),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    rows = list(
        db.session.scalars(
            stmt.options(selectinload(Suggestion.author))
            .order_by(Suggestion.votes.desc(), Suggestion.created_at.desc(), Suggestion.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return Page(rows, page, total)


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(Suggestion.status, func.count()).group_by(Suggestion.status)
    ).all()
    return {status: n for status, n in rows}


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if len(w) > 2 and w not in STOPWORDS][:12]


def similar(title: str, details: str = "") -> list[Suggestion]:
    """Open suggestions sharing words with the title (and details), most shared words first:
    shown before saving so people vote instead of suggesting the same thing twice."""
    wanted = words(title) or words(details)
    if not wanted:
        return []
    candidates = db.session.scalars(
        select(Suggestion)
        .where(
            Suggestion.status == Status.OPEN.value,
            or_(*[func.lower(Suggestion.title).contains(w, autoescape=True) for w in wanted]),
        )
        .order_by(Suggestion.votes.desc())
        .limit(50)
    ).all()
    scored = [(len(set(words(c.title)) & set(wanted)), c) for c in candidates]
    scored = [(n, c) for n, c in scored if n]
    scored.sort(key=lambda nc: (-nc[0], -nc[1].votes, nc[1].id))
    return [c for _n, c in scored[:SIMILAR_LIMIT]]


@dataclass
class SuggestionForm:
    title: str = ""
    details: str = ""
    skill_id: str = ""


def _check_suggestion(form: SuggestionForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    title = " ".join(form.title.split())
    if not title:
        errors["title"] = _("Say in a few words what you would like to learn.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _(
            "Use at most %(max)d characters (you wrote %(num)s).", max=TITLE_MAX, num=len(title)
        )
    if len(form.details.strip()) > DETAILS_MAX:
        errors["details"] = _("Use at most %(max)d characters.", max=DETAILS_MAX)
    if form.skill_id.strip():
        pk = as_id(form.skill_id)
        if pk is None or db.session.get(Skill, pk) is None:
            errors["skill_id"] = _("Choose a skill from the list, or none.")
    return errors


def check_suggestion(form: SuggestionForm) -> dict[str, str]:
    return _check_suggestion(form)


def suggest(who: Actor, form: SuggestionForm) -> tuple[Suggestion | None, dict[str, str]]:
    errors = _check_suggestion(form)
    if errors:
        return None, errors
    row = Suggestion(
        registration_id=who.registration_id,
        title=" ".join(form.title.split()),
        details=form.details.strip(),
        skill_id=as_id(form.skill_id),
        author_id=who.person_id,
        status=Status.OPEN.value,
        votes=0,
    )
    db.session.add(row)
    db.session.flush()
    return row, {}


def has_voted(person_id: int, suggestion_id: int) -> bool:
    return (
        db.session.scalar(
            select(SuggestionVote.id).where(
                SuggestionVote.suggestion_id == suggestion_id, SuggestionVote.person_id == person_id
            )
        )
        is not None
    )


def voted_ids(person_id: int, suggestion_ids: list[int]) -> set[int]:
    if not suggestion_ids:
        return set()
    return set(
        db.session.scalars(
            select(SuggestionVote.suggestion_id).where(
                SuggestionVote.person_id == person_id,
                SuggestionVote.suggestion_id.in_(suggestion_ids),
            )
        )
    )


def _recount(row: Suggestion) -> None:
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == row.id)
        .values(
            votes=select(func.count())
            .where(SuggestionVote.suggestion_id == row.id)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row, ["votes"])


def vote(who: Actor, row: Suggestion) -> str:
    """Vote for a suggestion; "" when done, else why not."""
    if row.author_id == who.person_id:
        return _("This is your own suggestion: your vote is counted already by suggesting it.")
    if row.status != Status.OPEN.value:
        return _("Votes are closed: a trainer has answered this suggestion.")
    if has_voted(who.person_id, row.id):
        return _("You voted for this already.")
    try:
        with db.session.begin_nested():
            db.session.add(
                SuggestionVote(
                    registration_id=who.registration_id,
                    suggestion_id=row.id,
                    person_id=who.person_id,
                )
            )
    except IntegrityError:  # the same vote from another tab at the same moment
        return _("You voted for this already.")
    _recount(row)
    return ""


def withdraw(who: Actor, row: Suggestion) -> bool:
    result = db.session.execute(
        delete(SuggestionVote)
        .where(SuggestionVote.suggestion_id == row.id, SuggestionVote.person_id == who.person_id)
        .execution_options(synchronize_session=False)
    )
    _recount(row)
    return bool(getattr(result, "rowcount", 0))


# What a trainer may do with a suggestion, and what its author and voters are told.
DECISIONS = {
    Status.ANSWERED.value: "Answer",
    Status.PLANNED.value: "Plan it",
    Status.CLOSED.value: "Close it",
    Status.OPEN.value: "Reopen",
}
NOTIFY_KIND = {
    Status.ANSWERED.value: "voice_answered",
    Status.PLANNED.value: "voice_planned",
    Status.CLOSED.value: "voice_closed",
}


@dataclass
class DecisionForm:
    status: str = ""
    message: str = ""
    path_id: str = ""
    catalog_item_id: str = ""


def decide(who: Actor, row: Suggestion, form: DecisionForm) -> dict[str, str]:
    """A trainer answers, plans or closes a suggestion with a message (or reopens it); the
    author and the voters get a notification. {} when done, else the problems."""
    if not who.is_trainer:
        raise Forbidden("decide")
    errors: dict[str, str] = {}
    if form.status not in DECISIONS:
        errors["status"] = _("Choose what to do: answer, plan or close.")
    message = form.message.strip()
    if form.status != Status.OPEN.value and not message:
        errors["message"] = _("Write a message: the person who suggested it will read it.")
    elif len(message) > MESSAGE_MAX:
        errors["message"] = _(
            "Use at most %(max)d characters (you wrote %(num)s).", max=MESSAGE_MAX, num=len(message)
        )
    path_id = item_id = None
    if form.path_id.strip():
        path_id = as_id(form.path_id)
        if path_id is None or db.session.get(Path, path_id) is None:
            errors["path_id"] = _("Choose a path from the list, or none.")
    if form.catalog_item_id.strip():
        item_id = as_id(form.catalog_item_id)
        if item_id is None or db.session.get(CatalogItem, item_id) is None:
            errors["catalog_item_id"] = _("Choose a catalog item from the list, or none.")
    if errors:
        return errors
    # Answered ("it exists, here") and planned ("it is coming, here") may name a path or item.
    linkable = form.status in (Status.ANSWERED.value, Status.PLANNED.value)
    row.status = form.status
    row.message = message
    row.answered_by_id = who.person_id if form.status != Status.OPEN.value else None
    row.answered_at = utcnow() if form.status != Status.OPEN.value else None
    row.path_id = path_id if linkable else None
    row.catalog_item_id = item_id if linkable else None
    kind = NOTIFY_KIND.get(form.status)
    if kind:
        voters = db.session.scalars(
            select(SuggestionVote.person_id).where(SuggestionVote.suggestion_id == row.id)
        )
        told = {p for p in [row.author_id, *voters] if p is not None and p != who.person_id}
        for person_id in sorted(told):
            db.session.add(
                Notification(
                    registration_id=who.registration_id,
                    person_id=person_id,
                    kind=kind,
                    actor_id=who.person_id,
                    subject_id=row.id,
                )
            )
    db.session.flush()
    return {}


def linked(row: Suggestion) -> tuple[Path | None, CatalogItem | None]:
    path = db.session.get(Path, row.path_id) if row.path_id else None
    item = db.session.get(CatalogItem, row.catalog_item_id) if row.catalog_item_id else None
    return path, item


def mine(person_id: int) -> tuple[list[Suggestion], list[Suggestion]]:
    """The suggestions a person made, and the ones they voted for; answered first."""
    own = list(
        db.session.scalars(
            select(Suggestion)
            .where(Suggestion.author_id == person_id)
            .order_by(Suggestion.answered_at.desc().nulls_last(), Suggestion.created_at.desc())
        )
    )
    backed = list(
        db.session.scalars(
            select(Suggestion)
            .options(selectinload(Suggestion.author))
            .join(SuggestionVote, SuggestionVote.suggestion_id == Suggestion.id)
            .where(SuggestionVote.person_id == person_id)
            .order_by(Suggestion.answered_at.desc().nulls_last(), Suggestion.created_at.desc())
        )
    )
    return own, backed


def skill_choices() -> list[Skill]:
    return roles.skills()


def path_choices() -> list[Path]:
    return list(db.session.scalars(select(Path).order_by(func.lower(Path.title))))


def catalog_choices(limit: int = 300) -> list[CatalogItem]:
    return list(
        db.session.scalars(
            select(CatalogItem)
            .where(CatalogItem.hidden.is_(False))
            .order_by(func.lower(CatalogItem.title))
            .limit(limit)
        )
    )


def skill_names(ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Skill.id, Skill.name).where(Skill.id.in_(wanted))).all())


def register_notifications() -> None:
    community.NOTIFICATION_TEXT.update(
        {
            # Lazy: read in the reader's language; {actor} is filled in by community.
            "voice_answered": _l("{actor} answered a training suggestion you made or voted for"),
            "voice_planned": _l("{actor} planned a training you suggested or voted for"),
            "voice_closed": _l("{actor} closed a training suggestion you made or voted for"),
        }
    )
    kinds = ("voice_answered", "voice_planned", "voice_closed")
    # The suggestion itself; their list of suggestions and votes for older notifications.
    community.NOTIFICATION_ITEM_LINKS.update(
        dict.fromkeys(kinds, ("voice.show", _suggestion_exists))
    )
    community.NOTIFICATION_LINKS.update(dict.fromkeys(kinds, "voice.mine"))


def _suggestion_exists(pk: int) -> bool:
    return db.session.get(Suggestion, pk) is not None


# --- pulse surveys --------------------------------------------------------------------------


def survey(pk: int) -> PulseSurvey:
    row = db.session.get(PulseSurvey, pk) if 0 < pk <= MAX_ID else None
    if row is None:
        raise NotFound(pk)
    return row


def surveys() -> list[PulseSurvey]:
    return list(
        db.session.scalars(
            select(PulseSurvey).order_by(PulseSurvey.opens_on.desc(), PulseSurvey.id.desc())
        )
    )


def answer_count(survey_id: int) -> int:
    return db.session.scalar(select(func.count()).where(PulseAnswer.survey_id == survey_id)) or 0


def answer_counts() -> dict[int, int]:
    rows = db.session.execute(
        select(PulseAnswer.survey_id, func.count()).group_by(PulseAnswer.survey_id)
    ).all()
    return {sid: n for sid, n in rows}


def role_choices() -> list[JobRole]:
    return roles.roles()


def _audience(person_id: int) -> Any:
    """Which surveys a person is asked: those for everyone and those for their job role."""
    role_id = roles.effective_role_id(person_id)
    if role_id is None:
        return PulseSurvey.everyone.is_(True)
    return or_(PulseSurvey.everyone.is_(True), PulseSurvey.role_id == role_id)


@functools.cache
def _open_for_query() -> Any:
    """Built once (the home page asks it on every launch). A person without a job role binds
    role_id NULL, which matches no survey's role: they see the surveys for everyone."""
    today: Any = bindparam("today")
    return (
        select(PulseSurvey)
        .where(
            PulseSurvey.opens_on <= today,
            PulseSurvey.closes_on >= today,
            PulseSurvey.closed_early_at.is_(None),
            or_(PulseSurvey.everyone.is_(True), PulseSurvey.role_id == bindparam("role_id")),
            ~exists().where(
                PulseResponse.survey_id == PulseSurvey.id,
                PulseResponse.person_id == bindparam("person_id"),
            ),
        )
        .order_by(PulseSurvey.closes_on, PulseSurvey.id)
    )


def open_for(person_id: int, today: date) -> list[PulseSurvey]:
    """The open surveys this person is asked and has not answered (the home page card: one
    indexed query on dates plus the person's role)."""
    params = {"today": today, "role_id": roles.effective_role_id(person_id), "person_id": person_id}
    return list(db.session.scalars(_open_for_query(), params))


def is_asked(person_id: int, row: PulseSurvey) -> bool:
    if row.everyone:
        return True
    return row.role_id is not None and roles.effective_role_id(person_id) == row.role_id


def has_responded(person_id: int, survey_id: int) -> bool:
    return (
        db.session.scalar(
            select(PulseResponse.id).where(
                PulseResponse.survey_id == survey_id, PulseResponse.person_id == person_id
            )
        )
        is not None
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass
class SurveyForm:
    title: str = ""
    audience: str = ""  # "everyone" or a job role id
    questions: list[str] = field(default_factory=lambda: [""] * MAX_QUESTIONS)
    comment_question: str = ""
    opens_on: str = ""
    closes_on: str = ""
    series: str = ""  # set when this is a new run of an earlier survey


def form_from(row: PulseSurvey, today: date) -> SurveyForm:
    """A new run of an earlier survey: the same questions, for the same people, from today."""
    span = row.closes_on - row.opens_on
    return SurveyForm(
        title=row.title,
        audience="everyone" if row.everyone else str(row.role_id or ""),
        questions=[*row.questions, *[""] * (MAX_QUESTIONS - len(row.questions))],
        comment_question=row.comment_question,
        opens_on=today.isoformat(),
        closes_on=(today + span).isoformat(),
        series=row.series,
    )


def schedule(
    who: Actor, form: SurveyForm, today: date
) -> tuple[PulseSurvey | None, dict[str, str]]:
    if not who.is_trainer:
        raise Forbidden("pulse")
    errors: dict[str, str] = {}
    title = " ".join(form.title.split())
    if not title:
        errors["title"] = _("Give the survey a title people will recognise.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(max)d characters.", max=TITLE_MAX)
    role: JobRole | None = None
    if form.audience != "everyone":
        pk = as_id(form.audience)
        role = db.session.get(JobRole, pk) if pk is not None else None
        if role is None:
            errors["audience"] = _("Choose the job role it is for, or everyone.")
    questions = [" ".join(q.split()) for q in form.questions]
    if not any(questions):
        errors["questions"] = _("Write at least one question (up to five).")
    elif any(len(q) > QUESTION_MAX for q in questions):
        errors["questions"] = _("Keep each question under %(max)d characters.", max=QUESTION_MAX)
    comment_question = " ".join(form.comment_question.split())
    if len(comment_question) > QUESTION_MAX:
        errors["comment_question"] = _("Keep it under %(max)d characters.", max=QUESTION_MAX)
    opens, closes = _date(form.opens_on), _date(form.closes_on)
    if opens is None:
        errors["opens_on"] = _("Enter the day it opens, as YYYY-MM-DD.")
    if closes is None:
        errors["closes_on"] = _("Enter the day it closes, as YYYY-MM-DD.")
    elif opens is not None and closes < opens:
        errors["closes_on"] = _("It must close on or after the day it opens.")
    elif closes < today:
        errors["closes_on"] = _("That day has passed: nobody could answer.")
    series = form.series.strip()
    if (
        series
        and db.session.scalar(select(PulseSurvey.id).where(PulseSurvey.series == series)) is None
    ):
        series = ""
    if errors or opens is None or closes is None:
        return None, errors
    row = PulseSurvey(
        registration_id=who.registration_id,
        title=title,
        everyone=role is None,
        role_id=role.id if role else None,
        role_name=role.name if role else "",
        questions=[q for q in questions if q],
        comment_question=comment_question,
        opens_on=opens,
        closes_on=closes,
        created_by_id=who.person_id,
    )
    if series:
        row.series = series
    db.session.add(row)
    db.session.flush()
    return row, {}


class Refused(Exception):
    """An answer that cannot be taken; the message says why."""


def why_not_open(row: PulseSurvey, today: date) -> str:
    if row.closed_early_at is not None:
        return _(
            "This survey was closed on %(day)s: answers are no longer taken.",
            day=date_text(row.closed_early_at, "dd MMMM y"),
        )
    if today < row.opens_on:
        return _("This survey opens on %(day)s.", day=date_text(row.opens_on, "dd MMMM y"))
    return _(
        "This survey closed on %(day)s: answers are no longer taken.",
        day=date_text(row.closes_on, "dd MMMM y"),
    )


def end_action(row: PulseSurvey, today: date) -> str:
    """What ending the survey now does: "cancel" one that has not opened (nobody could answer
    yet, so it goes), "close" an open one (it keeps its answers), "" for one that is closed."""
    if row.is_closed(today):
        return ""
    return "cancel" if row.is_scheduled(today) else "close"


def end(who: Actor, row: PulseSurvey, expected: str, today: date) -> str:
    """Close an open survey now or cancel a scheduled one (see `end_action`); returns the
    action done. Refused when the survey is closed already or changed state since the trainer
    confirmed (it opened at midnight, say): they confirm again."""
    if not who.is_trainer:
        raise Forbidden("pulse")
    action = end_action(row, today)
    if not action:
        raise Refused(_("This survey is closed already: it takes no answers."))
    if action != expected:
        raise Refused(_("The survey has opened since you asked. Check what closing it does now."))
    if action == "cancel":
        db.session.delete(row)
    else:
        row.closed_early_at = utcnow()
    db.session.flush()
    return action


def answer(
    who: Actor, row: PulseSurvey, scores: dict[str, str], comment: str, today: date
) -> dict[str, str]:
    """Store one anonymous answer and, separately, that this person responded. {} when done,
    else the problems with the form; Refused when the person may not answer at all."""
    if not is_asked(who.person_id, row):
        raise Refused(_("This survey is for another job role."))
    if not row.is_open(today):
        raise Refused(why_not_open(row, today))
    if has_responded(who.person_id, row.id):
        raise Refused(_("You answered this survey already. Thank you!"))
    errors: dict[str, str] = {}
    values: list[int] = []
    for i in range(len(row.questions)):
        raw = (scores.get(f"q{i + 1}") or "").strip()
        if raw not in {"1", "2", "3", "4", "5"}:
            errors[f"q{i + 1}"] = _("Choose a number from 1 to 5.")
        else:
            values.append(int(raw))
    comment = comment.strip() if row.comment_question else ""
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _(
            "Use at most %(max)d characters (you wrote %(num)s).", max=COMMENT_MAX, num=len(comment)
        )
    if errors:
        return errors
    try:
        with db.session.begin_nested():
            db.session.add(
                PulseResponse(
                    registration_id=who.registration_id, survey_id=row.id, person_id=who.person_id
                )
            )
            db.session.flush()
    except IntegrityError:  # the same person in another tab at the same moment
        raise Refused(_("You answered this survey already. Thank you!")) from None
    padded = values + [None] * (MAX_QUESTIONS - len(values))
    db.session.add(
        PulseAnswer(
            registration_id=who.registration_id,
            survey_id=row.id,
            q1=padded[0],
            q2=padded[1],
            q3=padded[2],
            q4=padded[3],
            q5=padded[4],
            comment=comment,
        )
    )
    db.session.flush()
    return {}


@dataclass
class QuestionResult:
    text: str
    answered: int
    average: float
    counts: list[int]  # how many chose 1, 2, 3, 4, 5


@dataclass
class Results:
    survey: PulseSurvey
    answers: int
    minimum: int
    asked: int | None  # people currently in the audience (None: everyone)
    questions: list[QuestionResult]
    comments: list[str]
    # Still open (or not yet): no numbers until it closes, so nobody can single out an answer
    # by watching the averages move from one answer to the next.
    waiting: bool = False

    @property
    def too_few(self) -> bool:
        return self.answers < self.minimum

    @property
    def hidden(self) -> bool:
        return self.too_few or self.waiting


QUESTION_COLUMNS = (PulseAnswer.q1, PulseAnswer.q2, PulseAnswer.q3, PulseAnswer.q4, PulseAnswer.q5)


def results(
    row: PulseSurvey, minimum: int, today: date, shuffle_seed: int | None = None
) -> Results:
    """The survey's aggregates once it closed; while it is open, or below the minimum group
    size, only how many answered (no averages, no counts, no comments). Comments come in
    random order and without dates."""
    total = answer_count(row.id)
    asked = None
    if not row.everyone and row.role_id is not None:
        asked = len(roles_people(row.role_id))
    if total < minimum or not row.is_closed(today):
        return Results(row, total, minimum, asked, [], [], waiting=not row.is_closed(today))
    questions = []
    for i, text in enumerate(row.questions):
        column = QUESTION_COLUMNS[i]
        counts: dict[int, int] = {
            k: int(n)
            for k, n in db.session.execute(
                select(column, func.count())
                .where(PulseAnswer.survey_id == row.id, column.is_not(None))
                .group_by(column)
            ).all()
            if k is not None
        }
        answered = sum(counts.values())
        mean = sum(k * n for k, n in counts.items()) / answered if answered else 0.0
        questions.append(
            QuestionResult(text, answered, round(mean, 2), [counts.get(k, 0) for k in range(1, 6)])
        )
    comments = [
        c
        for c in db.session.scalars(
            select(PulseAnswer.comment).where(
                PulseAnswer.survey_id == row.id, PulseAnswer.comment != ""
            )
        )
    ]
    random.Random(shuffle_seed).shuffle(comments)  # noqa: S311 (order only, not security)
    return Results(row, total, minimum, asked, questions, comments)


def roles_people(role_id: int) -> list[int]:
    from lti_tool.roles.models import PersonRole

    ids = set(db.session.scalars(select(PersonRole.person_id).where(PersonRole.role_id == role_id)))
    effective = roles.effective_for(ids)
    return [pid for pid, a in effective.items() if a.role_id == role_id]


def runs(row: PulseSurvey) -> list[PulseSurvey]:
    """Every run of this survey (same series), oldest first."""
    return list(
        db.session.scalars(
            select(PulseSurvey)
            .where(PulseSurvey.series == row.series)
            .order_by(PulseSurvey.opens_on, PulseSurvey.id)
        )
    )


def csv_rows(result: Results) -> list[list[str]]:
    """The aggregates as CSV rows (never a single answer, never a comment)."""
    s = result.survey
    header = [
        "survey",
        "audience",
        "opens_on",
        "closes_on",
        "answers",
        "question",
        "answered",
        "average",
        "chose_1",
        "chose_2",
        "chose_3",
        "chose_4",
        "chose_5",
        "note",
    ]
    base = [
        s.title,
        s.audience,
        s.opens_on.isoformat(),
        s.closes_on.isoformat(),
        str(result.answers),
    ]
    if result.hidden:
        note = (
            f"fewer than {result.minimum} answers: results are hidden to keep answers anonymous"
            if result.too_few
            else f"results are shown once the survey closes on {s.closes_on.isoformat()}"
        )
        if s.closed_early_at is not None:
            note += f"; closed early on {s.closed_early_at.date().isoformat()}"
        return [header] + [[*base, q, "", "", "", "", "", "", "", note] for q in s.questions]
    closed = f"closed early on {s.closed_early_at.date().isoformat()}" if s.closed_early_at else ""
    return [header] + [
        [*base, q.text, str(q.answered), f"{q.average:.2f}", *[str(n) for n in q.counts], closed]
        for q in result.questions
    ]


def person(pk: int) -> Person:
    row = db.session.get(Person, pk)
    if row is None:
        raise NotFound(pk)
    return row
