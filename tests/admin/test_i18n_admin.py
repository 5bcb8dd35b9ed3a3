"""The admin pages speak the administrator's LMS language: here Spanish, chosen by the launch's
launch_presentation locale (as Canvas sends it) or, without one, by the browser."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from lti_tool.lti.models import DeploymentStatus
from tests.admin.test_pages import Admin, add_deployment, field_error, text_of
from tests.harness import (
    ADMIN,
    SYSADMIN,
    Browser,
    FakeLms,
    TokenMutation,
    lang_of,
    launch,
    problem_code,
)
from tests.lti.test_launch import as_user

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
C = "https://purl.imsglobal.org/spec/lti/claim/"


class SpanishAdmin(Admin):
    """An administrator whose LMS speaks Latin American Spanish (Canvas's es-419)."""

    def __init__(self, lms: FakeLms) -> None:  # the launch of Admin, with a locale claim
        self.lms = lms
        self.browser = Browser()
        as_user(lms, [ADMIN, SYSADMIN], sub="admin-es", name="Lucía Admin")
        lms.spec.extra_claims = {PRESENTATION: {"locale": "es-419"}}
        saved, lms.mutation = lms.mutation, TokenMutation()
        attempt = launch(self.browser, lms)
        lms.mutation = saved
        assert attempt.launch is not None and attempt.launch.status_code == 200
        found = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
        assert found is not None
        self.token = found.group(1)


def test_the_deployments_page_and_its_flash_in_spanish(lms: FakeLms, clean_app: Any) -> None:
    add_deployment(clean_app, lms.registration_id, "dep-nueva", DeploymentStatus.PENDING)  # type: ignore[attr-defined]
    admin = SpanishAdmin(lms)
    page = admin.get("/admin/")
    assert page.status_code == 200 and lang_of(page) == "es"
    assert "<h1>Implementaciones</h1>" in page.text
    assert '<nav class="subnav" aria-label="Administración">' in page.text
    assert ">Configuración manual</a>" in page.text
    assert "Esperando aprobación" in page.text
    assert 'data-label="ID de implementación"' in page.text
    assert 'Aprobar<span class="visually-hidden"> la implementación dep-nueva</span>' in page.text
    shown = admin.follow(admin.submit(page, "/approve"))
    assert lang_of(shown) == "es"
    words = " ".join(text_of(shown).split())
    assert (
        "La implementación dep-nueva está aprobada: los accesos desde ella ya funcionan." in words
    )


def test_setup_form_errors_and_copy_words_in_spanish(lms: FakeLms, clean_app: Any) -> None:
    admin = SpanishAdmin(lms)
    page = admin.get("/admin/setup")
    assert lang_of(page) == "es"
    # The LMS's own field labels, as a Spanish LMS shows them, and the words admin.js says.
    assert "Nombre de la herramienta" in page.text
    assert 'data-copied="Copiado"' in page.text
    assert 'data-copied-message="Se copió: {what}."' in page.text
    assert 'Copiar<span class="visually-hidden"> URL de la herramienta</span>' in page.text
    refused = admin.submit(page, "/admin/setup", issuer="moodle.example.com", client_id=" ")
    assert refused.status_code == 400 and lang_of(refused) == "es"
    words = " ".join(text_of(refused).split())
    assert "No se guardó nada. Corrige los 2 valores marcados abajo." in words
    # A whole Spanish sentence under each field, which is marked invalid.
    assert field_error(refused, "client_id") == (
        "Copia el ID de cliente que el LMS muestra para Wayfinder."
    )
    assert field_error(refused, "issuer") == (
        "Indica una URL http(s) completa, como https://moodle.example.com, no 'moodle.example.com'."
    )
    more = admin.submit(
        page, "/admin/setup", platform="blackboard", issuer="", name="n" * 201, key_set_url="x"
    )
    assert more.status_code == 400 and lang_of(more) == "es"
    assert field_error(more, "platform") == "Elige Moodle, Canvas u otra plataforma LTI 1.3."
    assert field_error(more, "issuer") == "Copia el ID de plataforma (issuer) que muestra el LMS."
    assert field_error(more, "name") == "Usa como máximo 200 caracteres."
    assert field_error(more, "key_set_url") == "Indica una URL http(s) completa, no 'x'."
    other = admin.submit(
        page,
        "/admin/setup",
        platform="other",
        issuer="https://lms.example.com",
        client_id="otro",
        auth_login_url="",
    )
    assert field_error(other, "auth_login_url") == (
        "Copia esta URL del LMS: Wayfinder la completa solo para Moodle y Canvas."
    )


def test_setup_form_address_problems_in_spanish(
    lms: FakeLms, clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = SpanishAdmin(lms)
    page = admin.get("/admin/setup")
    monkeypatch.setitem(clean_app.config, "ENV", "production")
    monkeypatch.setitem(clean_app.config, "ALLOW_PRIVATE_LMS_ADDRESSES", False)
    refused = admin.submit(page, "/admin/setup", auth_token_url="http://10.1.2.3/token")
    assert refused.status_code == 400 and lang_of(refused) == "es"
    assert field_error(refused, "auth_token_url") == (
        "Esta dirección lleva a una dirección de red privada (10.1.2.3). Si tu LMS está en tu "
        "propia red, pon ALLOW_PRIVATE_LMS_ADDRESSES = true en la configuración de Wayfinder."
    )
    assert field_error(refused, "key_set_url") == (
        "Esta dirección lleva a 127.0.0.1, a la que Wayfinder nunca llama. Indica la dirección "
        "del propio LMS."
    )
    english = " ".join(text_of(refused).split())
    assert "leads to" not in english and "never calls" not in english


def test_diagnostics_in_spanish_from_the_browser_language(lms: FakeLms, clean_app: Any) -> None:
    now = int(time.time())
    lms.mutation = TokenMutation(claims={"iat": now - 160, "exp": now - 100})
    assert problem_code(launch(Browser(), lms).final) == "token_expired"
    lms.mutation = TokenMutation()
    admin = Admin(lms)  # no locale from the LMS: the browser's language decides
    admin.browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9,en;q=0.5"
    page = admin.get("/admin/diagnostics")
    assert page.status_code == 200 and lang_of(page) == "es"
    words = " ".join(text_of(page).split())
    assert "Diagnóstico de accesos" in words
    assert "1 acceso fallido." in words
    assert re.search(r"El token llegó a Wayfinder \d+ segundos después de vencer", words)
    english = Admin(lms, sub="admin-en").get("/admin/diagnostics")
    assert lang_of(english) == "en" and "1 failed launch." in text_of(english)


def test_keys_page_in_spanish_with_commands_as_typed(lms: FakeLms, clean_app: Any) -> None:
    page = SpanishAdmin(lms).get("/admin/keys")
    assert lang_of(page) == "es"
    assert "<h1>Claves de firma</h1>" in page.text
    assert "flask --app lti_tool keys rotate\nflask --app lti_tool keys prune" in page.text
