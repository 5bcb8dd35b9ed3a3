"""The exact values an LMS administrator pastes to set Wayfinder up by hand, in Moodle's
"Manage tools → configure a tool manually" form and in a Canvas LTI developer key.

Field labels are the ones those screens show (Moodle 4.1+ mod/lti edit form; Canvas developer
key "Manual Entry"), so the administrator can match them line by line.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def moodle_values(urls: ToolUrls, job_role_param: str) -> list[SetupValue]:
    return [
        SetupValue("Tool name", "Wayfinder", "What teachers see in the activity chooser."),
        SetupValue("Tool URL", urls.launch, "Where Moodle sends every launch."),
        SetupValue("LTI version", "LTI 1.3", "Choose it from the list.", copy=False),
        SetupValue("Public key type", "Keyset URL", "Choose it from the list.", copy=False),
        SetupValue(
            "Public keyset",
            urls.jwks,
            "Wayfinder publishes its current and next keys here, so rotating them needs no "
            "change in Moodle.",
        ),
        SetupValue("Initiate login URL", urls.login, "Moodle starts every launch here."),
        SetupValue(
            "Redirection URI(s)",
            urls.launch,
            "Must match exactly, or Moodle shows an error instead of launching.",
        ),
        SetupValue(
            "Custom parameters",
            f"{job_role_param}=Tier 1 agent",
            f"Optional. {job_role_param}=… gives everyone launching this tool that job role, "
            "which picks their learning path. Leave it out if job roles come from elsewhere.",
        ),
        SetupValue(
            "Tool configuration usage",
            "Show in activity chooser and as a preconfigured tool",
            "Choose it from the list.",
            copy=False,
        ),
        SetupValue(
            "Default launch container",
            "Embed, without blocks",
            "Gives Wayfinder the width of the page.",
            copy=False,
        ),
        SetupValue(
            "Supports Deep Linking (Content-Item Message)",
            "Ticked",
            "Lets teachers place a learning path or step as an activity.",
            copy=False,
        ),
        SetupValue("Content Selection URL", urls.launch, "Where deep linking starts."),
    ]


MOODLE_SERVICES = [
    SetupValue(
        "IMS LTI Assignment and Grade Services",
        "Use this service for grade sync and column management",
        "Progress reaches the Moodle gradebook.",
        copy=False,
    ),
    SetupValue(
        "IMS LTI Names and Role Provisioning",
        "Use this service to retrieve members' information as per privacy settings",
        "Lets Wayfinder sync course rosters.",
        copy=False,
    ),
    SetupValue(
        "Tool Settings", "Do not use this service", "Wayfinder does not need it.", copy=False
    ),
    SetupValue(
        "Share launcher's name with tool",
        "Always",
        'People see colleagues\' names instead of "Colleague".',
        copy=False,
    ),
    SetupValue(
        "Share launcher's email with tool",
        "Always",
        "Optional; used to match people with HR records.",
        copy=False,
    ),
    SetupValue("Accept grades from the tool", "Always", "Needed for grade write-back.", copy=False),
]

MOODLE_SHOWN_BACK = (
    "After saving, open the tool's “View configuration details” (the list icon on its card "
    "in Manage tools). Moodle shows Platform ID, Client ID, Deployment ID, Public keyset URL, "
    "Access token URL and Authentication request URL: copy them into the form below. The three "
    "URLs follow from the Platform ID, so you may leave them empty."
)


def canvas_values(urls: ToolUrls, job_role_param: str) -> list[SetupValue]:
    return [
        SetupValue("Key Name", "Wayfinder", "Any name; admins see it in the list of keys."),
        SetupValue(
            "Method",
            "Manual Entry (or Enter URL with the JSON URL below)",
            "Choose it from the list.",
            copy=False,
        ),
        SetupValue(
            "JSON URL",
            urls.canvas_config,
            "With Method “Enter URL”, Canvas reads every value below from this address at once.",
        ),
        SetupValue("Redirect URIs", urls.launch, "Canvas only returns launches to this address."),
        SetupValue("Title", "Wayfinder", "What people see in course navigation."),
        SetupValue("Target Link URI", urls.launch, "Where Canvas sends every launch."),
        SetupValue("OpenID Connect Initiation Url", urls.login, "Canvas starts every launch here."),
        SetupValue("JWK Method", "Public JWK URL", "Choose it from the list.", copy=False),
        SetupValue(
            "Public JWK URL",
            urls.jwks,
            "Wayfinder publishes its current and next keys here, so rotating them needs no "
            "change in Canvas.",
        ),
        SetupValue(
            "Custom Fields",
            "canvas_user_id=$Canvas.user.id\ncanvas_course_id=$Canvas.course.id",
            f"Canvas's user and course ids, to reach its REST API. Add {job_role_param}=… "
            "to give everyone launching it a job role.",
        ),
    ]


CANVAS_SERVICES = [
    SetupValue(
        "LTI Advantage Services",
        "Can create and view assignment data in the gradebook associated with the tool; "
        "Can view assignment data in the gradebook associated with the tool; "
        "Can view submission data for assignments associated with the tool; "
        "Can create and update submission results for assignments associated with the tool; "
        "Can retrieve user data associated with the context the tool is installed in",
        "Turn these on for grade write-back and roster sync.",
        copy=False,
    ),
    SetupValue(
        "Privacy Level",
        "Public",
        "Under Additional Settings. Shares names and emails; “Anonymous” works but shows "
        "everyone as “Colleague”.",
        copy=False,
    ),
    SetupValue(
        "Placements",
        "Course Navigation, Account Navigation, Link Selection, Assignment Selection",
        "Link and assignment selection let teachers place paths and steps (deep linking).",
        copy=False,
    ),
]

CANVAS_SHOWN_BACK = (
    "Save the key and switch it ON. The Client ID is the number in the key's Details column. "
    "Install the app (Settings → Apps → View App Configurations → + App → By Client ID); its "
    "gear menu then shows the Deployment ID. Hosted Canvas uses the Platform ID "
    "https://canvas.instructure.com and fixed endpoints, which the form fills in."
)
