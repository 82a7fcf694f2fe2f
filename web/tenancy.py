"""The first wall: routes resolve <agency>/<org> from the URL and the user's role. No access → 404."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, request, session
from flask_login import current_user, login_required

from tenants import scoring
from tenants.agency import orgs, team
from tenants.core.audit import Actor
from tenants.core.context import set_tenant
from tenants.core.db import db


def _enter_agency(agency_slug: str) -> None:
    """The agency by its slug among the user's own, with the user's standing in it (the list the agency switcher
    shows, read once per request)."""
    found = next(((a, m) for a, m in _memberships() if a.slug == agency_slug), None)
    if found is None:
        abort(404)
    set_tenant(found[0].id)
    g.agency, g.membership = found


def _memberships() -> list:
    if "memberships" not in g:
        authenticated = current_user.is_authenticated   # loading the user brings them along
        if "memberships" not in g:     # signed in during this request (no loader ran): read them now
            g.memberships = team.memberships_of(current_user.id) if authenticated else []
    return g.memberships


def home_agency_slug() -> str | None:
    """The agency a signed-in user works in when the URL names none: the one last visited, else their first."""
    slugs = [a.slug for a, _m in _memberships()]
    if not slugs:
        return None
    wanted = session.get("agency")
    return wanted if wanted in slugs else slugs[0]


def enter_home_agency() -> bool:
    """Enter `home_agency_slug()` for a page outside any agency's URL (the account page keeps the sidebar)."""
    slug = home_agency_slug()
    if slug is not None:
        _enter_agency(slug)
    return slug is not None


def user_agencies() -> list:
    """Every agency the signed-in user belongs to, with the role (for the switcher too); once per request."""
    return [(a, m.role) for a, m in _memberships()]


def agency_view(*roles: str) -> Callable:
    """A page of the agency. `roles` limits it (e.g. owner, admin); anyone else gets 404."""
    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        @login_required
        def wrapper(agency_slug: str, *args, **kwargs):
            _enter_agency(agency_slug)
            if roles and g.membership.role not in roles:
                abort(404)
            return fn(*args, **kwargs)
        return wrapper
    return decorate


def org_view(write: bool = False, admin: bool = False, scoring_state: bool = False) -> Callable:
    """A page of one organisation. `write`: staff only (clients get 404). `admin`: owners and admins.
    `scoring_state`: the page shows the scoring stamps and the scoring run its status line reports on, running
    or failed (g.scoring_state, g.scoring_run), read with the organisation in one query."""
    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        @login_required
        def wrapper(agency_slug: str, org_slug: str, *args, **kwargs):
            _enter_agency(agency_slug)
            if scoring_state:
                org, g.scoring_state, g.scoring_run = scoring.org_and_state(db, org_slug) or (None, None, None)
            else:
                org = orgs.by_slug(db, org_slug)
            m = g.membership
            if org is None or not m.can_see_org(org):
                abort(404)
            if (write and not m.can_work_in_org(org)) or (admin and not m.is_admin):
                abort(404)
            set_tenant(g.agency.id, org.id)
            g.org = org
            return fn(*args, **kwargs)
        return wrapper
    return decorate


def actor() -> Actor:
    return Actor(user_id=current_user.id, email=current_user.email, ip=request.remote_addr)
