"""The pure rules, as tables."""

from datetime import date
from types import SimpleNamespace

import pytest

from dpa_manager import rules
from dpa_manager.rules import AgreementState as S


@pytest.mark.parametrize(
    "raw, error",
    [
        ("0427073974", None),
        ("0427.073.974", None),
        ("BE 0427.073.974", None),
        ("be0427073974", None),
        ("0427 073 974", None),
        ("1000000021", None),  # starts with 1: 10000000 % 97 = 76, 97 - 76 = 21
        ("0427073975", "controlegetal"),
        ("2427073974", "begint met 0 of 1"),
        ("042707397", "10 cijfers"),
        ("04270739745", "10 cijfers"),
        ("04270739AB", "10 cijfers"),
        ("", "Vul een ondernemingsnummer in"),
        ("   ", "Vul een ondernemingsnummer in"),
    ],
)
def test_enterprise_number(raw, error):
    result = rules.enterprise_number_error(raw)
    if error is None:
        assert result is None
    else:
        assert error in result


def test_enterprise_number_is_shown_with_dots():
    assert rules.format_enterprise_number(rules.normalize_enterprise_number("BE 0427 073 974")) == "0427.073.974"


@pytest.mark.parametrize(
    "days, unit, ok",
    [
        (7, "calendar", True),
        (90, "calendar", True),
        (3, "working", True),
        (90, "working", True),
        (6, "calendar", False),
        (1, "calendar", False),
        (2, "working", False),
        (1, "working", False),
        (0, "calendar", False),
        (91, "calendar", False),
        (-1, "working", False),
        (None, "calendar", False),
        (7, "weeks", False),
        (7, None, False),
    ],
)
def test_window_bounds(days, unit, ok):
    assert (rules.window_error(days, unit) is None) is ok


@pytest.mark.parametrize("days, unit", [(6, "calendar"), (2, "working")])
def test_a_window_too_short_to_object_in_practice_says_why(days, unit):
    assert "7 kalenderdagen of 3 werkdagen" in rules.window_error(days, unit)
    assert rules.period_error(days, unit) is None  # still a period the law can count


@pytest.mark.parametrize(
    "days, unit, text",
    [
        (7, "calendar", "7 kalenderdagen"),
        (1, "calendar", "1 kalenderdag"),
        (3, "working", "3 werkdagen"),
        (1, "working", "1 werkdag"),
    ],
)
def test_describe_window(days, unit, text):
    assert rules.describe_window(days, unit) == text


@pytest.mark.parametrize(
    "cents, text",
    [
        (250_000, "€ 2.500"),
        (100_000, "€ 1.000"),
        (0, "€ 0"),
        (50, "€ 0,50"),
        (123_456_789, "€ 1.234.567,89"),
        (-1_000, "€ -10"),
    ],
)
def test_format_eur(cents, text):
    assert rules.format_eur(cents) == text


ALL_STATES = list(S)
ALLOWED = {
    (S.DRAFT, S.SENT),
    (S.SENT, S.DRAFT),
    (S.SENT, S.SIGNED),
    (S.SIGNED, S.SUPERSEDED),
    (S.SIGNED, S.TERMINATED),
    # a deemed acceptance undone by an objection received in time: the new one lapses, the old one is back
    (S.SIGNED, S.ANNULLED),
    (S.SUPERSEDED, S.SIGNED),
}


@pytest.mark.parametrize("source", ALL_STATES)
@pytest.mark.parametrize("target", ALL_STATES)
def test_every_transition_is_allowed_or_refused(source, target):
    if (source, target) in ALLOWED:
        rules.check_transition(source, target)
    else:
        with pytest.raises(rules.TransitionError):
            rules.check_transition(source, target)


def complete(**overrides):
    values = dict(
        subject_matter="Klantendienst",
        starts_on=date(2026, 1, 1),
        ends_on=None,
        nature_purpose="Oproepen beantwoorden",
        data_types=["contact"],
        data_subjects=["customers"],
        toms="Versleuteling",
        window_days=7,
        window_unit="calendar",
        end_choice="delete",
    )
    return SimpleNamespace(**(values | overrides))


