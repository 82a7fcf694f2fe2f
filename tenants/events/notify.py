"""Mail about a registration: the waitlist promotion (the UI, the API and the public cancel call it)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.community.models import Member
from tenants.core import mail
from tenants.events.models import Event, Registration


def promoted(session: Session, event: Event, registration: Registration) -> None:
    """Tell a member taken off the waitlist that they have a place (a plain mail; nothing without an email)."""
    member = session.get(Member, registration.member_id)
    if member is None or not member.email:
        return
    mail.send(session, member.email, f"You have a place at {event.title}",
              f"A place has opened at {event.title} and it is yours: you are registered.")
