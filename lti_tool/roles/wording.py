"""Who set a job role, and why, in the page's language.

An assignment keeps its ``set_by`` and ``note`` in English as written (the HR export, logs and
the command line read them so). The person page says them again with ``shown``: each part
(" · " between parts) that Wayfinder wrote is translated with its values kept; a person's name
or the LMS's own value is shown as it is.
"""

from __future__ import annotations

from lti_tool.i18n import N_
from lti_tool.i18n_stored import said_again

# Every by/note text lti_tool.roles writes (through ``i18n_stored.written``), values as named placeholders.
LTI_LAUNCH = N_("LTI launch")
LMS_ROSTER = N_("LMS roster")
LMS_VALUE = N_("LMS value “%(value)s”")
REQUEST_APPROVED = N_("request approved by %(name)s")
HR_IMPORT_LINE = N_("HR import, line %(line)s")
SET_ON_PAGE = N_("set on the person's page")
CHOICE_CLEARED = N_("administrator's choice cleared")
ROLE_DELETED = N_("ended: role deleted by %(name)s")
NOTES: tuple[tuple[str, ...], ...] = (
    LTI_LAUNCH,
    LMS_ROSTER,
    LMS_VALUE,
    REQUEST_APPROVED,
    HR_IMPORT_LINE,
    SET_ON_PAGE,
    CHOICE_CLEARED,
    ROLE_DELETED,
)
SEPARATOR = " · "


def shown(text: str | None) -> str:
    if not text:
        return ""
    return SEPARATOR.join(said_again(part, NOTES) for part in text.split(SEPARATOR))
