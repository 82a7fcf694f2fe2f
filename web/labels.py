"""Translated labels for stored codes (roles, audit actions, job kinds)."""
from __future__ import annotations

from flask_babel import format_datetime, format_decimal, format_percent, gettext, lazy_pgettext, ngettext
from flask_babel import lazy_gettext as _l

from tenants.agency.jobs import (
    AGENCY_CLEANUP,
    AUDIT_EXPORT,
    CSV_IMPORT,
    DIGEST_SEND,
    EVENT_SURVEY,
    LEADER_CANDIDATES,
    LOST,
    REPORT_GENERATE,
    SCORE_DAILY,
    SCORE_FULL,
    SCORE_INCREMENTAL,
    SEGMENT_SNAPSHOT,
    TELEGRAM_IMPORT,
    UNAVAILABLE,
)
from tenants.agency.models import JobRun
from tenants.kpis import KPIS

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
    "event_checkin_undone": _l("Event check-in undone"), "digest_changed": _l("Email digest settings changed"),
    "goal_created": _l("Goal created"), "goal_changed": _l("Goal changed"),
    "goal_targets_changed": _l("Goal targets changed"), "goal_closed": _l("Goal closed"),
    "goal_reopened": _l("Goal reopened"), "goal_deleted": _l("Goal deleted"),
    "report_generated": _l("Report generated"), "report_notes_saved": _l("Report notes saved"),
    "report_approved": _l("Report approved"), "report_published": _l("Report published"),
    "report_segments_saved": _l("Report segments chosen"), "share_link_created": _l("Report share link created"),
    "share_link_revoked": _l("Report share link revoked"),
    "branding_saved": _l("White label saved"), "branding_logo_changed": _l("Logo changed"),
}
JOBS = {AUDIT_EXPORT: _l("Audit log export"), AGENCY_CLEANUP: _l("Clean-up"),
        CSV_IMPORT: _l("CSV import"), TELEGRAM_IMPORT: _l("Telegram import"),
        SCORE_FULL: _l("Full recompute of scores and metrics"), SCORE_INCREMENTAL: _l("Score update"),
        SCORE_DAILY: _l("Daily scoring pass"), SEGMENT_SNAPSHOT: _l("Daily segment snapshot"),
        LEADER_CANDIDATES: _l("Leader candidates"), EVENT_SURVEY: _l("Event follow-up: surveys and host activity"),
        DIGEST_SEND: _l("Email digest"), REPORT_GENERATE: _l("Report generation")}
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
    parts.append(gettext("top %(pct)s influence", pct=format_percent(c.top_percent / 100)))
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


# --- KPIs and goals ----------------------------------------------------------------------------------------------

GOAL_CATEGORIES = {"awareness": _l("Awareness"), "observation": _l("Observation"), "ideas": _l("Ideas"),
                   "interaction": _l("Interaction"), "influence": _l("Influence"),
                   "word_of_mouth": _l("Word of mouth"), "warming": _l("Warming up before the first purchase"),
                   "loyalty": _l("Loyalty of existing customers")}
GOAL_STATUSES = {"on_track": _l("On track"), "at_risk": _l("At risk"), "behind": _l("Behind"),
                 "not_started": _l("Not started"), "no_data": _l("No data yet"), "achieved": _l("Achieved"),
                 "missed": _l("Missed")}
GOAL_OUTCOMES = {"achieved": _l("Achieved"), "missed": _l("Missed"), "stopped": _l("Stopped early")}
GOAL_TEMPLATES = {
    "grow_members": (_l("Grow the community"), _l(
        "Grow the number of people in the community from the baseline to the target by the due date, through "
        "the channels where new people first hear about us.")),
    "more_newcomers": (_l("More newcomers each month"), _l(
        "Bring more people who appear for the first time in 30 days, measured every day over the trailing 30 days.")),
    "more_watchers": (_l("More people following along"), _l(
        "Raise the number of people who did anything in the last 30 days: reading, reacting, replying.")),
    "weekly_regulars": (_l("More weekly regulars"), _l(
        "Raise the number of people active in any 7 days, so the community feels alive every week.")),
    "more_contributors": (_l("More people sharing ideas"), _l(
        "Raise the number of people who take part in a 30-day period, through open questions and calls for ideas.")),
    "better_nps": (_l("Raise NPS"), _l(
        "Raise the Net Promoter Score of the survey answers over the trailing 30 days to the target by the due "
        "date, acting on what detractors say.")),
    "stickier": (_l("Make visiting a daily habit"), _l(
        "Raise the share of the month's active people who show up on a typical day.")),
    "event_turnout": (_l("Fuller events"), _l(
        "Raise the share of registrants who come to events, with reminders and a waitlist that moves.")),
    "active_leaders": (_l("Work with more opinion leaders"), _l(
        "Reach the target number of opinion leaders in the active status by the due date.")),
    "more_advocates": (_l("More loyal members and advocates"), _l(
        "Raise the number of people at the loyal or advocate stage by the due date.")),
    "word_of_mouth_advocates": (_l("Advocates who spread the word"), _l(
        "Grow the loyal members and advocates who recommend us, measured at each day's end.")),
    "word_of_mouth_nps": (_l("People who would recommend us"), _l(
        "Raise NPS over the trailing 30 days: more promoters, fewer detractors.")),
    "warm_segment": (_l("Warm up a segment before the first purchase"), _l(
        "Grow the chosen segment of warmed-up prospects to the target by the due date.")),
    "warm_returning": (_l("Bring quiet people back"), _l(
        "Raise the number of people who come back after a whole month of silence.")),
    "keep_loyal": (_l("Keep the loyal ones from drifting away"), _l(
        "Bring the share of people at risk down to the target by the due date, reaching out to them in time.")),
    "less_churn": (_l("Fewer people leaving"), _l(
        "Bring down the number of people active in one 30-day period and silent in the next.")),
    "repeat_visits": (_l("Make people come back to events"), _l(
        "Raise the share of attendees who come to two or more events.")),
}


def kpi_name(code: str) -> str:
    """A KPI's name in the user's language (tenants.kpis holds the msgid)."""
    return gettext(KPIS[code].name) if code in KPIS else code


def kpi_hint(code: str) -> str:
    """A KPI's one-line explanation in plain words, shown beside the figure."""
    return gettext(KPIS[code].hint) if code in KPIS else ""


def goal_status_label(code: str | None) -> str:
    """A goal's status or, once closed, its outcome."""
    return str(GOAL_STATUSES.get(code or "") or GOAL_OUTCOMES.get(code or "") or code or "")
