"""Who set a job role, and why, in the page's language.

An assignment keeps its ``set_by`` and ``note`` in English as written (the HR export, logs and
the command line read them so). The person page says them again with ``shown``: each part
(" · " between parts) that Wayfinder wrote is translated with its values kept; a person's name
or the LMS's own value is shown as it is.
"""

from __future__ import annotations

from lti_tool.i18n import N_
from lti_tool.jobs import wording

# Every by/note text lti_tool.roles writes, exactly as written, values as named placeholders.
NOTES: tuple[tuple[str, ...], ...] = (
    N_("LTI launch"),
    N_("LMS roster"),
    N_("LMS value “%(value)s”"),
    N_("request approved by %(name)s"),
    N_("HR import, line %(line)s"),
    N_("set on the person's page"),
    N_("administrator's choice cleared"),
    N_("ended: role deleted by %(name)s"),
)
SEPARATOR = " · "


def shown(text: str | None) -> str:
    if not text:
        return ""
    return SEPARATOR.join(wording.shown(part, NOTES) for part in text.split(SEPARATOR))
