"""A job's message in the page's language.

Jobs write their messages in English, as they always have: the job list, logs and the command
line read them as they are stored, and a job often runs with no page to ask for a language. A page
shows a stored message through ``shown()``, which reads it sentence by sentence, finds the marked
sentence each one was written from and says it again in the page's language with the same values.
A sentence no marked one matches (the LMS's own words, an older wording) is shown as stored.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from lti_tool.i18n import N_, Nn_, _, date_text, ngettext

# Every sentence Wayfinder's jobs write that a page shows, exactly as the job writes it in
# English, with its values as named placeholders; a count is %(num)d in both English forms.
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
        "%(num)d job role changed from the LMS's values.",
        "%(num)d job roles changed from the LMS's values.",
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

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_NEXT_SENTENCE = re.compile(r"(?<=[.;:])\s+")


def _regex(english: str) -> re.Pattern[str]:
    pieces = _PLACEHOLDER.split(english)
    parts = []
    for n, piece in enumerate(pieces):
        if n % 2 == 0:
            parts.append(re.escape(piece))
        elif n == len(pieces) - 2 and not pieces[-1]:
            parts.append(f"(?P<{piece}>.+)$")  # a value ending the message (a name) runs to its end
        else:
            parts.append(f"(?P<{piece}>.+?)")
    return re.compile("".join(parts) + r"(?=\s|$)")


@cache
def _patterns(
    sentences: tuple[tuple[str, ...], ...],
) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    return tuple((_regex(english), forms) for forms in sentences for english in forms)


def _say(forms: tuple[str, ...], values: dict[str, str], dates: dict[str, tuple[str, str]]) -> str:
    for name, (stored, shown_as) in dates.items():
        if name in values:
            try:
                day = datetime.strptime(values[name], stored).date()
            except ValueError:
                continue
            values[name] = date_text(day, shown_as)
    if len(forms) == 2:
        try:
            num = int(values.pop("num"))
        except (KeyError, ValueError):
            return ""
        return ngettext(forms[0], forms[1], num, **values)
    return _(forms[0], **values)


def shown(
    message: str | None,
    sentences: tuple[tuple[str, ...], ...] = SENTENCES,
    dates: dict[str, tuple[str, str]] | None = None,
) -> str:
    """The stored message in the page's language, sentence by sentence (``sentences``: the
    marked English it may have been written from; by default the jobs'). ``dates`` names the
    values that are dates: {value: (strftime pattern as stored, date_text pattern to show)}."""
    if not message:
        return ""
    out: list[str] = []
    rest = message.strip()
    while rest:
        for pattern, forms in _patterns(sentences):
            match = pattern.match(rest)
            said = _say(forms, match.groupdict(), dates or {}) if match else ""
            if match and said:
                out.append(said)
                rest = rest[match.end() :].lstrip()
                break
        else:
            boundary = _NEXT_SENTENCE.search(rest)
            cut = boundary.start() if boundary else len(rest)
            out.append(rest[:cut])
            rest = rest[boundary.end() :] if boundary else ""
    return " ".join(out)
