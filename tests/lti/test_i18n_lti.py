"""Launch failures and error pages in the browser's language: the problem in Spanish words,
its code (which an administrator searches for) unchanged."""

from __future__ import annotations

import re
import time

from tests.harness import Browser, FakeLms, TokenMutation, launch, page_title

C = "https://purl.imsglobal.org/spec/lti/claim/"


def spanish() -> Browser:
    browser = Browser()
    browser.session.headers["Accept-Language"] = "es-419,es;q=0.9,en;q=0.5"
    return browser


def code_of(page) -> str:
    found = re.search(r"<dt>Código del problema</dt><dd><code>([^<]+)</code>", page.text)
    return found.group(1) if found else ""


def test_a_bad_launch_names_the_problem_in_spanish_and_keeps_its_code(lms: FakeLms) -> None:
    now = int(time.time())
    lms.mutation = TokenMutation(claims={"iat": now - 3700, "exp": now - 3600})
    page = launch(spanish(), lms).final
    assert page.status_code == 401
    assert '<html lang="es">' in page.text
    assert page_title(page) == "El token de acceso venció"
    assert code_of(page) == "token_expired"
    assert (
        "El id_token llegó después de su hora de vencimiento. Vuelve a abrir Wayfinder desde "
        "tu curso o desde el menú del LMS."
    ) in page.text
    assert "<summary>Para el administrador del LMS</summary>" in page.text
    assert "sincroniza ambos con NTP" in page.text


def test_a_bad_login_names_the_problem_in_spanish(lms: FakeLms) -> None:
    page = spanish().get(lms.tool_url + "/lti/login")
    assert page.status_code == 400 and '<html lang="es">' in page.text
    assert page_title(page) == "El LMS no inició bien el inicio de sesión"
    assert code_of(page) == "login_missing_param"


def test_an_unknown_deployment_keeps_its_command_in_spanish(lms: FakeLms) -> None:
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-nueva"})
    page = launch(spanish(), lms).final
    assert page_title(page) == "Esta implementación de Wayfinder está en espera de aprobación"
    assert code_of(page) == "unknown_deployment"
    assert "Para aprobarla, ejecuta en el servidor de Wayfinder:" in page.text
    command = f"flask --app lti_tool deployments approve {lms.registration_id} dep-nueva"  # type: ignore[attr-defined]
    assert f"<pre><code>{command}</code></pre>" in page.text


def test_opening_a_page_without_a_launch_and_a_missing_page_in_spanish(lms: FakeLms) -> None:
    browser = spanish()
    home = browser.get(lms.tool_url + "/")
    assert home.status_code == 401 and page_title(home) == "Abre Wayfinder desde tu LMS"
    assert code_of(home) == "launch_required"
    missing = browser.get(lms.tool_url + "/no-such-page")
    assert missing.status_code == 404 and '<html lang="es">' in missing.text
    assert page_title(missing) == "No encontrado"
    assert "No hay nada en esta dirección. Usa la navegación" in missing.text


def test_without_a_language_the_failure_page_stays_english(lms: FakeLms) -> None:
    page = Browser().get(lms.tool_url + "/lti/login")
    assert page_title(page) == "The LMS did not start the login properly"
    assert "<dt>Problem code</dt><dd><code>login_missing_param</code>" in page.text