def test_complete_agreement_covers_every_element():
    result = rules.checklist(complete(), set(rules.CHECKLIST_KEYS))
    assert len(result) == 15
    assert all(ok for _, ok in result)
    assert rules.missing_elements(complete(), set(rules.CHECKLIST_KEYS)) == []


@pytest.mark.parametrize(
    "overrides, missing_key",
    [
        ({"subject_matter": "  "}, "subject_duration"),
        ({"starts_on": None}, "subject_duration"),
        ({"ends_on": date(2025, 12, 31)}, "subject_duration"),
        ({"nature_purpose": ""}, "nature_purpose"),
        ({"data_types": []}, "data_types"),
        ({"data_subjects": []}, "data_subjects"),
        ({"toms": "\n"}, "security"),
        ({"window_days": 0}, "subprocessors"),
        ({"window_days": 91}, "subprocessors"),
        ({"window_unit": "weeks"}, "subprocessors"),
        ({"end_choice": "keep"}, "end_of_processing"),
    ],
)
def test_missing_particular_is_named(overrides, missing_key):
    missing = rules.missing_elements(complete(**overrides), set(rules.CHECKLIST_KEYS))
    assert [item.key for item in missing] == [missing_key]


@pytest.mark.parametrize("key", sorted(k.key for k in rules.CHECKLIST if k.source != "particulars"))
def test_an_uncovered_article_topic_is_missing(key):
    missing = rules.missing_elements(complete(), set(rules.CHECKLIST_KEYS) - {key})
    assert [item.key for item in missing] == [key]


def test_checklist_matches_art_28_3():
    assert len(rules.CHECKLIST) == 15
    assert len(rules.CHECKLIST_KEYS) == 15


@pytest.mark.parametrize(
    "starts, ends, text",
    [
        (date(2026, 1, 1), None, "vanaf 01/01/2026, voor de duur van de dienstverleningsovereenkomst"),
        (date(2026, 1, 1), date(2027, 12, 31), "van 01/01/2026 tot en met 31/12/2027"),
    ],
)
def test_duration_text(starts, ends, text):
    assert rules.duration_text(starts, ends) == text


def test_the_window_range_message_names_the_limits():
    assert f"minstens {rules.MIN_WINDOW_DAYS} en hoogstens {rules.MAX_WINDOW_DAYS} dagen" in rules.WINDOW_RANGE


@pytest.mark.parametrize(
    "transitions, current, target, allowed",
    [
        (rules.SUBPROCESSOR_TRANSITIONS, "proposed", "active", True),
        (rules.SUBPROCESSOR_TRANSITIONS, "proposed", "retired", False),
        (rules.SUBPROCESSOR_TRANSITIONS, "active", "retired", True),
        (rules.SUBPROCESSOR_TRANSITIONS, "active", "proposed", False),
        (rules.SUBPROCESSOR_TRANSITIONS, "retired", "active", True),
        (rules.SUBPROCESSOR_TRANSITIONS, "retired", "proposed", False),
        (rules.CHANGE_TRANSITIONS, "draft", "announced", True),
        (rules.CHANGE_TRANSITIONS, "draft", "cancelled", True),
        (rules.CHANGE_TRANSITIONS, "announced", "cancelled", True),
        (rules.CHANGE_TRANSITIONS, "announced", "draft", False),
        (rules.CHANGE_TRANSITIONS, "cancelled", "announced", False),
        (rules.CHANGE_TRANSITIONS, "cancelled", "draft", False),
        (rules.OUTBOX_TRANSITIONS, "pending", "sending", True),
        (rules.OUTBOX_TRANSITIONS, "pending", "sent", False),
        (rules.OUTBOX_TRANSITIONS, "sending", "sent", True),
        (rules.OUTBOX_TRANSITIONS, "sending", "dead", True),
        (rules.OUTBOX_TRANSITIONS, "sending", "pending", True),
        (rules.OUTBOX_TRANSITIONS, "sending", "cancelled", True),
        (rules.OUTBOX_TRANSITIONS, "sent", "pending", True),
        (rules.OUTBOX_TRANSITIONS, "sent", "dead", False),
        (rules.OUTBOX_TRANSITIONS, "dead", "pending", True),
        (rules.OUTBOX_TRANSITIONS, "dead", "sent", False),
        (rules.OUTBOX_TRANSITIONS, "cancelled", "pending", False),
    ],
)
def test_register_change_and_outbox_moves(transitions, current, target, allowed):
    assert rules.may_move(transitions, current, target) is allowed


