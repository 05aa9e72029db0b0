"""Schedule arithmetic: local times across DST, zones, weekdays, program dates."""

import datetime
import zoneinfo

import pytest

from patients.schedule import local_to_utc, next_occurrence
from programs import weekdays

UTC = datetime.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
EIGHT = datetime.time(8, 0)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def test_eight_in_london_is_eight_utc_in_winter_and_seven_utc_in_summer():
    winter = next_occurrence(
        local_time=EIGHT, days=weekdays.ALL_DAYS, zone=LONDON, after=utc(2026, 1, 10, 0, 0)
    )
    summer = next_occurrence(
        local_time=EIGHT, days=weekdays.ALL_DAYS, zone=LONDON, after=utc(2026, 7, 10, 0, 0)
    )
    assert winter == utc(2026, 1, 10, 8, 0)
    assert summer == utc(2026, 7, 10, 7, 0)


def test_eight_local_stays_eight_local_across_the_spring_change_in_london():
    # Clocks go forward on Sunday 29 March 2026 at 01:00 UTC.
    saturday = next_occurrence(
        local_time=EIGHT, days=weekdays.ALL_DAYS, zone=LONDON, after=utc(2026, 3, 28, 0, 0)
    )
    sunday = next_occurrence(local_time=EIGHT, days=weekdays.ALL_DAYS, zone=LONDON, after=saturday)
    assert saturday == utc(2026, 3, 28, 8, 0)
    assert sunday == utc(2026, 3, 29, 7, 0)
    assert sunday.astimezone(LONDON).time() == EIGHT


def test_eight_local_stays_eight_local_across_the_autumn_change_in_new_york():
    # Clocks go back on Sunday 1 November 2026 at 06:00 UTC (02:00 EDT).
    saturday = next_occurrence(
        local_time=EIGHT, days=weekdays.ALL_DAYS, zone=NEW_YORK, after=utc(2026, 10, 31, 0, 0)
    )
    sunday = next_occurrence(
        local_time=EIGHT, days=weekdays.ALL_DAYS, zone=NEW_YORK, after=saturday
    )
    assert saturday == utc(2026, 10, 31, 12, 0)  # EDT, UTC-4
    assert sunday == utc(2026, 11, 1, 13, 0)  # EST, UTC-5
    assert sunday.astimezone(NEW_YORK).time() == EIGHT


def test_a_time_the_clocks_skip_is_sent_at_the_next_valid_minute():
    # New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    instant = next_occurrence(
        local_time=datetime.time(2, 30),
        days=weekdays.ALL_DAYS,
        zone=NEW_YORK,
        after=utc(2026, 3, 8, 0, 0),
    )
    assert instant == utc(2026, 3, 8, 7, 0)
    assert instant.astimezone(NEW_YORK).time() == datetime.time(3, 0)


def test_a_skipped_time_in_london_goes_to_two_oclock_summer_time():
    instant = local_to_utc(
        datetime.datetime.combine(datetime.date(2026, 3, 29), datetime.time(1, 30)), LONDON
    )
    assert instant == utc(2026, 3, 29, 1, 0)
    assert instant.astimezone(LONDON).time() == datetime.time(2, 0)


def test_a_time_that_happens_twice_is_sent_once_at_its_first_occurrence():
    # London, 25 October 2026: 01:30 happens at 00:30 UTC (BST) and at 01:30 UTC (GMT).
    first = next_occurrence(
        local_time=datetime.time(1, 30),
        days=weekdays.ALL_DAYS,
        zone=LONDON,
        after=utc(2026, 10, 24, 23, 0),
    )
    assert first == utc(2026, 10, 25, 0, 30)
    following = next_occurrence(
        local_time=datetime.time(1, 30), days=weekdays.ALL_DAYS, zone=LONDON, after=first
    )
    assert following == utc(2026, 10, 26, 1, 30)  # the next day, not the repeat hour


def test_a_patient_far_from_the_server_gets_their_own_local_morning():
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    # 20:00 UTC on 10 June is 08:00 on 11 June in Auckland (NZST, UTC+12).
    instant = next_occurrence(
        local_time=EIGHT, days=weekdays.ALL_DAYS, zone=auckland, after=utc(2026, 6, 10, 12, 0)
    )
    assert instant == utc(2026, 6, 10, 20, 0)
    assert instant.astimezone(auckland).date() == datetime.date(2026, 6, 11)


def test_only_the_chosen_weekdays_are_used():
    mon_wed_fri = weekdays.to_mask([0, 2, 4])
    # Tuesday 10 November 2026, after 08:00 London.
    instant = next_occurrence(
        local_time=EIGHT, days=mon_wed_fri, zone=LONDON, after=utc(2026, 11, 10, 9, 0)
    )
    assert instant == utc(2026, 11, 11, 8, 0)
    after_friday = next_occurrence(
        local_time=EIGHT, days=mon_wed_fri, zone=LONDON, after=utc(2026, 11, 13, 9, 0)
    )
    assert after_friday == utc(2026, 11, 16, 8, 0)  # the Monday after


def test_nothing_is_due_before_the_program_starts_or_after_it_ends():
    start = datetime.date(2026, 12, 1)
    before_start = next_occurrence(
        local_time=EIGHT,
        days=weekdays.ALL_DAYS,
        zone=LONDON,
        after=utc(2026, 11, 20, 9, 0),
        starts_on=start,
    )
    assert before_start == utc(2026, 12, 1, 8, 0)
    past_end = next_occurrence(
        local_time=EIGHT,
        days=weekdays.ALL_DAYS,
        zone=LONDON,
        after=utc(2026, 12, 5, 9, 0),
        ends_on=datetime.date(2026, 12, 5),
    )
    assert past_end is None


def test_the_last_day_of_the_program_still_gets_its_reminder():
    instant = next_occurrence(
        local_time=datetime.time(18, 0),
        days=weekdays.ALL_DAYS,
        zone=LONDON,
        after=utc(2026, 12, 5, 9, 0),
        ends_on=datetime.date(2026, 12, 5),
    )
    assert instant == utc(2026, 12, 5, 18, 0)


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence(
            local_time=EIGHT,
            days=weekdays.ALL_DAYS,
            zone=LONDON,
            after=datetime.datetime.combine(datetime.date(2026, 1, 1), EIGHT),
        )
