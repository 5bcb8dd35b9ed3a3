"""The exact values an LMS administrator pastes to set Wayfinder up by hand, in Moodle's
"Manage tools → configure a tool manually" form and in a Canvas LTI developer key.

Field labels are the ones those screens show (Moodle 4.1+ mod/lti edit form; Canvas developer
key "Manual Entry"), so the administrator can match them line by line. They are in the page's
language, which is the LMS's own (translators write them as the LMS shows them); what is pasted
(addresses, names, parameters) stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti_tool import timezones
from lti_tool.i18n import _


@dataclass(frozen=True)
class SetupValue:
    label: str  # as the LMS labels the field
    value: str
    help: str
    copy: bool = True  # a value to paste (a copy button) rather than a choice to make


@dataclass(frozen=True)
class ToolUrls:
    login: str
    launch: str
    jwks: str
    canvas_config: str

    @classmethod
    def for_base(cls, base_url: str) -> ToolUrls:
        base = base_url.rstrip("/")
        return cls(
            login=base + "/lti/login",
            launch=base + "/lti/launch",
            jwks=base + "/lti/jwks",
            canvas_config=base + "/lti/config.json",
        )


def _sentences(*parts: str) -> str:
    return " ".join(parts)


def moodle_values(urls: ToolUrls, job_role_param: str) -> list[SetupValue]:
    choose = _("Choose it from the list.")
    return [
        SetupValue(_("Tool name"), "Wayfinder", _("What teachers see in the activity chooser.")),
        SetupValue(_("Tool URL"), urls.launch, _("Where Moodle sends every launch.")),
        SetupValue(_("LTI version"), "LTI 1.3", choose, copy=False),
        SetupValue(_("Public key type"), _("Keyset URL"), choose, copy=False),
        SetupValue(
            _("Public keyset"),
            urls.jwks,
            _(
                "Wayfinder publishes its current and next keys here, so rotating them needs no "
                "change in Moodle."
            ),
        ),
        SetupValue(_("Initiate login URL"), urls.login, _("Moodle starts every launch here.")),
        SetupValue(
            _("Redirection URI(s)"),
            urls.launch,
            _("Must match exactly, or Moodle shows an error instead of launching."),
        ),
        SetupValue(
            _("Custom parameters"),
            f"{timezones.PARAMETER}={timezones.VARIABLE}\n{job_role_param}=Tier 1 agent",
            _sentences(
                _("Optional."),
                _("Each person's time zone, to show coaching and live session times in it."),
                _(
                    "%(parameter)s=\u2026 gives everyone launching this tool that job role, which "
                    "picks their learning path.",
                    parameter=job_role_param,
                ),
                _("Leave it out if job roles come from elsewhere."),
            ),
        ),
        SetupValue(
            _("Tool configuration usage"),
            _("Show in activity chooser and as a preconfigured tool"),
            choose,
            copy=False,
        ),
        SetupValue(
            _("Default launch container"),
            _("Embed, without blocks"),
            _("Gives Wayfinder the width of the page."),
            copy=False,
        ),
        SetupValue(
            _("Supports Deep Linking (Content-Item Message)"),
            _("Ticked"),
            _("Lets teachers place a learning path or step as an activity."),
            copy=False,
        ),
        SetupValue(_("Content Selection URL"), urls.launch, _("Where deep linking starts.")),
    ]


def moodle_services() -> list[SetupValue]:
    return [
        SetupValue(
            _("IMS LTI Assignment and Grade Services"),
            _("Use this service for grade sync and column management"),
            _("Progress reaches the Moodle gradebook."),
            copy=False,
        ),
        SetupValue(
            _("IMS LTI Names and Role Provisioning"),
            _("Use this service to retrieve members' information as per privacy settings"),
            _("Lets Wayfinder sync course rosters."),
            copy=False,
        ),
        SetupValue(
            _("Tool Settings"),
            _("Do not use this service"),
            _("Wayfinder does not need it."),
            copy=False,
        ),
        SetupValue(
            _("Share launcher's name with tool"),
            _("Always"),
            _('People see colleagues\' names instead of "Colleague".'),
            copy=False,
        ),
        SetupValue(
            _("Share launcher's email with tool"),
            _("Always"),
            _("Optional; used to match people with HR records."),
            copy=False,
        ),
        SetupValue(
            _("Accept grades from the tool"),
            _("Always"),
            _("Needed for grade write-back."),
            copy=False,
        ),
    ]


def moodle_shown_back() -> str:
    return _sentences(
        _(
            "After saving, open the tool's \u201cView configuration details\u201d (the list icon "
            "on its card in Manage tools)."
        ),
        _(
            "Moodle shows Platform ID, Client ID, Deployment ID, Public keyset URL, Access token "
            "URL and Authentication request URL: copy them into the form below."
        ),
        _("The three URLs follow from the Platform ID, so you may leave them empty."),
    )


def canvas_values(urls: ToolUrls, job_role_param: str) -> list[SetupValue]:
    choose = _("Choose it from the list.")
    return [
        SetupValue(_("Key Name"), "Wayfinder", _("Any name; admins see it in the list of keys.")),
        SetupValue(
            _("Method"),
            _("Manual Entry (or Enter URL with the JSON URL below)"),
            choose,
            copy=False,
        ),
        SetupValue(
            _("JSON URL"),
            urls.canvas_config,
            _(
                "With Method \u201cEnter URL\u201d, Canvas reads every value below from this "
                "address at once."
            ),
        ),
        SetupValue(
            _("Redirect URIs"), urls.launch, _("Canvas only returns launches to this address.")
        ),
        SetupValue(_("Title"), "Wayfinder", _("What people see in course navigation.")),
        SetupValue(_("Target Link URI"), urls.launch, _("Where Canvas sends every launch.")),
        SetupValue(
            _("OpenID Connect Initiation Url"), urls.login, _("Canvas starts every launch here.")
        ),
        SetupValue(_("JWK Method"), _("Public JWK URL"), choose, copy=False),
        SetupValue(
            _("Public JWK URL"),
            urls.jwks,
            _(
                "Wayfinder publishes its current and next keys here, so rotating them needs no "
                "change in Canvas."
            ),
        ),
        SetupValue(
            _("Custom Fields"),
            "canvas_user_id=$Canvas.user.id\ncanvas_course_id=$Canvas.course.id\n"
            f"{timezones.PARAMETER}={timezones.VARIABLE}",
            _sentences(
                _("Canvas's user and course ids, to reach its REST API."),
                _("Each person's time zone, to show coaching and live session times in it."),
                _(
                    "Add %(parameter)s=\u2026 to give everyone launching it a job role.",
                    parameter=job_role_param,
                ),
            ),
        ),
    ]


def canvas_services() -> list[SetupValue]:
    return [
        SetupValue(
            _("LTI Advantage Services"),
            "; ".join(
                (
                    _(
                        "Can create and view assignment data in the gradebook associated with the tool"
                    ),
                    _("Can view assignment data in the gradebook associated with the tool"),
                    _("Can view submission data for assignments associated with the tool"),
                    _(
                        "Can create and update submission results for assignments associated "
                        "with the tool"
                    ),
                    _(
                        "Can retrieve user data associated with the context the tool is "
                        "installed in"
                    ),
                )
            ),
            _("Turn these on for grade write-back and roster sync."),
            copy=False,
        ),
        SetupValue(
            _("Privacy Level"),
            _("Public"),
            _sentences(
                _("Under Additional Settings."),
                _(
                    "Shares names and emails; \u201cAnonymous\u201d works but shows everyone as "
                    "\u201cColleague\u201d."
                ),
            ),
            copy=False,
        ),
        SetupValue(
            _("Placements"),
            ", ".join(
                (
                    _("Course Navigation"),
                    _("Account Navigation"),
                    _("Link Selection"),
                    _("Assignment Selection"),
                )
            ),
            _("Link and assignment selection let teachers place paths and steps (deep linking)."),
            copy=False,
        ),
    ]


def canvas_shown_back() -> str:
    return _sentences(
        _("Save the key and switch it ON."),
        _("The Client ID is the number in the key's Details column."),
        _(
            "Install the app (Settings \u2192 Apps \u2192 View App Configurations \u2192 + App "
            "\u2192 By Client ID); its gear menu then shows the Deployment ID."
        ),
        _(
            "Hosted Canvas uses the Platform ID https://canvas.instructure.com and fixed "
            "endpoints, which the form fills in."
        ),
    )
