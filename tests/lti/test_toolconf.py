"""Registrations and deployments through pylti1p3's ToolConf interface."""

from __future__ import annotations

from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, DeploymentStatus, Registration
from lti_tool.lti.toolconf import DatabaseToolConf


def test_tool_conf_finds_registrations_by_issuer_and_client(clean_app) -> None:
    with clean_app.app_context():
        for client in ("one", "two"):
            reg = Registration(
                issuer="https://moodle.example.com",
                client_id=client,
                auth_login_url="https://moodle.example.com/mod/lti/auth.php",
                auth_token_url="https://moodle.example.com/mod/lti/token.php",
                key_set_url="https://moodle.example.com/mod/lti/certs.php",
            )
            db.session.add(reg)
            db.session.flush()
            db.session.add(
                Deployment(
                    registration_id=reg.id,
                    deployment_id=f"dep-{client}",
                    status=DeploymentStatus.ACTIVE,
                )
            )
        db.session.add(
            Deployment(
                registration_id=reg.id, deployment_id="waiting", status=DeploymentStatus.PENDING
            )
        )
        db.session.commit()

        conf = DatabaseToolConf()
        assert conf.check_iss_has_many_clients("https://moodle.example.com")
        found = conf.find_registration_by_params("https://moodle.example.com", "two")
        assert found.get_client_id() == "two"
        assert found.get_auth_token_url() == "https://moodle.example.com/mod/lti/token.php"
        assert found.get_tool_private_key()  # services can sign with the current key
        assert conf.find_registration_by_params("https://moodle.example.com", "three") is None
        assert (
            conf.find_deployment_by_params(
                "https://moodle.example.com", "dep-two", "two"
            ).get_deployment_id()
            == "dep-two"
        )
        assert (
            conf.find_deployment_by_params("https://moodle.example.com", "dep-one", "two") is None
        )
        assert (
            conf.find_deployment_by_params("https://moodle.example.com", "waiting", "two") is None
        )
        jwks = conf.get_jwks("https://moodle.example.com", "two")
        assert jwks["keys"] and jwks["keys"][0]["kty"] == "RSA"
