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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import and_, func, or_, select, update

from adapters.http import HttpClient, HttpError
from lti_tool.extensions import db
from lti_tool.grades.ags import AgsClient, LineItemSpec, Score
from lti_tool.grades.clock import Clock
from lti_tool.grades.models import AgsEndpoint, LineItem, ScoreSend, SendState
from lti_tool.lti.models import Registration, utcnow
from lti_tool.lti.service_tokens import PlatformAccount, ServiceTokens, TokenError

log = logging.getLogger(__name__)

ONE_SECOND = timedelta(seconds=1)
MAX_CONFLICTS = 3
MAX_RETRY_AFTER = timedelta(hours=1)
ERROR_LIMIT = 500


@dataclass(frozen=True)
class SendSettings:
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 3600.0
    max_attempts: int = 10
    max_wait_seconds: float = 20.0
    http_timeout: float = 10.0
    batch: int = 200


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
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        delay = when - utcnow()
    return min(max(delay, ONE_SECOND), MAX_RETRY_AFTER)


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

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> SendReport:
        self._release_interrupted()
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
            if not ids:
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
                continue
            for send_id in ids:
                self._send_one(send_id)
                db.session.commit()
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

    # -- one score ------------------------------------------------------------------------------

    def _send_one(self, send_id: int) -> None:
        claimed = db.session.execute(
            update(ScoreSend)
            .where(ScoreSend.id == send_id, ScoreSend.state == SendState.PENDING)
            .values(state=SendState.SENDING)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if getattr(claimed, "rowcount", 0) != 1:
            return  # coalesced or retried elsewhere meanwhile
        row = db.session.get(ScoreSend, send_id, populate_existing=True)
        assert row is not None
        now = self.clock.now()
        pair = and_(
            ScoreSend.line_item_id == row.line_item_id,
            ScoreSend.person_id == row.person_id,
            ScoreSend.id != row.id,
        )
        newer = db.session.scalar(
            select(ScoreSend.id)
            .where(
                pair,
                ScoreSend.state.in_((SendState.PENDING, SendState.SENDING, SendState.SENT)),
                or_(
                    ScoreSend.recorded_at > row.recorded_at,
                    and_(ScoreSend.recorded_at == row.recorded_at, ScoreSend.id > row.id),
                ),
            )
            .limit(1)
        )
        if newer is not None:
            self._finish(row, SendState.SUPERSEDED, "Replaced by a newer score.")
            self.report.superseded += 1
            return
        last_stamp, last_try = db.session.execute(
            select(func.max(ScoreSend.timestamp), func.max(ScoreSend.last_try_at)).where(
                pair, ScoreSend.timestamp.is_not(None)
            )
        ).one()
        if row.timestamp is None:
            stamp = row.recorded_at
            if last_stamp is not None:
                stamp = max(stamp, floor_second(last_stamp) + ONE_SECOND)
            row.timestamp = stamp
        # Never a timestamp from the future, never two sends for this pair within one second.
        earliest = row.timestamp
        for tried in (last_try, row.last_try_at):
            if tried is not None:
                earliest = max(earliest, tried + ONE_SECOND)
        if earliest > now:
            row.state, row.next_try_at = SendState.PENDING, earliest
            return
        self._attempt(row, now, last_stamp)

    def _client(self, scopes: list[str]) -> AgsClient:
        key = tuple(sorted(scopes))
        if key not in self._clients:
            self._clients[key] = AgsClient(self.account, self.tokens, self.http, key)
        return self._clients[key]

    def _attempt(self, row: ScoreSend, now: datetime, last_stamp: datetime | None) -> None:
        item = db.session.get(LineItem, row.line_item_id)
        assert item is not None and row.timestamp is not None
        endpoint = db.session.scalar(
            select(AgsEndpoint).where(AgsEndpoint.course_id == item.course_id)
        )
        row.attempts += 1
        row.last_try_at = now
        if endpoint is None:
            self._fail(row, "The course's LMS has not offered grade services (AGS) in a launch.")
            return
        client = self._client(list(endpoint.scopes or []))
        stage = "line item"
        try:
            if not item.lineitem_url:
                spec = LineItemSpec(
                    label=item.label,
                    score_maximum=item.score_maximum,
                    resource_id=item.item_key,
                    tag=item.tag,
                    resource_link_id=item.resource_link_id,
                )
                found = client.find_line_item(endpoint.lineitems_url, spec)
                item.lineitem_url = found or client.create_line_item(endpoint.lineitems_url, spec)
                db.session.flush()
            stage = "score"
            client.post_score(
                item.lineitem_url,
                Score(
                    user_id=row.user_id,
                    score_given=row.score_given,
                    score_maximum=row.score_maximum,
                    activity_progress=row.activity_progress,
                    grading_progress=row.grading_progress,
                    timestamp=iso(row.timestamp),
                    comment=row.comment,
                ),
            )
        except TokenError as exc:
            self._retry(row, str(exc), None, now + self._backoff(row.attempts))
        except HttpError as exc:
            self._answered(row, item, exc, stage, now, last_stamp)
        else:
            row.last_status = 200
            self._finish(row, SendState.SENT, "")
            self.report.sent += 1

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
