"""Every model, imported in one place for the metadata and migrations."""

from lti_tool.grades.models import AgsEndpoint, LineItem, ScoreSend
from lti_tool.jobs.models import Job
from lti_tool.lti.models import Deployment, LaunchEvent, Registration, ToolKey
from lti_tool.people.models import Course, Membership, Person
from lti_tool.store import KeyValueEntry

__all__ = [
    "AgsEndpoint",
    "Course",
    "Deployment",
    "Job",
    "KeyValueEntry",
    "LaunchEvent",
    "LineItem",
    "Membership",
    "Person",
    "Registration",
    "ScoreSend",
    "ToolKey",
]
