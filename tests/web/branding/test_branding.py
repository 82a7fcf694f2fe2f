"""White label through its routes: who may change it, clear refusals, the logo by route and by token, the
organisation override on its settings page, another agency's people and the organisation's other people."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from tenants.agency import branding
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tests.support import factories
from tests.support.http import login, post


def image(fmt: str = "PNG", size=(4, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 90)).save(buf, fmt)
    return buf.getvalue()


def upload(client, path: str, content: bytes, name: str = "logo.png"):
    return post(client, path, {"logo": (io.BytesIO(content), name)}, content_type="multipart/form-data")


@pytest.fixture
def world(app):
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    one, two = factories.org(a, "One"), factories.org(a, "Two")
    factories.org(b, "Beta One")
    factories.person(a, "admin@acme.test", "admin")
    factories.person(a, "m@acme.test", "manager", [one.id])
    factories.person(a, "c@acme.test", "client", [one.id])
    return {"a": a, "one": one, "two": two}


def _as(app, email: str):
    c = app.test_client()
    assert login(c, email).status_code == 302
    return c


def _brand(world, org=None):
    with tenant_scope(world["a"].id), job_session() as s:
        return branding.for_org(s, org)


def test_owner_and_admin_set_the_agency_white_label_and_the_sidebar_shows_it(app, world):
    for email in ("o@acme.test", "admin@acme.test"):
        c = _as(app, email)
        assert c.get("/acme/branding").status_code == 200
    r = post(c, "/acme/branding", {"colour": "#0f766e", "sender_name": "Acme Studio", "footer": "Acme, Moscow",
                                   "language": "ru"})
    assert r.status_code == 302
    assert _brand(world, world["two"]) == branding.Brand(None, "#0f766e", "Acme Studio", "Acme, Moscow", "ru")
    assert upload(c, "/acme/branding/logo", image()).status_code == 302
    page = c.get("/acme/").text
    assert re.search(r'<img class="brand-logo" src="/acme/branding/logo.png\?v=', page)
    assert "/acme/branding/theme.css?v=0f766e" in page
    css = c.get("/acme/branding/theme.css?v=0f766e")
    assert css.mimetype == "text/css" and "--brand: #0f766e" in css.text
    with tenant_scope(world["a"].id), job_session() as s:
        actions = [e.action for e in s.scalars(select(AuditLog))]
    assert "branding_saved" in actions and "branding_logo_changed" in actions


def test_bad_values_and_files_get_a_clear_4xx_and_nothing_changes(app, world):
    c = _as(app, "o@acme.test")
    post(c, "/acme/branding", {"colour": "#112233"})
    r = post(c, "/acme/branding", {"colour": "green", "sender_name": "X"})
    assert r.status_code == 422 and "six hexadecimal digits" in r.text and 'value="green"' in r.text
    for content, name, says in ((b"GIF89a....", "x.gif", "PNG or JPEG"),
                                (b"<svg onload=alert(1)></svg>", "x.svg", "PNG or JPEG"),
                                (image() + b"\0" * branding.LOGO_MAX_BYTES, "big.png", "larger than 256 kB"),
                                (b"", "empty.png", "Choose an image file")):
        r = upload(c, "/acme/branding/logo", content, name)
        assert r.status_code == 422 and says in r.text, name
    r = post(c, "/acme/branding/logo", {})                     # no file at all
    assert r.status_code == 422
    assert _brand(world) == branding.Brand(None, "#112233", "Communa", "", "en")


def test_the_logo_route_serves_the_agencys_people_and_the_token_serves_anyone(app, world, client):
    c = _as(app, "o@acme.test")
    png = image()
    upload(c, "/acme/branding/logo", png)
    token = _brand(world).logo_url.split("/")[2]
    for email in ("o@acme.test", "m@acme.test", "c@acme.test"):
        r = _as(app, email).get("/acme/branding/logo.png")
        assert r.status_code == 200 and r.data == png and r.mimetype == "image/png"
    assert _as(app, "o@beta.test").get("/acme/branding/logo.png").status_code == 404
    assert client.get("/acme/branding/logo.png").status_code == 302          # anonymous: to the login page
    r = client.get(f"/brand/{token}/logo.png")                                 # a share page's visitor
    assert r.status_code == 200 and r.data == png and r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/brand/{token[:-1]}x/logo.png").status_code == 404
    assert client.get("/brand/not-a-token/logo.png").status_code == 404
    upload(c, "/acme/branding/logo", image("JPEG"), "new.jpg")
    assert client.get(f"/brand/{token}/logo.png").status_code == 404          # replaced: the old address is dead
    post(c, "/acme/branding/logo/remove")
    assert c.get("/acme/branding/logo.png").status_code == 404 and _brand(world).logo_url is None


def test_managers_clients_and_another_agency_get_404_on_every_branding_change(app, world):
    one = world["one"].slug
    routes = ["/acme/branding", "/acme/branding/logo", "/acme/branding/logo/remove",
              f"/acme/{one}/settings/branding", f"/acme/{one}/settings/branding/logo",
              f"/acme/{one}/settings/branding/logo/remove"]
    for email in ("m@acme.test", "c@acme.test", "o@beta.test"):
        c = _as(app, email)
        assert c.get("/acme/branding").status_code == 404
        for path in routes:
            assert post(c, path, {"colour": "#000000"}).status_code == 404, (email, path)
        assert c.get("/acme/branding/theme.css").status_code == (404 if email == "o@beta.test" else 200)
    assert _brand(world) == branding.DEFAULTS and _brand(world, world["one"]) == branding.DEFAULTS


def test_an_organisation_overrides_on_its_settings_page(app, world):
    c = _as(app, "admin@acme.test")
    one, two = world["one"], world["two"]
    post(c, "/acme/branding", {"colour": "#0f766e", "sender_name": "Acme Studio"})
    page = c.get(f"/acme/{one.slug}/settings").text
    assert 'id="branding"' in page and 'placeholder="Acme Studio"' in page
    r = post(c, f"/acme/{one.slug}/settings/branding", {"colour": "#ff0000", "language": "ru", "footer": "One's"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/settings#branding")
    r = post(c, f"/acme/{one.slug}/settings/branding", {"colour": "#ff00zz"})
    assert r.status_code == 422 and "six hexadecimal digits" in r.text and 'id="branding"' in r.text
    assert upload(c, f"/acme/{one.slug}/settings/branding/logo", b"not an image").status_code == 422
    assert upload(c, f"/acme/{one.slug}/settings/branding/logo", image("JPEG"), "l.jpg").status_code == 302
    got, other = _brand(world, one), _brand(world, two)
    assert (got.colour, got.sender_name, got.footer, got.language) == ("#ff0000", "Acme Studio", "One's", "ru")
    assert got.logo_url and c.get(got.logo_url).mimetype == "image/jpeg"
    assert (other.colour, other.logo_url, other.language) == ("#0f766e", None, "en")
    assert _as(app, "m@acme.test").get(f"/acme/{one.slug}/settings").status_code == 404
