"""The objection window under Belgian law (Judicial Code art. 52-53, Civil Code art. 1.7), as tables."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dpa_manager import rules

UTC = UTC
BXL = ZoneInfo("Europe/Brussels")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


CALENDAR = [
    # notified (UTC)              days  closes (UTC)             why
    (utc(2026, 11, 2, 9, 0), 7, utc(2026, 11, 9, 23, 0), "Monday + 7 = Monday; closes at midnight (CET)"),
    (utc(2026, 11, 20, 9, 0), 7, utc(2026, 11, 27, 23, 0), "Friday + 7 = Friday"),
    (utc(2026, 11, 21, 10, 0), 7, utc(2026, 11, 30, 23, 0), "last day Saturday moves to Monday"),
    (utc(2026, 11, 22, 10, 0), 7, utc(2026, 11, 30, 23, 0), "last day Sunday moves to Monday"),
    (utc(2026, 11, 2, 22, 30), 7, utc(2026, 11, 9, 23, 0), "23:30 in Brussels is still 2 November"),
    (utc(2026, 11, 2, 23, 30), 7, utc(2026, 11, 10, 23, 0), "00:30 in Brussels is already 3 November"),
    (utc(2026, 11, 19, 9, 0), 1, utc(2026, 11, 20, 23, 0), "one day: the next day"),
    (utc(2026, 11, 20, 9, 0), 1, utc(2026, 11, 23, 23, 0), "one day from Friday ends Saturday, moves to Monday"),
    (utc(2026, 11, 2, 9, 0), 30, utc(2026, 12, 2, 23, 0), "thirty days"),
    # each Belgian public holiday as the last day
    (utc(2025, 12, 25, 9, 0), 7, utc(2026, 1, 2, 23, 0), "1 January (Thursday) moves to Friday 2 January"),
    (utc(2026, 3, 30, 9, 0), 7, utc(2026, 4, 7, 22, 0), "Easter Monday 6 April moves to Tuesday (CEST)"),
    (utc(2026, 4, 24, 9, 0), 7, utc(2026, 5, 4, 22, 0), "1 May (Friday), then the weekend: Monday 4 May"),
    (utc(2026, 5, 7, 9, 0), 7, utc(2026, 5, 15, 22, 0), "Ascension Day 14 May moves to Friday"),
    (utc(2026, 5, 18, 9, 0), 7, utc(2026, 5, 26, 22, 0), "Whit Monday 25 May moves to Tuesday"),
    (utc(2026, 7, 14, 9, 0), 7, utc(2026, 7, 22, 22, 0), "21 July moves to 22 July"),
    (utc(2025, 8, 8, 9, 0), 7, utc(2025, 8, 18, 22, 0), "15 August (Friday), then the weekend: Monday 18"),
    (utc(2027, 10, 25, 9, 0), 7, utc(2027, 11, 2, 23, 0), "1 November (Monday) moves to Tuesday"),
    (utc(2026, 11, 4, 9, 0), 7, utc(2026, 11, 12, 23, 0), "11 November (Wednesday) moves to Thursday"),
    (utc(2026, 12, 18, 9, 0), 7, utc(2026, 12, 28, 23, 0), "25 December (Friday), then the weekend: Monday 28"),
    # year ends
    (utc(2026, 12, 25, 9, 0), 7, utc(2027, 1, 4, 23, 0), "1 January 2027 (Friday), then the weekend: Monday 4"),
    (utc(2026, 12, 31, 22, 59), 1, utc(2027, 1, 4, 23, 0), "23:59 on 31 December; 1 January is a holiday"),
    (utc(2026, 12, 31, 23, 0), 1, utc(2027, 1, 4, 23, 0), "00:00 on 1 January counts from 1 January"),
    # both DST changes
    (utc(2026, 3, 20, 10, 0), 7, utc(2026, 3, 27, 23, 0), "closes the night before summer time starts"),
    (utc(2026, 3, 23, 10, 0), 7, utc(2026, 3, 30, 22, 0), "spans the start of summer time: midnight is 22:00 UTC"),
    (utc(2027, 3, 22, 11, 0), 7, utc(2027, 3, 30, 22, 0), "spans summer time and Easter Monday 29 March 2027"),
    (utc(2026, 10, 19, 10, 0), 7, utc(2026, 10, 26, 23, 0), "spans the end of summer time: midnight is 23:00 UTC"),
    (utc(2026, 10, 24, 21, 30), 1, utc(2026, 10, 26, 23, 0), "23:30 CEST on Saturday 24 October, last day Sunday"),
]

WORKING = [
    (utc(2026, 11, 20, 9, 0), 3, utc(2026, 11, 25, 23, 0), "Friday: Monday, Tuesday, Wednesday"),
    (utc(2026, 11, 21, 9, 0), 3, utc(2026, 11, 25, 23, 0), "Saturday: the same three days"),
    (utc(2026, 11, 9, 9, 0), 3, utc(2026, 11, 13, 23, 0), "11 November is skipped"),
    (utc(2026, 12, 23, 9, 0), 3, utc(2026, 12, 29, 23, 0), "Christmas and the weekend are skipped"),
    (utc(2026, 12, 30, 9, 0), 3, utc(2027, 1, 5, 23, 0), "over the year end, 1 January skipped"),
    (utc(2026, 4, 2, 9, 0), 3, utc(2026, 4, 8, 22, 0), "Easter Monday skipped"),
    (utc(2026, 5, 13, 9, 0), 2, utc(2026, 5, 18, 22, 0), "Ascension Day skipped"),
    (utc(2026, 4, 30, 9, 0), 1, utc(2026, 5, 4, 22, 0), "1 May (Friday) and the weekend skipped"),
    (utc(2026, 3, 26, 10, 0), 3, utc(2026, 3, 31, 22, 0), "over the start of summer time"),
    (utc(2026, 10, 22, 10, 0), 3, utc(2026, 10, 27, 23, 0), "over the end of summer time"),
    (utc(2026, 11, 20, 9, 0), 1, utc(2026, 11, 23, 23, 0), "one working day from Friday: Monday"),
    (utc(2026, 7, 17, 9, 0), 2, utc(2026, 7, 22, 22, 0), "21 July skipped"),
]


@pytest.mark.parametrize("notified, days, closes, why", CALENDAR, ids=[c[3] for c in CALENDAR])
def test_calendar_days(notified, days, closes, why):
    assert rules.objection_closes_at(notified, days, "calendar") == closes


@pytest.mark.parametrize("notified, days, closes, why", WORKING, ids=[c[3] for c in WORKING])
def test_working_days(notified, days, closes, why):
    assert rules.objection_closes_at(notified, days, "working") == closes


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 7, 21),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
        date(2027, 3, 29),
        date(2027, 5, 6),
        date(2027, 5, 17),
    ],
)
def test_belgian_public_holidays_are_not_working_days(day):
    assert not rules.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 11, 23),
        date(2026, 12, 24),
        date(2026, 12, 31),
        date(2026, 11, 2),
        date(2026, 4, 7),
        date(2026, 11, 10),
    ],
)
def test_ordinary_weekdays_are_working_days(day):
    assert rules.is_working_day(day)


def test_every_close_is_midnight_in_brussels_after_a_working_day():
    start = utc(2026, 1, 1, 7, 30)
    for hours in range(0, 24 * 400, 5):
        notified = start + timedelta(hours=hours)
        for days, unit in ((7, "calendar"), (3, "working"), (1, "calendar"), (14, "working")):
            closes = rules.objection_closes_at(notified, days, unit)
            local = closes.astimezone(BXL)
            assert (local.hour, local.minute, local.second) == (0, 0, 0)
            assert rules.is_working_day(local.date() - timedelta(days=1))
            assert closes.tzinfo is not None
            first_day = notified.astimezone(BXL).date()
            assert (local.date() - first_day).days >= days + 1


def test_later_notice_never_closes_earlier():
    previous = None
    for minutes in range(0, 60 * 24 * 60, 37):
        closes = rules.objection_closes_at(utc(2026, 12, 1) + timedelta(minutes=minutes), 7, "calendar")
        assert previous is None or closes >= previous
        previous = closes


def test_objection_counts_only_strictly_before_closing():
    closes = rules.objection_closes_at(utc(2026, 11, 2, 9), 7, "calendar")
    assert rules.objection_in_time(closes - timedelta(microseconds=1), closes)
    assert not rules.objection_in_time(closes, closes)


@pytest.mark.parametrize("days, unit", [(0, "calendar"), (91, "working"), (7, "weeks")])
def test_invalid_windows_are_refused(days, unit):
    with pytest.raises(ValueError):
        rules.objection_closes_at(utc(2026, 11, 2, 9), days, unit)


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        rules.objection_closes_at(datetime(2026, 11, 2, 9), 7, "calendar")


@pytest.mark.parametrize(
    "notified, closes, remind",
    [
        (utc(2026, 11, 2, 9), utc(2026, 11, 9, 23), utc(2026, 11, 7, 23)),  # midnight two days before
        (utc(2026, 3, 23, 10), utc(2026, 3, 30, 22), utc(2026, 3, 28, 23)),  # 29 March 00:00 is still CET
        (utc(2026, 11, 19, 9), utc(2026, 11, 20, 23), None),  # a one-day window: too late
    ],
)
def test_reminder_two_days_before_closing(notified, closes, remind):
    assert rules.reminder_at(notified, closes) == remind


@pytest.mark.parametrize(
    "now, left",
    [
        (utc(2026, 11, 2, 9), (7, 14, 0)),
        (utc(2026, 11, 9, 22, 30), (0, 0, 30)),
        (utc(2026, 11, 9, 23), None),
        (utc(2026, 11, 9, 19, 15, 30), (0, 3, 44)),
    ],
)
def test_time_left(now, left):
    assert rules.time_left(now, utc(2026, 11, 9, 23)) == left


ALL = list(rules.NoticeState)
ALLOWED = {(a, b) for a, targets in rules.NOTICE_TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_notice_transitions(source, target):
    if (source, target) in ALLOWED:
        rules.check_notice_transition(source, target)
    else:
        with pytest.raises(rules.TransitionError):
            rules.check_notice_transition(source, target)


def test_only_an_open_notice_can_be_deemed_approved():
    sources = {a for a, b in ALLOWED if b == rules.NoticeState.DEEMED_APPROVED}
    assert sources == {rules.NoticeState.OPEN}


def test_a_deemed_approval_gives_way_only_to_an_answer_or_a_bounce():
    assert rules.NOTICE_TRANSITIONS[rules.NoticeState.DEEMED_APPROVED] == {
        rules.NoticeState.OBJECTED,
        rules.NoticeState.APPROVED,
        rules.NoticeState.AWAITING_DELIVERY,  # no copy reached the client
        rules.NoticeState.OPEN,  # a later copy did, and its window closes after the deemed approval
    }


def test_an_answered_or_withdrawn_notice_never_goes_back_to_waiting():
    sources = {a for a, b in ALLOWED if b == rules.NoticeState.AWAITING_DELIVERY}
    assert sources == {rules.NoticeState.OPEN, rules.NoticeState.INFORMED, rules.NoticeState.DEEMED_APPROVED}


T0 = utc(2026, 11, 23, 9)  # a Monday
T1 = utc(2026, 11, 25, 14)  # the Wednesday after
STATED = utc(2026, 12, 4, 23)
COPIES = [
    # copies                                                              opened  told  stated  why
    ([], None, None, None, "nothing was accepted"),
    ([(T0, None, True)], None, None, None, "the only copy bounced"),
    ([(T0, STATED, True)], None, None, None, "a bounced copy states nothing to the client"),
    ([(T0, None, True)], T1, T1, None, "bounced, but the client opened the notice in the portal"),
    ([(T0, None, True), (T1, STATED, False)], None, T1, STATED, "a later copy reached another address"),
    ([(T0, None, False), (T1, STATED, True)], None, T0, None, "the later copy bounced, the first did not"),
    ([(T1, None, False)], T0, T0, None, "opened in the portal before the e-mail was accepted"),
    (
        [(T0, STATED, False), (T1, utc(2026, 11, 30, 23), False)],
        None,
        T0,
        STATED,
        "the latest closing moment stated counts",
    ),
]


@pytest.mark.parametrize("copies, opened, told, stated, why", COPIES, ids=[c[-1] for c in COPIES])
def test_told_by(copies, opened, told, stated, why):
    given = [rules.Copy(accepted_at=a, stated_closes_at=s, bounced=b) for a, s, b in copies]
    assert rules.told_by(given, opened) == (told, stated)


OPEN_T0 = rules.objection_closes_at(T0, 7, "calendar")  # 2026-11-30 23:00 UTC (midnight in Brussels)
OPEN_T1 = rules.objection_closes_at(T1, 7, "calendar")  # 2026-12-02 23:00 UTC
BOUNCES = [
    # state               approval  decided               told  stated   result (state, closes_at)       why
    ("open", True, None, None, None, ("awaiting_delivery", None), "open, nothing reached the client"),
    ("deemed_approved", True, OPEN_T0, None, None, ("awaiting_delivery", None), "deemed approved, nothing reached"),
    ("informed", False, None, None, None, ("awaiting_delivery", None), "informed, nothing reached the client"),
    ("open", True, None, T0, None, None, "another copy of the same moment reached the client"),
    ("open", True, None, T1, None, ("open", OPEN_T1), "a later copy: the window counts from it"),
    ("open", True, None, T1, STATED, ("open", STATED), "never shorter than the later copy stated"),
    ("deemed_approved", True, OPEN_T0, T1, None, ("open", OPEN_T1), "deemed approved too early: open again"),
    (
        "deemed_approved",
        True,
        utc(2026, 12, 10, 9),
        T1,
        None,
        ("deemed_approved", OPEN_T1),
        "the later window had closed too when the approval was recorded",
    ),
    ("informed", False, None, T1, None, ("informed", None), "informed later: only the moment moves"),
    ("objected", True, T1, None, None, None, "the client objected: it was told"),
    ("approved", True, T1, None, None, None, "the client approved: it was told"),
    ("withdrawn", True, None, None, None, None, "withdrawn: nothing to do"),
    ("awaiting_delivery", True, None, None, None, None, "still waiting: nothing to undo"),
]


@pytest.mark.parametrize("state, approval, decided, told, stated, result, why", BOUNCES, ids=[b[-1] for b in BOUNCES])
def test_after_bounce(state, approval, decided, told, stated, result, why):
    notified = None if state == "awaiting_delivery" else T0
    outcome = rules.after_bounce(
        state=state,
        needs_approval=approval,
        notified_at=notified,
        decided_at=decided,
        days=7,
        unit="calendar",
        told=told,
        stated=stated,
    )
    if result is None:
        assert outcome is None
        return
    target, values = outcome
    assert (target, values.get("closes_at")) == result
    if target != state:
        rules.check_notice_transition(state, target)
    assert values["notified_at"] == told
    if target == "open":
        assert values["decided_at"] is None and values["stated_closes_at"] == (stated or values["closes_at"])
        assert values["remind_at"] == rules.reminder_at(told, values["closes_at"])
    if target == "awaiting_delivery":
        assert values == dict.fromkeys(["notified_at", "closes_at", "stated_closes_at", "remind_at", "decided_at"])


CLOSES = utc(2026, 11, 30, 23)
ANSWERS = [
    # received                      now                       counts  why
    (utc(2026, 11, 30, 22, 59, 59), utc(2026, 12, 3, 9), True, "a second before closing, recorded days later"),
    (CLOSES, utc(2026, 12, 3, 9), False, "at the closing moment: too late"),
    (utc(2026, 12, 1, 8), utc(2026, 12, 3, 9), False, "after closing"),
    (utc(2026, 11, 25, 9), utc(2026, 11, 25, 8), False, "in the future"),
    (utc(2026, 11, 20, 9), utc(2026, 11, 25, 8), False, "before the notice existed"),
    (utc(2026, 11, 21, 10), utc(2026, 11, 25, 8), True, "the moment of the announcement"),
]


@pytest.mark.parametrize("received, now, counts, why", ANSWERS)
def test_an_answer_counts_when_received_before_closing_whenever_recorded(received, now, counts, why):
    error = rules.answer_error(received, now=now, announced_at=utc(2026, 11, 21, 10), closes_at=CLOSES)
    assert (error is None) is counts, why


@pytest.mark.parametrize(
    "change, kind, needs",
    [
        ("add", "active_systematic", True),
        ("replace", "active_systematic", True),
        ("remove", "active_systematic", False),
        ("add", "incidental", False),
        ("replace", "incidental", False),
    ],
)
def test_which_notices_have_a_window(change, kind, needs):
    assert rules.notice_needs_approval(change, kind) is needs


APPLIED = [
    # notified (UTC, accepted)    stated (UTC) or None       applies (UTC)             why
    (utc(2026, 11, 28, 9, 0), None, utc(2026, 12, 7, 23, 0), "nothing stated: the rule"),
    (
        utc(2026, 11, 27, 23, 0, 0, 3000),
        utc(2026, 12, 4, 23, 0),
        utc(2026, 12, 7, 23, 0),
        "composed Friday 23:59:59 Brussels, accepted Saturday 00:00:00.003: the rule from Saturday is later",
    ),
    (utc(2026, 11, 27, 9, 0), utc(2026, 12, 4, 23, 0), utc(2026, 12, 4, 23, 0), "stated and rule agree"),
    (
        utc(2026, 11, 27, 9, 0),
        utc(2026, 12, 8, 23, 0),
        utc(2026, 12, 8, 23, 0),
        "a later moment was stated: the client is never held to less than it read",
    ),
    (
        utc(2026, 11, 27, 9, 0),
        utc(2026, 12, 1, 23, 0),
        utc(2026, 12, 4, 23, 0),
        "an earlier moment was stated: the law's window still applies",
    ),
]


@pytest.mark.parametrize("notified, stated, applies, why", APPLIED)
def test_the_window_applied_is_never_shorter_than_stated_or_than_the_rule(notified, stated, applies, why):
    assert rules.applied_closes_at(notified, 7, "calendar", stated) == applies, why
    assert rules.applied_closes_at(notified, 7, "calendar", stated) >= rules.objection_closes_at(
        notified, 7, "calendar"
    )
