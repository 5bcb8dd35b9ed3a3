"""LIS role URIs (full or short) mapped to Wayfinder's four roles.

Full URIs look like ``http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor`` and may carry
a sub-role (``.../membership/Instructor#TeachingAssistant``). Platforms may also send short names
(``Instructor``); NRPS always does on Moodle. Unknown roles are ignored; a person with no
recognised role is treated as a learner, the role with the least access.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    LEARNER = "learner"
    LEADER = "leader"
    INSTRUCTOR = "instructor"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        """The role's name in the page's language ("Learner", "Aprendiz")."""
        return str(_LABELS[self])


_LABELS = {
    Role.LEARNER: _l("Learner"),
    Role.LEADER: _l("Leader"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.ADMINISTRATOR: _l("Administrator"),
}


LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

# (vocabulary, name) -> Role. Vocabulary is "membership", "institution", "system" or "" (short).
_MAP: dict[tuple[str, str], Role] = {}
for vocab in ("membership", ""):
    _MAP.update(
        {
            (vocab, "Learner"): Role.LEARNER,
            (vocab, "Member"): Role.LEARNER,
            (vocab, "Instructor"): Role.INSTRUCTOR,
            (vocab, "ContentDeveloper"): Role.INSTRUCTOR,
            (vocab, "TeachingAssistant"): Role.INSTRUCTOR,
            (vocab, "Manager"): Role.LEADER,
            (vocab, "Mentor"): Role.LEADER,
            (vocab, "Administrator"): Role.ADMINISTRATOR,
        }
    )
_MAP.update(
    {
        ("institution", "Student"): Role.LEARNER,
        ("institution", "Learner"): Role.LEARNER,
        ("institution", "Member"): Role.LEARNER,
        ("institution", "Staff"): Role.LEARNER,
        ("institution", "Employee"): Role.LEARNER,
        ("institution", "Faculty"): Role.INSTRUCTOR,
        ("institution", "Instructor"): Role.INSTRUCTOR,
        ("institution", "Mentor"): Role.LEADER,
        ("institution", "Administrator"): Role.ADMINISTRATOR,
        ("system", "Administrator"): Role.ADMINISTRATOR,
        ("system", "SysAdmin"): Role.ADMINISTRATOR,
        ("", "Student"): Role.LEARNER,
        ("", "Faculty"): Role.INSTRUCTOR,
    }
)


def parse_role(uri: str) -> tuple[str, str]:
    """Return (vocabulary, name) of a role URI or short name."""
    uri = uri.strip()
    if uri.startswith(LIS):
        path, _, fragment = uri[len(LIS) :].partition("#")
        vocab = path.split("/")[0]
        # A sub-role (membership/Instructor#TeachingAssistant) counts as the sub-role.
        return (vocab if vocab in {"membership", "institution", "system"} else "other"), fragment
    if "#" in uri or "/" in uri or ":" in uri:
        return "other", uri
    return "", uri


def map_roles(uris: Iterable[str]) -> frozenset[Role]:
    found = set()
    for uri in uris:
        if not isinstance(uri, str):
            continue
        role = _MAP.get(parse_role(uri))
        if role is not None:
            found.add(role)
    return frozenset(found) or frozenset({Role.LEARNER})
