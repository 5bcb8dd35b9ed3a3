"""The contact-center starter set: six job roles, eight skills with five described levels, and
each role's target levels. Imported by services.import_starter_set; every row is keyed, so an
import adds only what is missing and never changes what an instructor edited."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterRole:
    key: str
    name: str
    description: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class StarterSkill:
    key: str
    name: str
    description: str
    levels: tuple[str, str, str, str, str]


ROLES = (
    StarterRole(
        "tier1",
        "Tier 1 agent",
        "Answers customers' calls and chats, solves common requests and hands on what needs "
        "an expert.",
        ("Agent", "Tier 1", "T1 agent"),
    ),
    StarterRole(
        "senior",
        "Senior agent",
        "Takes escalated and complex contacts, and helps newer agents on the floor.",
        ("Tier 2 agent", "Tier 2", "Senior"),
    ),
    StarterRole(
        "sme",
        "Subject-matter expert",
        "The go-to person for a product or process: answers agents' questions and checks "
        "knowledge articles.",
        ("SME",),
    ),
    StarterRole(
        "lead",
        "Team lead",
        "Leads a team of agents: coaching, schedules, quality and day-to-day support.",
        ("Team leader", "Supervisor"),
    ),
    StarterRole(
        "qa",
        "QA analyst",
        "Evaluates contacts against the quality form, calibrates scores and feeds coaching.",
        ("Quality analyst", "QA"),
    ),
    StarterRole(
        "trainer",
        "Trainer",
        "Runs onboarding and refresher training and builds the learning paths.",
        ("Training specialist",),
    ),
)

SKILLS = (
    StarterSkill(
        "call_control",
        "Call control",
        "Guiding a contact to its goal in good time without rushing the customer.",
        (
            "Follows the call flow with prompts; long silences and detours happen.",
            "Keeps most calls on track; needs help with talkative or upset customers.",
            "Steers calls with questions and summaries; handle time is within target.",
            "Keeps control of difficult calls and adapts the flow to the customer.",
            "Teaches call control and designs call flows for the team.",
        ),
    ),
    StarterSkill(
        "empathy",
        "Empathy",
        "Recognising how the customer feels and showing it in words and actions.",
        (
            "Uses scripted empathy statements.",
            "Acknowledges feelings in their own words on routine contacts.",
            "Reads the customer's mood and adjusts tone and pace.",
            "Turns frustrated customers around while staying genuine.",
            "Models empathy for others and coaches it.",
        ),
    ),
    StarterSkill(
        "product",
        "Product knowledge",
        "Knowing the products, plans and policies customers ask about.",
        (
            "Knows the main products; looks up most answers.",
            "Answers common questions without looking them up.",
            "Handles most product questions, including billing and plan changes.",
            "Solves unusual cases and spots gaps in the knowledge base.",
            "The reference others turn to; writes and reviews knowledge articles.",
        ),
    ),
    StarterSkill(
        "deescalation",
        "De-escalation",
        "Calming a tense contact and finding a way forward.",
        (
            "Recognises an escalating contact and asks for help.",
            "Uses basic calming techniques; escalates per procedure.",
            "Defuses most upset customers without a transfer.",
            "Resolves escalated contacts that others could not.",
            "Coaches de-escalation and reviews escalation procedures.",
        ),
    ),
    StarterSkill(
        "compliance",
        "Compliance",
        "Following the rules for identity checks, data protection, disclosures and recording.",
        (
            "Knows the compliance rules exist and follows the checklist.",
            "Completes identity checks and disclosures on every contact.",
            "Applies the rules in unusual situations without prompting.",
            "Spots compliance risks in processes and reports them.",
            "Trains others and audits compliance.",
        ),
    ),
    StarterSkill(
        "systems",
        "Systems navigation",
        "Moving through the CRM, ticketing and knowledge tools quickly and accurately.",
        (
            "Finds the main screens with help.",
            "Uses the core tools without help on routine contacts.",
            "Works across several tools at once without slowing the contact.",
            "Uses shortcuts and advanced features; helps others when tools change.",
            "Shapes how the tools are configured and taught.",
        ),
    ),
    StarterSkill(
        "coaching",
        "Coaching",
        "Helping colleagues improve through observation, feedback and practice.",
        (
            "Shares tips with peers when asked.",
            "Gives specific, kind feedback after shadowing a colleague.",
            "Runs regular one-to-one coaching with clear goals.",
            "Coaches across the team and tracks improvement.",
            "Develops other coaches.",
        ),
    ),
    StarterSkill(
        "quality",
        "Quality evaluation",
        "Scoring contacts against the quality form consistently and explaining the score.",
        (
            "Knows what the quality form measures.",
            "Scores own contacts and finds the obvious gaps.",
            "Scores others' contacts in line with calibration.",
            "Leads calibration sessions and explains scores.",
            "Designs the quality form and measurement.",
        ),
    ),
)

# role key -> {skill key: target level}; a skill not listed is not needed for the role.
TARGETS: dict[str, dict[str, int]] = {
    "tier1": {
        "call_control": 3,
        "empathy": 3,
        "product": 3,
        "deescalation": 2,
        "compliance": 3,
        "systems": 3,
    },
    "senior": {
        "call_control": 4,
        "empathy": 4,
        "product": 4,
        "deescalation": 4,
        "compliance": 4,
        "systems": 4,
        "coaching": 2,
    },
    "sme": {
        "call_control": 3,
        "empathy": 3,
        "product": 5,
        "deescalation": 3,
        "compliance": 4,
        "systems": 4,
        "coaching": 3,
    },
    "lead": {
        "call_control": 4,
        "empathy": 4,
        "product": 3,
        "deescalation": 5,
        "compliance": 4,
        "systems": 3,
        "coaching": 4,
        "quality": 3,
    },
    "qa": {
        "call_control": 3,
        "empathy": 3,
        "product": 4,
        "compliance": 5,
        "systems": 3,
        "coaching": 3,
        "quality": 5,
    },
    "trainer": {
        "call_control": 4,
        "empathy": 4,
        "product": 4,
        "deescalation": 4,
        "compliance": 4,
        "systems": 4,
        "coaching": 5,
        "quality": 3,
    },
}
