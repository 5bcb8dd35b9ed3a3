"""The home page, the profile and its form in the LMS's language (the launch's locale)."""

from __future__ import annotations

import re

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from tests.harness import ADMIN, LEARNER, Browser, FakeLms, form_fields, launch

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def launched_in_spanish(browser: Browser, lms: FakeLms, roles: list[str]) -> str:
    lms.spec = LaunchSpec(
        user=LaunchUser("user-es", roles, "Lucía López", "lucia@example.com"),
        context_id="course-1",
        context_title="Atención al cliente",
        extra_claims={PRESENTATION: {"locale": "es_mx"}},  # Moodle's form
    )
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    assert '<html lang="es">' in attempt.launch.text
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return token.group(1)


def test_home_and_profile_speak_the_launch_language(lms: FakeLms, browser: Browser) -> None:
    token = launched_in_spanish(browser, lms, [LEARNER])
    home = browser.get(f"{lms.tool_url}/?lt={token}").text
    assert "<h1>Hola, Lucía López</h1>" in home
    assert "Abriste Wayfinder desde <strong>Atención al cliente</strong>." in home
    assert ">Tu próximo paso</h2>" in home and ">Explorar el catálogo</a>" in home
    assert "Welcome," not in home

    profile = browser.get(f"{lms.tool_url}/me?lt={token}").text
    assert "<h1>Tu perfil</h1>" in profile
    assert "<dt>Tus roles aquí</dt><dd>aprendiz</dd>" in profile
    assert 'Atención al cliente <span class="muted">(aprendiz)</span>' in profile

    edit = browser.get(f"{lms.tool_url}/me/edit?lt={token}").text
    assert "Nombre preferido</label>" in edit and "Guardar</button>" in edit
    action, fields = form_fields(edit)
    too_long = browser.post(lms.tool_url + action, data={**fields, "preferred_name": "x" * 81})
    assert too_long.status_code == 400
    assert "Usa como máximo 80 caracteres." in too_long.text
    saved = browser.post(lms.tool_url + action, data={**fields, "preferred_name": "Lu"})
    assert saved.status_code == 303
    shown = browser.get(lms.tool_url + saved.headers["Location"]).text
    assert "Tu perfil quedó guardado." in shown and "(tu nombre preferido)" in shown


def test_the_admin_home_in_spanish_keeps_codes_and_commands(lms: FakeLms, browser: Browser) -> None:
    token = launched_in_spanish(browser, lms, [ADMIN])
    home = browser.get(f"{lms.tool_url}/?lt={token}").text
    assert ">Esta instalación</h2>" in home and "<dt>ID de cliente</dt>" in home
    assert ">Accesos fallidos recientes</h3>" in home
