"""Translated labels for stored codes (roles, audit actions, job kinds)."""
from __future__ import annotations

from flask_babel import format_datetime, format_decimal, gettext, lazy_pgettext, ngettext
from flask_babel import lazy_gettext as _l

from tenants.agency.jobs import (
    AGENCY_CLEANUP,
    AUDIT_EXPORT,
    CSV_IMPORT,
    EVENT_SURVEY,
    LEADER_CANDIDATES,
    LOST,
    SCORE_DAILY,
    SCORE_FULL,
    SCORE_INCREMENTAL,
    SEGMENT_SNAPSHOT,
    TELEGRAM_IMPORT,
    UNAVAILABLE,
)
from tenants.agency.models import JobRun

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
    "scoring_model_saved": _l("Scoring model saved"), "recompute_started": _l("Recompute started"),
    "segment_created": _l("Segment created"), "segment_changed": _l("Segment changed"),
    "segment_deleted": _l("Segment deleted"),
    "leader_added": _l("Leader added"), "leader_updated": _l("Leader details changed"),
    "leader_status_changed": _l("Leader status changed"), "touchpoint_added": _l("Touchpoint added"),
    "leader_candidate_dismissed": _l("Leader candidate dismissed"),
    "leader_candidate_restored": _l("Leader candidate restored"), "leader_settings_saved": _l("Leader settings saved"),
    "event_created": _l("Event created"), "event_changed": _l("Event changed"), "event_deleted": _l("Event deleted"),
    "event_registration_changed": _l("Event registration changed"),
    "event_checkin_undone": _l("Event check-in undone"),
    "branding_saved": _l("White label saved"), "branding_logo_changed": _l("Logo changed"),
}
JOBS = {AUDIT_EXPORT: _l("Audit log export"), AGENCY_CLEANUP: _l("Clean-up"),
        CSV_IMPORT: _l("CSV import"), TELEGRAM_IMPORT: _l("Telegram import"),
        SCORE_FULL: _l("Full recompute of scores and metrics"), SCORE_INCREMENTAL: _l("Score update"),
        SCORE_DAILY: _l("Daily scoring pass"), SEGMENT_SNAPSHOT: _l("Daily segment snapshot"),
        LEADER_CANDIDATES: _l("Leader candidates"), EVENT_SURVEY: _l("Event follow-up: surveys and host activity")}
# A failed job whose error the reader could not act on (a bug, a lost database connection, a killed worker):
# the technical detail stays in the logs and JobRun.error.
JOB_FAILED = _l("This job failed because of a problem on our side. Try again; if it fails again, contact "
                "support.")
# A failed job whose cause was the system's (tenants.agency.jobs.FAILURE_CODES).
JOB_FAILURES = {
    LOST: _l("The job stopped without finishing: the worker running it was lost. Run it again."),
    UNAVAILABLE: _l("Background work was unavailable when this job was started. Run it again."),
}
# An action that needs a background job while no worker can be reached (the queue is down).
JOBS_UNAVAILABLE = _l("Background work is unavailable right now. Nothing was started; try again shortly.")
# A rejected row's reason once erasing a member removed the row (tenants.community.privacy.REMOVED_REASON); the
# import page translates reasons by their template.
_l("Removed: the row named a member who was erased.")
STAGES = {"newcomer": _l("Newcomer"), "participant": _l("Participant"), "active": _l("Active"),
          "loyal": _l("Loyal"), "advocate": _l("Advocate")}
FIELDS = {"channel": _l("Channel"), "external_id": _l("External id"), "handle": _l("Handle"),
          "display_name": _l("Name"), "email": _l("Email"), "phone": _l("Phone"), "city": _l("City"),
          "tags": _l("Tags"), "followers": _l("Followers"), "type": _l("Type"), "occurred_at": _l("Date"),
          "source_id": _l("Activity id"), "target_channel": _l("Target channel"),
          "target_external_id": _l("Target id (replied to)"), "weight": _l("Weight"),
          "first_name": _l("First name"), "last_name": _l("Last name"), "status": _l("Guest status"),
          "registered_at": _l("Registered at"), "checked_in": _l("Checked in (yes/no)"),
          "checked_in_at": _l("Checked in at")}


