"""Feedback tests reuse the community's launched sessions (real LTI launches through the
pretend LMS) and its demo launcher."""

from tests.community.conftest import ana, ben, chloe, dev, launcher, sam  # noqa: F401
