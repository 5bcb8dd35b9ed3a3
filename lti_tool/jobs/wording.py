"""A job's message in the page's language.

Jobs write their messages in English, as they always have: the job list, logs and the command
line read them as they are stored, and a job often runs with no page to ask for a language. A page
shows a stored message through ``shown()``, which reads it sentence by sentence, finds the marked
sentence each one was written from and says it again in the page's language with the same values.
A sentence no marked one matches (the LMS's own words, an older wording) is shown as stored.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString

from lti_tool.i18n import _, _l, ngettext

# Every sentence Wayfinder's jobs write that a page shows, exactly as the job writes it in
# English, with its values as named placeholders; a count is %(num)d in both English forms.
SENTENCES: tuple[LazyString, ...] = (
    # lti_tool.jobs.services
    _l("Waiting for a worker."),
    _l("Running."),
    _l("Queued again by hand."),
    _l("Queued again."),
    _l("Attempt %(attempt)s of %(attempts)s; retrying at %(time)s UTC."),
    _l("Gave up."),
    _l("Gave up after %(attempts)s attempts."),
    _l("Its worker stopped (no sign of life for %(seconds)s s)."),
    _l("Unexpected error (%(error)s)."),
    _l("The server log has the details."),
    # lti_tool.roster
    _l("Reading the roster from the LMS."),
    _l("%(count)s members read so far."),
    _l("%(count)s members read."),
    _l(
        "Synced %(members)s members: %(new)s new, %(inactive)s inactive in the LMS, %(removed)s "
        "no longer in the course."
    ),
    lazy_ngettext(
        "%(num)d job role changed from the LMS's values.",
        "%(num)d job roles changed from the LMS's values.",
        0,
    ),
    _l("The roster was longer than the page limit, so nobody was deactivated."),
    _l("The job names no course."),
    _l("The course no longer exists in Wayfinder."),
    _l("The LMS has not offered this course's roster (NRPS) in any launch yet."),
    _l(
        "Enable the Names and Role Provisioning service for Wayfinder in the LMS, then open "
        "Wayfinder from the course once."
    ),
    _l("This LMS's registration is switched off in Wayfinder: no roster is read from it."),
    _l("Wayfinder has no token URL for this LMS, so it cannot ask for the roster."),
    _l("Add it on the admin pages (Manual setup) or with `flask registrations add`."),
    _l("The LMS did not hand over the roster: %(problem)s."),
    # lti_tool.grades (a score send's last error, which the practice page shows the learner)
    _l("Replaced by a newer score before it was sent."),
    _l("Replaced by a newer score."),
    _l("A newer score is already in the LMS."),
    _l("The LMS already had this score (an earlier try had reached it)."),
    _l("The course's LMS has not offered grade services (AGS) in a launch."),
    _l(
        "The course has no gradebook column for this item yet: the LMS makes it when the "
        "teacher saves the placed activity."
    ),
    _l("Trying again later."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_NEXT_SENTENCE = re.compile(r"(?<=[.;:])\s+")


def _forms(sentence: LazyString) -> tuple[str, ...]:
    """The English msgid (or singular and plural) a marked sentence was made from."""
    args = sentence._args  # lazy_gettext(msgid) or lazy_ngettext(singular, plural, num)
    return (str(args[0]), str(args[1])) if len(args) == 3 else (str(args[0]),)


def _regex(english: str) -> re.Pattern[str]:
    pieces = _PLACEHOLDER.split(english)
    regex = "".join(
        re.escape(piece) if n % 2 == 0 else f"(?P<{piece}>.+?)" for n, piece in enumerate(pieces)
    )
    return re.compile(regex + r"(?=\s|$)")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    return tuple(
        (_regex(english), _forms(sentence))
        for sentence in SENTENCES
        for english in _forms(sentence)
    )


def _say(forms: tuple[str, ...], values: dict[str, str]) -> str:
    if len(forms) == 2:
        try:
            num = int(values.pop("num"))
        except (KeyError, ValueError):
            return ""
        return ngettext(forms[0], forms[1], num, **values)
    return _(forms[0], **values)


def shown(message: str | None) -> str:
    """The stored message in the page's language, sentence by sentence."""
    if not message:
        return ""
    out: list[str] = []
    rest = message.strip()
    while rest:
        for pattern, forms in _patterns():
            match = pattern.match(rest)
            said = _say(forms, match.groupdict()) if match else ""
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