def test_every_state_of_the_register_and_the_outbox_has_its_moves():
    for states, transitions in (
        (rules.SubProcessorStatus, rules.SUBPROCESSOR_TRANSITIONS),
        (rules.ChangeState, rules.CHANGE_TRANSITIONS),
        (rules.OutboxState, rules.OUTBOX_TRANSITIONS),
    ):
        assert set(transitions) == set(states)
        assert all(target in states for targets in transitions.values() for target in targets)


def test_the_states_a_move_may_start_from():
    assert rules.sources(rules.CHANGE_TRANSITIONS, "cancelled") == ["announced", "draft"]
    assert rules.sources(rules.OUTBOX_TRANSITIONS, "sending") == ["pending", "sending"]


@pytest.mark.parametrize(
    "typed, read",
    [
        ("2500", "2500"),
        ("2.500", "2500"),
        ("2.500,00", "2500.00"),
        ("€ 2.500,50", "2500.50"),
        ("2 500,00", "2500.00"),
        ("2\u202f500,00", "2500.00"),
        ("2,500.00", "2500.00"),
        ("2500.00", "2500.00"),
        ("2,5", "2.5"),
        ("1.000.000", "1000000"),
        ("12.50", "12.50"),
        ("", ""),
    ],
)
def test_an_amount_is_read_as_any_language_writes_it(typed, read):
    from dpa_manager.web import plain_amount

    assert plain_amount(typed) == read


@pytest.mark.parametrize(
    "style, name, full_name, expected",
    [
        ("full_name", "", "Els Janssens", ("Geachte %(name)s,", {"name": "Els Janssens"})),
        ("full_name", "Els", "Els Janssens", ("Geachte %(name)s,", {"name": "Els Janssens"})),
        ("ms", "Janssens", "Els Janssens", ("Geachte mevrouw %(name)s,", {"name": "Janssens"})),
        ("mr", "Van den  Broeck ", "Jan Van den Broeck", ("Geachte heer %(name)s,", {"name": "Van den Broeck"})),
        ("first_name", "Els", "Els Janssens", ("Beste %(name)s,", {"name": "Els"})),
        # a style whose name is missing falls back to the full name, and no name at all to none
        ("ms", "", "Els Janssens", ("Geachte %(name)s,", {"name": "Els Janssens"})),
        ("first_name", "  ", "", ("Geachte heer, mevrouw,", {})),
        ("full_name", "", "", ("Geachte heer, mevrouw,", {})),
        (None, None, None, ("Geachte heer, mevrouw,", {})),
        ("unknown", "Els", "Els Janssens", ("Geachte %(name)s,", {"name": "Els Janssens"})),
    ],
)
def test_salutation(style, name, full_name, expected):
    assert rules.salutation(style, name, full_name) == expected


@pytest.mark.parametrize(
    "style, name, error",
    [
        ("full_name", "", None),
        ("ms", "Janssens", None),
        ("first_name", "Els", None),
        ("ms", "", "Vul de naam in"),
        ("first_name", "   ", "Vul de naam in"),
        ("mrs", "Janssens", "Kies een aanspreking"),
        ("mr", "J" * 101, "Hoogstens 100"),
        ("mr", "Jans\nsens", "op één regel"),
    ],
)
def test_salutation_error(style, name, error):
    found = rules.salutation_error(style, name)
    assert (found is None) if error is None else (error in found)
