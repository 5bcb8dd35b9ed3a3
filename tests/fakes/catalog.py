"""One small contact-center catalog that every fake LMS serves in its own shape, so the adapter
contract test can ask the same questions of each. Keys ("calls", "ana") name things across LMSs;
each fake maps them to its own ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class SeedCategory:
    key: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class SeedCourse:
    key: str
    title: str
    summary_html: str
    category: str
    language: str = "en"
    visible: bool = True
    self_enrol: bool = False  # the course lets people enrol themselves
    refuses: bool = False  # enrolment is refused (no manual enrolment / a concluded course)
    tracked: bool = True  # completion is tracked


@dataclass(frozen=True)
class SeedUser:
    key: str
    name: str
    email: str
    username: str


CATEGORIES = (
    SeedCategory("care", "Customer care"),
    SeedCategory("products", "Products"),
    SeedCategory("phone", "Phone skills", parent="care"),
)

COURSES = (
    SeedCourse(
        "calls",
        "Handling difficult calls",
        "<p>Stay calm &amp; <b>own</b> the call.</p>",
        "phone",
        self_enrol=True,
    ),
    SeedCourse("deesc", "De-escalation basics", "<p>Lower the temperature.</p>", "care"),
    SeedCourse(
        "billing", "Billing questions", "<p>Invoices, refunds, plans.</p>", "products", "es"
    ),
    SeedCourse("qa", "Quality scorecards", "<p>What QA listens for.</p>", "care", tracked=False),
    SeedCourse("closed", "Archived onboarding", "<p>The 2019 programme.</p>", "care", refuses=True),
    SeedCourse("draft", "Draft: new CRM", "<p>Not ready.</p>", "products", visible=False),
)

USERS = (
    SeedUser("ana", "Ana Agent", "ana@example.com", "ana"),
    SeedUser("ben", "Ben Lead", "Ben.Lead@example.com", "ben"),
)

COMPLETED_AT = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
# (course, user) -> None: enrolled, in progress (1 of 3 requirements); a datetime: completed then.
ENROLMENTS: dict[tuple[str, str], datetime | None] = {
    ("calls", "ana"): COMPLETED_AT,
    ("deesc", "ana"): None,
    ("qa", "ana"): None,
}
REQUIREMENTS = 3


def course(key: str) -> SeedCourse:
    return next(c for c in COURSES if c.key == key)


def many_courses(count: int) -> tuple[SeedCourse, ...]:
    """A bigger catalog for pagination checks and benchmarks."""
    return COURSES + tuple(
        SeedCourse(f"extra{i}", f"Extra course {i:05d}", f"<p>Filler {i}.</p>", "care")
        for i in range(count)
    )
