"""Time zones: the clock each person reads and enters times on, while the database keeps UTC.

A person's zone is their own setting (the profile); until they choose one, their browser's
(a small script keeps it in the ``quest_time_zone`` cookie), else the school's
(``SCHOOL_TIME_ZONE``). Flask-Babel's timezone selector is :func:`select_timezone`, so its
``format_datetime`` and ``format_time`` show every moment on that clock.

Local times entered in a form follow one rule at the changes of daylight saving time: a time
the clocks skip (02:30 when they jump from 02:00 to 03:00) is refused with a message, and a
time that happens twice (01:30 when they fall back) is the first of the two, still on
daylight time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytz
from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import (
    LazyString,
    format_date,
    format_datetime,
    format_time,
    get_locale,
    get_timezone,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from wtforms import DateTimeLocalField, SelectChoice

from quest_platform.models.base import utcnow

TIME_ZONE_COOKIE = "quest_time_zone"
# What a datetime-local input sends: to the minute, or to the second from some browsers.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    """The IANA zones both Python's zoneinfo and Flask-Babel (pytz) know."""
    return frozenset(available_timezones() & pytz.all_timezones_set)


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is a known IANA time zone such as "America/Chicago"."""
    return isinstance(name, str) and name in known_time_zones()


def time_zone_choices() -> list[SelectChoice]:
    """The zones a person may choose, after "Use my browser's time zone" (an empty value)."""
    zones = [zone for zone in pytz.common_timezones if zone in known_time_zones()]
    return [
        SelectChoice("", _l("Use my browser's time zone")),
        *(SelectChoice(zone, zone.replace("_", " ")) for zone in zones),
    ]


def browser_time_zone() -> str | None:
    """The zone the browser reported (see static/js/time-zone.js), if it is a known one."""
    zone = request.cookies.get(TIME_ZONE_COOKIE)
    return zone if is_time_zone(zone) else None


def select_timezone() -> str:
    """Flask-Babel's timezone selector: the person's zone, else their browser's, else the
    school's."""
    school: str = current_app.config["SCHOOL_TIME_ZONE"]
    if not has_request_context():
        return school
    if current_user.is_authenticated and is_time_zone(current_user.time_zone):
        return str(current_user.time_zone)
    return browser_time_zone() or school


def person_zone(person: Any) -> ZoneInfo:
    """The clock a person's days are counted on outside a request: the zone they chose, else
    the school's (their browser's zone is known only while they browse)."""
    chosen = getattr(person, "time_zone", None)
    school: str = current_app.config["SCHOOL_TIME_ZONE"]
    return ZoneInfo(chosen if isinstance(chosen, str) and is_time_zone(chosen) else school)


def zone_name() -> str:
    """The name of the reader's time zone, as IANA writes it ("America/Chicago")."""
    return str(get_timezone() or current_app.config["SCHOOL_TIME_ZONE"])


def reader_zone() -> ZoneInfo:
    """The reader's time zone, for arithmetic on local times."""
    return ZoneInfo(zone_name())


def in_zone(label: str) -> LazyString:
    """``label`` followed by the reader's time zone, as a column or field label: "Opens
    (America/Chicago)". ``label`` is a message already marked for translation."""
    return LazyString(lambda: _("%(label)s (%(zone)s)", label=label, zone=zone_name()))


# Moments as people read them: in their zone, to the minute


def moment_pattern(locale: Locale) -> str:
    """The locale's medium date and short time, joined as the locale joins them: a date and
    time without seconds ("Dec 1, 2026, 11:59 PM"; "1 dic 2026, 11:59 p.m.")."""
    date_pattern = locale.date_formats["medium"].pattern
    time_pattern = locale.time_formats["short"].pattern
    joined: str = locale.datetime_formats["medium"]
    return joined.replace("{1}", date_pattern).replace("{0}", time_pattern)


def format_moment(value: datetime) -> str:
    """``value`` on the reader's clock and in their language, to the minute."""
    locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
    formatted: str = format_datetime(value, moment_pattern(locale))
    return formatted


def format_clock(value: datetime) -> str:
    """The time of ``value`` on the reader's clock, without seconds ("11:59 PM")."""
    formatted: str = format_time(value, "short")
    return formatted


def local_date(value: datetime) -> date:
    """The date of ``value`` on the reader's clock."""
    return value.astimezone(reader_zone()).date()


def is_today(value: datetime, now: datetime | None = None) -> bool:
    """Whether ``value`` falls on the reader's today (of ``now``, by default the present)."""
    return local_date(value) == local_date(now or utcnow())


def local_midnight(now: datetime | None = None) -> datetime:
    """The start of the reader's today, in UTC."""
    today = local_date(now or utcnow())
    return datetime.combine(today, datetime.min.time(), tzinfo=reader_zone()).astimezone(UTC)


# Moments as people enter them


class SkippedLocalTime(ValueError):
    """A local time that does not exist: the clocks jump over it (daylight saving time)."""


def local_to_utc(wall_time: datetime, zone: ZoneInfo) -> datetime:
    """The UTC moment of the naive ``wall_time`` on the clocks of ``zone``.

    A time that happens twice (clocks falling back) is the first of the two; a time the clocks
    skip raises :class:`SkippedLocalTime`.
    """
    local = wall_time.replace(tzinfo=zone, fold=0)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall_time.replace(tzinfo=None):
        raise SkippedLocalTime(wall_time)
    return moment


def this_minute() -> datetime:
    """Now, to the minute: the default of a form's "opens" field."""
    return utcnow().replace(second=0, microsecond=0)


class LocalDateTimeField(DateTimeLocalField):
    """A date and time entered and shown on the reader's clock, to the minute; ``data`` is UTC.

    The label names the zone ("Opens (America/Chicago)"). A time the clocks skip that day is
    refused with a message saying so; a time that happens twice is the first of the two.
    """

    # A UTC moment once read (WTForms declares no type: its fields hold any value).
    data: Any

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(in_zone(label), format=DATETIME_FORMATS, tz=reader_zone, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the local time typed in, and keep it as a UTC moment."""
        super().process_formdata(valuelist)
        if self.data is None:
            return
        wall_time = self.data.replace(tzinfo=None)
        try:
            self.data = local_to_utc(wall_time, reader_zone())
        except SkippedLocalTime:
            self.data = None
            raise ValueError(
                _(
                    "%(time)s does not exist on %(date)s in %(zone)s: the clocks move forward "
                    "that night. Choose a time after the change.",
                    time=format_time(wall_time, "short", rebase=False),
                    date=format_date(wall_time.date(), "long", rebase=False),
                    zone=zone_name(),
                )
            ) from None
