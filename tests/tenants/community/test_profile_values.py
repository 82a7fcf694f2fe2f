"""A member's fields edited by hand pass the same checks as imported ones: within the columns, storable, finite."""
from __future__ import annotations

import pytest

from tenants.community.models import AttributeDef, Member
from tenants.community.profile import CommunityError, coerce_attribute, update_fields


@pytest.mark.parametrize("name, email, city, followers", [
    ("Ann\x00", None, None, None),
    ("Ann", None, "К" * 121, None),
    ("Ann", None, "Kazan\ud800", None),
    ("Ann", "a@" + "x" * 260 + ".test", None, None),
    ("Ann", None, None, str(2**31)),
    ("Ann", None, None, "-5"),
])
def test_fields_a_column_cannot_hold_are_refused(name, email, city, followers):
    m = Member(display_name="Before", city="Before")
    with pytest.raises(CommunityError):
        update_fields(m, name, email, None, city, followers)
    assert (m.display_name, m.city) == ("Before", "Before")


def test_good_fields_are_kept_within_their_columns():
    m = Member()
    update_fields(m, "İ" * 200, "ann@x.test", None, "К" * 120, "2147483647")
    assert len(m.display_name) == 200 and len(m.sort_name) <= 200 and m.followers == 2**31 - 1


@pytest.mark.parametrize("kind, raw", [("number", "inf"), ("number", "nan"), ("number", "1e999"), ("text", "a\x00b"),
                                      ("text", "a\ud800")])
def test_attribute_values_that_json_cannot_store_are_refused(kind, raw):
    with pytest.raises(CommunityError):
        coerce_attribute(AttributeDef(key="k", label="K", kind=kind, choices=[]), raw)
