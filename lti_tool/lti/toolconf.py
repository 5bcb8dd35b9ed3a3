"""Registrations and deployments from the database, behind pylti1p3's ToolConfAbstract.

Keyed by (issuer, client_id): an issuer has many clients (Moodle makes one per dynamic
registration; every Canvas customer shares one issuer).
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Deployment, DeploymentStatus, Registration
from lti_tool.lti.registry import RegistrationInfo


def find_registration(issuer: str, client_id: str | None) -> Registration | None:
    """The registration for (issuer, client_id). Without client_id, only an issuer with a single
    registration is unambiguous; None means not found, ValueError means ambiguous."""
    query = select(Registration).where(Registration.issuer == issuer)
    if client_id:
        return db.session.scalar(query.where(Registration.client_id == client_id))
    rows = list(db.session.scalars(query.limit(2)))
    if len(rows) > 1:
        raise ValueError("several registrations share this issuer")
    return rows[0] if rows else None


def find_deployment(registration_id: int, deployment_id: str) -> Deployment | None:
    return db.session.scalar(
        select(Deployment).where(
            Deployment.registration_id == registration_id,
            Deployment.deployment_id == deployment_id,
        )
    )


def as_lti_registration(
    reg: Registration | RegistrationInfo, *, with_tool_key: bool = True
) -> LtiRegistration:
    """pylti1p3's view of a registration; with_tool_key adds the key services sign with."""
    lti = (
        LtiRegistration()
        .set_issuer(reg.issuer)
        .set_client_id(reg.client_id)
        .set_auth_login_url(reg.auth_login_url)
        .set_auth_token_url(reg.auth_token_url)
        .set_key_set_url(reg.key_set_url)
    )
    if reg.auth_audience:
        lti.set_auth_audience(reg.auth_audience)
    if not with_tool_key:
        return lti
    try:
        key = keys.current_key()
    except keys.NoToolKey:
        return lti
    lti.set_tool_private_key(keys.signing_pem(key))
    from cryptography.hazmat.primitives import serialization

    public_pem = (
        keys.private_key_object(key.kid, key.private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    lti.set_tool_public_key(public_pem)
    return lti


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have many client IDs; lookups go by (issuer, client_id)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        reg = find_registration(iss, None)
        return as_lti_registration(reg) if reg and reg.enabled else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiRegistration:
        reg = find_registration(iss, client_id)
        return as_lti_registration(reg) if reg and reg.enabled else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        reg = find_registration(iss, None)
        return self._active_deployment(reg, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        return self._active_deployment(find_registration(iss, client_id), deployment_id)

    @staticmethod
    def _active_deployment(reg: Registration | None, deployment_id: str) -> LtiDeployment | None:
        if reg is None:
            return None
        dep = find_deployment(reg.id, deployment_id)
        if dep is None or dep.status is not DeploymentStatus.ACTIVE:
            return None
        return LtiDeployment().set_deployment_id(dep.deployment_id)
