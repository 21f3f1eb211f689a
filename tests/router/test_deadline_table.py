"""A table of deadline cases across 2025–2026, each expected value derived by hand in its comment.

Calendars: DAY = the default company hours 09:00–18:00 without lunch (a shortened day ends at 17:00);
LUNCH = 09:00–18:00 with lunch 13:00–14:00 (8 working hours; a shortened day ends at 17:00).
The production calendar (holidays data, decrees on moved days):
- 2025: 1–8 Jan holidays; moved days off 2 May, 8 May, 13 Jun, 3 Nov (Saturday 1 Nov worked), 31 Dec;
  shortened 7 Mar, 30 Apr, 11 Jun, 1 Nov.
- 2026: 1–8 Jan holidays, 9 Jan moved off; 23 Feb; 9 Mar (8 Mar fell on Sunday); 1 May; 11 May (9 May fell
  on Saturday); 12 Jun; 4 Nov; 31 Dec moved off; shortened 30 Apr, 8 May, 11 Jun, 3 Nov.
- 2027: 1–8 Jan holidays, 9–10 Jan weekend.
First response = + 8 working hours. Resolution and dispute = end of the working time of the 5th working day
after the day of the event (company date). Legal = 23:59:59 of registration day + 60 calendar days, moved
to the next working day when that day is non-working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

import pytest

from router.calendar import BusinessCalendar

MSK = ZoneInfo("Europe/Moscow")
YEKT = timezone(timedelta(hours=5))
NEW_YORK = timezone(timedelta(hours=-5))

CALENDARS = {
    "DAY": BusinessCalendar(),
    "LUNCH": BusinessCalendar(lunch_start=time(13, 0), lunch_end=time(14, 0)),
}
Clock = Literal["first_response", "resolution", "legal", "dispute"]


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@dataclass(frozen=True)
class Case:
    clock: Clock
    registered: datetime
    expected: datetime
    calendar: str = "DAY"


CASES = {
    # ---- First response: 8 working hours ----
    # Thu 9 Jan 2025, first working day of the year: 10:00 + 8 h = 18:00, the end of the day exactly.
    "fr-first-day-of-2025": Case("first_response", msk(2025, 1, 9, 10), msk(2025, 1, 9, 18)),
    # 31 Dec 2025 is a moved day off, 1–8 Jan holidays, 9 Jan moved off, 10–11 weekend: Mon 12 Jan 09:00 + 8 h.
    "fr-new-year-moved-day-off": Case("first_response", msk(2025, 12, 31, 10), msk(2026, 1, 12, 17)),
    # Late on the last New Year holiday: the next working time is again Mon 12 Jan 09:00, + 8 h = 17:00.
    "fr-new-year-holiday-night": Case("first_response", msk(2026, 1, 8, 23, 30), msk(2026, 1, 12, 17)),
    # Fri 7 Mar 2025 is shortened (ends 17:00): 5 h on Friday; 8 Mar holiday, weekend; Mon 10 Mar 09:00 + 3 h.
    "fr-shortened-7-march-2025": Case("first_response", msk(2025, 3, 7, 12), msk(2025, 3, 10, 12)),
    # Wed 30 Apr 2025 shortened: 2 h (15–17); 1 May holiday, 2 May moved off, weekend; Mon 5 May 09:00 + 6 h.
    "fr-may-2025-moved-day": Case("first_response", msk(2025, 4, 30, 15), msk(2025, 5, 5, 15)),
    # Wed 7 May 2025 is a full day (8 May is a moved day off, not a holiday): 2 h (16–18); 8 May off,
    # 9 May holiday, weekend; Mon 12 May 09:00 + 6 h = 15:00.
    "fr-may-7-2025-is-full": Case("first_response", msk(2025, 5, 7, 16), msk(2025, 5, 12, 15)),
    # Wed 11 Jun 2025 shortened: 7 h (10–17); 12 Jun holiday, 13 Jun moved off, weekend; Mon 16 Jun + 1 h.
    "fr-june-2025-moved-day": Case("first_response", msk(2025, 6, 11, 10), msk(2025, 6, 16, 10)),
    # Fri 31 Oct 2025 17:30: 0.5 h; Sat 1 Nov is worked (shortened, 09–17): 7.5 h more = 16:30.
    "fr-working-saturday-2025-11-01": Case("first_response", msk(2025, 10, 31, 17, 30), msk(2025, 11, 1, 16, 30)),
    # Sat 1 Nov 2025 16:00: 1 h to 17:00; 2 Nov Sunday, 3 Nov moved off, 4 Nov holiday; Wed 5 Nov 09:00 + 7 h.
    "fr-november-2025-moved-day": Case("first_response", msk(2025, 11, 1, 16), msk(2025, 11, 5, 16)),
    # Sunday 2 Nov 2025: nothing until Wed 5 Nov 09:00; + 8 h = 17:00.
    "fr-sunday-before-unity-day": Case("first_response", msk(2025, 11, 2, 12), msk(2025, 11, 5, 17)),
    # Fri 20 Feb 2026 is full (22 Feb is a Sunday): 1 h; weekend, 23 Feb holiday; Tue 24 Feb 09:00 + 7 h.
    "fr-defender-day-2026": Case("first_response", msk(2026, 2, 20, 17), msk(2026, 2, 24, 16)),
    # Fri 6 Mar 2026 full (7 Mar is a Saturday): 4 h; weekend, Mon 9 Mar off (8 Mar carried over);
    # Tue 10 Mar 09:00 + 4 h = 13:00.
    "fr-march-2026-carried-over": Case("first_response", msk(2026, 3, 6, 14), msk(2026, 3, 10, 13)),
    # Fri 8 May 2026 shortened: 09:00–17:00 holds exactly 8 h.
    "fr-shortened-day-exactly": Case("first_response", msk(2026, 5, 8, 9), msk(2026, 5, 8, 17)),
    # Fri 8 May 2026 12:00: 5 h (12–17); 9 May holiday, Sunday, 11 May off; Tue 12 May 09:00 + 3 h.
    "fr-may-2026-victory-day": Case("first_response", msk(2026, 5, 8, 12), msk(2026, 5, 12, 12)),
    # Tue 3 Nov 2026 shortened: 4 h (13–17); 4 Nov holiday; Thu 5 Nov 09:00 + 4 h = 13:00.
    "fr-november-2026": Case("first_response", msk(2026, 11, 3, 13), msk(2026, 11, 5, 13)),
    # Wed 30 Dec 2026 is full (31 Dec is a moved day off, not a holiday): 6 h (12–18); 31 Dec off,
    # 1–8 Jan 2027 holidays, 9–10 Jan weekend; Mon 11 Jan 2027 09:00 + 2 h = 11:00.
    "fr-new-year-2027": Case("first_response", msk(2026, 12, 30, 12), msk(2027, 1, 11, 11)),
    # Tue 3 Mar 2026 20:00, evening: Wed 4 Mar 09:00 + 8 h = 17:00.
    "fr-evening": Case("first_response", msk(2026, 3, 3, 20), msk(2026, 3, 4, 17)),
    # Wed 4 Mar 2026 03:00, night: 09:00 + 8 h = 17:00 the same day.
    "fr-night": Case("first_response", msk(2026, 3, 4, 3), msk(2026, 3, 4, 17)),
    # Saturday 14 Mar 2026: Mon 16 Mar 09:00 + 8 h = 17:00.
    "fr-weekend": Case("first_response", msk(2026, 3, 14, 11), msk(2026, 3, 16, 17)),
    # LUNCH, Mon 2 Mar 2026 09:00: 4 h (09–13) + 4 h (14–18) = 18:00.
    "fr-lunch-whole-day": Case("first_response", msk(2026, 3, 2, 9), msk(2026, 3, 2, 18), "LUNCH"),
    # LUNCH, Mon 12:00: 1 h (12–13) + 4 h (14–18) = 5 h; Tue 3 Mar 09:00 + 3 h = 12:00.
    "fr-lunch-skipped": Case("first_response", msk(2026, 3, 2, 12), msk(2026, 3, 3, 12), "LUNCH"),
    # LUNCH, Mon 13:30 (at lunch): from 14:00, 4 h to 18:00; Tue 09:00 + 4 h = 13:00, the start of lunch.
    "fr-registered-at-lunch": Case("first_response", msk(2026, 3, 2, 13, 30), msk(2026, 3, 3, 13), "LUNCH"),
    # LUNCH, Thu 30 Apr 2026 shortened (09–13, 14–17): 3 h + 3 h = 6 h; 1 May holiday, weekend;
    # Mon 4 May 09:00 + 2 h = 11:00.
    "fr-lunch-shortened-day": Case("first_response", msk(2026, 4, 30, 10), msk(2026, 5, 4, 11), "LUNCH"),
    # LUNCH, Sat 1 Nov 2025 (worked, shortened): 4 h + 3 h = 7 h; 2–4 Nov off; Wed 5 Nov 09:00 + 1 h.
    "fr-lunch-working-saturday": Case("first_response", msk(2025, 11, 1, 9), msk(2025, 11, 5, 10), "LUNCH"),
    # 06:00 UTC = 09:00 Moscow, Mon 2 Mar 2026: + 8 h = 17:00 Moscow.
    "fr-utc-input": Case("first_response", datetime(2026, 3, 2, 6, tzinfo=UTC), msk(2026, 3, 2, 17)),
    # 20:30 +05:00 = 18:30 Moscow, Fri 6 Mar 2026, after hours; weekend, 9 Mar off; Tue 10 Mar 09:00 + 8 h.
    "fr-yekaterinburg-input": Case("first_response", datetime(2026, 3, 6, 20, 30, tzinfo=YEKT), msk(2026, 3, 10, 17)),
    # Mon 2 Mar 23:30 −05:00 = Tue 3 Mar 04:30 UTC = 07:30 Moscow: Tue 09:00 + 8 h = 17:00.
    "fr-new-york-input": Case("first_response", datetime(2026, 3, 2, 23, 30, tzinfo=NEW_YORK), msk(2026, 3, 3, 17)),
    # Sun 11 Jan 2026 22:00 UTC = Mon 12 Jan 01:00 Moscow: 09:00 + 8 h = 17:00.
    "fr-utc-sunday-is-moscow-monday": Case(
        "first_response", datetime(2026, 1, 11, 22, tzinfo=UTC), msk(2026, 1, 12, 17)
    ),
    # ---- Resolution: end of the 5th working day after the registration day ----
    # Tue 30 Dec 2025: working days after it are 12, 13, 14, 15, 16 Jan 2026 -> Fri 16 Jan 18:00.
    "res-new-year": Case("resolution", msk(2025, 12, 30, 10), msk(2026, 1, 16, 18)),
    # Wed 23 Apr 2025: 24, 25, 28, 29 Apr, then 30 Apr (5th, shortened) -> 17:00.
    "res-ends-on-shortened-day": Case("resolution", msk(2025, 4, 23, 12), msk(2025, 4, 30, 17)),
    # Tue 6 May 2025: 7 May (1); 8–11 off; 12, 13, 14, 15 May (2–5) -> Thu 15 May 18:00.
    "res-may-2025": Case("resolution", msk(2025, 5, 6, 11), msk(2025, 5, 15, 18)),
    # Mon 9 Jun 2025: 10, 11 Jun (1, 2); 12–15 off; 16, 17, 18 Jun (3–5) -> Wed 18 Jun 18:00.
    "res-june-2025": Case("resolution", msk(2025, 6, 9, 10), msk(2025, 6, 18, 18)),
    # Mon 27 Oct 2025: 28, 29, 30, 31 Oct (1–4), Sat 1 Nov (5, worked, shortened) -> 17:00.
    "res-ends-on-working-saturday": Case("resolution", msk(2025, 10, 27, 10), msk(2025, 11, 1, 17)),
    # Mon 2 Nov 2026 23:00 (the day is still 2 Nov): 3 Nov (1), 4 Nov holiday, 5, 6, 9, 10 Nov (2–5).
    "res-november-2026-evening": Case("resolution", msk(2026, 11, 2, 23), msk(2026, 11, 10, 18)),
    # LUNCH, Thu 23 Apr 2026: 24, 27, 28, 29 Apr (1–4), 30 Apr (5, shortened: ends 17:00).
    "res-lunch-shortened": Case("resolution", msk(2026, 4, 23, 10), msk(2026, 4, 30, 17), "LUNCH"),
    # Saturday 2 May 2026: 4, 5, 6, 7 May (1–4), Fri 8 May (5, shortened) -> 17:00.
    "res-registered-on-weekend": Case("resolution", msk(2026, 5, 2, 12), msk(2026, 5, 8, 17)),
    # Thu 24 Dec 2026: 25, 28, 29, 30 Dec (1–4); 31 Dec off, 1–10 Jan off; Mon 11 Jan 2027 (5) 18:00.
    "res-across-new-year-2027": Case("resolution", msk(2026, 12, 24, 10), msk(2027, 1, 11, 18)),
    # Sun 11 Jan 22:00 UTC is Mon 12 Jan in Moscow: 13, 14, 15, 16, 19 Jan -> Mon 19 Jan 18:00
    # (counting from the UTC date, Sunday, would give Fri 16 Jan).
    "res-utc-date-differs": Case("resolution", datetime(2026, 1, 11, 22, tzinfo=UTC), msk(2026, 1, 19, 18)),
    # ---- Legal limit: 60 calendar days from the day after registration ----
    # Sat 1 Nov 2025: 1 Nov + 29 = 30 Nov, + 31 = 31 Dec (the 60th day), a moved day off; 1–11 Jan off
    # -> the next working day is Mon 12 Jan 2026.
    "legal-ends-on-moved-day-off": Case("legal", msk(2025, 11, 1, 10), msk(2026, 1, 12, 23, 59, 59)),
    # Sun 2 Nov 2025 + 60 = 1 Jan 2026, a holiday -> Mon 12 Jan 2026.
    "legal-ends-on-new-year": Case("legal", msk(2025, 11, 2, 12), msk(2026, 1, 12, 23, 59, 59)),
    # Tue 10 Mar 2026: + 21 = 31 Mar, + 30 = 30 Apr, + 9 = 9 May (60th), Victory Day on a Saturday;
    # Sunday, 11 May off -> Tue 12 May.
    "legal-ends-on-victory-day": Case("legal", msk(2026, 3, 10, 12), msk(2026, 5, 12, 23, 59, 59)),
    # Mon 13 Apr 2026: + 17 = 30 Apr, + 31 = 31 May, + 12 = 12 Jun (60th), Russia Day; weekend -> Mon 15 Jun.
    "legal-ends-on-russia-day": Case("legal", msk(2026, 4, 13, 9), msk(2026, 6, 15, 23, 59, 59)),
    # Mon 5 Jan 2026 (a holiday itself): + 26 = 31 Jan, + 28 = 28 Feb, + 6 = Fri 6 Mar, a working day.
    "legal-registered-on-holiday": Case("legal", msk(2026, 1, 5, 15), msk(2026, 3, 6, 23, 59, 59)),
    # Wed 7 Jan 2026: + 24 = 31 Jan, + 28 = 28 Feb, + 8 = 8 Mar (Sunday, holiday), 9 Mar off -> Tue 10 Mar.
    "legal-ends-on-8-march": Case("legal", msk(2026, 1, 7, 10), msk(2026, 3, 10, 23, 59, 59)),
    # Tue 7 Jul 2026: + 24 = 31 Jul, + 31 = 31 Aug, + 5 = Sat 5 Sep -> Mon 7 Sep.
    "legal-ends-on-weekend": Case("legal", msk(2026, 7, 7, 10), msk(2026, 9, 7, 23, 59, 59)),
    # 4 Sep 22:30 UTC = Sat 5 Sep 01:30 Moscow: + 25 = 30 Sep, + 31 = 31 Oct, + 4 = 4 Nov (Unity Day)
    # -> Thu 5 Nov. (From the UTC date it would be Tue 3 Nov.)
    "legal-utc-input-unity-day": Case("legal", datetime(2026, 9, 4, 22, 30, tzinfo=UTC), msk(2026, 11, 5, 23, 59, 59)),
    # Fri 27 Feb 23:30 +05:00 = 21:30 Moscow, still 27 Feb: + 1 = 28 Feb, + 31 = 31 Mar, + 28 = Tue 28 Apr.
    "legal-yekaterinburg-input": Case(
        "legal", datetime(2026, 2, 27, 23, 30, tzinfo=YEKT), msk(2026, 4, 28, 23, 59, 59)
    ),
    # ---- Dispute re-review: 5 working days after the dispute day ----
    # Tue 28 Oct 2025: 29, 30, 31 Oct, Sat 1 Nov (4th), 2–4 Nov off, Wed 5 Nov (5th) 18:00.
    "dispute-over-working-saturday": Case("dispute", msk(2025, 10, 28, 15), msk(2025, 11, 5, 18)),
    # Fri 5 Jun 2026: 8, 9, 10, 11 Jun (4th, shortened), 12–14 off, Mon 15 Jun (5th) 18:00.
    "dispute-june-2026": Case("dispute", msk(2026, 6, 5, 10), msk(2026, 6, 15, 18)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_deadline(case: Case) -> None:
    calendar = CALENDARS[case.calendar]
    if case.clock == "dispute":
        due = calendar.dispute_review_due(case.registered)
    else:
        due = getattr(calendar.deadlines(case.registered), case.clock)
    assert due == case.expected
    assert due.utcoffset() == timedelta(hours=3)  # shown in company time


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert {case.registered.year for case in CASES.values()} == {2025, 2026}


def test_dispute_review_days_are_configurable() -> None:
    # Fri 5 Jun 2026 + 4 working days: 8, 9, 10, 11 Jun; 11 Jun is shortened -> 17:00.
    assert CALENDARS["DAY"].dispute_review_due(msk(2026, 6, 5, 10), days=4) == msk(2026, 6, 11, 17)
    ten_days = BusinessCalendar(dispute_review_days=10)
    # 8, 9, 10, 11, 15, 16, 17, 18, 19, 22 Jun -> Mon 22 Jun 18:00.
    assert ten_days.dispute_review_due(msk(2026, 6, 5, 10)) == msk(2026, 6, 22, 18)
