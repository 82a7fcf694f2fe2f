"""Translated labels for stored codes (roles, audit actions, job kinds)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = {"owner": _l("Owner"), "admin": _l("Admin"), "manager": _l("Community manager"), "client": _l("Client")}
ACTIONS = {
    "login": _l("Logged in"), "login_failed": _l("Failed login"), "logout": _l("Logged out"),
    "password_changed": _l("Password changed"), "password_reset": _l("Password reset"),
    "agency_created": _l("Agency created"), "org_created": _l("Organisation created"),
    "org_renamed": _l("Organisation renamed"), "org_archived": _l("Organisation archived"),
    "org_restored": _l("Organisation restored"), "invitation_sent": _l("Invitation sent"),
    "invitation_revoked": _l("Invitation revoked"), "invitation_accepted": _l("Invitation accepted"),
    "role_changed": _l("Role changed"), "user_removed": _l("Person removed"),
    "export_started": _l("Export started"), "api_key_created": _l("API key created"),
    "api_key_revoked": _l("API key revoked"), "member_exported": _l("Member data exported"),
    "member_erased": _l("Member erased"), "members_merged": _l("Members merged"),
    "merge_undone": _l("Merge undone"), "import_started": _l("Import started"),
}
JOBS = {"audit_export": _l("Audit log export"), "agency_cleanup": _l("Clean-up")}


def role_label(code: str) -> str:
    return str(ROLES.get(code, code))


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def job_label(code: str) -> str:
    return str(JOBS.get(code, code))
