from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.core.crypto.blind_index import NORMALIZERS
from backend.core.errors import Invalid
from backend.people import idcard
from backend.people.idcard import DocumentType, check_character, mask, parse_resident_id, validate_document

GOOD = "11010519491231002X"  # the example printed in GB 11643-1999


def test_a_valid_id_number_yields_birth_date_and_gender():
    parsed = parse_resident_id(GOOD)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "female"
    assert parsed.region == "110105"


def test_a_lower_case_x_and_full_width_digits_are_normalised():
    assert parse_resident_id("11010519491231002x").number == GOOD
    assert parse_resident_id("１１０１０５１９４９１２３１００２Ｘ").number == GOOD


def test_a_wrong_check_digit_is_refused():
    with pytest.raises(Invalid, match="校验位错误") as caught:
        parse_resident_id("110105194912310021")
    assert "110105194912310021" not in str(caught.value.details)


def test_an_impossible_birth_date_is_refused():
    first17 = "99010119900230123"  # 30 February
    with pytest.raises(Invalid, match="出生日期不存在"):
        parse_resident_id(first17 + check_character(first17))


def test_a_birth_date_in_the_future_is_refused():
    first17 = f"990101{dt.date.today().year + 1}0101123"
    with pytest.raises(Invalid, match="出生日期不合理"):
        parse_resident_id(first17 + check_character(first17))


@pytest.mark.parametrize(
    "number",
    [
        "1101051949123100", "1101051949123100XX", "11010519491231002Y", "ABCDEFGHIJKLMNOPQR",
        "٩٩٠١٠١١٩٩٠٠٣٠٧٠٠٤X",  # Arabic-Indic digits (checksum right, were accepted): ASCII digits only
    ],
)  # fmt: skip
def test_malformed_numbers_are_refused(number):
    with pytest.raises(Invalid, match="18 位"):
        parse_resident_id(number)


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.integers(0, 999),
    st.integers(0, 16),
    st.integers(1, 9),
)
def test_every_single_digit_error_is_caught_by_the_check_character(birth, seq, position, delta):
    first17 = f"990101{birth:%Y%m%d}{seq:03d}"
    number = first17 + check_character(first17)
    assert parse_resident_id(number, today=dt.date(2026, 1, 1)).number == number
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(Invalid):
        parse_resident_id(wrong, today=dt.date(2026, 1, 1))


def test_other_documents_are_checked_for_their_shape():
    assert validate_document(DocumentType.PASSPORT, "e12345678") == "E12345678"
    assert validate_document(DocumentType.HK_MACAU_PERMIT, "H12345678") == "H12345678"
    with pytest.raises(Invalid, match="证件号码格式不正确"):
        validate_document(DocumentType.HK_MACAU_PERMIT, "X1")


def test_masking_keeps_the_region_and_the_last_two_characters():
    assert mask(GOOD) == "110105**********2X"


def test_an_id_number_is_stored_in_the_form_its_blind_index_searches_by():
    """One normaliser in core serves the document check and the search token: they cannot drift apart."""
    typed = " １１０１０５ 19491231002x "
    assert validate_document(DocumentType.RESIDENT_ID, typed) == NORMALIZERS["id_number"](typed) == GOOD
    assert validate_document(DocumentType.PASSPORT, " ｅ1234567 ") == NORMALIZERS["id_number"](" ｅ1234567 ")
    assert idcard.normalize_id_number is NORMALIZERS["id_number"]
