"""Sending the outbox: the work of one grade_sync job for one tenant.

For each due score: claim it (one conditional UPDATE), skip it if a newer score for the same
person and line item exists, choose its AGS timestamp once (the time of the progress change, but
always in a later second than any timestamp tried before for that person and line item, since
Moodle compares at 1-second resolution and answers 409 otherwise), wait so that no two sends for
one person and line item fall within one second, find or create the line item, post the score.

What an answer means:
  2xx                      sent.
  timeout, no connection,  try again with exponential backoff; the score may have arrived, so a
  5xx                      later 409 for the same timestamp means "already there".
  429                      try again after Retry-After (seconds or an HTTP date).
  401                      the token is renewed once (AgsClient); a second 401 fails the send.
  409                      already there (an earlier try arrived), or a newer score is there
                           (superseded); otherwise try again with a timestamp one second later.
  other 4xx                failed, with the platform's answer kept (shortened) for the admin.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from flask import current_app
from sqlalchemy import func, select, update

from adapters.http import HttpClient, HttpError
from lti_tool.extensions import db
from lti_tool.grades.ags import AgsClient, LineItemSpec, Score
from lti_tool.grades.clock import Clock
from lti_tool.grades.models import LineItem, ScoreSend, SendState
from lti_tool.grades.services import endpoint
from lti_tool.lti.models import Registration, utcnow
from lti_tool.lti.service_tokens import PlatformAccount, ServiceTokens, TokenError
from lti_tool.numbers import whole_number

log = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
MAX_CONFLICTS = 3
MAX_RETRY_AFTER = timedelta(hours=1)
ERROR_LIMIT = 500
NOT_THERE_YET = (
    "The course has no gradebook column for this item yet: the LMS makes it when the teacher "
    "saves the placed activity. Trying again later."
)


@dataclass(frozen=True)
class SendSettings:
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 3600.0
    max_attempts: int = 10
    max_wait_seconds: float = 20.0
    http_timeout: float = 10.0
    batch: int = 200
    # Score POSTs in flight at once (each for a different person and line item).
    concurrency: int = 4


@dataclass
class SendReport:
    sent: int = 0
    already_there: int = 0
    superseded: int = 0
    failed: int = 0
    retries: int = 0
    waiting: int = 0
    next_try_at: datetime | None = None
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"Sent {self.sent} score(s) to the LMS"
            + (f", {self.already_there} already there" if self.already_there else "")
            + (f", {self.superseded} replaced by newer ones" if self.superseded else "")
            + (f", {self.failed} failed" if self.failed else "")
            + "."
        )
        if self.retries:
            text += f" {self.retries} temporary error(s) or conflict(s) along the way."
        if self.waiting and self.next_try_at:
            text += f" {self.waiting} waiting; next try at {self.next_try_at:%H:%M:%S} UTC."
        return text


def iso(moment: datetime) -> str:
    """ISO 8601 with milliseconds, in UTC."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def retry_after(value: str, now: datetime) -> timedelta | None:
    """Retry-After as a delay: delta-seconds or an HTTP date (compared with the real clock)."""
    value = (value or "").strip()
    if not value:
        return None
    seconds = whole_number(value)
    if seconds is not None:
        delay = timedelta(seconds=seconds)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        delay = when - utcnow()
    return min(max(delay, ONE_SECOND), MAX_RETRY_AFTER)


@dataclass
class _Pair:
    """What the outbox knows of one person and line item, besides the rows being sent."""

    newest: tuple[datetime, int] | None = None  # (recorded_at, id) of the newest live row
    last_stamp: datetime | None = None  # the latest timestamp ever tried
    last_try: datetime | None = None  # when a score was last sent


@dataclass
class _Post:
    row: ScoreSend
    item: LineItem
    client: AgsClient
    url: str
    score: Score
    last_stamp: datetime | None


