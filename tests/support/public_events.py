"""The public event pages in tests: an organisation with an event, registering through the form as a visitor
would, and the mails it sends (read from the outbox)."""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass

from sqlalchemy import select

from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.core.models import OutboxMail
from tenants.events.models import Event, Registration
from tests.support import factories
from tests.support.events import event
from tests.support.http import csrf_of

LINK = re.compile(r"http://localhost(/[ets]/[A-Za-z0-9_-]+)")


@dataclass
class World:
    a: factories.Agency
    o: object
    event_id: str            # public id
    token: str               # the registration form's secret

    @property
    def form(self) -> str:
        return f"/e/{self.token}"


def world(agency: str = "Acme", org: str = "Coffee", owner: str | None = None, **data) -> World:
    a = factories.agency(agency, owner or f"o@{agency.lower()}.test")
    o = factories.org(a, org)
    return on(a, o, **data)


def on(a, o, **data) -> World:
    public = event(a, o, **data)
    with tenant_scope(a.id, o.id), job_session() as s:
        token = s.scalar(select(Event.form_token).where(Event.public_id == public))
    return World(a, o, public, token)


def register(client, path: str, name: str, email: str, consent: bool = True, **extra):
    data = {"name": name, "email": email, "csrf_token": csrf_of(client, path), **extra}
    if consent:
        data["consent"] = "y"
    return client.post(path, data=data)


def mails(to: str | None = None) -> list[OutboxMail]:
    with system_scope() as s:
        stmt = select(OutboxMail).order_by(OutboxMail.id)
        if to:
            stmt = stmt.where(OutboxMail.to_address == to)
        found = list(s.scalars(stmt))
        s.expunge_all()
        return found


def path_in(mail: OutboxMail, prefix: str) -> str:
    """The link of the mail to a public page (/t/…, /s/…), as a path."""
    found = [p for p in LINK.findall(mail.body) if p.startswith(prefix)]
    assert len(found) == 1, mail.body
    return found[0]


def registrations(w: World) -> list[Registration]:
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        found = list(s.scalars(select(Registration).join(Event, Event.id == Registration.event_id)
                               .where(Event.public_id == w.event_id).order_by(Registration.id)))
        s.expunge_all()
        return found


def decode_qr(png_base64: str) -> list[str]:
    """What a QR reader (zxing-cpp) finds in a PNG."""
    import zxingcpp
    from PIL import Image
    image = Image.open(io.BytesIO(base64.b64decode(png_base64)))
    image.load()
    return [r.text for r in zxingcpp.read_barcodes(image)]
