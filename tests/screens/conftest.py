"""Screen checks reuse the community's demo launcher (real LTI launches through the pretend LMS)."""

from tests.community.conftest import launcher  # noqa: F401
