"""Who may see what inside an agency. Runs inside the agency's tenant scope."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from tenants.accounts.models import ADMIN_ROLES, AgencyRole, User
from tenants.agency.models import OrgAccess, Organisation


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


# The sidebar's and the dashboard's statements are built once: building them cost more than running them.
_ACTIVE_ORGS = select(Organisation, func.count().over()).where(Organisation.archived_at.is_(None))
_NAV_ALL = _ACTIVE_ORGS.order_by(Organisation.name).limit(bindparam("limit"))
_NAV_ASSIGNED = (_ACTIVE_ORGS.where(Organisation.id.in_(bindparam("ids", expanding=True)))
                 .order_by(Organisation.name).limit(bindparam("limit")))


def nav_orgs(session: Session, m: Membership, current_id: int | None,
             limit: int = 12) -> tuple[list[Organisation], int]:
    """The sidebar's organisations: the first `limit` by name with the current one always among them, and how
    many there are in all (an agency with 200 clients gets a short list and a link to all of them)."""
    params: dict = {"limit": limit}
    if not m.is_admin:
        params["ids"] = sorted(m.org_ids) or [-1]
    rows = session.execute(_NAV_ALL if m.is_admin else _NAV_ASSIGNED, params).all()
    shown, total = [o for o, _n in rows], (rows[0][1] if rows else 0)
    if current_id and total > limit and all(o.id != current_id for o in shown):
        current = session.get(Organisation, current_id)
        if current is not None and not current.is_archived and m.can_see_org(current):
            shown = sorted([*shown[:limit - 1], current], key=lambda o: o.name)
    return shown, total


_ADMINS = select(AgencyRole.user_id, AgencyRole.role, literal(0).label("k")).where(AgencyRole.role.in_(ADMIN_ROLES))
_ASSIGNED = select(OrgAccess.user_id, OrgAccess.role, literal(1).label("k")).where(OrgAccess.org_id == bindparam("org"))
_ROLES = union_all(_ADMINS, _ASSIGNED).subquery()
_PEOPLE = (select(User.name, User.email, _ROLES.c.role).join(_ROLES, _ROLES.c.user_id == User.id)
           .order_by(_ROLES.c.k, User.name))


def people_with_access(session: Session, org_id: int) -> list:
    """Who works on or reads the organisation: owners and admins (they see every organisation), then its
    assigned managers and clients; the columns the dashboard's card shows (name, email, role), in one query."""
    return session.execute(_PEOPLE, {"org": org_id}).all()