class Sender:
    def __init__(self, registration_id: int, settings: SendSettings, clock: Clock) -> None:
        self.registration_id = registration_id
        self.settings = settings
        self.clock = clock
        self.report = SendReport()
        registration = db.session.get(Registration, registration_id)
        if registration is None:
            raise LookupError(f"registration {registration_id} is gone")
        self.account = PlatformAccount.of(registration)
        # Retries are this module's business (with the injectable clock), not HttpClient's.
        self.http = HttpClient(timeout=settings.http_timeout, retries=0)
        self.tokens = ServiceTokens(self.http)
        self._clients: dict[tuple[str, ...], AgsClient] = {}
        self._endpoints: dict[int, tuple[str, list[str]] | None] = {}
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> SendReport:
        self._release_interrupted()
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            while True:
                now = self.clock.now()
                ids = list(
                    db.session.scalars(
                        select(ScoreSend.id)
                        .where(
                            ScoreSend.registration_id == self.registration_id,
                            ScoreSend.state == SendState.PENDING,
                            ScoreSend.next_try_at <= now,
                        )
                        .order_by(ScoreSend.next_try_at, ScoreSend.id)
                        .limit(self.settings.batch)
                    )
                )
                if ids:
                    self._send_batch(ids, pool)
                    db.session.commit()
                    continue
                upcoming, waiting = db.session.execute(
                    select(func.min(ScoreSend.next_try_at), func.count()).where(
                        ScoreSend.registration_id == self.registration_id,
                        ScoreSend.state == SendState.PENDING,
                    )
                ).one()
                db.session.rollback()
                if upcoming is None:
                    break
                wait = (upcoming - now).total_seconds()
                if wait > self.settings.max_wait_seconds:
                    self.report.waiting, self.report.next_try_at = waiting, upcoming
                    break
                self.clock.sleep(wait)
        return self.report

    def _release_interrupted(self) -> None:
        """Sends left `sending` by a worker that died: they may have reached the platform."""
        db.session.execute(
            update(ScoreSend)
            .where(
                ScoreSend.registration_id == self.registration_id,
                ScoreSend.state == SendState.SENDING,
            )
            .values(state=SendState.PENDING, uncertain=True, next_try_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    # -- a batch --------------------------------------------------------------------------------

    def _send_batch(self, ids: list[int], pool: ThreadPoolExecutor) -> None:
        """Claim the batch (one UPDATE, committed: a crash from here on leaves the rows
        `sending`, released as uncertain by the next run), decide each row from one query over
        their pairs, post the scores concurrently, record every outcome, commit once."""
        db.session.execute(
            update(ScoreSend)
            .where(ScoreSend.id.in_(ids), ScoreSend.state == SendState.PENDING)
            .values(state=SendState.SENDING)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        rows = list(
            db.session.scalars(
                select(ScoreSend)
                .where(ScoreSend.id.in_(ids), ScoreSend.state == SendState.SENDING)
                .order_by(ScoreSend.id)
            )
        )
        pairs = self._pairs(rows)
        now = self.clock.now()
        posts: list[_Post] = []
        for row in rows:
            post = self._prepare(row, pairs[(row.line_item_id, row.person_id)], now)
            if post is not None:
                posts.append(post)
        posts = self._with_tokens(posts, now)
        # Nothing of the database is held while the requests are out: the chosen timestamps
        # and counted attempts are committed first (a crash then re-sends the same timestamp).
        session = db.session()
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
        for post, error in zip(posts, pool.map(self._post, posts), strict=True):
            if error is None:
                post.row.last_status = 200
                self._finish(post.row, SendState.SENT, "")
                self.report.sent += 1
            elif isinstance(error, TokenError):
                self._retry(post.row, str(error), None, now + self._backoff(post.row.attempts))
            elif isinstance(error, HttpError):
                self._answered(post.row, post.item, error, "score", now, post.last_stamp)
            else:
                raise error

    def _pairs(self, rows: list[ScoreSend]) -> dict[tuple[int, int], _Pair]:
        ids = {row.id for row in rows}
        pairs = {(row.line_item_id, row.person_id): _Pair() for row in rows}
        history = db.session.execute(
            select(
                ScoreSend.id,
                ScoreSend.line_item_id,
                ScoreSend.person_id,
                ScoreSend.state,
                ScoreSend.recorded_at,
                ScoreSend.timestamp,
                ScoreSend.last_try_at,
            ).where(
                ScoreSend.line_item_id.in_({key[0] for key in pairs}),
                ScoreSend.person_id.in_({key[1] for key in pairs}),
            )
        )
        for send_id, item_id, person_id, state, recorded, stamp, tried in history:
            pair = pairs.get((item_id, person_id))
            if pair is None:
                continue
            live = state in (SendState.PENDING, SendState.SENDING, SendState.SENT)
            if live and (pair.newest is None or (recorded, send_id) > pair.newest):
                pair.newest = (recorded, send_id)  # only the newest live row is worth sending
            if send_id in ids:
                continue
            if stamp is not None and (pair.last_stamp is None or stamp > pair.last_stamp):
                pair.last_stamp = stamp
            if tried is not None and (pair.last_try is None or tried > pair.last_try):
                pair.last_try = tried
        return pairs

    def _prepare(self, row: ScoreSend, pair: _Pair, now: datetime) -> _Post | None:
        """Decide one claimed row: superseded, deferred, failed, or a score to post."""
        if pair.newest is not None and pair.newest != (row.recorded_at, row.id):
            self._finish(row, SendState.SUPERSEDED, "Replaced by a newer score.")
            self.report.superseded += 1
            return None
        if row.timestamp is None:
            stamp = row.recorded_at
            if pair.last_stamp is not None:
                stamp = max(stamp, floor_second(pair.last_stamp) + ONE_SECOND)
            row.timestamp = stamp
        # Never a timestamp from the future, never two sends for this pair within one second.
        earliest = row.timestamp
        for tried in (pair.last_try, row.last_try_at):
            if tried is not None:
                earliest = max(earliest, tried + ONE_SECOND)
        if earliest > now:
            row.state, row.next_try_at = SendState.PENDING, earliest
            return None
        item = db.session.get(LineItem, row.line_item_id)
        assert item is not None
        row.attempts += 1
        row.last_try_at = now
        endpoint = self._endpoint(item.course_id)
        if endpoint is None:
            self._fail(row, "The course's LMS has not offered grade services (AGS) in a launch.")
            return None
        lineitems_url, scopes = endpoint
        client = self._client(scopes)
        if not item.lineitem_url:
            try:
                if not self._resolve(client, lineitems_url, item):
                    self._retry(row, NOT_THERE_YET, None, now + self._backoff(row.attempts))
                    return None
            except TokenError as exc:
                self._retry(row, str(exc), None, now + self._backoff(row.attempts))
                return None
            except HttpError as exc:
                self._answered(row, item, exc, "line item", now, pair.last_stamp)
                return None
        score = Score(
            user_id=row.user_id,
            score_given=row.score_given,
            score_maximum=row.score_maximum,
            activity_progress=row.activity_progress,
            grading_progress=row.grading_progress,
            timestamp=iso(row.timestamp),
            comment=row.comment,
        )
        assert item.lineitem_url
        return _Post(row, item, client, item.lineitem_url, score, pair.last_stamp)

    def _with_tokens(self, posts: list[_Post], now: datetime) -> list[_Post]:
        """Get each client's token here, once, before the requests go out in parallel."""
        ready = []
        for post in posts:
            try:
                post.client.token()
            except TokenError as exc:
                self._retry(post.row, str(exc), None, now + self._backoff(post.row.attempts))
                continue
            ready.append(post)
        return ready

    def _post(self, post: _Post) -> Exception | None:
        """In a worker thread: only HTTP (and the token store), inside an app context."""
        with self._app.app_context():
            try:
                post.client.post_score(post.url, post.score)
            except (HttpError, TokenError) as exc:
                return exc
        return None

    def _endpoint(self, course_id: int) -> tuple[str, list[str]] | None:
        if course_id not in self._endpoints:
            found = endpoint(db.session, course_id)
            self._endpoints[course_id] = (
                (found.lineitems_url, found.scopes) if found is not None else None
            )
        return self._endpoints[course_id]

    def _client(self, scopes: list[str]) -> AgsClient:
        key = tuple(sorted(scopes))
        if key not in self._clients:
            self._clients[key] = AgsClient(self.account, self.tokens, self.http, key)
        return self._clients[key]

    def _resolve(self, client: AgsClient, lineitems_url: str, item: LineItem) -> bool:
        """Find the platform's line item, or create it where Wayfinder may. False: not there
        yet, and it is the LMS's to make (a placed path whose activity is not saved yet)."""
        spec = LineItemSpec(
            label=item.label,
            score_maximum=item.score_maximum,
            resource_id=item.item_key,
            tag=item.tag,
            resource_link_id=item.resource_link_id,
        )
        found = client.find_line_item(lineitems_url, spec)
        if found is None and not item.create_missing:
            return False
        item.lineitem_url = found or client.create_line_item(lineitems_url, spec)
        db.session.flush()
        return True

    def _answered(
        self,
        row: ScoreSend,
        item: LineItem,
        exc: HttpError,
        stage: str,
        now: datetime,
        last_stamp: datetime | None,
    ) -> None:
        status = exc.status
        what = f"{exc}" + (f" — {exc.body_excerpt[:ERROR_LIMIT]}" if exc.body_excerpt else "")
        if status == 0 or status >= 500:
            if stage == "score":
                row.uncertain = True  # it may have arrived all the same
            self._retry(row, what, status or None, now + self._backoff(row.attempts))
        elif status == 429:
            delay = retry_after(exc.retry_after, now) or self._backoff(row.attempts)
            self._retry(row, what, status, now + delay)
        elif status == 409 and stage == "score":
            self._conflict(row, now, last_stamp)
        elif status == 404 and stage == "score" and row.conflicts == 0:
            # The line item was deleted in the LMS: find or create it again on the next try.
            item.lineitem_url = None
            self._retry(row, what, status, now + ONE_SECOND)
        else:
            self._fail(row, what, status)

    def _conflict(self, row: ScoreSend, now: datetime, last_stamp: datetime | None) -> None:
        assert row.timestamp is not None
        row.last_status = 409
        if row.uncertain:
            self._finish(
                row,
                SendState.SENT,
                "The LMS already had this score (an earlier try had reached it).",
            )
            self.report.already_there += 1
        elif last_stamp is not None and floor_second(last_stamp) >= floor_second(row.timestamp):
            self._finish(row, SendState.SUPERSEDED, "A newer score is already in the LMS.")
            self.report.superseded += 1
        elif row.conflicts >= MAX_CONFLICTS:
            self._fail(
                row,
                f"The LMS refused the score's timestamp {row.conflicts + 1} times (HTTP 409): "
                "it holds a score with a later timestamp. Check the LMS's clock.",
                409,
            )
        else:
            # The LMS holds something in the same second or later: one second later, again.
            row.conflicts += 1
            row.timestamp = floor_second(row.timestamp) + ONE_SECOND
            self._retry(
                row,
                "The LMS answered 409 (a score with the same or a later timestamp); "
                "trying with a later timestamp.",
                409,
                max(row.timestamp, now + ONE_SECOND),
                count_attempt=False,
            )

    # -- outcomes -------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> timedelta:
        seconds = self.settings.backoff_seconds * 2 ** max(0, attempt - 1)
        return timedelta(seconds=min(seconds, self.settings.max_backoff_seconds))

    def _retry(
        self,
        row: ScoreSend,
        message: str,
        status: int | None,
        at: datetime,
        *,
        count_attempt: bool = True,
    ) -> None:
        row.last_status = status
        if count_attempt and row.attempts >= self.settings.max_attempts:
            self._fail(row, f"Gave up after {row.attempts} tries. Last answer: {message}", status)
            return
        row.state, row.next_try_at = SendState.PENDING, at
        row.last_error = message[: ERROR_LIMIT * 2]
        self.report.retries += 1

    def _fail(self, row: ScoreSend, message: str, status: int | None = None) -> None:
        row.last_status = status
        self._finish(row, SendState.FAILED, message)
        self.report.failed += 1
        log.warning("score send %s failed: %s", row.id, message)

    def _finish(self, row: ScoreSend, state: SendState, message: str) -> None:
        row.state = state
        row.next_try_at = None
        row.last_error = message[: ERROR_LIMIT * 2]
        if state is SendState.SENT:
            row.sent_at = self.clock.now()
