"""The catalog jobs' messages in the page's language.

A catalog sync or a completion check writes its message in English, as every job does: the job
list, logs and the command line read it as stored, and the job runs with no page to ask for a
language. The catalog's curation page shows the newest sync's message through ``shown()``,
which says it again in the page's language (``lti_tool.i18n_stored``); a failure of Wayfinder's
access to the LMS is said again through the access problem's own words (``access.fix_said``).
"""

from __future__ import annotations

from lti_tool.catalog import access
from lti_tool.i18n import N_, Nn_
from lti_tool.i18n_stored import said_again

SYNCED = Nn_(
    "%(num)s course from the LMS: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.",
    "%(num)s courses from the LMS: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.",
)
# English says both counts alike; other languages need the plural.
GONE = Nn_(
    "%(num)s no longer offered (marked, kept with their curation).",
    "%(num)s no longer offered (marked, kept with their curation).",
)
BACK = Nn_("%(num)s offered again.", "%(num)s offered again.")
READ = Nn_("Read %(num)s course from the LMS.", "Read %(num)s courses from the LMS.")
CHECKED_TOO = Nn_(
    "Completion checked for %(num)s enrolment (%(completed)s newly complete).",
    "Completion checked for %(num)s enrolments (%(completed)s newly complete).",
)
CHECKED = Nn_(
    "Checked %(num)s enrolment; %(completed)s newly complete.",
    "Checked %(num)s enrolments; %(completed)s newly complete.",
)
KEY_ONLY = N_(
    "Canvas is set up with a developer key only. It lets people connect their own Canvas account "
    "to enrol themselves, but the catalog sync reads the whole account's courses: it needs an "
    "admin token, or a Canvas account administrator who connects the catalog under Catalog > "
    "LMS access. Until then the catalog holds the items trainers add in Wayfinder."
)
NO_REGISTRATION = N_("The job names no registration.")
NO_PERSON = N_("The job names no person.")
NO_ACCESS = N_(
    "No LMS access is set up: the catalog holds the items trainers add in Wayfinder. An "
    "administrator can give Wayfinder a Moodle or Canvas token under Catalog > LMS access."
)
NOTHING_TO_ASK = N_("No LMS access: nothing to ask.")

SENTENCES: tuple[tuple[str, ...], ...] = (
    SYNCED,
    GONE,
    BACK,
    READ,
    CHECKED_TOO,
    CHECKED,
    NO_REGISTRATION,
    NO_PERSON,
    NO_ACCESS,
    NOTHING_TO_ASK,
    KEY_ONLY,
)


def shown(message: str | None) -> str:
    """A catalog job's stored message in the page's language."""
    if not message:
        return ""
    fix = access.fix_said(message)
    return fix if fix is not None else said_again(message, SENTENCES)
