"""The development launcher sends the language chosen for the person, as Moodle and Canvas do."""

from __future__ import annotations

from typing import Any

from tests.community.conftest import persona, text
from tests.harness import Browser, lang_of


def test_the_launcher_sends_the_chosen_language(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    ana = persona(tool, "ana", "es-419")
    home = ana.get("/")
    assert lang_of(home) == "es"
    assert "Hola, Ana Alvarez" in text(home)
    # The launch's language holds on the next page, with no header from the browser.
    plan = ana.get("/catalog/plan")
    assert lang_of(plan) == "es" and "Mi plan" in text(plan)

    dev = persona(tool, "dev", "es-419")
    admin = text(dev.get("/admin/"))
    assert "Implementaciones" in admin

    english = persona(tool, "ana", "en")
    assert lang_of(english.get("/")) == "en"
    # Sent nothing: the browser's language decides (this one asks for none, so English).
    unsent = persona(tool, "ben", "")
    assert lang_of(unsent.get("/")) == "en"
    spanish_browser = unsent.browser.get(unsent.url("/"), headers={"Accept-Language": "es-MX,es"})
    assert lang_of(spanish_browser) == "es"


def test_the_launcher_offers_the_languages(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    page = Browser().get(tool.replace("127.0.0.1", "localhost") + "/dev/?lang=es-419")
    assert page.status_code == 200
    assert 'name="lang" value="es-419" checked' in page.text
    assert 'name="lang" value=""' in page.text
