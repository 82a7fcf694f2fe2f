"""White label: fallbacks organisation → agency → Communa, validation, the logo's checks and its token, the mail
sender name."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from tenants.agency import branding
from tenants.agency.branding import BrandError
from tenants.agency.models import WhiteLabel
from tenants.core import mail
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tests.support import factories

ACTOR = Actor(email="t@acme.test")


def image(fmt: str = "PNG", size=(4, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    one, two = factories.org(a, "One"), factories.org(a, "Two")
    return a, one, two


def test_fallbacks_go_organisation_then_agency_then_communa(world):
    a, one, two = world
    with tenant_scope(a.id), job_session() as s:
        assert branding.for_org(s, one) == branding.DEFAULTS
        branding.save(s, None, {"colour": "#0F766E", "sender_name": "  Bright   Agency ", "footer": "Bright, 2026",
                                "language": "ru"}, ACTOR)
        branding.save(s, one.id, {"colour": "#112233", "language": "en"}, ACTOR)
        s.flush()
        got_one, got_two = branding.for_org(s, one), branding.for_org(s, two)
        s.commit()
    assert got_one == branding.Brand(None, "#112233", "Bright Agency", "Bright, 2026", "en")
    assert got_two == branding.Brand(None, "#0f766e", "Bright Agency", "Bright, 2026", "ru")
    with tenant_scope(a.id), job_session() as s:
        assert [r.action for r in s.scalars(select(AuditLog).order_by(AuditLog.id))][-2:] == \
            ["branding_saved", "branding_saved"]


@pytest.mark.parametrize("values", [{"colour": "red"}, {"colour": "#12345g"}, {"colour": "#1234567"},
                                    {"sender_name": "Evil <x@y.z>"}, {"sender_name": "x" * 121},
                                    {"footer": "x" * 501}, {"language": "de"}])
def test_bad_values_are_refused_with_a_reason_and_nothing_changes(world, values):
    a, one, _two = world
    with tenant_scope(a.id), job_session() as s:
        branding.save(s, one.id, {"colour": "#abcdef"}, ACTOR)
        s.commit()
        with pytest.raises(BrandError) as err:
            branding.save(s, one.id, {"colour": "#abcdef", **values}, ACTOR)
        assert str(err.value)
        s.rollback()
        assert branding.for_org(s, one).colour == "#abcdef"


def test_a_logo_is_a_png_or_jpeg_within_limits(world):
    assert branding.image_type(image("PNG")) == "image/png"
    assert branding.image_type(image("JPEG")) == "image/jpeg"
    for bad in (b"", image("GIF"), b'<svg xmlns="http://www.w3.org/2000/svg"/>', b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
                b"\xff\xd8\xff" + b"x" * 100):
        with pytest.raises(BrandError):
            branding.image_type(bad)
    with pytest.raises(BrandError, match="larger"):
        branding.image_type(image("PNG") + b"\0" * branding.LOGO_MAX_BYTES)
    with pytest.raises(BrandError, match="pixels"):
        branding.image_type(image("PNG", (4001, 1)))


def test_the_logo_is_found_by_its_token_only_and_a_new_upload_changes_the_token(world):
    a, one, two = world
    b = factories.agency("Beta", "o@beta.test")
    with tenant_scope(a.id), job_session() as s:
        first = branding.set_logo(s, None, image("PNG"), ACTOR).logo_token
        s.commit()
        assert branding.for_org(s, two).logo_url == f"/brand/{first}/logo.png"
        own = branding.set_logo(s, one.id, image("JPEG"), ACTOR).logo_token
        s.commit()
        assert branding.for_org(s, one).logo_url == f"/brand/{own}/logo.png"
        assert branding.logo_of(s, one.id)[1] == "image/jpeg" and branding.logo_of(s, None)[1] == "image/png"
    assert len(first) >= 43 and branding.logo_by_token(first)[1] == "image/png"
    with tenant_scope(b.id), job_session() as s:
        assert branding.logo_of(s, None) is None            # the other agency has none, sees none of ours
        assert s.scalars(select(WhiteLabel)).all() == []
    with tenant_scope(a.id), job_session() as s:
        second = branding.set_logo(s, None, image("PNG", (8, 8)), ACTOR).logo_token
        s.commit()
    assert second != first and branding.logo_by_token(first) is None and branding.logo_by_token(second)
    assert branding.logo_by_token("short") is None and branding.logo_by_token("x" * 43) is None
    with tenant_scope(a.id), job_session() as s:
        branding.remove_logo(s, None, ACTOR)
        s.commit()
        assert branding.for_org(s, two).logo_url is None
    assert branding.logo_by_token(second) is None


def test_a_mail_goes_under_the_sender_name_on_one_line():
    msg = mail.compose("x@y.z", "Report", "Body", sender_name="Bright Agency")
    assert msg["From"].startswith("Bright Agency <") and msg["From"].endswith(">")
    with job_session() as s:
        row = mail.send(s, "x@y.z", "Report", "Body", sender_name="Bright\r\nBcc: evil@x.z")
        assert row.sender_name == "Bright Bcc: evil@x.z"
        s.rollback()
    plain = mail.compose("x@y.z", "Report", "Body")
    assert "Bright" not in plain["From"]
