"""The registry's per-process snapshots: a change committed anywhere reaches every process.

Two apps on the same database and Redis stand for two gunicorn workers (each keeps its own
snapshots). Only meaningful with Redis: without it every lookup asks the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import registry
from lti_tool.lti.models import Deployment, DeploymentStatus, Registration
from tests.conftest import REDIS_URL, overrides

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs WAYFINDER_TEST_REDIS_URL")


def test_a_deployment_disabled_by_another_process_is_refused_here(
    clean_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = create_app({**overrides(tmp_path), "DATABASE_URL": clean_app.config["DATABASE_URL"]})
    with clean_app.app_context():
        reg = Registration(
            issuer="https://lms.example.com",
            client_id="c",
            auth_login_url="https://lms.example.com/auth",
            key_set_url="https://lms.example.com/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        db.session.add(Deployment(registration_id=reg.id, deployment_id="d"))
        db.session.commit()
        reg_id = reg.id
        assert registry.deployment(reg_id, "d").status is DeploymentStatus.ACTIVE  # cached here
        assert registry.find_registration("https://lms.example.com", None).id == reg_id
    try:
        with other.app_context():  # "another worker", or the CLI
            dep = db.session.query(Deployment).filter_by(deployment_id="d").one()
            dep.status = DeploymentStatus.DISABLED
            db.session.add(
                Registration(
                    issuer="https://lms.example.com",
                    client_id="c2",
                    auth_login_url="https://lms.example.com/auth",
                    key_set_url="https://lms.example.com/jwks",
                )
            )
            db.session.commit()
        with clean_app.app_context():
            # Within CHECK_SECONDS this process may still answer from its snapshot ...
            monkeypatch.setattr(registry, "CHECK_SECONDS", 0.0)
            # ... after it, the new generation shows the change.
            assert registry.deployment(reg_id, "d").status is DeploymentStatus.DISABLED
            with pytest.raises(registry.AmbiguousIssuer):
                registry.find_registration("https://lms.example.com", None)
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