def field_label(code: str) -> str:
    return str(FIELDS.get(code, code))


def role_label(code: str) -> str:
    return str(ROLES.get(code, code))


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def job_label(code: str) -> str:
    return str(JOBS.get(code, code))

CHANNELS = {"telegram": "Telegram", "vk": _l("VK"), "email": _l("Email"), "instagram": "Instagram",
            "discord": "Discord", "offline": _l("Offline"), "website": _l("Website"), "phone": _l("Phone"),
            "other": _l("Other")}
ACTIVITY = {
    "message": _l("Message"), "reply": _l("Reply"), "reaction": _l("Reaction"), "post": _l("Post"),
    "share": _l("Share"), "referral": _l("Referral"), "purchase": _l("Purchase"), "review": _l("Review"),
    "event_registration": _l("Event registration"), "event_attendance": _l("Event attendance"),
    "survey_answer": _l("Survey answer"), "content_created": _l("Content created"), "join": _l("Joined"),
    "leave": _l("Left"), "other": _l("Other"),
}


def channel_label(code: str) -> str:
    return str(CHANNELS.get(code, code))


def activity_label(code: str) -> str:
    return str(ACTIVITY.get(code, code))


def stage_label(code: str | None) -> str:
    return str(STAGES.get(code, code or ""))


def label_pairs(values: dict, kind: str) -> list:
    """A {code: value} dict as [[label, value], ...] in the dict's order (chart legends; a JSON object would
    come out sorted by key)."""
    label = {"stage": stage_label, "activity": activity_label, "channel": channel_label}[kind]
    return [[label(k), v] for k, v in values.items()]


SCORING_FIELDS = {"half_life_days": _l("Half-life"), "active_weeks": _l("Active weeks"),
                  "tenure_days": _l("Tenure"), "grace_days": _l("Demotion grace"), "risk_days": _l("At-risk after"),
                  "advocacy_types": _l("Advocacy signals")}


def scoring_error(exc) -> str:
    """A ScoringError in the reader's language, the setting named by its label."""
    return domain_message(exc.template, exc.params)


def domain_message(template: str, params: dict | None) -> str:
    """A domain error (tenants.core.errors.DomainError) in the reader's language. A scoring setting named in
    `field` is shown by its label."""
    params = dict(params or {})
    field = str(params.get("field", ""))
    if field.startswith("weight_"):
        params["field"] = gettext("Weight of %(type)s", type=activity_label(field[7:]))
    elif field.startswith("threshold_"):
        params["field"] = gettext("Threshold of %(stage)s", stage=stage_label(field[10:]))
    elif field in SCORING_FIELDS:
        params["field"] = str(SCORING_FIELDS[field])
    return gettext(template, **params)


def job_failure(run: JobRun) -> str:
    """Why a failed job failed, for its page: the domain error it stopped on, translated, or a general message
    (never the exception itself)."""
    failure = run.failure or {}
    if failure.get("code") in JOB_FAILURES:
        return str(JOB_FAILURES[failure["code"]])
    if failure.get("template"):
        try:
            return domain_message(failure["template"], failure.get("params"))
        except (KeyError, TypeError, ValueError):     # a template and parameters that no longer fit each other
            pass
    return str(JOB_FAILED)


def scoring_failed(run: JobRun) -> str:
    """The organisation's status line when its last recompute (or daily pass) failed, with the time."""
    when = format_datetime(run.finished_at, "short") if run.finished_at else ""
    if run.kind == SCORE_DAILY:
        return gettext("The daily scoring pass failed %(when)s.", when=when)
    return gettext("The recompute failed %(when)s.", when=when)


LEADER_STATUSES = {"candidate": _l("Candidate"), "invited": _l("Invited"), "active": _l("Active leader"),
                   "alumni": _l("Alumni"), "declined": _l("Declined")}
