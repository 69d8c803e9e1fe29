"""Masking personal data (ui/privacy.py): names, phones and e-mails as a screen shows them."""

from __future__ import annotations

import pandas as pd
import pytest

from ui import privacy


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张伟", "张*"),
        ("王秀英", "王**"),
        ("欧阳娜娜", "欧***"),
        ("Zhang Wei", "Zhang *"),
        ("Mary Ann Smith", "Mary *"),
        ("Madonna", "M*"),
        ("  Li  Na ", "Li *"),
    ],
)
def test_a_name_keeps_its_first_word_or_family_name(name, masked):
    assert privacy.mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138 **** 1234"),
        ("+86 138 1234 1234", "+86 138 **** 1234"),
        ("0086-13812341234", "0086-138****1234"),
        ("+44 7700 900123", "+44 770* **0123"),
        ("(153) 44942406", "(153) ****2406"),
        ("020 7946 0958", "020 **** 0958"),
        ("5550123", "***0123"),
        ("12345", "***45"),
    ],
)
def test_a_phone_keeps_its_country_code_first_three_and_last_four_digits(phone, masked):
    assert privacy.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("zhang.wei1154@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("not-an-email", "n***"),
    ],
)
def test_an_email_keeps_its_first_letter_and_domain(email, masked):
    assert privacy.mask_email(email) == masked


@pytest.mark.parametrize("mask", [privacy.mask_name, privacy.mask_phone, privacy.mask_email])
@pytest.mark.parametrize("value", [None, float("nan"), "", "   "])
def test_unknown_values_come_back_as_they_are(mask, value):
    out = mask(value)
    assert out is value or (pd.isna(out) and pd.isna(value))


def test_no_masked_value_holds_the_hidden_part():
    for phone in ("13893474125", "+86 15836937450", "+44 7700 900123"):
        digits = "".join(c for c in phone if c.isdigit())
        masked = privacy.mask_phone(phone)
        assert masked.count(privacy.HIDDEN) >= 3 and digits[-8:-4] not in masked
    assert "wei" not in privacy.mask_email("zhang.wei@example.com")
    assert "Wei" not in privacy.mask_name("Zhang Wei")


def test_a_frame_is_masked_by_its_raw_columns_or_the_columns_it_names():
    table = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "name": ["张伟", "Zhang Wei"],
            "email": ["zhang.wei@example.com", None],
            "phone": ["13812341234", "+44 7700 900123"],
            "city": ["Shanghai", "London"],
        }
    )
    out = privacy.mask_frame(table)
    assert list(out["name"]) == ["张*", "Zhang *"]
    assert out["email"].iloc[0] == "z***@example.com" and pd.isna(out["email"].iloc[1])
    assert list(out["phone"]) == ["138****1234", "+44 770* **0123"]
    assert list(out["customer_id"]) == ["c1", "c2"] and list(out["city"]) == ["Shanghai", "London"]
    assert table["name"].iloc[0] == "张伟"  # the caller's table is left as it was
    shown = privacy.mask_frame(pd.DataFrame({"Name": ["王秀英"]}), {"Name": privacy.NAME})
    assert shown["Name"].iloc[0] == "王**"
    rule_sets = pd.DataFrame({"Name": ["Built-in default"]})  # a heading alone is not enough
    assert privacy.mask_frame(rule_sets) is rule_sets


def test_a_frame_without_personal_columns_is_the_same_frame():
    table = pd.DataFrame({"customer_id": ["c1"], "stars": [5]})
    assert privacy.mask_frame(table) is table


def test_outside_a_session_nothing_is_masked():
    assert not privacy.masking_on()
    assert privacy.personal("张伟", privacy.NAME) == "张伟"
    make = lambda: pd.DataFrame({"name": ["张伟"]})  # noqa: E731
    assert privacy.masked_maker(make) is make
