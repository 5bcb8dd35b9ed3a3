"""Deep linking speaks the instructor's LMS language: the picker, its errors, the page that hands
the choice back, the titles of the links the LMS creates and the message it shows, all in
Spanish when the LMS launches with a Spanish locale (Moodle's es_mx here)."""

from __future__ import annotations

from typing import Any

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from tests.deeplinking.test_deeplinking import choose, moodle_settings, open_picker, return_form
from tests.harness import INSTRUCTOR, LEARNER, Browser, FakeLms, lang_of, page_title

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def deep_link_in_spanish(lms: FakeLms, roles: list[str]) -> None:
    lms.spec = LaunchSpec(
        user=LaunchUser("chloe", roles, "Chloe Chen", "chloe@example.com"),
        context_id="course-1",
        context_title="Atención al cliente",
        deep_linking=moodle_settings(lms),
        extra_claims={PRESENTATION: {"locale": "es_mx"}},
    )


def test_the_picker_and_the_links_it_places_in_spanish(
    app: Any, lms: FakeLms, browser: Browser
) -> None:
    deep_link_in_spanish(lms, [INSTRUCTOR])
    picker = open_picker(lms, browser)
    assert lang_of(picker) == "es"
    assert page_title(picker) == "Agrega Wayfinder a tu curso"
    assert "Elige qué agregar a <strong>Atención al cliente</strong>." in picker.text
    assert "<legend>Elige uno o más</legend>" in picker.text
    assert "Lista de participantes del curso (instructores)" in picker.text
    assert ">Agregar al curso</button>" in picker.text and ">Cancelar</button>" in picker.text

    empty = choose(browser, picker, [])
    assert empty.status_code == 400 and lang_of(empty) == "es"
    assert "Elige qué agregar al curso, o Cancelar para no agregar nada." in empty.text

    answer = choose(browser, picker, ["home:home", "roster:course"])
    assert page_title(answer) == "Agregando a tu curso"
    assert "Wayfinder le está pasando tu elección al LMS, que crea los enlaces:" in answer.text
    assert ">Continuar al LMS</button>" in answer.text
    action, token = return_form(answer)
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert lms.dl_errors == []
    [result] = lms.dl_results
    # The LMS shows these to the instructor: in the language it asked for.
    assert [i["title"] for i in result.items] == [
        "Wayfinder",
        "Lista de participantes del curso (instructores)",
    ]
    assert result.message == (
        "Agregado desde Wayfinder: Wayfinder, Lista de participantes del curso (instructores)."
    )


def test_cancel_and_the_learner_refusal_in_spanish(lms: FakeLms, browser: Browser) -> None:
    deep_link_in_spanish(lms, [INSTRUCTOR])
    answer = choose(browser, open_picker(lms, browser), [], action="cancel")
    assert page_title(answer) == "Volviendo al LMS"
    action, token = return_form(answer)
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert lms.dl_results[0].message == "No se agregó nada desde Wayfinder."

    deep_link_in_spanish(lms, [LEARNER])
    refused = open_picker(lms, Browser(), status=403)
    assert lang_of(refused) == "es"
    assert page_title(refused) == "Solo los instructores pueden agregar Wayfinder a un curso"
    assert ">Ir a tu inicio de Wayfinder</a>" in refused.text
