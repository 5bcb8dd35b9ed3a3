"""Pages speak the person's LMS language; every page's text can be translated, and is."""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import g, render_template_string
from flask_babel import force_locale

from lti_tool import i18n, i18n_catalogs
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from tests.harness import LEARNER, MANAGER, Browser, FakeLms, lang_of, launch
from tests.i18n_lint import (
    python_messages,
    untranslated_flashes,
    untranslated_in_template,
    untranslated_templates,
)

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


# -- the catalogs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template():
    return i18n_catalogs.extract()


@pytest.mark.parametrize("language", i18n_catalogs.languages())
def test_each_catalog_holds_exactly_the_marked_strings(template, language: str) -> None:
    committed = i18n_catalogs.load(i18n_catalogs.po_path(language), language)
    marked = {(m.context, str(m.id)) for m in template if m.id}
    held = {(m.context, str(m.id)) for m in committed if m.id}
    assert not marked - held, f"run `flask translations sync`: new {sorted(marked - held, key=str)}"
    assert not held - marked, (
        f"run `flask translations sync`: unused {sorted(held - marked, key=str)}"
    )


def test_no_two_messages_share_a_singular() -> None:
    assert i18n_catalogs.clashes() == {}


def test_no_message_prints_its_count_with_percent_d(template) -> None:
    """``ngettext`` hands the count over as text (1,234 / 1.234), which ``%(num)d`` refuses."""
    wrong = [m.id for m in template if m.id and re.search(r"%\((?:num|count)\)d", str(m.id))]
    assert wrong == []
    for language in i18n_catalogs.languages():
        committed = i18n_catalogs.load(i18n_catalogs.po_path(language), language)
        strings = [m.string for m in committed if m.id and isinstance(m.id, tuple)]
        assert not [x for x in strings if re.search(r"%\((?:num|count)\)d", str(x))]


def test_every_python_message_is_extracted(template) -> None:
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    missed = {
        message: where for message, where in python_messages().items() if message not in extracted
    }
    assert missed == {}, "Babel skipped these calls: take them out of f-strings and nested calls"


@pytest.mark.parametrize("language", i18n_catalogs.languages())
def test_each_catalog_is_translated_and_compiled(language: str) -> None:
    path = i18n_catalogs.po_path(language)
    committed = i18n_catalogs.load(path, language)
    report = i18n_catalogs.check(committed, language)
    assert report.messages > 0
    assert report.missing == []
    assert report.fuzzy == []
    assert report.errors == []
    compiled = path.with_suffix(".mo").read_bytes()
    assert compiled == i18n_catalogs.mo_bytes(committed), "run `flask translations sync`"


def test_spanish_is_offered() -> None:
    assert "es" in i18n_catalogs.languages()


# -- nothing left unmarked -----------------------------------------------------------------------


def test_the_lint_finds_unmarked_text() -> None:
    source = """{% extends "base.html" %}{% block content %}
    <h1>{{ _("Your plan") }}</h1>
    <p>{% trans n=3 %}{{ n }} steps left{% endtrans %}</p>
    <p>Nothing here yet.</p>
    <input type="submit" value="Save">
    <td data-label="Person">{{ person.name }}</td>
    <span title="{{ _('Due soon') }}" data-mode="put">{{ count }} · {{ total }}</span>
    {{ field(label="Job role", help=_("Pick one")) }} {{ day|date_text("d MMM y") }} {{ at.strftime("%Y-%m-%d %H:%M") }} {{ at.strftime("%d %B") }}
    <script>var x = "Not text";</script>
    {% endblock %}"""
    assert untranslated_in_template(source) == [
        '"Job role"',
        '"%d %B"',
        "Nothing here yet.",
        '<input value="Save">',
        '<td data-label="Person">',
    ]


def test_every_template_marks_its_text() -> None:
    assert untranslated_templates() == {}


def test_flash_messages_are_marked() -> None:
    assert untranslated_flashes() == {}


# -- choosing the language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("es", "es"),
        ("es_mx", "es"),  # Moodle's form
        ("es-419", "es"),  # Canvas's form
        ("ES-es", "es"),
        ("en-GB", "en"),
        ("en", "en"),
        ("pt-BR", None),
        ("klingon", None),
        ("", None),
        (None, None),
        ("x" * 200, None),
    ],
)
def test_language_of_an_lms_locale(app, value: str | None, expected: str | None) -> None:
    with app.app_context():
        assert i18n.language_of(value) == expected


