"""inventory.gs1: GS1 scans as scanners type them, and what labels encode."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.gs1 import MAX_SCAN_LENGTH, SEPARATORS, digital_link, element_string, gtin_normalize, scan_parse

GTIN = "09506000134352"  # GS1's example GTIN-13 9506000134352, as 14 digits
FULL = f"01{GTIN}17271231" + "10ABC123\x1d21SN-0042"


# Element strings -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "]C1", "]d2", "]Q3", "]e0"])
def test_scan_parse_element_string_with_or_without_symbology_identifier(prefix):
    scan = scan_parse(prefix + FULL)
    assert scan.is_gs1 and not scan.error
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry) == (GTIN, "ABC123", "SN-0042", dt.date(2027, 12, 31))
    assert scan.number == "SN-0042"


@pytest.mark.parametrize("separator", SEPARATORS)
def test_scan_parse_each_separator(separator):
    scan = scan_parse(f"01{GTIN}10LOT-7{separator}21S1{separator}17260300")
    assert (scan.is_gs1, scan.gtin, scan.lot, scan.serial, scan.expiry) == (True, GTIN, "LOT-7", "S1", dt.date(2026, 3, 31))


def test_scan_parse_separator_after_fixed_length_fields_and_fnc1_in_first_position():
    scan = scan_parse(f"\x1d01{GTIN}\x1d17271231\x1d10ABC\x1d")
    assert (scan.is_gs1, scan.gtin, scan.lot, scan.expiry, scan.error) == (True, GTIN, "ABC", dt.date(2027, 12, 31), "")


def test_scan_parse_trailing_enter_and_spaces_of_the_scanner():
    assert scan_parse(f"  ]C101{GTIN}10ABC\r\n").lot == "ABC"


def test_scan_parse_variable_length_fields_up_to_twenty_characters():
    scan = scan_parse(f"01{GTIN}10{'L' * 20}\x1d21{'9' * 20}")
    assert (scan.lot, scan.serial) == ("L" * 20, "9" * 20)


def test_scan_parse_last_variable_field_needs_no_separator():
    assert scan_parse(f"]C101{GTIN}21ABC/1-2.3").serial == "ABC/1-2.3"


def test_scan_parse_without_separator_the_lot_runs_to_the_end():
    """That is what GS1 says: a variable field ends at a separator or at the end."""
    assert scan_parse(f"01{GTIN}10ABC21XYZ").lot == "ABC21XYZ"


def test_scan_parse_serial_only_or_lot_only_message():
    assert scan_parse(f"]C121SER9\x1d01{GTIN}").serial == "SER9"
    assert scan_parse("]C110ONLYLOT").lot == "ONLYLOT"
    assert scan_parse("]C110ONLYLOT").gtin is None


def test_scan_parse_gtin_only_number_is_the_text():
    scan = scan_parse(f"01{GTIN}")
    assert (scan.is_gs1, scan.gtin, scan.lot, scan.serial) == (True, GTIN, None, None)


def test_scan_parse_gtin8_and_gtin12_in_ai01_are_fourteen_digits():
    assert scan_parse("]C10100000096385074").gtin == "00000096385074"
    assert scan_parse("]C10100012345678905").gtin == "00012345678905"


def test_scan_parse_ean13_symbology_is_a_bare_gtin():
    scan = scan_parse("]E09506000134352")
    assert (scan.is_gs1, scan.gtin, scan.lot, scan.error) == (True, GTIN, None, "")


def test_scan_parse_human_readable_form():
    scan = scan_parse(f"(01){GTIN}(17)270200(10)ABC(21)S1")
    assert (scan.gtin, scan.expiry, scan.lot, scan.serial) == (GTIN, dt.date(2027, 2, 28), "ABC", "S1")


# Dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("270200", dt.date(2027, 2, 28)),
        ("280200", dt.date(2028, 2, 29)),
        ("261200", dt.date(2026, 12, 31)),
        ("260400", dt.date(2026, 4, 30)),
    ],
)
def test_scan_parse_day_00_is_the_last_day_of_the_month(yymmdd, expected):
    assert scan_parse(f"01{GTIN}17{yymmdd}10A").expiry == expected


def test_scan_parse_impossible_date_is_an_error_not_a_crash():
    scan = scan_parse(f"]C101{GTIN}17270231")
    assert scan.is_gs1 and "270231" in scan.error
    assert (scan.gtin, scan.expiry) == (None, None)


def test_scan_parse_month_13_with_identifier_is_an_error():
    scan = scan_parse(f"]C101{GTIN}17271301")
    assert scan.is_gs1 and scan.error


# Check digits and unreadable codes -------------------------------------------------------------


def test_scan_parse_bad_check_digit_with_identifier_is_an_error():
    scan = scan_parse("]C10109506000134353" + "10ABC")
    assert scan.is_gs1 and "check digit" in scan.error
    assert (scan.gtin, scan.lot) == (None, None)


def test_scan_parse_bad_check_digit_with_separator_is_an_error():
    scan = scan_parse("010950600013435310ABC\x1d21S")
    assert scan.is_gs1 and "check digit" in scan.error


def test_scan_parse_bad_check_digit_without_marker_is_a_plain_number():
    scan = scan_parse("0109506000134353" + "10ABC")
    assert not scan.is_gs1 and scan.number == "010950600013435310ABC" and not scan.error


def test_scan_parse_unreadable_message_with_identifier_is_an_error():
    scan = scan_parse("]C1ABC")
    assert scan.is_gs1 and scan.error and scan.number == "ABC"


# Plain numbers (no false positives) ------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "UHT-1201",
        "0950600013435",  # GTIN-13 digits, but not marked and no (01)
        "09506000134352",  # a GTIN-14 alone
        "9506000134352",
        "SN0001",
        "100045",  # starts with "10" like a lot AI
        "21000017",  # starts with "21" like a serial AI
        "17271231",  # looks like an expiry element
        "0100000000000001",  # (01) with a wrong check digit
        "0109506000134352X",  # (01) then a character no AI starts with
        "010950600013435217",  # (01) then a cut-off element
        "12^34",
        "LOT~7",
        "A^B",
        "(12)B",
        "]ABC",
        "]J1UHT",  # "]J" is no symbology identifier
        "https://example.com/lots/UHT-1201",
        "L 12",
        "",
    ],
)
def test_scan_parse_plain_numbers_are_returned_untouched(number):
    scan = scan_parse(number)
    assert not scan.is_gs1
    assert scan.number == number
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry, scan.error) == (None, None, None, None, "")


def test_scan_parse_plain_number_trimmed_of_whitespace_only():
    assert scan_parse("  UHT-1201\n").number == "UHT-1201"


def test_scan_parse_plain_symbology_identifier_is_dropped():
    """A Code 128 label of a plain number, read by a scanner set to send identifiers."""
    scan = scan_parse("]C0UHT-1201")
    assert (scan.is_gs1, scan.number) == (False, "UHT-1201")


def test_scan_parse_complete_unmarked_message_is_gs1():
    assert scan_parse(f"01{GTIN}17271231").is_gs1


# Digital Link ----------------------------------------------------------------------------------


def test_scan_parse_digital_link_of_gs1():
    scan = scan_parse(f"https://id.gs1.org/01/{GTIN}/10/ABC?17=271231")
    assert (scan.is_gs1, scan.gtin, scan.lot, scan.expiry, scan.error) == (True, GTIN, "ABC", dt.date(2027, 12, 31), "")


def test_scan_parse_digital_link_of_any_host_with_path_prefix_and_serial():
    scan = scan_parse("https://brand.example.com/p/01/9506000134352/10/A%2FB/21/S%2B01?17=270300&utm=x")
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry) == (GTIN, "A/B", "S+01", dt.date(2027, 3, 31))
    assert scan.number == "S+01"


def test_scan_parse_digital_link_behind_qr_identifier():
    assert scan_parse(f"]Q1https://id.gs1.org/01/{GTIN}/21/X1").serial == "X1"


def test_scan_parse_digital_link_bad_check_digit_is_an_error():
    scan = scan_parse("https://id.gs1.org/01/09506000134353/10/ABC")
    assert scan.is_gs1 and "check digit" in scan.error


def test_scan_parse_digital_link_with_odd_segments_is_an_error():
    scan = scan_parse(f"https://id.gs1.org/01/{GTIN}/10")
    assert scan.is_gs1 and scan.error


# Bounds and robustness -------------------------------------------------------------------------


def test_scan_parse_huge_input_is_plain_with_an_error():
    text = f"]C101{GTIN}10" + "A" * 10_000
    scan = scan_parse(text)
    assert not scan.is_gs1 and str(MAX_SCAN_LENGTH) in scan.error
    assert scan.gtin is None


def test_scan_parse_non_string_is_empty_plain():
    assert scan_parse(None).number == ""  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"(\][Cd][12])?01\d{14}(17\d{6})?(10[A-Za-z0-9^~\x1d]{0,25})?", fullmatch=True))
def test_scan_parse_never_raises(text):
    scan = scan_parse(text)
    assert isinstance(scan.number, str)
    if not scan.is_gs1:
        assert scan.gtin is None and scan.lot is None


# gtin_normalize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("96385074", "00000096385074"), ("012345678905", "00012345678905"), ("9506000134352", GTIN), (GTIN, GTIN), (" 9506000134352 ", GTIN)],
)
def test_gtin_normalize_lengths(value, expected):
    assert gtin_normalize(value) == expected


@pytest.mark.parametrize(
    "value", ["9506000134353", "950600013435", "123", "", None, "abcdefghijklm", "０９５０６０００１３４３５２", "000000000000000"]
)
def test_gtin_normalize_rejects(value):
    assert gtin_normalize(value) is None


# Building labels -------------------------------------------------------------------------------


def test_element_string_orders_fixed_fields_first_and_separates_the_lot():
    assert element_string("9506000134352", lot="L1", serial="S1", expiry=dt.date(2027, 12, 31)) == f"01{GTIN}17271231" + "10L1\x1d21S1"
    assert element_string("9506000134352", lot="L1", separator="^") == f"01{GTIN}10L1"


@pytest.mark.parametrize("separator", SEPARATORS)
def test_element_string_round_trip(separator):
    text = element_string(GTIN, lot="UHT-1201", serial="0042", expiry=dt.date(2026, 6, 30), separator=separator)
    scan = scan_parse(text)
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry) == (GTIN, "UHT-1201", "0042", dt.date(2026, 6, 30))


def test_element_string_refuses_what_gs1_cannot_carry():
    with pytest.raises(ValueError, match="check digit"):
        element_string("9506000134353", lot="A")
    with pytest.raises(ValueError, match="GS1 field"):
        element_string(GTIN, lot="A" * 21)
    with pytest.raises(ValueError, match="GS1 field"):
        element_string(GTIN, serial="ÄÖ")
    with pytest.raises(ValueError, match="two-digit year"):
        element_string(GTIN, expiry=dt.date(2199, 1, 1))


def test_digital_link_escapes_and_round_trips():
    uri = digital_link("9506000134352", lot="A/B%", serial="S+1", expiry=dt.date(2027, 1, 31), host="https://brand.example.com/")
    assert uri == f"https://brand.example.com/01/{GTIN}/10/A%2FB%25/21/S%2B1?17=270131"
    scan = scan_parse(uri)
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry) == (GTIN, "A/B%", "S+1", dt.date(2027, 1, 31))


def test_digital_link_default_host():
    assert digital_link(GTIN) == f"https://id.gs1.org/01/{GTIN}"
