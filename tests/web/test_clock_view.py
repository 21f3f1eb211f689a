"""workers.web.clock_view: the state and the Russian text of each clock, derived by hand.

The company calendar of the tests: Moscow, 09:00-18:00 (9 working hours a day, no lunch) unless a case says
otherwise. 23-27 and 30 November 2026 are ordinary working days (Mon-Fri, Mon); 28-29 November is a weekend.

The ticket of most cases was registered on Mon 23 Nov 2026 13:00 MSK:
- first response: 8 working hours = Mon 13:00-18:00 (5 h) + Tue 09:00-12:00 (3 h) -> Tue 24 Nov 12:00;
  its warning 2 working hours before: Tue 10:00;
- resolution: the end of the 5th working day after Mon 23 (24, 25, 26, 27, 30) -> Mon 30 Nov 18:00;
  its warning 1 working day (9 h) before: Mon 30 Nov 09:00;
- legal: 23 Nov + 60 days = 22 Jan 2027 (a Friday, working) -> 22 Jan 2027 23:59:59;
  its warning 10 calendar days before: 12 Jan 2027 23:59:59.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from router.calendar import BusinessCalendar
from router.models import Ticket
from router.sla.policy import Clock, SlaPolicy
from workers.web.clock_view import ClockView, clock_view, clock_views, nearest

MSK = ZoneInfo("Europe/Moscow")
CALENDAR = BusinessCalendar()
POLICY = SlaPolicy()


def msk(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


REGISTERED = msk(11, 23, 13)
FIRST_RESPONSE_DUE = msk(11, 24, 12)
RESOLUTION_DUE = msk(11, 30, 18)
LEGAL_DUE = datetime(2027, 1, 22, 23, 59, 59, tzinfo=MSK)


def ticket(**fields: object) -> Ticket:
    """The ticket registered Mon 23 Nov 2026 13:00, open, nothing done yet, as the store returns it (UTC)."""
    values: dict[str, object] = dict(
        number="C-2026-000001", status="open", stage="primary_review", created_at=REGISTERED.astimezone(UTC),
        first_response_due=FIRST_RESPONSE_DUE.astimezone(UTC), resolution_due=RESOLUTION_DUE.astimezone(UTC),
        legal_due=LEGAL_DUE.astimezone(UTC), dispute_due=None, acknowledged_at=None, resolved_at=None,
        closed_at=None, waiting_for_client=False, paused_at=None,
    )
    values.update(fields)
    return Ticket(**values)


def view(t: Ticket, clock: Clock, now: datetime, calendar: BusinessCalendar = CALENDAR) -> ClockView:
    found = clock_view(t, clock, calendar, POLICY, now)
    assert found is not None
    return found


def shown(t: Ticket, clock: Clock, now: datetime, calendar: BusinessCalendar = CALENDAR) -> tuple[str, str]:
    found = view(t, clock, now, calendar)
    return found.state, found.text


def test_the_calendar_gives_the_dues_the_cases_assume() -> None:
    deadlines = CALENDAR.deadlines(REGISTERED)
    assert (deadlines.first_response, deadlines.resolution, deadlines.legal) == (
        FIRST_RESPONSE_DUE, RESOLUTION_DUE, LEGAL_DUE)
    assert POLICY.warning_at(CALENDAR, Clock.FIRST_RESPONSE, FIRST_RESPONSE_DUE) == msk(11, 24, 10)
    assert POLICY.warning_at(CALENDAR, Clock.RESOLUTION, RESOLUTION_DUE) == msk(11, 30, 9)


CASES = [
    # First response, running.
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 23, 14),
        # Mon 14:00-18:00 (4 h) + Tue 09:00-12:00 (3 h) = 7 h; before the warning (Tue 10:00).
        ("ok", "осталось 7 раб. ч"), id="first-response-ok"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 24, 10, 30),
        # Tue 10:30-12:00 = 1 h 30 min; past the warning at Tue 10:00.
        ("near", "осталось 1 раб. ч 30 мин"), id="first-response-near"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, datetime(2026, 11, 24, 7, 30, tzinfo=UTC),
        # 07:30 UTC = 10:30 MSK: the same case with `now` in UTC.
        ("near", "осталось 1 раб. ч 30 мин"), id="first-response-near-now-in-utc"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 23, 20),
        # Mon 20:00, after hours: Tue 09:00-12:00 = 3 h; the warning (Tue 10:00) is still ahead.
        ("ok", "осталось 3 раб. ч"), id="first-response-evening"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 24, 11, 45),
        # Tue 11:45-12:00 = 15 min.
        ("near", "осталось 15 раб. мин"), id="first-response-minutes"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 24, 16),
        # Past Tue 12:00 by Tue 12:00-16:00 = 4 working hours.
        ("breached", "просрочено на 4 раб. ч"), id="first-response-breached"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 25, 10, 15),
        # Tue 12:00-18:00 (6 h) + Wed 09:00-10:15 (1 h 15 min) = 7 h 15 min; the night does not count.
        ("breached", "просрочено на 7 раб. ч 15 мин"), id="first-response-breached-overnight"),
    pytest.param(
        ticket(), Clock.FIRST_RESPONSE, msk(11, 26, 12),
        # Tue 12-18 (6 h) + Wed 9-18 (9 h) + Thu 9-12 (3 h) = 18 h = 2 working days of 9 h.
        ("breached", "просрочено на 2 раб. дн."), id="first-response-breached-days"),
    pytest.param(
        ticket(first_response_due=msk(11, 27, 18)), Clock.FIRST_RESPONSE, msk(11, 27, 19),
        # Due at the end of Friday's working time, now Fri 19:00: past it, but no working time has passed.
        ("breached", "просрочено (срок истёк в нерабочее время)"), id="first-response-breached-after-hours"),
    # First response, stopped.
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 11, 59)), Clock.FIRST_RESPONSE, msk(11, 25, 12),
        # Acknowledged Tue 11:59 <= due Tue 12:00.
        ("met", "выполнено в срок"), id="first-response-met"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 15)), Clock.FIRST_RESPONSE, msk(11, 25, 12),
        # Acknowledged Tue 15:00: Tue 12:00-15:00 = 3 working hours late.
        ("met_late", "с нарушением на 3 ч"), id="first-response-met-late"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 25, 9, 40)), Clock.FIRST_RESPONSE, msk(11, 25, 12),
        # Acknowledged Wed 09:40: Tue 12:00-18:00 (6 h) + Wed 09:00-09:40 (40 min) late.
        ("met_late", "с нарушением на 6 ч 40 мин"), id="first-response-met-late-overnight"),
    # Resolution, running (acknowledged on time).
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10)), Clock.RESOLUTION, msk(11, 24, 10, 30),
        # Tue 10:30-18:00 (7 h 30 min) + Wed, Thu, Fri, Mon (4 x 9 h) = 43 h 30 min = 4 days of 9 h + 7 h 30 min;
        # with whole days shown, the minutes are left out.
        ("ok", "осталось 4 раб. дн. 7 ч"), id="resolution-ok-days"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10)), Clock.RESOLUTION, msk(11, 26, 15),
        # Thu 15:00-18:00 (3 h) + Fri (9 h) + Mon (9 h) = 21 h = 2 days of 9 h + 3 h.
        ("ok", "осталось 2 раб. дн. 3 ч"), id="resolution-ok-two-days"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10)), Clock.RESOLUTION, msk(11, 28, 12),
        # Saturday: only Monday's 9 h are left, one working day; the warning fires Mon 09:00, so still green.
        ("ok", "осталось 1 раб. дн."), id="resolution-weekend"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10)), Clock.RESOLUTION, msk(11, 30, 11),
        # Mon 11:00-18:00 = 7 h; past the warning at Mon 09:00.
        ("near", "осталось 7 раб. ч"), id="resolution-near"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10)), Clock.RESOLUTION, msk(12, 1, 13),
        # Mon 18:00 -> Tue 1 Dec 09:00-13:00 = 4 working hours late.
        ("breached", "просрочено на 4 раб. ч"), id="resolution-breached"),
    # Resolution, stopped.
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(11, 30, 17), status="closed",
               closed_at=msk(11, 30, 17)), Clock.RESOLUTION, msk(12, 10, 12),
        ("met", "выполнено в срок"), id="resolution-met"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(12, 1, 10, 20), status="closed",
               closed_at=msk(12, 1, 10, 20)), Clock.RESOLUTION, msk(12, 10, 12),
        # Answered Tue 1 Dec 10:20: Tue 09:00-10:20 = 1 h 20 min late.
        ("met_late", "с нарушением на 1 ч 20 мин"), id="resolution-met-late"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(11, 30, 20), status="closed",
               closed_at=msk(11, 30, 20)), Clock.RESOLUTION, msk(12, 10, 12),
        # Answered Mon 20:00, after the due Mon 18:00 but with no working time in between.
        ("met_late", "с нарушением (после срока, в нерабочее время)"), id="resolution-met-late-after-hours"),
    # Paused while waiting for the client: resolution pauses by default, the legal limit does not.
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), waiting_for_client=True, paused_at=msk(11, 25, 10)),
        Clock.RESOLUTION, msk(12, 3, 12),
        # Even past the due moment: the due moment moves when the client replies.
        ("paused", "приостановлен (ждём ответа клиента)"), id="resolution-paused"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), waiting_for_client=True, paused_at=msk(11, 25, 10)),
        Clock.LEGAL, msk(11, 25, 12),
        # 25 Nov -> 22 Jan: 5 days to 30 Nov + 31 (December) + 22 = 58 days.
        ("ok", "осталось 58 дн."), id="legal-runs-while-paused"),
    # The legal limit, in calendar days of the company's time zone.
    pytest.param(
        ticket(), Clock.LEGAL, msk(11, 24, 10, 30),
        # 24 Nov -> 22 Jan: 6 days to 30 Nov + 31 + 22 = 59 days.
        ("ok", "осталось 59 дн."), id="legal-ok"),
    pytest.param(
        ticket(), Clock.LEGAL, msk(1, 12, 23, year=2027),
        # 12 Jan 23:00 -> 22 Jan: 10 days, an hour before the warning (12 Jan 23:59:59).
        ("ok", "осталось 10 дн."), id="legal-just-before-warning"),
    pytest.param(
        ticket(), Clock.LEGAL, msk(1, 13, 12, year=2027),
        # 13 Jan -> 22 Jan: 9 days; past the warning.
        ("near", "осталось 9 дн."), id="legal-near"),
    pytest.param(
        ticket(), Clock.LEGAL, msk(1, 22, 15, year=2027),
        # The last day itself.
        ("near", "истекает сегодня"), id="legal-last-day"),
    pytest.param(
        ticket(), Clock.LEGAL, datetime(2027, 1, 22, 21, 30, tzinfo=UTC),
        # 21:30 UTC on 22 Jan = 00:30 MSK on 23 Jan: the limit ended at 22 Jan 23:59:59 MSK, 1 day ago.
        ("breached", "просрочено на 1 дн."), id="legal-breached-by-company-date"),
    pytest.param(
        ticket(), Clock.LEGAL, msk(1, 25, 9, year=2027),
        # 22 Jan -> 25 Jan: 3 calendar days (the weekend counts).
        ("breached", "просрочено на 3 дн."), id="legal-breached"),
    pytest.param(
        ticket(resolved_at=msk(1, 24, 11, year=2027), status="closed", closed_at=msk(1, 24, 11, year=2027)),
        Clock.LEGAL, msk(2, 1, 12, year=2027),
        # Answered 24 Jan: 2 calendar days after 22 Jan.
        ("met_late", "с нарушением на 2 дн."), id="legal-met-late"),
    pytest.param(
        ticket(resolved_at=msk(11, 27, 11), status="closed", closed_at=msk(11, 27, 11)),
        Clock.LEGAL, msk(12, 1, 12),
        ("met", "выполнено в срок"), id="legal-met"),
    # The dispute's re-review: runs while the ticket is open again, stopped when it is closed again.
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(11, 26, 12), dispute_due=msk(12, 7, 18)),
        Clock.DISPUTE, msk(12, 7, 16),
        # Mon 7 Dec 16:00-18:00 = 2 h; the warning (1 working day before) was Mon 09:00.
        ("near", "осталось 2 раб. ч"), id="dispute-near"),
    pytest.param(
        ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(12, 8, 10), dispute_due=msk(12, 7, 18),
               status="closed", closed_at=msk(12, 8, 10)),
        Clock.DISPUTE, msk(12, 9, 12),
        # Closed again Tue 8 Dec 10:00: Tue 09:00-10:00 = 1 h late.
        ("met_late", "с нарушением на 1 ч"), id="dispute-met-late"),
]


@pytest.mark.parametrize(("t", "clock", "now", "expected"), CASES)
def test_clock_texts(t: Ticket, clock: Clock, now: datetime, expected: tuple[str, str]) -> None:
    assert shown(t, clock, now) == expected


def test_lunch_is_not_working_time() -> None:
    # 09:00-18:00 with lunch 13:00-14:00. Now Tue 12:30, due Tue 15:00: 12:30-13:00 (30 min) + 14:00-15:00 (1 h).
    lunch = BusinessCalendar(lunch_start=time(13), lunch_end=time(14))
    t = ticket(first_response_due=msk(11, 24, 15))
    assert shown(t, Clock.FIRST_RESPONSE, msk(11, 24, 12, 30), lunch) == ("near", "осталось 1 раб. ч 30 мин")
    # A working day is then 8 h: Tue 12:30 -> Mon 30 Nov 18:00 = Tue 12:30-13:00, 14:00-18:00 (4 h 30 min)
    # + Wed, Thu, Fri, Mon (4 x 8 h) = 36 h 30 min = 4 days of 8 h + 4 h 30 min.
    assert shown(ticket(acknowledged_at=msk(11, 24, 10)), Clock.RESOLUTION, msk(11, 24, 12, 30), lunch) == (
        "ok", "осталось 4 раб. дн. 4 ч")


def test_a_view_carries_title_due_and_css() -> None:
    v = view(ticket(), Clock.FIRST_RESPONSE, msk(11, 24, 10, 30))
    assert v.title == "Первый ответ клиенту (8 рабочих часов)"
    assert v.due == FIRST_RESPONSE_DUE and v.due.tzinfo is not None
    assert (v.css, v.running) == ("clock-near", True)
    late = view(ticket(acknowledged_at=msk(11, 24, 15)), Clock.FIRST_RESPONSE, msk(11, 25, 12))
    assert (late.css, late.running) == ("clock-met-late", False)


def test_clock_views_lists_the_dispute_only_once_there_is_one() -> None:
    now = msk(11, 24, 10, 30)
    assert [v.clock for v in clock_views(ticket(), CALENDAR, POLICY, now)] == [
        Clock.FIRST_RESPONSE, Clock.RESOLUTION, Clock.LEGAL]
    assert clock_view(ticket(), Clock.DISPUTE, CALENDAR, POLICY, now) is None
    disputed = ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(11, 26, 12), dispute_due=msk(12, 7, 18))
    assert [v.clock for v in clock_views(disputed, CALENDAR, POLICY, now)][-1] == Clock.DISPUTE


def _nearest(t: Ticket, now: datetime) -> tuple[Clock, str, str]:
    v = nearest(t, CALENDAR, POLICY, now)
    return v.clock, v.state, v.text


def test_nearest_is_the_first_response_until_acknowledged() -> None:
    assert _nearest(ticket(), msk(11, 24, 10, 30)) == (Clock.FIRST_RESPONSE, "near", "осталось 1 раб. ч 30 мин")
    # Acknowledged: the resolution (Tue 10:30 -> Mon 18:00 = 4 days 7 h 30 min, as above).
    assert _nearest(ticket(acknowledged_at=msk(11, 24, 10)), msk(11, 24, 10, 30)) == (
        Clock.RESOLUTION, "ok", "осталось 4 раб. дн. 7 ч")


def test_nearest_is_the_dispute_while_disputed() -> None:
    disputed = ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(11, 26, 12), dispute_due=msk(12, 7, 18))
    # Thu 3 Dec 12:00 -> Mon 7 Dec 18:00: Thu 6 h + Fri 9 h + Mon 9 h = 24 h = 2 days of 9 h + 6 h.
    assert _nearest(disputed, msk(12, 3, 12)) == (Clock.DISPUTE, "ok", "осталось 2 раб. дн. 6 ч")


def test_nearest_is_the_legal_limit_when_it_is_nearer_or_breached() -> None:
    # The resolution paused for a long time ends after the legal limit: the legal limit is nearer.
    late = ticket(acknowledged_at=msk(11, 24, 10), resolution_due=msk(2, 1, 18, year=2027))
    # 18 Jan -> 22 Jan: 4 days, past the warning (12 Jan 23:59:59).
    assert _nearest(late, msk(1, 18, 12, year=2027)) == (Clock.LEGAL, "near", "осталось 4 дн.")
    paused = ticket(acknowledged_at=msk(11, 24, 10), waiting_for_client=True, paused_at=msk(11, 25, 10))
    # Paused resolution (due 30 Nov) and the legal limit breached on 25 Jan 2027 (3 days).
    assert _nearest(paused, msk(1, 25, 9, year=2027)) == (Clock.LEGAL, "breached", "просрочено на 3 дн.")
    # While the legal limit is far, the paused resolution is shown.
    assert _nearest(paused, msk(11, 26, 12)) == (Clock.RESOLUTION, "paused", "приостановлен (ждём ответа клиента)")


def test_nearest_of_a_closed_ticket_tells_how_it_ended() -> None:
    closed = ticket(acknowledged_at=msk(11, 24, 10), resolved_at=msk(11, 27, 11), status="closed",
                    closed_at=msk(11, 27, 11))
    assert _nearest(closed, msk(12, 1, 12)) == (Clock.RESOLUTION, "met", "выполнено в срок")