def test_dates_are_written_in_the_page_language(app) -> None:
    moment = datetime(2026, 12, 4, 15, 30)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        # Spanish puts the same fields in its own order and words.
        assert i18n.date_text(moment, "EEE d MMM y, HH:mm") == "vie, 4 dic 2026, 15:30"
        assert i18n.date_text(moment.date(), "dd MMMM y") == "4 de diciembre de 2026"
        assert i18n.date_text(moment.date(), "dd MMM") == "4 dic"
        assert i18n.date_text(moment.date(), "MMM y") == "dic 2026"
        assert i18n.date_text(moment, "dd MMM HH:mm") == "4 dic, 15:30"
    with app.test_request_context():
        assert i18n.date_text(moment, "EEE d MMM y, HH:mm") == "Fri 4 Dec 2026, 15:30"
        assert i18n.date_text(moment.time(), "HH:mm") == "15:30"
        assert i18n.date_text(None) == ""
    zoned = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("America/Bogota"))
    with app.test_request_context():
        assert i18n.date_text(zoned, "HH:mm") == "09:00"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("4.5", "1,234.50", "12,345", "2")),
        ("es", ("4,5", "1.234,50", "12.345", "2")),
        ("es-ES", ("4,5", "1.234,50", "12.345", "2")),
        ("es-CO,es;q=0.8", ("4,5", "1.234,50", "12.345", "2")),
        # Spanish pages, written as Latin America and Mexico write numbers (CLDR).
        ("es-419", ("4.5", "1,234.50", "12,345", "2")),
        ("es-MX,es;q=0.8", ("4.5", "1,234.50", "12,345", "2")),
        ("xx", ("4.5", "1,234.50", "12,345", "2")),  # a language nobody speaks: English
    ],
)
def test_numbers_are_written_in_the_page_language(
    app, language: str, expected: tuple[str, ...]
) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert (
            i18n.number(4.5),
            i18n.number(1234.5, 2),
            i18n.number(12345, 0),
            i18n.number(2.0, trim=True),
        ) == expected


