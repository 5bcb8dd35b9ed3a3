"""Every model, imported in one place for the metadata and migrations."""

from lti_tool.catalog.models import (
    CatalogItem,
    CatalogItemSkill,
    CatalogSource,
    EnrolmentRequest,
    PlanItem,
)
from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot
from lti_tool.community.models import (
    Answer,
    Flag,
    Grant,
    Helpful,
    ModerationAction,
    Notification,
    Post,
    PostSkill,
    Revision,
)
from lti_tool.feedback.models import Dismissal, Rating
from lti_tool.grades.models import LineItem, ScoreSend
from lti_tool.insights.models import (
    ImpactReport,
    KpiImport,
    KpiMetric,
    KpiValue,
    LearningEvent,
    LearningMonth,
    XapiOutbox,
)
from lti_tool.jobs.models import Job
from lti_tool.leaders.models import NudgeDismissal
from lti_tool.lti.models import Deployment, LaunchEvent, Registration, ToolKey
from lti_tool.paths.models import (
    Assignment,
    Path,
    PathEvent,
    PathNode,
    PathVersion,
    SignOffRequest,
    StepProgress,
)
from lti_tool.paths.personal_models import DismissedSuggestion, LearnerProfile, SkillRating
from lti_tool.paths.placements import PathPlacement
from lti_tool.people.models import Course, Membership, Person
from lti_tool.recognition.models import Award, Badge, Kudos, Visibility
from lti_tool.roles.models import (
    CareerGoal,
    JobRole,
    PersonRole,
    RoleChangeRequest,
    RoleSkillTarget,
    Skill,
    Team,
    TeamMember,
)
from lti_tool.store import KeyValueEntry
from lti_tool.voice.models import (
    PulseAnswer,
    PulseResponse,
    PulseSurvey,
    Suggestion,
    SuggestionVote,
)

__all__ = [
    "Answer",
    "Assignment",
    "Award",
    "Badge",
    "CareerGoal",
    "CatalogItem",
    "CatalogItemSkill",
    "CatalogSource",
    "CoachingOffer",
    "CoachingSession",
    "CoachingSlot",
    "Course",
    "Deployment",
    "Dismissal",
    "DismissedSuggestion",
    "EnrolmentRequest",
    "Flag",
    "Grant",
    "Helpful",
    "ImpactReport",
    "Job",
    "JobRole",
    "KeyValueEntry",
    "KpiImport",
    "KpiMetric",
    "KpiValue",
    "Kudos",
    "LaunchEvent",
    "LearnerProfile",
    "LearningEvent",
    "LearningMonth",
    "LineItem",
    "Membership",
    "ModerationAction",
    "Notification",
    "NudgeDismissal",
    "Path",
    "PathEvent",
    "PathNode",
    "PathPlacement",
    "PathVersion",
    "Person",
    "PersonRole",
    "PlanItem",
    "Post",
    "PostSkill",
    "PulseAnswer",
    "PulseResponse",
    "PulseSurvey",
    "Rating",
    "Registration",
    "Revision",
    "RoleChangeRequest",
    "RoleSkillTarget",
    "ScoreSend",
    "SignOffRequest",
    "Skill",
    "SkillRating",
    "StepProgress",
    "Suggestion",
    "SuggestionVote",
    "Team",
    "TeamMember",
    "ToolKey",
    "Visibility",
    "XapiOutbox",
]
