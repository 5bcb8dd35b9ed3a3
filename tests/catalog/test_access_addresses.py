"""In production the LMS access form refuses an LMS address inside Wayfinder's own network with
a whole sentence under the field, in the administrator's language; an LMS kind it does not know
is refused under its own field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.test_pages import field_error
from tests.catalog.conftest import Session, login, text
from tests.harness import ADMIN, FakeLms, lang_of


@pytest.fixture
def production(clean_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(clean_app.config, "ENV", "production")
    monkeypatch.setitem(clean_app.config, "ALLOW_PRIVATE_LMS_ADDRESSES", False)


def test_a_private_or_local_lms_address_is_refused_under_its_field(
    dev: Session, production: None
) -> None:
    moodle = {"platform": "moodle", "token": "t"}
    private = dev.post("/catalog/access", {**moodle, "base_url": "https://10.1.2.3/moodle"})
    assert private.status_code == 400
    assert field_error(private, "base_url") == (
        "This address leads to a private network address (10.1.2.3). Set "
        "ALLOW_PRIVATE_LMS_ADDRESSES = true in Wayfinder's settings if your LMS is on your own "
        "network."
    )
    local = dev.post("/catalog/access", {**moodle, "base_url": "http://127.0.0.1:8080"})
    assert field_error(local, "base_url") == (
        "This address leads to 127.0.0.1, which Wayfinder never calls. Give the address of "
        "the LMS itself."
    )
    # No address at all: the form says to give one, not that a host cannot be found.
    typo = dev.post("/catalog/access", {**moodle, "base_url": "not a url"})
    assert typo.status_code == 400
    assert "Give the LMS's address" in text(typo) and "cannot be found" not in text(typo)


def test_the_refusal_in_spanish(lms: FakeLms, dev: Session, production: None) -> None:
    lucia = login(lms, "lucia", [ADMIN], "Lucía Admin", "lucia@example.com", locale="es-419")
    private = lucia.post(
        "/catalog/access",
        {"platform": "moodle", "token": "t", "base_url": "https://10.1.2.3/moodle"},
    )
    assert private.status_code == 400 and lang_of(private) == "es"
    assert field_error(private, "base_url") == (
        "Esta dirección lleva a una dirección de red privada (10.1.2.3). Si tu LMS está en tu "
        "propia red, pon ALLOW_PRIVATE_LMS_ADDRESSES = true en la configuración de Wayfinder."
    )


def test_an_unknown_lms_kind_is_refused_under_its_field(dev: Session) -> None:
    wrong = dev.post("/catalog/access", {"platform": "blackboard", "base_url": "", "token": ""})
    assert wrong.status_code == 400
    assert field_error(wrong, "platform") == "Choose Moodle, Canvas or none."