LEADER_KINDS = {"ambassador": _l("Ambassador"), "expert": _l("Expert"), "creator": _l("Content creator"),
                "partner": _l("Partner"), "media": _l("Media"), "other": _l("Other")}
TOUCHPOINTS = {"call": _l("Call"), "gift": _l("Gift"), "invitation": _l("Invitation"),
               "co_created_post": _l("Co-created post"), "other": _l("Other")}
MEMBER_KINDS = {"person": _l("Person"), "organisation": _l("Organisation")}


def leader_status_label(code: str | None) -> str:
    return str(LEADER_STATUSES.get(code, code or ""))


def leader_kind_label(code: str) -> str:
    return str(LEADER_KINDS.get(code, code))


def touchpoint_label(code: str) -> str:
    return str(TOUCHPOINTS.get(code, code))


def member_kind_label(code: str) -> str:
    return str(MEMBER_KINDS.get(code, code))


def candidate_reasons(c) -> list[str]:
    """Why a member is a leader candidate, in parts the page joins into a sentence (the API lists them):
    "answered by 41 members in 90 days", "top 3% influence", "12 posts", "advocate"."""
    parts = []
    if c.answered_by:
        parts.append(ngettext("answered by %(num)s member in 90 days", "answered by %(num)s members in 90 days",
                              c.answered_by))
    parts.append(gettext("top %(pct)s%% influence", pct=c.top_percent))
    if c.reached:
        parts.append(ngettext("reached %(num)s member", "reached %(num)s members", c.reached))
    if c.posts:
        parts.append(ngettext("%(num)s post", "%(num)s posts", c.posts))
    if c.followers >= 1000:
        parts.append(gettext("%(n)s followers", n=format_decimal(c.followers)))
    if c.stage:
        parts.append(stage_label(c.stage).lower())
    return parts


EVENT_FORMATS = {"offline": _l("Offline"), "online": _l("Online"), "hybrid": _l("Hybrid")}
REGISTRATION_STATUSES = {"registered": lazy_pgettext("registration status", "Registered"),
                         "waitlisted": _l("Waitlisted"), "cancelled": lazy_pgettext("registration status", "Cancelled")}
REGISTRATION_SOURCES = {"form": _l("Registration page"), "import": _l("Import"), "api": _l("API"),
                        "manual": _l("Added by staff"), "walk_in": _l("Walk-in")}
REGISTRATION_LOG = {"registered": REGISTRATION_STATUSES["registered"], "waitlisted": _l("Put on the waitlist"),
                    "promoted": _l("Promoted from the waitlist"), "cancelled": REGISTRATION_STATUSES["cancelled"],
                    "checked_in": _l("Checked in"), "check_in_undone": _l("Check-in undone"),
                    "walk_in": _l("Walked in")}
FORM_FIELDS = {"phone": _l("Phone"), "city": _l("City"), "company": _l("Company"), "telegram": _l("Telegram"),
               "comment": _l("Comment")}
# The event form's inputs, named in its errors ("Title is required.").
EVENT_FIELDS = {"title": _l("Title"), "description": _l("Description"), "format": _l("Format"),
                "timezone": _l("Time zone"), "starts_at": _l("Starts"), "ends_at": _l("Ends"),
                "location": _l("Place"), "url": _l("Link"), "capacity": _l("Capacity"), "tags": _l("Tags"),
                "series": _l("Series"), "form_fields": _l("Registration form"),
                "promote_waitlist": _l("Waitlist promotion"), "registration_open": _l("Registration")}


def event_format_label(code: str) -> str:
    return str(EVENT_FORMATS.get(code, code))


def registration_status_label(code: str) -> str:
    return str(REGISTRATION_STATUSES.get(code, code))


def registration_source_label(code: str) -> str:
    return str(REGISTRATION_SOURCES.get(code, code))


def registration_log_label(code: str) -> str:
    return str(REGISTRATION_LOG.get(code, code))


def form_field_label(code: str) -> str:
    return str(FORM_FIELDS.get(code, code))


def event_field_label(code: str) -> str:
    return str(EVENT_FIELDS.get(code, code))
