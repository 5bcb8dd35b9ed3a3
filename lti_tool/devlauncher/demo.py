"""Demo data: a registration for the development launcher, a course and people in each role.

`flask demo seed --tool-url http://127.0.0.1:5000 --lms-url http://localhost:5000` is idempotent.
The launcher's LMS pages live on --lms-url and Wayfinder on --tool-url: two different sites,
so the launch is a real cross-site iframe, as inside a company's LMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lti_tool.devlauncher import (
    demo_catalog,
    demo_insights,
    demo_leaders,
    demo_lmsauth,
    demo_personal,
)
from lti_tool.devlauncher.demo_coaching import seed_coaching
from lti_tool.extensions import db
from lti_tool.feedback.demo import seed_feedback
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.models import (
    Deployment,
    DeploymentStatus,
    KeyStatus,
    LaunchEvent,
    PlatformKind,
    Registration,
    utcnow,
)
from lti_tool.lti.roles import map_roles
from lti_tool.people.models import Course, Membership, Person
from lti_tool.recognition.demo import seed_recognition
from lti_tool.voice.demo import seed_voice

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
DEMO_CLIENT_ID = "wayfinder-demo"
DEMO_DEPLOYMENT_ID = "demo-deployment-1"
DEMO_COURSE = ("course-cs-foundations", "Customer Service Foundations", "CS101")
PLATFORM_KEY_FILE = "dev-platform-key.pem"
# What the demo LMS's "Add an activity" screen asks Wayfinder for (LTI Deep Linking), as Moodle
# does: several items at once, ltiResourceLink only. Chloe, the trainer, uses it.
DEMO_DEEP_LINKING = {
    "persona": "chloe",
    "title": f"Add Wayfinder to {DEMO_COURSE[1]}",
    "text": "Choose Wayfinder pages to add to the course as activities.",
    "accept_multiple": True,
}
# Other deployments of the demo LMS, for Dev the admin to approve or re-enable.
DEMO_OTHER_DEPLOYMENTS = (
    ("demo-deployment-sales", "Sales onboarding course", DeploymentStatus.PENDING),
    ("demo-deployment-night", "Night shift sub-account", DeploymentStatus.PENDING),
    ("demo-deployment-pilot", "Last year's pilot course", DeploymentStatus.DISABLED),
)
# Failed launches for the diagnostics page: (hours ago, code, deployment, detail).
DEMO_FAILURES = (
    (0.2, "cookies_blocked", DEMO_DEPLOYMENT_ID, "no state cookie came back with the launch"),
    (1, "unknown_deployment", "demo-deployment-sales", "deployment 'demo-deployment-sales'"),
    (3, "token_expired", DEMO_DEPLOYMENT_ID, "token iat {t0}, exp {t60}; Wayfinder's clock {t102}"),
    (5, "cookies_blocked", DEMO_DEPLOYMENT_ID, "no state cookie came back with the launch"),
    (20, "unknown_deployment", "demo-deployment-night", "deployment 'demo-deployment-night'"),
    (
        30,
        "token_not_yet_valid",
        DEMO_DEPLOYMENT_ID,
        "token iat {t40}, exp {t100}; Wayfinder's clock {t0}",
    ),
    (50, "unknown_kid", DEMO_DEPLOYMENT_ID, "kid 'moodle-2023' is not in the platform's JWKS"),
    (75, "jwks_unreachable", DEMO_DEPLOYMENT_ID, "GET /dev/platform/jwks: no answer (timed out)"),
    (
        100,
        "not_https",
        DEMO_DEPLOYMENT_ID,
        "the launch reached http://wayfinder.internal over http",
    ),
    (140, "replayed", DEMO_DEPLOYMENT_ID, "this nonce was already used"),
)


@dataclass(frozen=True)
class Persona:
    key: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]
    job_role: str
    blurb: str
    # What the pretend LMS fills $Person.address.timezone with ("": it sends nothing).
    timezone: str = ""


PERSONAS = (
    Persona(
        "ana",
        "Ana Alvarez",
        "ana@example.com",
        (LIS + "membership#Learner",),
        "Tier 1 agent",
        "Tier 1 agent, six weeks in",
        "America/Mexico_City",
    ),
    Persona(
        "ben",
        "Ben Brooks",
        "ben@example.com",
        (LIS + "membership#Manager", LIS + "membership#Learner"),
        "Team lead",
        "Team lead of six agents, still learning himself",
        "America/Mexico_City",
    ),
    Persona(
        "chloe",
        "Chloe Chen",
        "chloe@example.com",
        (LIS + "membership#Instructor",),
        "Trainer",
        "Trainer who builds the learning paths",
        "Europe/Madrid",
    ),
    Persona(
        "dev",
        "Dev Desai",
        "dev@example.com",
        (
            LIS + "institution/person#Administrator",
            LIS + "system/person#Administrator",
            LIS + "membership#Instructor",
        ),
        "",
        "LMS administrator who installed Wayfinder",
    ),
    Persona(
        "sam",
        None,
        None,
        (LIS + "membership#Learner",),
        "Senior agent",
        "Senior agent whose LMS shares no name or email",
        "America/Bogota",
    ),
)
PERSONAS_BY_KEY = {p.key: p for p in PERSONAS}


# The rest of the demo course's roster, served by the launcher's NRPS endpoint (Sync on the
# roster page brings them in): (name, job role, status in the LMS).
DEMO_AGENTS = (
    *(
        (f"{first} {last}", role, "Active")
        for first, last, role in (
            ("Aisha", "Bello", "Tier 1 agent"),
            ("Bruno", "Costa", "Tier 1 agent"),
            ("Carmen", "Diaz", "Tier 2 agent"),
            ("Daniel", "Evans", "Tier 1 agent"),
            ("Elif", "Kaya", "Tier 2 agent"),
            ("Farah", "Haddad", "Tier 1 agent"),
            ("Gustavo", "Lima", "QA analyst"),
            ("Hana", "Sato", "Tier 1 agent"),
            ("Ivan", "Petrov", "Tier 2 agent"),
            ("Julia", "Nowak", "Tier 1 agent"),
            ("Kofi", "Mensah", "Tier 1 agent"),
            ("Lena", "Fischer", "Workforce planner"),
        )
    ),
    ("Marco Rossi", "Tier 1 agent", "Inactive"),
)
_SHORT_ROLES = {"Learner", "Instructor", "Manager", "Mentor", "ContentDeveloper"}


def demo_roster_url(tool_url: str) -> str:
    return f"{tool_url.rstrip('/')}/dev/platform/nrps/{DEMO_COURSE[0]}"


def demo_roster(context_id: str) -> list[dict[str, object]] | None:
    """The demo course's members as Moodle's NRPS lists them (short role names)."""
    if context_id != DEMO_COURSE[0]:
        return None
    from lti_tool.devlauncher.roster_platform import member

    members = []
    for persona in PERSONAS:
        short = [r.rpartition("#")[2] for r in persona.roles if "/membership#" in r]
        members.append(
            member(
                persona.key,
                [r for r in short if r in _SHORT_ROLES],
                name=persona.name or "",
                email=persona.email or "",
                **({"job_role": persona.job_role} if persona.job_role else {}),
            )
        )
    for index, (name, role, status) in enumerate(DEMO_AGENTS, start=1):
        members.append(
            member(
                f"agent-{index:02}",
                ["Learner"],
                name=name,
                email=name.split()[0].lower() + "@example.com",
                status=status,
                job_role=role,
            )
        )
    return members


def demo_issuer(lms_url: str) -> str:
    return lms_url.rstrip("/") + "/dev/platform"


def platform_key_path() -> Path:
    return Path(current_app.instance_path) / PLATFORM_KEY_FILE


def platform_private_pem() -> str | None:
    path = platform_key_path()
    return path.read_text() if path.exists() else None


def demo_registration() -> Registration | None:
    return db.session.scalar(
        select(Registration)
        .where(Registration.client_id == DEMO_CLIENT_ID)
        .order_by(Registration.id)
    )


def seed(tool_url: str, lms_url: str) -> Registration:
    from lti_tool.devlauncher import demo_grades_paths
    from lti_tool.devlauncher.platform import generate_private_pem

    tool_keys.ensure_keys()
    path = platform_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_private_pem())
        path.chmod(0o600)
    issuer = demo_issuer(lms_url)
    reg = db.session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == DEMO_CLIENT_ID
        )
    )
    if reg is None:
        reg = Registration(issuer=issuer, client_id=DEMO_CLIENT_ID)
        db.session.add(reg)
    reg.name = "Demo LMS (development launcher)"
    reg.platform = PlatformKind.OTHER
    reg.auth_login_url = issuer + "/auth"
    reg.auth_token_url = tool_url.rstrip("/") + "/dev/platform/token"
    reg.key_set_url = tool_url.rstrip("/") + "/dev/platform/jwks"
    reg.frame_origins = [lms_url.rstrip("/")]
    reg.enabled = True
    db.session.flush()
    dep = db.session.scalar(
        select(Deployment).where(
            Deployment.registration_id == reg.id, Deployment.deployment_id == DEMO_DEPLOYMENT_ID
        )
    )
    if dep is None:
        db.session.add(
            Deployment(
                registration_id=reg.id,
                deployment_id=DEMO_DEPLOYMENT_ID,
                status=DeploymentStatus.ACTIVE,
                approved_at=utcnow(),
                name="Demo deployment",
            )
        )
    seed_admin_data(reg)
    course = db.session.scalar(
        select(Course).where(Course.registration_id == reg.id, Course.context_id == DEMO_COURSE[0])
    )
    if course is None:
        course = Course(
            registration_id=reg.id,
            context_id=DEMO_COURSE[0],
            title=DEMO_COURSE[1],
            label=DEMO_COURSE[2],
        )
        db.session.add(course)
        db.session.flush()
    course.roster_url = demo_roster_url(tool_url)
    for persona in PERSONAS:
        person = db.session.scalar(
            select(Person).where(Person.registration_id == reg.id, Person.sub == persona.key)
        )
        if person is None:
            person = Person(registration_id=reg.id, sub=persona.key)
            db.session.add(person)
        person.name = persona.name or ""
        person.email = persona.email or ""
        person.job_role = persona.job_role
        person.timezone = persona.timezone
        db.session.flush()
        membership = db.session.scalar(
            select(Membership).where(
                Membership.course_id == course.id, Membership.person_id == person.id
            )
        )
        if membership is None:
            db.session.add(
                Membership(
                    registration_id=reg.id,
                    course_id=course.id,
                    person_id=person.id,
                    lti_roles=list(persona.roles),
                    roles=sorted(r.value for r in map_roles(persona.roles)),
                )
            )
    db.session.flush()
    seed_roles(reg)
    seed_grades(reg, course, tool_url)
    seed_community(reg)
    seed_paths(reg)
    demo_grades_paths.seed_path_placement(reg, course)
    demo_personal.seed_personal(reg)  # onboarding, ratings, suggestions, team page
    demo_catalog.seed_catalog(reg)
    demo_lmsauth.seed_lms_accounts(reg)  # Ana's token for the demo LMS (catalog.accounts)
    seed_coaching(reg)
    demo_insights.seed_insights(reg, DEMO_PATH, DEMO_TEAM)
    seed_recognition(reg)
    seed_voice(reg)  # training suggestions and pulse surveys
    seed_feedback(reg)  # ratings with comments over months; Ana's session waits for hers
    demo_leaders.seed_leaders(reg)  # the scorecard's leads and a stalled team
    # The demo's rows were written directly, past the events that award badges: re-evaluate
    # them as the daily recognition_award job would (Sam's coaching earns his badge).
    from lti_tool.recognition import services as recognition
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        recognition.award_automatic(reg.id)
    return reg


DEMO_TEAM = "Billing team A"


def seed_roles(reg: Registration) -> None:
    """The starter set of job roles and skills; everyone's role from the LTI custom parameter
    (Ana: Tier 1 agent); Ben's team with Ana and Sam; Ana's pending request to become Senior
    agent and her career goal. Added once; later seeds leave edits alone."""
    from lti_tool.roles import services as roles
    from lti_tool.roles.models import RoleChangeRequest, Team
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        roles.import_starter_set(reg.id)
        roles.rematch_lti_values(reg.id)  # the personas' LTI job_role values, as at a launch
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        team = db.session.scalar(select(Team).where(Team.name == DEMO_TEAM))
        if team is None:
            team, _ = roles.save_team(reg.id, None, DEMO_TEAM, "ben@example.com")
            assert team is not None
            for sub in ("ana", "sam"):
                roles.add_member(reg.id, team, people[sub].sub)
        ana = people["ana"]
        if (
            db.session.scalar(
                select(RoleChangeRequest.id).where(RoleChangeRequest.person_id == ana.id)
            )
            is None
        ):
            senior = roles.match_role("Senior agent")
            if senior is not None:
                roles.request_change(
                    reg.id,
                    ana,
                    str(senior.id),
                    "I have handled billing escalations for two months and coach new starters "
                    "on the night shift.",
                )
        lead = roles.match_role("Team lead")
        if roles.career_goal(ana.id) is None and lead is not None:
            roles.set_career_goal(reg.id, ana, str(lead.id))


def demo_lineitems_url(tool_url: str) -> str:
    from lti_tool.devlauncher.ags_platform import TYPE_ID

    return f"{tool_url.rstrip('/')}/dev/platform/ags/{DEMO_COURSE[0]}/lineitems?type_id={TYPE_ID}"


def seed_grades(reg: Registration, course: Course, tool_url: str) -> None:
    """The demo course's gradebook (AGS) endpoint, the practice column, and for Dev the admin
    a score the LMS refused (Retry on Administration > Grade sync sends it). Added once."""
    from lti_tool.devlauncher.ags_platform import SCOPE_LINEITEM, SCOPE_SCORE
    from lti_tool.grades import services as grades
    from lti_tool.grades.models import ScoreSend, SendState
    from lti_tool.grades.views import PRACTICE_ITEM, PRACTICE_LABEL

    grades.remember_endpoint(
        db.session, reg.id, course.id, demo_lineitems_url(tool_url), [SCOPE_LINEITEM, SCOPE_SCORE]
    )
    if db.session.scalar(select(ScoreSend.id).where(ScoreSend.registration_id == reg.id)):
        return
    item = grades.ensure_line_item(
        db.session, reg.id, course.id, PRACTICE_ITEM, label=PRACTICE_LABEL, score_maximum=100
    )
    sam = db.session.scalar(
        select(Person).where(Person.registration_id == reg.id, Person.sub == "sam")
    )
    if item is None or sam is None:
        return
    earlier = utcnow() - timedelta(hours=2)
    db.session.add(
        ScoreSend(
            registration_id=reg.id,
            line_item_id=item.id,
            person_id=sam.id,
            user_id=sam.sub,
            score_given=40.0,
            score_maximum=100.0,
            activity_progress="InProgress",
            grading_progress="Pending",
            comment="Practice check: halfway.",
            state=SendState.FAILED,
            recorded_at=earlier,
            attempts=1,
            conflicts=0,
            uncertain=False,
            last_try_at=earlier,
            last_status=400,
            last_error=(
                "POST " + demo_lineitems_url(tool_url).split("?")[0] + "/1/lineitem/scores "
                'answered HTTP 400: BAD REQUEST — {"error": "invalid_request", '
                '"error_description": "the gradebook was locked for end-of-term review"}'
            ),
        )
    )
    db.session.flush()


def seed_community(reg: Registration) -> None:
    """Tips (two verified, one not, one whose article changed), Ana's question with answers and
    an accepted one, Sam's question waiting for an expert (Ben, whose Team lead role has the
    expert level in De-escalation), and an answer and a tip flagged for Chloe's review queue.
    Added once; later seeds leave the community as it is."""
    from lti_tool.community import services as community
    from lti_tool.community.models import Kind, Post, Target
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(Post.id).limit(1)) is not None:
            return
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        skills = {s.name: s.id for s in community.skills()}

        def who(sub: str) -> community.Actor:
            return community.actor(
                reg.id,
                people[sub].id,
                is_instructor=sub in ("chloe", "dev"),
                is_leader=sub == "ben",
                is_administrator=sub == "dev",
            )

        unlimited = community.Limits(posts_per_window=0)

        def share(sub: str, kind: Kind, title: str, body: str, skill: str, **extra: Any) -> Post:
            saved = community.create_post(
                who(sub),
                kind,
                community.PostForm(title=title, body=body, skill_ids=[skills[skill]], **extra),
                unlimited,
            )
            assert isinstance(saved.row, Post), saved.errors
            return saved.row

        calm = share(
            "sam",
            Kind.TIP,
            "Say the refund date out loud",
            "Upset callers calm down once they hear **when** the money comes back.\n\n"
            "1. Acknowledge: *I can see why a double charge is worrying.*\n"
            "2. Give the date: *You will see the refund by Friday the 14th.*\n"
            "3. Offer the reference number before they ask for it.",
            "De-escalation",
            contact_reason="Billing dispute",
        )
        community.verify(who("ben"), calm, "Works on my team every day.")
        lookup = share(
            "ben",
            Kind.TIP,
            "See a customer's last three contacts in two clicks",
            "In the CRM, open the customer card and press `Alt+H`: the history panel shows the "
            "last contacts with their notes. Check it before asking the customer to repeat "
            "themselves. See [the CRM guide](https://kb.example.com/crm/history).",
            "Systems navigation",
            kb_url="https://kb.example.com/crm/history",
        )
        community.verify(who("chloe"), lookup)
        share(
            "ana",
            Kind.TIP,
            "Summarise before you close",
            "Before ending a call I repeat the two or three things we agreed, and ask "
            "*Did I get that right?* Fewer callbacks since I started.",
            "Call control",
        )
        fee = share(
            "sam",
            Kind.TIP,
            "Where the new cancellation fee is explained",
            "The fee table moved: it is in the *Plans* article, under **Changes**.",
            "Product knowledge",
            kb_url="https://kb.example.com/plans",
            contact_reason="Cancellation",
        )
        community.mark_article_changed(
            who("chloe"), "https://kb.example.com/plans", "Plans article rewritten in June"
        )

        question = share(
            "ana",
            Kind.QUESTION,
            "Customer wants a refund after 30 days: what can I offer?",
            "The policy says 30 days, but she has been a customer for 8 years and is very "
            "upset. Is there anything I can do without a supervisor?",
            "Product knowledge",
            notify_experts=False,
        )
        best = community.create_answer(
            who("ben"),
            question,
            "Offer a **goodwill credit** of one month instead: agents may give it without "
            "approval for customers over 5 years. Note it in the case. @[Ana Alvarez], ping me "
            "if she says no.",
            unlimited,
        ).row
        other = community.create_answer(
            who("sam"),
            question,
            "I usually transfer these to retention, they have more options.",
            unlimited,
        ).row
        assert isinstance(best, community.Answer) and isinstance(other, community.Answer)
        community.accept(who("ana"), best)
        community.mark_helpful(who("sam"), Target.ANSWER, best)
        community.mark_helpful(who("ana"), Target.POST, calm)

        share(
            "sam",
            Kind.QUESTION,
            "A caller swears at me from the first second. How do I start?",
            "I freeze and then it gets worse. What do you say in the first sentence?",
            "De-escalation",
        )
        leak = share(
            "sam",
            Kind.QUESTION,
            "Customer cannot log in after the app update",
            "Anyone seen this today?",
            "Systems navigation",
        )
        reply = community.create_answer(
            who("ben"),
            leak,
            "Yes: call her back on 555-0142 (Mrs Jones), I told her you would.",
            unlimited,
        ).row
        assert isinstance(reply, community.Answer)
        community.flag(
            who("ana"), Target.ANSWER, reply, "It has a customer's name and phone number."
        )
        community.flag(
            who("ben"), Target.POST, fee, "The fee changed in June: this tip is out of date."
        )
    db.session.flush()


DEMO_PATH = "Tier 1 agent: your first 90 days"


def seed_paths(reg: Registration) -> None:
    """A published Tier 1 agent path (sets of several rules, steps of every kind); Ana, who
    holds the role, is assigned it with some progress and a shadowing sign-off Ben (her team
    lead) can approve. Added once; later seeds leave it as it is."""
    from lti_tool.paths import services as paths
    from lti_tool.paths.models import Path
    from lti_tool.roles import services as roles
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(Path.id).where(Path.title == DEMO_PATH)) is not None:
            return
        tier1 = roles.match_role("Tier 1 agent")
        if tier1 is None:
            return
        chloe = paths.Actor("Chloe Chen", None, is_staff=True)
        path, _ = paths.save_path(
            reg.id,
            None,
            {
                "title": DEMO_PATH,
                "role_id": str(tier1.id),
                "description": "From your first call to handling billing questions on your own.",
            },
            chloe,
        )
        assert path is not None
        version = path.versions[0]
        # Week 1 goes in order; the month's work can start alongside it.
        paths.save_root_rule(version, "any_order", "")
        skill = {s.name: str(s.id) for s in roles.skills()}

        def add_set(title: str, rule: str = "in_order", n: str = "") -> object:
            row, errors = paths.save_node(
                version, None, True, {"title": title, "rule": rule, "min_count": n}, []
            )
            assert row is not None, errors
            return row

        def add_step(
            parent: object, title: str, kind: str, skills: tuple[str, ...], **v: str
        ) -> str:
            values = {"title": title, "kind": kind, "parent_id": str(parent.id), **v}  # type: ignore[attr-defined]
            row, errors = paths.save_node(
                version, None, False, values, [skill[s] for s in skills if s in skill]
            )
            assert row is not None, errors
            return row.key

        week1 = add_set("Week 1: your first calls")
        welcome = add_step(
            week1,
            "Welcome to the contact center",
            "lms",
            ("Systems navigation",),
            url="https://lms.example.com/course/view.php?id=12",
            format="video",
            minutes="25",
            due_days="3",
            self_report="yes",
            why="How a call flows through our tools, and where to find help on your first day.",
        )
        systems = add_step(
            week1,
            "Tour of the CRM and ticketing tools",
            "link",
            ("Systems navigation",),
            url="https://help.example.com/crm-tour",
            format="hands_on",
            minutes="40",
            due_days="5",
            self_report="yes",
            why="You will switch between these tools on every call: learn the shortcuts now.",
        )
        add_step(
            week1,
            "Shadow a senior agent for one shift",
            "shadowing",
            ("Call control", "Empathy"),
            format="peer",
            minutes="240",
            due_days="10",
            why="Hearing real calls shows what good call control and empathy sound like.",
        )
        add_step(
            week1,
            "Reflection: what surprised you",
            "reflection",
            ("Empathy",),
            format="reading",
            minutes="15",
            due_days="12",
            self_report="yes",
            why="Writing it down makes it stick, and helps your team lead coach you.",
        )
        month1 = add_set("Month 1: handle it yourself", "any_order")
        add_step(
            month1,
            "De-escalation basics",
            "lms",
            ("De-escalation",),
            url="https://lms.example.com/course/view.php?id=31",
            format="video",
            minutes="45",
            due_days="21",
            why="Calm, clear answers turn most angry callers around.",
        )
        add_step(
            month1,
            "Coaching session with your team lead",
            "coaching",
            ("Call control",),
            format="live",
            minutes="30",
            due_days="28",
            why="Your team lead listens to two of your calls and agrees one thing to practise.",
        )
        add_step(
            month1,
            "Quality check of three calls",
            "check",
            ("Compliance",),
            format="live",
            minutes="60",
            due_days="30",
            why="A QA analyst checks three calls against the quality form before you work alone.",
        )
        pick = add_set("Pick two product deep dives", "at_least", "2")
        for title in ("Billing and invoices", "Returns and refunds", "Loyalty programme"):
            add_step(
                pick,
                title,
                "lms",
                ("Product knowledge",),
                url="https://lms.example.com/course/view.php?id=40",
                format="reading",
                minutes="30",
                self_report="yes",
                required="no",
                why="Pick the products your queue hears about most.",
            )
        paths.publish(version, chloe)
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        ana = people["ana"]
        found = paths.learning_of(ana.id)
        if not found:
            return
        lr = found[0]
        lr.assignment.assigned_at = utcnow() - timedelta(days=8)  # a week in: some steps due
        db.session.flush()
        me = paths.Actor("Ana Alvarez", ana.id)
        paths.self_report(paths.learning(lr.assignment.id), welcome, me)
        paths.self_report(paths.learning(lr.assignment.id), systems, me)
        shadow_key = paths.learning(lr.assignment.id).view.next_step
        assert shadow_key is not None
        paths.request_signoff(
            paths.learning(lr.assignment.id),
            shadow_key.key,
            me,
            "Shadowed Carmen on Tuesday's late shift: billing disputes mostly.",
        )
    db.session.flush()


def seed_admin_data(reg: Registration) -> None:
    """What Dev the admin sees: deployments waiting for approval, failed launches of several
    causes, and signing keys in every state. Added once; later seeds leave them as they are."""
    for deployment_id, name, status in DEMO_OTHER_DEPLOYMENTS:
        exists = db.session.scalar(
            select(Deployment.id).where(
                Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id
            )
        )
        if exists is None:
            db.session.add(
                Deployment(
                    registration_id=reg.id, deployment_id=deployment_id, name=name, status=status
                )
            )
    has_events = db.session.scalar(
        select(LaunchEvent.id).where(LaunchEvent.registration_id == reg.id).limit(1)
    )
    if has_events is None:
        now = utcnow()
        t0 = int(now.timestamp())
        times = {"t0": t0, "t40": t0 + 40, "t60": t0 + 60, "t100": t0 + 100, "t102": t0 + 102}
        for hours, code, deployment_id, detail in DEMO_FAILURES:
            db.session.add(
                LaunchEvent(
                    created_at=now - timedelta(hours=hours),
                    stage="login" if code == "unknown_registration" else "launch",
                    ok=False,
                    code=code,
                    detail=detail.format(**times),
                    issuer=reg.issuer,
                    client_id=reg.client_id,
                    deployment_id=deployment_id,
                    registration_id=reg.id,
                )
            )
    if not tool_keys.keys_by_status(KeyStatus.RETIRED):
        tool_keys.rotate()  # once, so a retired key (still published) shows beside current and next
    db.session.flush()


demo_cli = AppGroup("demo", help="Demo data for the development launcher.")


@demo_cli.command("seed")
@click.option(
    "--tool-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where Wayfinder is served.",
)
@click.option(
    "--lms-url",
    default="http://localhost:5000",
    show_default=True,
    help="Where the launcher (the pretend LMS) is opened.",
)
def seed_command(tool_url: str, lms_url: str) -> None:
    """Create or refresh the demo registration, course and people, and the signing keys."""
    reg = seed(tool_url, lms_url)
    db.session.commit()
    click.echo(
        f"Demo registration {reg.id} ready: issuer {reg.issuer}, client {reg.client_id}, "
        f"deployment {DEMO_DEPLOYMENT_ID}."
    )
    click.echo(
        f"Open {lms_url.rstrip('/')}/dev/ to launch Wayfinder as a learner, leader, instructor or admin."
    )