@pytest.mark.parametrize(
    ("sent", "browser", "expected"),
    [
        ("es_mx", "es-ES", "4.5"),  # Moodle's Mexican Spanish: the LMS's region, not the browser's
        ("es", "es-MX", "4.5"),  # the LMS names no region: the browser's, being Spanish too
        ("es-ES", "", "4,5"),
        ("en", "es-MX", "4.5"),  # an English page is written the English way
        ("pt-BR", "", "4.5"),  # no Portuguese pages: English ones, English numbers
    ],
)
def test_numbers_follow_the_region_the_lms_names(
    app, sent: str, browser: str, expected: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": browser} if browser else {}):
        g.launch = SimpleNamespace(locale=sent)
        assert i18n.number(4.5) == expected


@pytest.mark.parametrize(
    ("browser", "expected"),
    [("en", "1.5K"), ("es-ES", "1,5\xa0mil"), ("es-MX", "1.5\xa0k"), ("xx", "1.5K")],
)
def test_large_numbers_are_shortened_in_the_page_language(app, browser: str, expected: str) -> None:
    with app.test_request_context(headers={"Accept-Language": browser}):
        assert i18n.short_number(1500) == expected
        assert i18n.short_number(950) == "950"


@pytest.mark.parametrize(
    ("browser", "items", "votes"),
    [
        ("en", "1,234 items", "<strong>12,345</strong> votes"),
        ("es-ES", "1.234 elementos", "<strong>12.345</strong> votos"),
        ("es-MX", "1,234 elementos", "<strong>12,345</strong> votos"),
    ],
)
def test_counts_in_messages_are_written_in_the_page_language(
    app, browser: str, items: str, votes: str
) -> None:
    """A message's count (``%(num)s``, a {% trans %} block's ``count``) is grouped as the page's
    language groups digits, in Python and in templates, and a template's markup stays markup."""
    trans = "{% trans count=n %}<strong>{{ count }}</strong> vote{% pluralize %}<strong>{{ count }}</strong> votes{% endtrans %}"
    with app.test_request_context(headers={"Accept-Language": browser}):
        assert i18n.ngettext("%(num)s item", "%(num)s items", 1234) == items
        page = render_template_string('{{ ngettext("%(num)s item", "%(num)s items", n) }}', n=1234)
        assert page == items
        assert render_template_string(trans, n=12345) == votes
        # Escaping is kept: a value in the message is escaped, the message's own markup is not.
        shown = render_template_string(
            '{{ ngettext("%(num)s item", "%(num)s items", n, num="<b>") }}', n=2
        )
        assert shown.startswith("&lt;b&gt;")
        assert i18n.ngettext("%(num)s item", "%(num)s items", 1).endswith(("1 item", "1 elemento"))
        # A message without a plural writes its num the same way, in Python and in templates.
        limit = i18n._("Use at most %(num)s characters.", num=1234)
        assert items.split()[0] in limit
        shown = render_template_string('{{ _("Use at most %(num)s characters.", num=n) }}', n=1234)
        assert shown == limit


def test_a_page_switching_language_for_a_moment_gets_each_language_s_messages(app) -> None:
    """Messages follow the language in effect, message after message: a block in another
    language (text written for someone else) and the page's own language after it."""
    message = "Use at most %(num)s characters."
    template = '{{ _("Use at most %(num)s characters.", num=4) }}'
    with app.test_request_context(headers={"Accept-Language": "es-ES"}):
        spanish = i18n._(message, num=4)
        assert spanish != message % {"num": 4}
        with force_locale("en"):
            assert (
                i18n._(message, num=4)
                == render_template_string(template)
                == "Use at most 4 characters."
            )
            with force_locale("es"):
                assert i18n._(message, num=4) == spanish
            assert i18n.ngettext("%(num)s item", "%(num)s items", 2) == "2 items"
        assert i18n._(message, num=4) == render_template_string(template) == spanish
        assert i18n.ngettext("%(num)s item", "%(num)s items", 2) == "2 elementos"


def test_numbers_follow_babel_for_each_locale(app) -> None:
    """No table of our own: babel's rules per locale, whichever the page speaks."""
    with app.test_request_context(), force_locale("es_419"):
        assert i18n.number(4.5) == "4.5"  # CLDR: Latin-American Spanish writes a decimal point
    with app.test_request_context(), force_locale("es"):
        assert i18n.number(4.5) == "4,5"
    with app.app_context():  # no request (a job): English
        assert i18n.number(1234.5) == "1,234.5"


@pytest.mark.parametrize(
    ("browser", "whole", "signed"),
    [("en", "45%", "4.5%"), ("es-ES", "45\xa0%", "4,5\xa0%"), ("es-MX", "45%", "4.5%")],
)
def test_percentages_are_written_in_the_page_language(
    app, browser: str, whole: str, signed: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": browser}):
        assert i18n.percent(44.5) == whole
        assert i18n.with_percent_sign(i18n.number(4.5)) == signed
        page = render_template_string('{{ _("%(percent)s complete", percent=n|percent) }}', n=45)
        assert page.startswith(whole)


def test_text_for_someone_else_writes_numbers_as_their_region_does(app) -> None:
    """A page in Spain's Spanish (or English) making a comment for someone whose LMS is in
    Mexico writes it as Mexico writes numbers, and the page's own numbers stay as they were."""
    mexico = SimpleNamespace(locale="es_mx")
    with app.test_request_context(headers={"Accept-Language": "es-ES"}):
        with i18n.speaking_to(mexico):
            assert (i18n.number(4.5), i18n.percent(45)) == ("4.5", "45%")
        assert i18n.number(4.5) == "4,5"
    with app.app_context(), i18n.speaking_to(SimpleNamespace(locale="es-ES")):  # a job
        assert i18n.number(1234.5) == "1.234,5"


def test_halves_round_up_as_people_round(app) -> None:
    """75 minutes is 1.3 hours, not babel's half-to-even 1.2; 2.5 stars shown whole are 3."""
    with app.test_request_context(headers={"Accept-Language": "es-ES"}):
        assert i18n.number(75 / 60) == "1,3"
        assert (i18n.number(2.5, 0), i18n.number(0.05), i18n.number(-1.25)) == ("3", "0,1", "-1,3")
        assert i18n.number(1.24) == "1,2"


def as_person(lms: FakeLms, roles: list[str], locale: str | None) -> None:
    lms.spec = LaunchSpec(
        user=LaunchUser("user-es", roles, "Lucía López", "lucia@example.com"),
        context_id="course-1",
        context_title="Atención al cliente",
        extra_claims={PRESENTATION: {"locale": locale}} if locale is not None else {},
    )


def test_a_launch_in_spanish_is_answered_in_spanish_page_after_page(
    lms: FakeLms, browser: Browser
) -> None:
    as_person(lms, [LEARNER], "es-419")
    page = launch(browser, lms).launch
    assert page is not None and page.status_code == 200
    assert lang_of(page) == "es"
    assert '<span class="badge">Aprendiz</span>' in page.text
    assert ">Inicio</a>" in page.text
    profile = re.search(r'href="(/me\?[^"]*)"', page.text)
    assert profile is not None
    second = browser.get(lms.tool_url + profile.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert lang_of(second) == "es"
    assert ">Perfil</a>" in second.text


def test_a_launch_in_a_language_wayfinder_lacks_is_english(lms: FakeLms, browser: Browser) -> None:
    as_person(lms, [MANAGER], "pt-BR")
    page = launch(browser, lms).launch
    assert page is not None and page.status_code == 200
    assert lang_of(page) == "en"
    assert '<span class="badge">Leader</span>' in page.text


def test_without_a_locale_the_browser_language_is_used(lms: FakeLms, browser: Browser) -> None:
    as_person(lms, [LEARNER], None)
    browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9,en;q=0.5"
    page = launch(browser, lms).launch
    assert page is not None and page.status_code == 200
    assert lang_of(page) == "es"


def test_the_lms_locale_wins_over_the_browser(lms: FakeLms, browser: Browser) -> None:
    as_person(lms, [LEARNER], "en-US")
    browser.session.headers["Accept-Language"] = "es"
    page = launch(browser, lms).launch
    assert page is not None and page.status_code == 200
    assert lang_of(page) == "en"
    assert ">Home</a>" in page.text


def test_the_translations_commands_check_and_refuse_a_second_catalog(app) -> None:
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["translations", "check"])
    assert checked.exit_code == 0, checked.output
    assert "es: " in checked.output and "untranslated" not in checked.output
    again = runner.invoke(args=["translations", "add", "es"])
    assert again.exit_code != 0 and "es already has a catalog" in again.output
