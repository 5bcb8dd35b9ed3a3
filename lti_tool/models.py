"""Every model, imported in one place for the metadata and migrations."""

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
from lti_tool.grades.models import AgsEndpoint, LineItem, ScoreSend
from lti_tool.jobs.models import Job
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

__all__ = [
    "AgsEndpoint",
    "Answer",
    "Assignment",
    "Award",
    "Badge",
    "CareerGoal",
    "Course",
    "Deployment",
    "Flag",
    "Grant",
    "Helpful",
    "Job",
    "JobRole",
    "KeyValueEntry",
    "Kudos",
    "LaunchEvent",
    "LineItem",
    "Membership",
    "ModerationAction",
    "Notification",
    "Path",
    "PathEvent",
    "PathNode",
    "PathVersion",
    "Person",
    "PersonRole",
    "Post",
    "PostSkill",
    "Registration",
    "Revision",
    "RoleChangeRequest",
    "RoleSkillTarget",
    "ScoreSend",
    "SignOffRequest",
    "Skill",
    "StepProgress",
    "Team",
    "TeamMember",
    "ToolKey",
    "Visibility",
]
