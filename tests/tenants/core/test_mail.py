"""The mail outbox is transactional: a mail is recorded with the change that sends it and goes out only if that
change commits."""
from __future__ import annotations

from sqlalchemy import select

from tenants.core import mail
from tenants.core.db import job_session, system_scope
from tenants.core.models import OutboxMail


def _outbox() -> list[tuple[str, str]]:
    with system_scope() as s:
        return [(m.to_address, m.status) for m in s.scalars(select(OutboxMail).order_by(OutboxMail.id))]


def test_a_rolled_back_change_sends_nothing_and_a_committed_one_is_kept():
    with job_session() as s:
        mail.send(s, "gone@acme.test", "Invitation", "a link that must never arrive")
        assert s.info.get(mail.PENDING)
        s.rollback()
        assert not s.info.get(mail.PENDING)
    assert _outbox() == []
    with job_session() as s:
        mail.send(s, "kept@acme.test", "Invitation", "a link")
    assert [to for to, _status in _outbox()] == ["kept@acme.test"]
