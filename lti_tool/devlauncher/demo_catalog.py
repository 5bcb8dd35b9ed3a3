"""The demo's catalog: a pretend LMS with a dozen contact-center courses that works offline
(an `adapters.local.LocalAdapter` over the shared store, so enrolments made in the demo survive
restarts and reach every process), synced into the demo registration's catalog, then curated
(skills, levels, recommended, one hidden), with local items, ratings from people in Ana's role,
and Ana's plan: one course enrolled, one completed, and a live session waiting for Ben's
approval. Added once; later seeds leave the catalog as it is."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from adapters.base import Category, ItemFormat, User
from adapters.local import LocalAdapter, LocalItem
from lti_tool.extensions import db, store
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Person

KEEP = 90 * 24 * 3600  # the pretend LMS remembers demo enrolments for 90 days

CATEGORIES = (
    Category("care", "Customer care"),
    Category("phone", "Phone skills", "care"),
    Category("products", "Products and billing"),
    Category("tools", "Systems and tools"),
)


def _course(
    key: str, title: str, summary: str, category: str, minutes: int, **extra: object
) -> LocalItem:
    return LocalItem(
        id=key,
        title=title,
        summary=summary,
        url=f"https://lms.example.com/course/view.php?id={key}",
        category_id=category,
        format=ItemFormat.COURSE,
        language=str(extra.pop("language", "en")),
        duration_minutes=minutes,
        **extra,  # type: ignore[arg-type]
    )


COURSES = (
    _course(
        "101",
        "Welcome to the contact center",
        "Your first week: tools, people, the floor.",
        "care",
        60,
    ),
    _course(
        "102",
        "Handling difficult calls",
        "Stay calm and own the call: listening, naming the emotion, next steps.",
        "phone",
        90,
    ),
    _course(
        "103",
        "De-escalation in practice",
        "Lower the temperature of an angry call with proven phrases; role plays.",
        "phone",
        120,
    ),
    _course(
        "104",
        "Empathy on the phone",
        "Hear what the customer means, not only what they say.",
        "phone",
        45,
    ),
    _course(
        "105",
        "Billing disputes and refunds",
        "Invoices, refunds, credit notes and what you may promise.",
        "products",
        75,
    ),
    _course(
        "106",
        "Disputas de facturación",
        "Facturas, reembolsos y notas de crédito, en español.",
        "products",
        75,
        language="es",
    ),
    _course(
        "107",
        "CRM shortcuts",
        "Find a customer's history in two clicks; notes that help the next agent.",
        "tools",
        25,
    ),
    _course(
        "108",
        "Quality scorecards explained",
        "What QA listens for and how to read your score.",
        "care",
        40,
    ),
    _course(
        "109",
        "Coaching your peers",
        "Give feedback that sticks: a first step towards team lead.",
        "care",
        180,
    ),
    _course(
        "110",
        "Product knowledge: mobile plans",
        "Every plan, add-on and roaming rule, with quizzes.",
        "products",
        150,
    ),
    _course(
        "111",
        "Handling complaints in writing",
        "Email and chat replies that close the case.",
        "care",
        50,
    ),
    _course("112", "Archived: 2019 onboarding", "The old programme.", "care", 240, visible=False),
)


class StoreRepository:
    """The pretend LMS's enrolments and completions, kept in the shared store."""

    def __init__(self, registration_id: int) -> None:
        self.prefix = f"demo-lms:{registration_id}:"

    def items(self) -> Sequence[LocalItem]:
        return COURSES

    def categories(self) -> Sequence[Category]:
        return CATEGORIES

    def users(self) -> Sequence[User]:
        return ()

    def participants(self, item_id: str) -> Collection[str]:
        return set(store.get(self.prefix + "joined:" + item_id) or [])

    def join(self, item_id: str, user_id: str) -> None:
        joined = sorted(set(self.participants(item_id)) | {user_id})
        store.set(self.prefix + "joined:" + item_id, joined, KEEP)

    def completed_at(self, item_id: str, user_id: str) -> datetime | None:
        value = store.get(f"{self.prefix}done:{item_id}:{user_id}")
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    def mark_complete(self, item_id: str, user_id: str, when: datetime) -> None:
        self.join(item_id, user_id)
        store.set(f"{self.prefix}done:{item_id}:{user_id}", when.isoformat(), KEEP)


