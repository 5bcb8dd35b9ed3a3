"""The language a page speaks.

Wayfinder speaks the language the person uses in their LMS: Moodle and Canvas both send it with
every launch (``launch_presentation.locale``: Moodle's ``es_mx``, Canvas's ``es-419`` or
``pt-BR``). Without a launch (an error page, the install pages) it follows the browser's
Accept-Language; failing both, English. A language Wayfinder has no catalog for falls back to
its base language (``es-419`` to ``es``), then to English.

Numbers people read follow the page's language too (``number``: "4.5" in English, "4,5" in
Spain's Spanish, "4.5" in Mexico's), through babel's rules for each locale, in the region the
LMS or the browser names (``number_locale``). What a machine reads keeps Python's "4.5":
CSV cells, form values that come back, data attributes, JSON and SVG coordinates.

Templates mark text with ``{{ _("...") }}`` or ``{% trans %}``; Python marks it with ``_`` (now)
or ``_l`` (lazily, for module constants). The catalogs live in ``lti_tool/translations`` and
``flask translations sync`` keeps them in step with the sources (``lti_tool.i18n_catalogs``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.numbers import format_compact_decimal, format_decimal, format_percent
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, get_translations, lazy_pgettext, pgettext
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

__all__ = [
    "N_",
    "Nn_",
    "_",
    "_l",
    "date_text",
    "init_app",
    "language_of",
    "lazy_pgettext",
    "ngettext",
    "number",
    "page_language",
    "percent",
    "pgettext",
    "short_number",
    "speaking_to",
    "supported",
    "with_percent_sign",
]

DEFAULT = "en"


def N_(message: str) -> tuple[str]:
    """Marks a message for the catalog without translating it: for English kept as written
    and translated later, when shown."""
    return (message,)


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """N_ for a message with a plural."""
    return (singular, plural)


babel = Babel()


def init_app(app: Flask) -> None:
    babel.init_app(app, default_locale=DEFAULT, locale_selector=select_locale)
    # {% trans %} blocks collapse their whitespace, as extraction does (i18n_catalogs).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(lambda: {"page_language": page_language})
    app.add_template_filter(date_text)
    app.add_template_filter(number)
    app.add_template_filter(percent)
    # After Flask-Babel installed Jinja's: the same, with the count written as a number.
    app.jinja_env.globals["gettext"] = _template_gettext  # `_` in templates calls it
    app.jinja_env.globals["ngettext"] = _template_ngettext


def _translations() -> Any:
    """Flask-Babel's ``get_translations()``, remembered for the locale in effect: a page asks for
    dozens of messages, and each of its calls looks the request's Babel state up three times
    (about 30 µs a message). A ``force_locale`` block puts another locale in effect, so the
    memo only answers for the very locale it was made for."""
    try:
        state = g._flask_babel
    except (AttributeError, RuntimeError):  # before Flask-Babel's first call, or no app context
        return get_translations()
    memo = getattr(state, "wayfinder_translations", None)
    if memo is not None and memo[0] is getattr(state, "babel_locale", None):
        return memo[1]
    translations = get_translations()
    state.wayfinder_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def _(string: str, **variables: Any) -> str:
    """The message in the page's language, its ``%(num)s`` written as that language writes
    numbers (as ``ngettext`` does): "Use at most 4,000 characters"."""
    text = _translations().ugettext(string)
    return text % _counted(variables.pop("num", None), variables) if variables else text


@pass_context
def _template_gettext(context: Context, string: str, /, **variables: Any) -> str:
    """Jinja's newstyle ``gettext`` (``{{ _(...) }}``, ``{% trans %}``), with ``num`` as in ``_``."""
    text = _translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogs are ours, as in Jinja's own gettext
    return text % _counted(variables.pop("num", None), variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form of a message for ``num`` in the page's language, with its ``%(num)s`` written
    as that language writes numbers ("1,234 items", "1.234 elementos" in Spain's Spanish), not
    as Python's bare 1234. Messages show their count with ``%(num)s``, never ``%(num)d``."""
    return _translations().ungettext(singular, plural, num) % _counted(num, variables)


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    """Jinja's newstyle ``ngettext``, for ``{{ ngettext(...) }}`` and ``{% trans count=... %}``
    (whose count arrives as ``count``), escaping as Jinja's own does."""
    text = _translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogs are ours, as in Jinja's own ngettext
    return text % _counted(num, variables)  # still Markup when escaping


def _counted(num: Any, variables: dict[str, Any]) -> dict[str, Any]:
    """``variables`` with ``num`` (and a {% trans %} block's ``count`` of the same value)
    written as the page's language writes numbers. ``num`` is always a count, never a year."""
    if num is None:
        return variables
    counted = {"num": num, **variables}
    if isinstance(num, int) and not isinstance(num, bool):
        shown = number(num, 0)
        for key in ("num", "count"):  # count: a {% trans count=... %} block's
            if counted.get(key) == num:
                counted[key] = shown
    return counted


@cache
def _supported(directories: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({str(locale) for locale in babel.list_translations()} | {DEFAULT}))


def supported() -> tuple[str, ...]:
    """The languages with a catalog, plus English."""
    directories = current_app.extensions["babel"].translation_directories
    return _supported(tuple(directories))


def language_of(value: str | None) -> str | None:
    """The supported language closest to an LMS or browser locale ("es_MX", "es-419", "EN"),
    or None when Wayfinder does not speak it."""
    locale = _parsed(value or "")
    if locale is None:
        return None
    available = supported()
    for candidate in (str(locale), f"{locale.language}_{locale.territory}", locale.language):
        if candidate in available:
            return candidate
    return None


def select_locale() -> str | None:
    if not has_request_context():
        return None
    launch = g.get("launch")
    if launch is not None and launch.locale:
        chosen = language_of(launch.locale)
        if chosen:
            return chosen
    browser = request.accept_languages.best_match([code.replace("_", "-") for code in supported()])
    return browser.replace("-", "_") if browser else DEFAULT


@contextmanager
def speaking_to(person: Any) -> Iterator[None]:
    """Text made inside is in ``person``'s language (the one their LMS last sent), not the
    page's: for what they read later that is written while someone else acts (a leader's
    approval, a coach's sign-off) or while a job runs (a score's comment for the gradebook).
    Someone whose LMS never sent a language Wayfinder speaks: the current language."""
    sent = getattr(person, "locale", None)
    language = language_of(sent)
    if language is None:
        yield
        return
    # Their numbers too: Spanish for someone in Mexico is written 4.5, whoever's page this is.
    chosen = Locale.parse(language)
    regional = _parsed(sent or "")
    if regional is None or regional.language != chosen.language or not regional.territory:
        regional = chosen
    token = _reader_numbers.set(regional)
    try:
        with force_locale(language):
            yield
    finally:
        _reader_numbers.reset(token)


# The reader's locale for numbers while text is made for someone else (speaking_to).
_reader_numbers: ContextVar[Locale | None] = ContextVar("reader_numbers", default=None)


def in_language_of(person: Any) -> bool:
    """Whether ``person`` reads the current language (text made for them suits this page too)."""
    language = language_of(getattr(person, "locale", None))
    current = get_locale()
    return language is None or current is None or language == str(current)


def page_language() -> str:
    """The page's language as an HTML ``lang`` value ("es", "pt-BR")."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale is not None else DEFAULT


def date_text(value: date | datetime | time | None, pattern: str = "d MMM y") -> str:
    """A date or time in the page's language, from a CLDR pattern: "dd MMMM y", "EEE d MMM, HH:mm".

    English follows the pattern as written. Other languages take the same fields in their own
    order and words ("dd MMMM y" gives "5 de diciembre de 2026"), through CLDR's skeletons.
    Shown as given: an aware datetime in its own zone, a naive one as it is (Wayfinder stores
    UTC)."""
    if value is None:
        return ""
    locale = get_locale() or Locale.parse(DEFAULT)
    if isinstance(value, time):
        return babel_dates.format_time(value, pattern, locale=locale)
    if locale.language == DEFAULT:
        if isinstance(value, datetime):
            return babel_dates.format_datetime(value, pattern, locale=locale)
        return babel_dates.format_date(value, pattern, locale=locale)
    day, clock = _skeleton(pattern)
    parts = [babel_dates.format_skeleton(day, value, locale=locale)] if day else []
    if clock and isinstance(value, datetime):
        parts.append(babel_dates.format_time(value, clock, locale=locale))
    return ", ".join(parts)


def number(value: float | int | Decimal, digits: int = 1, *, trim: bool = False) -> str:
    """``value`` for a person to read, as the page's language writes numbers: its decimal mark
    and digit grouping ("1,234.5" in English, "1.234,5" in Spanish), with ``digits`` decimals
    (at most that many with ``trim``: "2" for 2.0, "1.5" for 1.5), halves rounded up. Outside a
    request (a job), English. Never for what a machine reads back: a CSV cell, a form value, an
    SVG coordinate."""
    pattern = "#,##0." + ("#" if trim else "0") * digits if digits > 0 else "#,##0"
    # Halves round up, as people round (1.25 h is 1.3 h), not to even as babel would.
    with localcontext(rounding=ROUND_HALF_UP):
        return format_decimal(value, format=pattern, locale=number_locale())


def percent(value: float | int | Decimal) -> str:
    """``value`` percent (0 to 100), whole, as the page's language writes a percentage: "45%"
    in English and Mexico's Spanish, "45 %" (a no-break space) in Spain's."""
    with localcontext(rounding=ROUND_HALF_UP):
        return format_percent(Decimal(str(value)) / 100, locale=number_locale())


def with_percent_sign(text: str) -> str:
    """A number already written (``number``) marked as a percentage the page's language's way:
    "4.5%", or "4,5 %" in Spain's Spanish."""
    pattern = number_locale().percent_formats[None]
    return f"{pattern.prefix[0]}{text}{pattern.suffix[0]}"


def short_number(value: float | int) -> str:
    """A large number in few characters, as the page's language shortens them (a chart's
    tick): 1.5K in English, 1,5 mil in Spain's Spanish, 1.5 k in Mexico's."""
    return format_compact_decimal(value, locale=number_locale(), fraction_digits=2)


def number_locale() -> Locale:
    """Whose rules write numbers: the page's language, in the region the LMS (or, without a
    launch, the browser) names when it is that language. Spanish pages are one catalog, but
    Mexico and Latin America (es_MX, es-419) write 4.5 where Spain and Colombia write 4,5.
    Inside ``speaking_to``: the reader's language, in the region their LMS sent."""
    reader = _reader_numbers.get()
    if reader is not None:
        return reader
    page = get_locale() or Locale.parse(DEFAULT)
    if not has_request_context():
        return page
    found = g.get("_number_locale")
    if found is None:
        found = page
        launch = g.get("launch")
        sent = [launch.locale] if launch is not None and launch.locale else []
        sent += [value for value, _quality in request.accept_languages][:5]
        for value in sent:
            regional = _parsed(value)
            if regional is not None and regional.territory and regional.language == page.language:
                found = regional
                break
        g._number_locale = found
    return found


def _parsed(value: str) -> Locale | None:
    if not value or len(value) > 35:
        return None
    try:
        return Locale.parse(value.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


_DAY_FIELDS = re.compile(r"E+|d+|M+|L+|y+")
_CLOCK = re.compile(r"[Hhms]+(?:[^A-Za-z']+[Hhms]+)*")


@cache
def _skeleton(pattern: str) -> tuple[str, str]:
    """("dMMMMy", "HH:mm") for "dd MMMM y, HH:mm": the date's fields, and the time as written."""
    fields = []
    for token in _DAY_FIELDS.findall(pattern):
        letter = token[0]
        if letter == "d":
            fields.append("d")
        elif letter == "y":
            fields.append("y")
        elif letter == "E":
            fields.append("EEEE" if len(token) >= 4 else "E")
        else:
            fields.append("M" * min(max(len(token), 3), 4) if len(token) >= 3 else "M")
    clock = _CLOCK.search(pattern)
    return "".join(fields), clock.group(0) if clock else ""
