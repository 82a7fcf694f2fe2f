"""Who may see what inside an agency. Runs inside the agency's tenant scope."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import ADMIN_ROLES, Organisation


@dataclass
class Membership:
    """The signed-in user's standing in one agency."""
    user_id: int
    role: str
    org_ids: set[int] = field(default_factory=set)

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def is_client(self) -> bool:
        return self.role == "client"

    def can_see_org(self, org: Organisation) -> bool:
        if self.is_admin:
            return True
        return org.id in self.org_ids and not org.is_archived

    def can_work_in_org(self, org: Organisation) -> bool:
        """Write access to an org's community data: staff with access, never clients."""
        return not self.is_client and self.can_see_org(org)


def visible_orgs(session: Session, m: Membership, archived: bool = False) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    stmt = stmt.where(Organisation.archived_at.is_not(None) if archived else Organisation.archived_at.is_(None))
    if not m.is_admin:
        if archived:
            return []
        stmt = stmt.where(Organisation.id.in_(m.org_ids or {-1}))
    return list(session.scalars(stmt))


def nav_orgs(session: Session, m: Membership, current_id: int | None,
             limit: int = 12) -> tuple[list[Organisation], int]:
    """The sidebar's organisations: the first `limit` by name with the current one always among them, and how
    many there are in all (an agency with 200 clients gets a short list and a link to all of them)."""
    stmt = select(Organisation).where(Organisation.archived_at.is_(None))
    if not m.is_admin:
        stmt = stmt.where(Organisation.id.in_(m.org_ids or {-1}))
    rows = session.execute(stmt.add_columns(func.count().over()).order_by(Organisation.name).limit(limit)).all()
    shown, total = [o for o, _n in rows], (rows[0][1] if rows else 0)
    if current_id and total > limit and all(o.id != current_id for o in shown):
        current = session.scalar(stmt.where(Organisation.id == current_id))
        if current is not None:
            shown = sorted([*shown[:limit - 1], current], key=lambda o: o.name)
    return shown, total
