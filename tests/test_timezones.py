"""lti_tool.timezones: which values name a zone, the installation's zone as the fallback, and
moments converted between a person's wall clock and what is stored (naive UTC)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lti_tool import timezones

MADRID = ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("America/Mexico_City", "America/Mexico_City"),
        ("  Europe/Madrid ", "Europe/Madrid"),
        ("99", ""),  # Moodle: the person keeps the site's zone
        ("$Person.address.timezone", ""),  # an LMS that does not fill the variable
        ("europe/madrid", ""),  # zone names are case-sensitive files
        ("../../etc/passwd", ""),
        ("Factory", ""),  # a zone of no place
        (None, ""),
    ],
)
def test_known_accepts_only_time_zone_names(value: str | None, expected: str) -> None:
    assert timezones.known(value) == expected


def test_a_person_without_a_zone_gets_the_installations(app: Any) -> None:
    with app.app_context():
        app.config["COACHING_TIMEZONE"] = "America/Chicago"
        try:
            assert timezones.of("") == ZoneInfo("America/Chicago")
            assert timezones.of("99") == ZoneInfo("America/Chicago")
            assert timezones.of("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
        finally:
            app.config["COACHING_TIMEZONE"] = "UTC"


def test_moments_go_between_a_wall_clock_and_storage() -> None:
    summer = datetime(2027, 7, 1, 10, 0)  # Madrid is UTC+2 in July
    assert timezones.stored(summer, MADRID) == datetime(2027, 7, 1, 8, 0)
    assert timezones.local(datetime(2027, 7, 1, 8, 0), MADRID).strftime("%H:%M") == "10:00"
    # A time typed with its own offset is taken as it says, whatever the person's zone.
    typed = datetime(2027, 7, 1, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert timezones.stored(typed, MADRID) == datetime(2027, 7, 1, 15, 0)


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        ("America/Mexico_City", "en", "Mexico City"),
        ("America/Mexico_City", "es", "Ciudad de México"),
        ("America/New_York", "es", "Nueva York"),
        ("UTC", "es", "UTC"),
    ],
)
def test_a_zone_is_named_by_its_city_in_the_page_language(
    app: Any, zone: str, language: str, expected: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        assert timezones.shown(ZoneInfo(zone)) == expected
