"""A job's message in the page's language.

Jobs write their messages in English, as they always have: the job list, logs and the command
line read them as they are stored, and a job often runs with no page to ask for a language. A page
shows a stored message through ``shown()`` (``lti_tool.i18n_stored``).
"""

from __future__ import annotations

from lti_tool.i18n import N_, Nn_
from lti_tool.i18n_stored import said_again

# Every sentence Wayfinder's jobs write that a page shows, exactly as the job writes it in
# English, with its values as named placeholders; a count is %(num)s in both English forms.
SENTENCES: tuple[tuple[str, ...], ...] = (
    # lti_tool.jobs.services
    N_("Waiting for a worker."),
    N_("Running."),
    N_("Queued again by hand."),
    N_("Queued again."),
    N_("Attempt %(attempt)s of %(attempts)s; retrying at %(time)s UTC."),
    N_("Gave up."),
    N_("Gave up after %(attempts)s attempts."),
    N_("Its worker stopped (no sign of life for %(seconds)s s)."),
    N_("Unexpected error (%(error)s)."),
    N_("The server log has the details."),
    # lti_tool.roster
    N_("Reading the roster from the LMS."),
    N_("%(count)s members read so far."),
    N_("%(count)s members read."),
    N_(
        "Synced %(members)s members: %(new)s new, %(inactive)s inactive in the LMS, %(removed)s "
        "no longer in the course."
    ),
    Nn_(
        "%(num)s job role changed from the LMS's values.",
        "%(num)s job roles changed from the LMS's values.",
    ),
    N_("The roster was longer than the page limit, so nobody was deactivated."),
    N_("The job names no course."),
    N_("The course no longer exists in Wayfinder."),
    N_("The LMS has not offered this course's roster (NRPS) in any launch yet."),
    N_(
        "Enable the Names and Role Provisioning service for Wayfinder in the LMS, then open "
        "Wayfinder from the course once."
    ),
    N_("This LMS's registration is switched off in Wayfinder: no roster is read from it."),
    N_("Wayfinder has no token URL for this LMS, so it cannot ask for the roster."),
    N_("Add it on the admin pages (Manual setup) or with `flask registrations add`."),
    N_("The LMS did not hand over the roster: %(problem)s."),
    # lti_tool.grades (a score send's last error, which the practice page shows the learner)
    N_("Replaced by a newer score before it was sent."),
    N_("Replaced by a newer score."),
    N_("A newer score is already in the LMS."),
    N_("The LMS already had this score (an earlier try had reached it)."),
    N_("The course's LMS has not offered grade services (AGS) in a launch."),
    N_(
        "The course has no gradebook column for this item yet: the LMS makes it when the "
        "teacher saves the placed activity."
    ),
    N_("Trying again later."),
)


def shown(message: str | None) -> str:
    """A job's stored message in the page's language."""
    return said_again(message, SENTENCES)
