"""Recognition tests reuse the community's launched sessions (real LTI launches through the
pretend LMS) and the paths tests' tenant fixture."""

from tests.community.conftest import ana, ben, chloe, dev, launcher, sam  # noqa: F401
from tests.paths.test_services import tenant  # noqa: F401
