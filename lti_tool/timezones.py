"""Each person's time zone: the one their LMS sends, else the installation's.

Wayfinder asks the LMS for it with the custom parameter ``timezone=$Person.address.timezone``
(in the Canvas developer key's custom fields and in what dynamic registration asks Moodle for).
Canvas fills it with the person's zone ("America/Denver"); Moodle with the zone set in their
profile, or "99" when they keep the site's. Any value that is not a time zone name (that "99",
the variable itself from an LMS that does not fill it) is ignored: the person keeps the zone an
earlier launch gave, or gets ``COACHING_TIMEZONE``.

Times are stored in UTC and shown, or read from a form, in the zone of the person at the
keyboard, named next to them as people name it: by its city, in the page's language ("Mexico
City", "Ciudad de México"), UTC as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_location
from flask import Flask, current_app, g
from flask_babel import get_locale

PARAMETER = "timezone"
VARIABLE = "$Person.address.timezone"


@cache
def _names() -> frozenset[str]:
    return frozenset(available_timezones())


def known(value: str | None) -> str:
    """``value`` when it names a time zone ("America/Mexico_City"), else ""."""
    value = (value or "").strip()
    return value if value in _names() and value != "Factory" else ""  # Factory: no place


def default() -> ZoneInfo:
    """The installation's zone (``COACHING_TIMEZONE``), for people whose LMS sends none."""
    return ZoneInfo(str(current_app.config.get("COACHING_TIMEZONE") or "UTC"))


def of(name: str | None) -> ZoneInfo:
    """The zone a person's stored name names, else the installation's."""
    return ZoneInfo(name) if name and known(name) else default()


def current() -> ZoneInfo:
    """The zone of the person at the keyboard (the installation's outside a launch)."""
    launch = g.get("launch")
    return of(getattr(launch, "timezone", None))


def shown(tz: ZoneInfo | None = None) -> str:
    """``tz`` (by default the zone of the person at the keyboard) as people name it: its city in
    the page's language ("Mexico City", "Bogotá", "Nueva York" for America/New_York), "UTC"."""
    tz = tz or current()
    return get_timezone_location(tz, locale=get_locale() or "en", return_city=True)


def local(moment: datetime, tz: ZoneInfo | None = None) -> datetime:
    """A stored moment (naive, UTC) in ``tz``, by default the zone of the person at the keyboard."""
    return moment.replace(tzinfo=UTC).astimezone(tz or current())


def stored(moment: datetime, tz: ZoneInfo | None = None) -> datetime:
    """A moment typed in ``tz`` (naive: a wall-clock time there; aware: as it says), as stored:
    naive, UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz or current())
    return moment.astimezone(UTC).replace(tzinfo=None)


def init_app(app: Flask) -> None:
    app.add_template_filter(local, "local_time")
    app.add_template_global(shown, "time_zone")