def demo_adapter(registration_id: int) -> LocalAdapter:
    return LocalAdapter(StoreRepository(registration_id))


RATERS = (
    ("priya", "Priya Nair", 5, "The role plays made angry calls feel manageable."),
    ("tom", "Tom Weber", 4, "Good phrases; a bit long."),
    ("lina", "Lina Haddad", 4, ""),
)


def seed_catalog(reg: Registration) -> None:
    from lti_tool.catalog import access, plan, services
    from lti_tool.catalog import jobs as catalog_jobs
    from lti_tool.catalog.models import (
        CatalogItem,
        CatalogSource,
        EnrolmentRequest,
        PlanItem,
        PlanStatus,
        RequestStatus,
    )
    from lti_tool.catalog.sync import sync_catalog
    from lti_tool.feedback.models import Kind, Rating
    from lti_tool.insights import events
    from lti_tool.insights.models import Verb
    from lti_tool.jobs.models import JobState
    from lti_tool.paths.services import Actor
    from lti_tool.roles import services as roles
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(CatalogItem.id).limit(1)) is not None:
            return
        source = access.ensure_source(reg.id)
        source.platform = access.DEMO_PLATFORM
        source.base_url = "https://lms.example.com"
        source.updated_by = "demo"
        # The first sync, run here (whatever DEV_LAUNCHER says) and recorded as a finished job:
        # what Dev and Chloe see as the last sync.
        job, _ = catalog_jobs.start_sync(reg.id, started_by="Dev Desai (demo)")
        result = sync_catalog(reg.id, demo_adapter(reg.id), lambda *_args: None)
        now = utcnow()
        job.state, job.attempts, job.message = JobState.SUCCEEDED, 1, result.summary()
        job.progress_done = job.progress_total = len(result.seen)
        job.started_at = job.finished_at = now
        job.run_at, job.dedupe_key = None, None
        source.synced_at = now
        db.session.flush()

    with tenant_scope(db.session, reg.id):
        items = {i.title: i for i in db.session.scalars(select(CatalogItem))}
        skills = {s.name: s.id for s in roles.skills()}
        people = {p.sub: p for p in db.session.scalars(select(Person))}

        def curate(
            title: str,
            names: tuple[str, ...],
            level: int | None,
            *,
            featured: bool = False,
            hidden: bool = False,
            needs_approval: bool = False,
        ) -> None:
            form = services.CurationForm(
                skills=[str(skills[n]) for n in names if n in skills],
                level=str(level or ""),
                featured=featured,
                hidden=hidden,
                needs_approval=needs_approval,
            )
            services.curate(reg.id, items[title], form, by="Chloe Chen")

        curate("Handling difficult calls", ("De-escalation", "Empathy"), 2, featured=True)
        curate("De-escalation in practice", ("De-escalation",), 3, featured=True)
        curate("Empathy on the phone", ("Empathy",), 1)
        curate("Billing disputes and refunds", ("Product knowledge",), 2)
        curate("Disputas de facturación", ("Product knowledge",), 2)
        curate("CRM shortcuts", ("Systems navigation",), 1)
        curate("Coaching your peers", ("Coaching",), 4)
        curate("Quality scorecards explained", (), None, hidden=True)

        def local(
            title: str, summary: str, url: str, fmt: str, minutes: str, **extra: str
        ) -> CatalogItem:
            row, errors = services.save_local(
                reg.id,
                None,
                services.LocalForm(
                    title,
                    summary,
                    url,
                    fmt,
                    minutes,
                    extra.get("language", "en"),
                    extra.get("capacity", ""),
                    extra.get("starts_at", ""),
                ),
                by="Chloe Chen",
            )
            assert row is not None, errors
            return row

        video = local(
            "Five phrases that calm a caller",
            "A six-minute video from our best agents.",
            "https://intranet.example.com/videos/calm-phrases",
            "video",
            "6",
        )
        guide = local(
            "Refund policy at a glance",
            "The one-page guide to what you may offer.",
            "https://intranet.example.com/docs/refunds.pdf",
            "document",
            "10",
        )
        start = (utcnow() + timedelta(days=9)).replace(hour=14, minute=0, second=0, microsecond=0)
        shadow = local(
            "Shadow a team lead for an afternoon",
            "Sit beside a team lead on the floor and see escalations handled live.",
            "",
            "live",
            "240",
            capacity="4",
            starts_at=start.strftime("%Y-%m-%d %H:%M"),
        )
        items.update({row.title: row for row in (video, guide, shadow)})
        curate(video.title, ("De-escalation",), 2)
        curate(guide.title, ("Product knowledge",), 1)
        curate(shadow.title, ("Coaching", "De-escalation"), 3, needs_approval=True)

        # Three Tier 1 agents who took "Handling difficult calls" and rated it. A rating keeps
        # the rater's job role of the time, so they need no role now (and get no learning path).
        tier1 = roles.match_role("Tier 1 agent")
        calls = items["Handling difficult calls"]
        for sub, name, stars, comment in RATERS:
            person = people.get(sub) or Person(registration_id=reg.id, sub=sub, name=name)
            db.session.add(person)
            db.session.flush()
            db.session.add(
                PlanItem(
                    registration_id=reg.id,
                    person_id=person.id,
                    item_id=calls.id,
                    goal_kind="skill_gap",
                    status=PlanStatus.COMPLETED.value,
                    completed_at=utcnow() - timedelta(days=20),
                    lms_user_id=sub,
                    created_at=utcnow() - timedelta(days=60),
                )
            )
            db.session.add(
                Rating(
                    registration_id=reg.id,
                    kind=Kind.CATALOG_ITEM.value,
                    subject_id=str(calls.id),
                    item_key=str(calls.id),
                    title=calls.title,
                    person_id=person.id,
                    role_id=tier1.id if tier1 else None,
                    stars=stars,
                    comment=comment,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
            # As feedback.services.rate does: one "rated" learning event per rating, which the
            # insights dashboard's engagement counts (and the feedback report's ratings match).
            events.record_event(
                reg.id,
                person.id,
                Verb.RATED,
                Kind.CATALOG_ITEM.value,
                str(calls.id),
                title=calls.title,
                role_id=tier1.id if tier1 else None,
                score=float(stars),
                occurred_at=utcnow(),
            )

        # Ana's plan: a course she is enrolled in, one she completed, and a live session
        # waiting for Ben (her team lead) to approve.
        ana = people["ana"]
        me = Actor("Ana Alvarez", ana.id)
        soon = (utcnow() + timedelta(days=30)).date().isoformat()
        enrolled, _ = plan.add(
            reg.id, ana, calls, plan.AddForm("career_goal", target_date=soon), me, lms_user="ana"
        )
        assert enrolled is not None
        plan.enrol(enrolled, demo_adapter(reg.id), "ana", me)
        empathy = items["Empathy on the phone"]
        finished, _ = plan.add(
            reg.id,
            ana,
            empathy,
            plan.AddForm("skill_gap", str(skills.get("Empathy", "")), target_date=soon),
            me,
            lms_user="ana",
        )
        assert finished is not None
        plan.enrol(finished, demo_adapter(reg.id), "ana", me)
        StoreRepository(reg.id).mark_complete(
            empathy.external_id, "ana", datetime.now(UTC) - timedelta(days=2)
        )
        plan.refresh_completion([finished], demo_adapter(reg.id))
        later = (utcnow() + timedelta(days=45)).date().isoformat()
        waiting, _ = plan.add(
            reg.id, ana, shadow, plan.AddForm("career_goal", target_date=later), me, lms_user="ana"
        )
        assert waiting is not None
        plan.ask_leader(
            reg.id,
            waiting,
            "I want to see how Ben's team leads handle escalations before I apply for team lead.",
            me,
        )
        assert db.session.scalar(select(EnrolmentRequest.status)) == RequestStatus.PENDING.value
        db.session.flush()
        # The sync job's own row: what Dev and Chloe see as the last sync.
        assert db.session.scalar(select(CatalogSource.synced_at)) is not None
